"""Errors of our own that users can meet while parsing or running a DAG file."""


class NotYetSupported(Exception):
    """An Airflow feature that imports fine but that airflow-serverless does not run yet.

    Using it (instantiating, calling, putting it in a schedule) fails the parse or the try with a
    message that names the feature, so nothing is ever silently ignored.
    """

    def __init__(self, feature: str) -> None:
        super().__init__(f"{feature} is not supported yet by airflow-serverless")
        self.feature = feature


class DagSerializationError(Exception):
    """A DAG that imports but cannot become the serialised DAG (a value JSON cannot carry, ...)."""
