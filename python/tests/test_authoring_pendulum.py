"""The pendulum stand-in (python/_fallback/pendulum), loaded directly so it is tested even where the
real pendulum is installed."""
from __future__ import annotations

import datetime as dt
import importlib.util
import os
import pickle
import sys
import unittest

from tests.test_authoring_helpers import FALLBACK

_spec = importlib.util.spec_from_file_location("pendulum_standin", os.path.join(FALLBACK, "pendulum", "__init__.py"))
assert _spec and _spec.loader
pendulum = importlib.util.module_from_spec(_spec)
sys.modules["pendulum_standin"] = pendulum
_spec.loader.exec_module(pendulum)


class PendulumStandIn(unittest.TestCase):
    def test_set_next_previous_and_weekdays(self) -> None:
        wednesday = pendulum.datetime(2024, 1, 3, 10, 30)
        self.assertEqual(wednesday.next(pendulum.MONDAY), pendulum.datetime(2024, 1, 8))
        self.assertEqual(wednesday.next(), pendulum.datetime(2024, 1, 10))
        self.assertEqual(wednesday.next(pendulum.WEDNESDAY, keep_time=True), pendulum.datetime(2024, 1, 10, 10, 30))
        self.assertEqual(wednesday.previous(pendulum.FRIDAY, keep_time=True), pendulum.datetime(2023, 12, 29, 10, 30))
        self.assertEqual((pendulum.MONDAY, pendulum.WeekDay.SUNDAY), (0, 6))
        moved = wednesday.set(hour=5, minute=0, tz="Asia/Tokyo")
        self.assertEqual((moved.hour, moved.minute, moved.timezone_name), (5, 0, "Asia/Tokyo"))
        self.assertEqual(wednesday.set(day=9).day, 9)

    def test_time_is_a_wall_clock_time(self) -> None:
        t = pendulum.time(15, 30)
        self.assertIsInstance(t, dt.time)
        self.assertEqual((t.hour, t.minute, t.second, t.tzinfo), (15, 30, 0, None))

    def test_datetime_defaults_to_utc_and_takes_zone_names(self) -> None:
        d = pendulum.datetime(2024, 1, 2, 3, 4, 5)
        self.assertIsInstance(d, dt.datetime)
        self.assertEqual(d.utcoffset(), dt.timedelta(0))
        self.assertEqual(d.timezone_name, "UTC")
        p = pendulum.datetime(2024, 7, 1, tz="Europe/Paris")
        self.assertEqual((p.utcoffset(), p.tzinfo.name), (dt.timedelta(hours=2), "Europe/Paris"))
        self.assertEqual(pendulum.datetime(2024, 1, 1, tz=pendulum.timezone("Asia/Tokyo")).tzinfo.name, "Asia/Tokyo")
        self.assertIs(pendulum.timezone("UTC"), pendulum.UTC)

    def test_add_subtract_follow_pendulum_across_dst(self) -> None:
        d = pendulum.datetime(2024, 3, 10, 1, tz="America/New_York")
        self.assertEqual(d.add(hours=2).isoformat(), "2024-03-10T04:00:00-04:00")  # absolute hours
        self.assertEqual(d.add(days=1).isoformat(), "2024-03-11T01:00:00-04:00")  # wall-clock days
        self.assertEqual((d + dt.timedelta(hours=2)).hour, 4)
        self.assertEqual(pendulum.datetime(2024, 1, 31).add(months=1).to_date_string(), "2024-02-29")
        self.assertEqual(pendulum.datetime(2024, 3, 1).subtract(years=1, days=1).to_date_string(), "2023-02-28")
        self.assertIsInstance(d - dt.timedelta(days=1), pendulum.DateTime)
        self.assertEqual((d.add(days=2) - d).in_hours(), 47)

    def test_strings_and_format(self) -> None:
        d = pendulum.datetime(2024, 5, 6, 7, 8, 9, tz="UTC")
        self.assertEqual(d.to_date_string(), "2024-05-06")
        self.assertEqual(d.to_datetime_string(), "2024-05-06 07:08:09")
        self.assertEqual(d.to_iso8601_string(), "2024-05-06T07:08:09Z")
        self.assertEqual(d.format("YYYY-MM-DD HH:mm:ss [at] ZZ"), "2024-05-06 07:08:09 at +0000")
        self.assertEqual(d.in_timezone("Europe/Paris").to_iso8601_string(), "2024-05-06T09:08:09+02:00")
        # pendulum 3's str() (Airflow 3's `{{ logical_date }}`): a space; isoformat() keeps the `T`.
        self.assertEqual(str(d), "2024-05-06 07:08:09+00:00")
        self.assertEqual(f"{d}", "2024-05-06 07:08:09+00:00")
        self.assertEqual(str(d.add(microseconds=5)), "2024-05-06 07:08:09.000005+00:00")
        self.assertEqual(d.isoformat(), "2024-05-06T07:08:09+00:00")

    def test_parse_now_today_duration_and_pickling(self) -> None:
        self.assertEqual(pendulum.parse("2024-01-01T10:00:00Z"), pendulum.datetime(2024, 1, 1, 10))
        self.assertEqual(pendulum.parse("2024-01-01").tzinfo, pendulum.UTC)
        self.assertLess(abs((pendulum.now("UTC") - dt.datetime.now(dt.timezone.utc)).total_seconds()), 5)
        today = pendulum.today("UTC")
        self.assertEqual((today.hour, today.minute), (0, 0))
        self.assertEqual(pendulum.duration(hours=2).in_minutes(), 120)
        d = pendulum.datetime(2024, 1, 1, tz="Europe/Paris")
        self.assertEqual(pickle.loads(pickle.dumps(d)), d)
        with self.assertRaisesRegex(ValueError, "ISO-8601 only"):
            pendulum.parse("next tuesday")

    def test_diff_for_humans(self) -> None:
        base = pendulum.datetime(2024, 1, 10)
        self.assertEqual(base.subtract(hours=2).diff_for_humans(base), "2 hours before")
        self.assertEqual(base.add(days=3).diff_for_humans(base), "3 days after")
        self.assertEqual(base.add(days=3).diff_for_humans(base, absolute=True), "3 days")
        self.assertEqual(pendulum.now("UTC").subtract(minutes=5, seconds=1).diff_for_humans(), "5 minutes ago")
        self.assertEqual(pendulum.now("UTC").add(weeks=2, hours=1).diff_for_humans(), "in 2 weeks")

    def test_the_serialiser_reads_its_zone(self) -> None:
        from airflow._core.timezones import to_utc_iso, zone_name

        d = pendulum.datetime(2024, 1, 1, 9, tz="Europe/Paris")
        self.assertEqual((zone_name(d.tzinfo), to_utc_iso(d, "UTC")), ("Europe/Paris", "2024-01-01T08:00:00Z"))


if __name__ == "__main__":
    unittest.main()
