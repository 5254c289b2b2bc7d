"""BranchDateTimeOperator and BranchDayOfWeekOperator choose as Airflow's standard provider does."""
from __future__ import annotations

import datetime as dt
import unittest
from types import SimpleNamespace
from unittest import mock

from tests.test_authoring_helpers import AuthoringTestCase

from airflow._core import calendar_branch


def _context(logical_date):
    return {"logical_date": logical_date, "dag_run": SimpleNamespace(run_after=logical_date)}


class BranchDateTime(AuthoringTestCase):
    def _op(self, zone="UTC", **kwargs):
        from airflow.providers.standard.operators.datetime import BranchDateTimeOperator
        from airflow.sdk import DAG

        with DAG("d", schedule=None, start_date=dt.datetime(2024, 1, 1, tzinfo=calendar_branch.get_zone(zone))):
            return BranchDateTimeOperator(task_id="b", follow_task_ids_if_true=["in"], follow_task_ids_if_false="out", **kwargs)

    def test_logical_date_inside_and_outside_a_datetime_window(self) -> None:
        op = self._op(target_lower=dt.datetime(2024, 1, 1, 14), target_upper=dt.datetime(2024, 1, 1, 15),
                      use_task_logical_date=True)
        utc = dt.timezone.utc
        self.assertEqual(op.choose_branch(_context(dt.datetime(2024, 1, 1, 14, 30, tzinfo=utc))), ["in"])
        self.assertEqual(op.choose_branch(_context(dt.datetime(2024, 1, 1, 15, 1, tzinfo=utc))), "out")
        self.assertEqual(op.choose_branch(_context(dt.datetime(2024, 1, 1, 13, 59, tzinfo=utc))), "out")

    def test_naive_bounds_are_wall_clock_in_the_dags_zone(self) -> None:
        op = self._op(zone="Europe/Amsterdam", target_lower=dt.datetime(2024, 1, 1, 14), target_upper=None,
                      use_task_logical_date=True)
        utc = dt.timezone.utc
        # 14:00 in Amsterdam (winter) is 13:00 UTC.
        self.assertEqual(op.choose_branch(_context(dt.datetime(2024, 1, 1, 13, 30, tzinfo=utc))), ["in"])
        self.assertEqual(op.choose_branch(_context(dt.datetime(2024, 1, 1, 12, 30, tzinfo=utc))), "out")

    def test_time_bounds_take_todays_date_and_wrap_over_midnight(self) -> None:
        op = self._op(target_lower=dt.time(15), target_upper=dt.time(0))
        utc = dt.timezone.utc
        with mock.patch.object(calendar_branch, "_utcnow", return_value=dt.datetime(2024, 3, 1, 23, 0, tzinfo=utc)):
            self.assertEqual(op.choose_branch(_context(None)), ["in"])
        with mock.patch.object(calendar_branch, "_utcnow", return_value=dt.datetime(2024, 3, 1, 11, 0, tzinfo=utc)):
            self.assertEqual(op.choose_branch(_context(None)), "out")

    def test_a_window_needs_a_bound(self) -> None:
        from airflow.exceptions import AirflowException

        with self.assertRaisesRegex(AirflowException, "Both target_upper and target_lower are None"):
            self._op(target_lower=None, target_upper=None)

    def test_serialised_as_a_custom_branch_task_under_airflows_class_path(self) -> None:
        op = self._op(target_lower=dt.time(1), target_upper=dt.time(2))
        task = self.tasks(op.dag)["b"]
        self.assertEqual(task["operator_class"], "airflow.providers.standard.operators.datetime.BranchDateTimeOperator")
        self.assertEqual(task["args"], {"kind": "custom"})


class BranchDayOfWeek(AuthoringTestCase):
    def _op(self, week_day, **kwargs):
        from airflow.operators.weekday import BranchDayOfWeekOperator
        from airflow.sdk import DAG

        with DAG("w", schedule=None):
            return BranchDayOfWeekOperator(task_id="b", follow_task_ids_if_true="yes", follow_task_ids_if_false="no",
                                           week_day=week_day, **kwargs)

    def test_names_sets_and_enum_members_by_the_logical_date(self) -> None:
        from airflow.utils.weekday import WeekDay

        saturday = _context(dt.datetime(2024, 1, 6, tzinfo=dt.timezone.utc))
        monday = _context(dt.datetime(2024, 1, 8, tzinfo=dt.timezone.utc))
        self.assertEqual(self._op("Monday", use_task_logical_date=True).choose_branch(monday), "yes")
        weekend = self._op({WeekDay.SATURDAY, "sunday"}, use_task_logical_date=True)
        self.assertEqual(weekend.choose_branch(saturday), "yes")
        self.assertEqual(weekend.choose_branch(monday), "no")

    def test_without_the_logical_date_today_in_the_dags_zone_counts(self) -> None:
        op = self._op("Saturday")
        # Friday 23:30 UTC is already Saturday in Tokyo.
        op.dag.timezone = "Asia/Tokyo"
        late_friday = dt.datetime(2024, 1, 5, 23, 30, tzinfo=dt.timezone.utc)
        with mock.patch.object(calendar_branch, "_utcnow", return_value=late_friday):
            self.assertEqual(op.choose_branch(_context(None)), "yes")
        op.dag.timezone = "UTC"
        with mock.patch.object(calendar_branch, "_utcnow", return_value=late_friday):
            self.assertEqual(op.choose_branch(_context(None)), "no")

    def test_an_unknown_day_fails_at_construction(self) -> None:
        with self.assertRaisesRegex(AttributeError, 'Invalid Week Day passed: "Funday"'):
            self._op("Funday")


if __name__ == "__main__":
    unittest.main()
