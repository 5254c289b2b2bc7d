echo "hello $WHO on {{ ds }}"
