"""XCom, for type hints and the XCOM_RETURN_KEY constant; use ti.xcom_push/xcom_pull for values."""
from __future__ import annotations

XCOM_RETURN_KEY = "return_value"


class XCom:
    """Type-hint stand-in; XComs are read and written through the task instance."""


__all__ = ["XCom", "XCOM_RETURN_KEY"]
