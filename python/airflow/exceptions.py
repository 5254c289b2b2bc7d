"""Airflow's exceptions, under their Airflow names (the task runner maps them to outcomes)."""


class AirflowException(Exception):
    """Base of Airflow's own errors; a task raising it fails (and may retry)."""

    status_code = 500


class AirflowBadRequest(AirflowException):
    status_code = 400


class AirflowNotFoundException(AirflowException):
    status_code = 404


class AirflowConfigException(AirflowException):
    pass


class AirflowSkipException(AirflowException):
    """Raised in a task: the try ends as skipped."""


class AirflowFailException(AirflowException):
    """Raised in a task: the try fails without retrying."""


class AirflowOptionalProviderFeatureException(AirflowException):
    pass


class AirflowSensorTimeout(AirflowException):
    """A sensor ran out of time: fails without retrying."""


class AirflowRescheduleException(AirflowException):
    def __init__(self, reschedule_date=None):
        super().__init__()
        self.reschedule_date = reschedule_date


class AirflowTaskTimeout(BaseException):
    """A task ran past execution_timeout (a BaseException in Airflow too, so `except Exception` misses it)."""


class AirflowTaskTerminated(BaseException):
    pass


class AirflowWebServerTimeout(AirflowException):
    pass


class AirflowTimetableInvalid(AirflowException):
    pass


class AirflowDagCycleException(AirflowException):
    pass


class AirflowDagDuplicatedIdException(AirflowException):
    pass


class DuplicateTaskIdFound(AirflowException):
    pass


class TaskAlreadyInTaskGroup(AirflowException):
    pass


class TaskNotFound(AirflowNotFoundException):
    pass


class DagNotFound(AirflowNotFoundException):
    pass


class DagRunNotFound(AirflowNotFoundException):
    pass


class DagRunAlreadyExists(AirflowBadRequest):
    pass


class ParamValidationError(AirflowException):
    pass


class XComNotFound(AirflowException):
    """An XComArg's value is not there when a task resolves it (Airflow's message)."""

    def __init__(self, dag_id: str = "", task_id: str = "", key: str = "") -> None:
        super().__init__(dag_id, task_id, key)
        self.dag_id, self.task_id, self.key = dag_id, task_id, key

    def __str__(self) -> str:
        return f'XComArg result from {self.task_id} at {self.dag_id} with key="{self.key}" is not found!'


class UnmappableXComTypePushed(AirflowException):
    pass


class TaskDeferred(BaseException):
    pass


class AirflowProviderDeprecationWarning(DeprecationWarning):
    pass


class RemovedInAirflow3Warning(DeprecationWarning):
    pass
