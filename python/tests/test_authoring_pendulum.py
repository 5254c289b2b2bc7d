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


class IntervalChecks:
    """pendulum 3's Interval (DateTime - DateTime) and Duration; run on the stand-in and, when it is
    importable, on the real pendulum, so the two stay alike."""

    pendulum: object

    def test_datetime_minus_datetime_is_an_interval(self) -> None:
        p = self.pendulum
        a, b = p.datetime(2024, 1, 1), p.datetime(2024, 1, 2)
        i = b - a
        self.assertIsInstance(i, dt.timedelta)
        self.assertIsInstance(i, p.Duration)
        text = "<Interval [2024-01-01 00:00:00+00:00 -> 2024-01-02 00:00:00+00:00]>"
        self.assertEqual((str(i), repr(i), f"{i}"), (text, text, text))
        self.assertEqual((i.days, i.total_seconds(), i.in_days(), i.in_hours(), i.in_minutes(), i.in_seconds()),
                         (1, 86400.0, 1, 24, 1440, 86400))
        self.assertEqual((i.start, i.end, repr(i.start)), (a, b, "DateTime(2024, 1, 1, 0, 0, 0, tzinfo=Timezone('UTC'))"))
        self.assertEqual(i.in_words(), "1 day")
        self.assertTrue(i == dt.timedelta(days=1) and i > dt.timedelta(hours=1))
        self.assertIn(p.datetime(2024, 1, 1, 12), i)
        self.assertEqual([str(x) for x in i.range("hours", 12)],
                         ["2024-01-01 00:00:00+00:00", "2024-01-01 12:00:00+00:00", "2024-01-02 00:00:00+00:00"])
        self.assertEqual(a + i, b)

    def test_arithmetic_gives_durations_that_print_in_words(self) -> None:
        p = self.pendulum
        i = p.datetime(2024, 1, 2) - p.datetime(2024, 1, 1)
        self.assertEqual((str(i + dt.timedelta(hours=1)), str(i * 2), str(i / 2)), ("1 day 1 hour", "2 days", "12 hours"))
        self.assertEqual(str(-i), "<Interval [2024-01-02 00:00:00+00:00 -> 2024-01-01 00:00:00+00:00]>")
        self.assertEqual((str(p.duration(days=1)), str(p.duration(hours=-36)), str(p.duration(days=9, hours=1))),
                         ("1 day", "-1 day -12 hours", "1 week 2 days 1 hour"))
        self.assertEqual((p.duration(hours=-1.5).in_hours(), p.duration(hours=-36).in_days()), (-1, -1))
        self.assertEqual((str(p.duration(microseconds=-995000)), str(p.duration())), ("0.99 seconds", "0 microseconds"))
        a = p.datetime(2024, 1, 1)
        self.assertEqual(((a.add(microseconds=5000) - a).in_words(), (a.add(microseconds=5000) - a.add(seconds=1)).in_words()),
                         ("0.01 second", "0.99 second"))

    def test_negative_and_calendar_intervals(self) -> None:
        p = self.pendulum
        back = p.datetime(2024, 1, 1, 23) - p.datetime(2024, 1, 2, 1)
        # Whole days towards zero (a timedelta says -1), calendar days between the dates for in_days.
        self.assertEqual((back.days, back.in_days(), back.in_hours(), back.in_words()), (0, -1, -2, "-2 hours"))
        k = p.datetime(2024, 3, 1, 12) - p.datetime(2024, 1, 31, 13, 30)
        self.assertEqual((k.days, k.in_days(), k.years, k.months, k.in_months(), k.in_weeks(), k.hours, k.minutes),
                         (29, 30, 0, 1, 1, 4, 22, 30))
        self.assertEqual(k.in_words(), "1 month 22 hours 30 minutes")
        self.assertEqual((p.datetime(2024, 1, 2) - p.datetime(2023, 11, 30, 10, 5, 3)).in_words(),
                         "1 month 2 days 13 hours 54 minutes 57 seconds")
        self.assertEqual((p.datetime(2025, 2, 3) - p.datetime(2024, 1, 1)).in_words(), "1 year 1 month 2 days")
        paris = p.datetime(2024, 1, 2) - p.datetime(2024, 1, 1, tz="Europe/Paris")
        self.assertEqual((str(paris), paris.in_hours()),
                         ("<Interval [2024-01-01 00:00:00+01:00 -> 2024-01-02 00:00:00+00:00]>", 25))

    def test_dates_plain_datetimes_and_diff(self) -> None:
        p = self.pendulum
        d = p.date(2024, 1, 2)
        self.assertEqual(str(d - p.date(2024, 1, 1)), "<Interval [2024-01-01 -> 2024-01-02]>")
        self.assertEqual((str(d - dt.timedelta(days=1)), type(d - dt.timedelta(days=1))), ("2024-01-01", p.Date))
        b, plain = p.datetime(2024, 1, 2), dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
        self.assertEqual((type(b - plain).__name__, type(plain - b).__name__), ("Interval", "Interval"))
        self.assertEqual(str(plain - b), "<Interval [2024-01-02 00:00:00+00:00 -> 2024-01-01 00:00:00+00:00]>")
        a = p.datetime(2024, 1, 1)
        self.assertEqual(str(b.diff(a)), "<Interval [2024-01-01 00:00:00+00:00 -> 2024-01-02 00:00:00+00:00]>")
        self.assertEqual(str(b.diff(a, False)), "<Interval [2024-01-02 00:00:00+00:00 -> 2024-01-01 00:00:00+00:00]>")
        self.assertEqual(b - dt.timedelta(hours=1), p.datetime(2024, 1, 1, 23))


class StandInInterval(IntervalChecks, unittest.TestCase):
    pendulum = pendulum

    def test_pickles_with_its_ends(self) -> None:
        i = pendulum.datetime(2024, 1, 2) - pendulum.datetime(2024, 1, 1)
        again = pickle.loads(pickle.dumps(i))
        self.assertEqual((str(again), again), (str(i), i))


try:
    import pendulum as _real_pendulum
except ImportError:  # pragma: no cover - the real pendulum is optional
    _real_pendulum = None


@unittest.skipIf(_real_pendulum is None or "fallback" in getattr(_real_pendulum, "__version__", "fallback"),
                 "the real pendulum is not installed")
class RealPendulumInterval(IntervalChecks, unittest.TestCase):
    pendulum = _real_pendulum


if __name__ == "__main__":
    unittest.main()
