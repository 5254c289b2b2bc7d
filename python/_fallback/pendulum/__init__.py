"""A small pendulum stand-in, used only when the real pendulum is not installed (it sits at the END
of sys.path in the processes airflow-serverless starts). It covers what DAG files and task code
commonly use: pendulum.datetime(...), timezone(...), now(), today(), parse(), duration(), UTC and a
DateTime (a `datetime` subclass) with add/subtract/in_timezone/format basics. Zones come from zoneinfo.
"""
from __future__ import annotations

import calendar as _calendar
import datetime as _dt
import enum as _enum
import re as _re
from typing import Any
from zoneinfo import ZoneInfo as _ZoneInfo

__version__ = "3.0.0-airflow-serverless-fallback"


class Timezone(_dt.tzinfo):
    """A named zone (wraps zoneinfo) with pendulum's `.name`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._zone: _dt.tzinfo = _dt.timezone.utc if name == "UTC" else _ZoneInfo(name)

    @property
    def key(self) -> str:
        return self.name

    def utcoffset(self, dt: _dt.datetime | None) -> _dt.timedelta | None:
        return self._zone.utcoffset(_strip(dt))

    def dst(self, dt: _dt.datetime | None) -> _dt.timedelta | None:
        return self._zone.dst(_strip(dt))

    def tzname(self, dt: _dt.datetime | None) -> str | None:
        return self._zone.tzname(_strip(dt))

    def fromutc(self, dt: _dt.datetime) -> _dt.datetime:
        plain = _dt.datetime(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.microsecond,
                             tzinfo=self._zone, fold=dt.fold)
        local = self._zone.fromutc(plain)
        return DateTime(local.year, local.month, local.day, local.hour, local.minute, local.second,
                        local.microsecond, tzinfo=self, fold=local.fold)

    def __repr__(self) -> str:
        return f"Timezone('{self.name}')"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Timezone) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    def __reduce__(self) -> Any:
        return (Timezone, (self.name,))


class FixedTimezone(_dt.tzinfo):
    def __init__(self, offset: int, name: str | None = None) -> None:
        self.offset = offset
        self._delta = _dt.timedelta(seconds=offset)
        sign = "+" if offset >= 0 else "-"
        minutes = abs(offset) // 60
        self.name = name or f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"

    def utcoffset(self, dt: Any) -> _dt.timedelta:
        return self._delta

    def dst(self, dt: Any) -> _dt.timedelta:
        return _dt.timedelta(0)

    def tzname(self, dt: Any) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"FixedTimezone({self.offset}, name='{self.name}')"


def _strip(dt: _dt.datetime | None) -> _dt.datetime | None:
    return dt.replace(tzinfo=None) if dt is not None and dt.tzinfo is not None else dt


UTC = Timezone("UTC")


def timezone(name: Any) -> Any:
    if isinstance(name, (int, float)):
        return FixedTimezone(int(name))
    if isinstance(name, _dt.tzinfo):
        return name
    if name.upper() in ("UTC", "Z", "ETC/UTC"):
        return UTC
    return Timezone(name)


def local_timezone() -> Any:
    return UTC


def _zone(tz: Any) -> Any:
    if tz is None:
        return None
    return timezone(tz) if isinstance(tz, (str, int, float)) else tz


def _sign(value: float) -> int:
    return -1 if value < 0 else 1


def _words(parts: list[tuple[str, int]], total: float, separator: str = " ", second: str = "seconds") -> str:
    """pendulum's English in_words(): the non-zero units, each signed; under a second, the fraction
    (`0.25 seconds`; an Interval says `second`), or `0 microseconds`."""
    words = [f"{count} {unit}{'' if abs(count) == 1 else 's'}" for unit, count in parts if count]
    if words:
        return separator.join(words)
    micro = round(abs(total) * 1_000_000) % 1_000_000
    return f"{micro / 1e6:.2f} {second}" if micro else "0 microseconds"


def _as_duration(value: Any) -> Any:
    if isinstance(value, _dt.timedelta) and not isinstance(value, Duration):
        return Duration(days=value.days, seconds=value.seconds, microseconds=value.microseconds)
    return value


class Duration(_dt.timedelta):
    """pendulum.Duration: a timedelta with in_* helpers that prints in words (`1 day 2 hours`), as
    pendulum 3 does; arithmetic with timedeltas keeps it a Duration."""

    def __new__(cls, days: float = 0, seconds: float = 0, microseconds: float = 0, milliseconds: float = 0,
                minutes: float = 0, hours: float = 0, weeks: float = 0, years: int = 0, months: int = 0) -> Duration:
        if years or months:
            raise ValueError("pendulum stand-in: durations in months/years are not supported; use days")
        return super().__new__(cls, days=days, seconds=seconds, microseconds=microseconds,
                               milliseconds=milliseconds, minutes=minutes, hours=hours, weeks=weeks)

    # pendulum truncates towards zero (-1.5 hours is -1 hour), unlike floor division.
    def in_seconds(self) -> int:
        return int(self.total_seconds())

    def in_minutes(self) -> int:
        return int(self.total_minutes())

    def in_hours(self) -> int:
        return int(self.total_hours())

    def in_days(self) -> int:
        return int(self.total_days())

    def in_weeks(self) -> int:
        return int(self.total_weeks())

    def total_minutes(self) -> float:
        return self.total_seconds() / 60

    def total_hours(self) -> float:
        return self.total_seconds() / 3600

    def total_days(self) -> float:
        return self.total_seconds() / 86400

    def total_weeks(self) -> float:
        return self.total_days() / 7

    def _parts(self) -> tuple[int, int, int, int, int, int]:
        """Whole days, then weeks, remaining days, hours, minutes, seconds, of |self|, each signed."""
        total = self.total_seconds()
        sign = _sign(total)
        days, rest = divmod(abs(int(total)), 86400)
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        return (sign * days, sign * (days // 7), sign * (days % 7), sign * hours, sign * minutes, sign * seconds)

    @property
    def weeks(self) -> int:
        return self._parts()[1]

    @property
    def remaining_days(self) -> int:
        return self._parts()[2]

    @property
    def hours(self) -> int:
        return self._parts()[3]

    @property
    def minutes(self) -> int:
        return self._parts()[4]

    @property
    def remaining_seconds(self) -> int:
        return self._parts()[5]

    def in_words(self, locale: str | None = None, separator: str = " ") -> str:
        _, weeks, days, hours, minutes, seconds = self._parts()
        parts = [("week", weeks), ("day", days), ("hour", hours), ("minute", minutes), ("second", seconds)]
        return _words(parts, self.total_seconds(), separator)

    def __str__(self) -> str:
        return self.in_words()

    def __add__(self, other: Any) -> Any:
        return _as_duration(_dt.timedelta.__add__(self, other))

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        return _as_duration(_dt.timedelta.__sub__(self, other))

    def __rsub__(self, other: Any) -> Any:
        return _as_duration(_dt.timedelta.__rsub__(self, other))

    def __mul__(self, other: Any) -> Any:
        return _as_duration(_dt.timedelta.__mul__(self, other))

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Any:
        return _as_duration(_dt.timedelta.__truediv__(self, other))

    def __floordiv__(self, other: Any) -> Any:
        return _as_duration(_dt.timedelta.__floordiv__(self, other))

    def __mod__(self, other: Any) -> Any:
        return _as_duration(_dt.timedelta.__mod__(self, other))

    def __neg__(self) -> Any:
        return _as_duration(_dt.timedelta.__neg__(self))

    def __abs__(self) -> Any:
        return _as_duration(_dt.timedelta.__abs__(self))


def _tz_name(value: Any) -> str | None:
    zone = getattr(value, "tzinfo", None)
    return getattr(zone, "name", None) or getattr(zone, "key", None)


def _wall(value: Any, to_utc: bool) -> Any:
    """The plain (naive) wall clock of a date or datetime, in UTC when asked and it has an offset."""
    if not isinstance(value, _dt.datetime):
        return _dt.date(value.year, value.month, value.day)
    plain = _dt.datetime(value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond)
    offset = value.utcoffset()
    return plain - offset if to_utc and offset else plain


def _precise_diff(start: Any, end: Any) -> tuple[int, int, int, int, int, int, int, int]:
    """(years, months, days, hours, minutes, seconds, microseconds, total_days) from start to end, each
    signed, on the calendar as pendulum counts them: wall clocks in one named zone, UTC otherwise;
    total_days counts the calendar dates between the two (not 24-hour periods)."""
    if start == end:
        return (0, 0, 0, 0, 0, 0, 0, 0)
    sign = 1
    if start > end:
        start, end, sign = end, start, -1
    total_days = _dt.date(end.year, end.month, end.day).toordinal() - _dt.date(start.year, start.month, start.day).toordinal()
    same_zone = _tz_name(start) is not None and _tz_name(start) == _tz_name(end)
    a = _wall(start, not same_zone or total_days == 0)
    b = _wall(end, not same_zone or total_days == 0)
    day = hour = minute = second = micro = 0
    if isinstance(b, _dt.datetime):
        if isinstance(a, _dt.datetime):
            hour, minute, second, micro = b.hour - a.hour, b.minute - a.minute, b.second - a.second, b.microsecond - a.microsecond
        else:
            hour, minute, second, micro = b.hour, b.minute, b.second, b.microsecond
        # Borrow from the next larger unit, smallest first.
        if micro < 0:
            micro, second = micro + 1_000_000, second - 1
        if second < 0:
            second, minute = second + 60, minute - 1
        if minute < 0:
            minute, hour = minute + 60, hour - 1
        if hour < 0:
            hour, day = hour + 24, day - 1
    years, months, day = b.year - a.year, b.month - a.month, day + b.day - a.day
    if day < 0:
        # Borrow the month before the end's: a partial month counts its days.
        prev_year, prev_month = (b.year - 1, 12) if b.month == 1 else (b.year, b.month - 1)
        last_len = _calendar.monthrange(prev_year, prev_month)[1]
        this_len = _calendar.monthrange(b.year, b.month)[1]
        if day < this_len - last_len:
            day += a.day if last_len < a.day else last_len
        elif day == this_len - last_len:
            day, months = 0, months + 1
        else:
            day += last_len
        months -= 1
    if months < 0:
        months, years = months + 12, years - 1
    return tuple(sign * n for n in (years, months, day, hour, minute, second, micro, total_days))  # type: ignore[return-value]


class Interval(Duration):
    """pendulum 3's Interval, what subtracting two DateTimes (or Dates) gives: a Duration that remembers
    its two ends and prints them, `<Interval [2024-01-01 00:00:00+00:00 -> 2024-01-02 00:00:00+00:00]>`;
    in_days/in_months/years/months count calendar days and months between the ends."""

    _start: Any
    _end: Any

    def __new__(cls, start: Any, end: Any, absolute: bool = False) -> Interval:  # type: ignore[override]
        start, end = _pendulum_value(start), _pendulum_value(end)
        if absolute and start > end:
            start, end = end, start
        if isinstance(start, _dt.datetime) and isinstance(end, _dt.datetime):
            both = (start.utcoffset() is None) == (end.utcoffset() is None)
            if not both:
                raise TypeError("can't subtract offset-naive and offset-aware datetimes")
            delta = _wall(end, True) - _wall(start, True)
        else:
            delta = _dt.date(end.year, end.month, end.day) - _dt.date(start.year, start.month, start.day)
        self = _dt.timedelta.__new__(cls, days=delta.days, seconds=delta.seconds, microseconds=delta.microseconds)
        self._start, self._end, self._absolute = start, end, absolute
        self._diff = _precise_diff(start, end)
        return self

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    @property
    def start(self) -> Any:
        return self._start

    @property
    def end(self) -> Any:
        return self._end

    @property
    def days(self) -> int:  # type: ignore[override]
        # Whole days towards zero (a timedelta of -2 hours has days == -1; this Interval 0).
        total = self.total_seconds()
        return _sign(total) * (abs(int(total)) // 86400)

    @property
    def years(self) -> int:
        return self._diff[0]

    @property
    def months(self) -> int:
        return self._diff[1]

    @property
    def weeks(self) -> int:
        return _sign(self._diff[2]) * (abs(self._diff[2]) // 7)

    @property
    def remaining_days(self) -> int:
        return _sign(self.days) * (abs(self._diff[2]) % 7)

    @property
    def hours(self) -> int:
        return self._diff[3]

    @property
    def minutes(self) -> int:
        return self._diff[4]

    @property
    def remaining_seconds(self) -> int:
        return self._diff[5]

    def in_years(self) -> int:
        return self.years

    def in_months(self) -> int:
        return self.years * 12 + self.months

    def in_weeks(self) -> int:
        days = self.in_days()
        return _sign(days) * (abs(days) // 7)

    def in_days(self) -> int:
        return self._diff[7]

    def in_words(self, locale: str | None = None, separator: str = " ") -> str:
        parts = [("year", self.years), ("month", self.months), ("week", self.weeks), ("day", self.remaining_days),
                 ("hour", self.hours), ("minute", self.minutes), ("second", self.remaining_seconds)]
        return _words(parts, self.total_seconds(), separator, second="second")

    def range(self, unit: str, amount: int = 1) -> Any:
        """The dates from start to end (inclusive) every `amount` units (`days`, `hours`, ...)."""
        backwards = not self._absolute and self._start > self._end
        step = 0
        while True:
            value = self._start.add(**{unit: -step if backwards else step}) if step else self._start
            if (value < self._end) if backwards else (value > self._end):
                return
            yield value
            step += amount

    def __iter__(self) -> Any:
        return self.range("days")

    def __contains__(self, item: Any) -> bool:
        return bool(self._start <= item <= self._end)

    def as_duration(self) -> Duration:
        return Duration(seconds=self.total_seconds())

    def as_timedelta(self) -> _dt.timedelta:
        return _dt.timedelta(seconds=self.total_seconds())

    def __neg__(self) -> Interval:
        return Interval(self._end, self._start, self._absolute)

    def __abs__(self) -> Interval:
        return Interval(self._start, self._end, absolute=True)

    def __repr__(self) -> str:
        return f"<Interval [{self._start} -> {self._end}]>"

    def __str__(self) -> str:
        return self.__repr__()

    def __hash__(self) -> int:
        return hash((self._start, self._end, self._absolute))

    def __reduce__(self) -> Any:
        return (Interval, (self._start, self._end, self._absolute))


def interval(start: Any, end: Any, absolute: bool = False) -> Interval:
    return Interval(start, end, absolute)


def _pendulum_value(value: Any) -> Any:
    """A DateTime or Date for an Interval's end (plain datetimes and dates are converted, as pendulum does)."""
    if isinstance(value, (DateTime, Date)):
        return value
    if isinstance(value, _dt.datetime):
        return DateTime._from(value)
    return Date(value.year, value.month, value.day)


def duration(**kwargs: Any) -> Duration:
    return Duration(**kwargs)


def _add_months(value: _dt.datetime, months: int) -> _dt.datetime:
    month0 = value.month - 1 + months
    year = value.year + month0 // 12
    month = month0 % 12 + 1
    days_in_month = [31, 29 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 28,
                     31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    return value.replace(year=year, month=month, day=min(value.day, days_in_month))


_TOKENS = _re.compile(r"\[([^\]]*)\]|YYYY|MMMM|MMM|MM|M|DDDD|DD|D|dddd|ddd|HH|H|hh|h|mm|m|ss|s|SSSSSS|SSS|A|a|ZZ|Z|zz|X")


def _plain_utc(value: _dt.datetime) -> _dt.datetime:
    """A naive UTC instant (naive inputs are taken as they are), for plain subtraction."""
    if value.utcoffset() is None:
        return _dt.datetime(value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond)
    utc = _dt.datetime.astimezone(value, _dt.timezone.utc)
    return _dt.datetime(utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second, utc.microsecond)


class DateTime(_dt.datetime):
    """pendulum.DateTime basics on top of datetime."""

    @classmethod
    def _from(cls, value: _dt.datetime) -> DateTime:
        return cls(value.year, value.month, value.day, value.hour, value.minute, value.second,
                   value.microsecond, tzinfo=value.tzinfo, fold=value.fold)

    @property
    def timezone(self) -> Any:
        return self.tzinfo

    @property
    def tz(self) -> Any:
        return self.tzinfo

    @property
    def timezone_name(self) -> str | None:
        return getattr(self.tzinfo, "name", None) or getattr(self.tzinfo, "key", None)

    @property
    def offset(self) -> int | None:
        off = self.utcoffset()
        return int(off.total_seconds()) if off is not None else None

    @property
    def day_of_week(self) -> int:
        # pendulum 3: Monday=0 ... Sunday=6
        return self.weekday()

    @property
    def day_of_year(self) -> int:
        return self.timetuple().tm_yday

    @property
    def int_timestamp(self) -> int:
        return int(self.timestamp())

    def add(self, years: int = 0, months: int = 0, weeks: float = 0, days: float = 0, hours: float = 0,
            minutes: float = 0, seconds: float = 0, microseconds: float = 0) -> DateTime:
        value = _dt.datetime(self.year, self.month, self.day, self.hour, self.minute, self.second,
                             self.microsecond, tzinfo=self.tzinfo, fold=self.fold)
        if years or months:
            value = _add_months(value, years * 12 + months)
        if weeks or days:
            value = _dt.datetime.__add__(value, _dt.timedelta(weeks=weeks, days=days))  # wall clock, as pendulum
        clock = _dt.timedelta(hours=hours, minutes=minutes, seconds=seconds, microseconds=microseconds)
        if clock:
            if value.tzinfo is not None and value.utcoffset() is not None:
                # pendulum adds hours and smaller in absolute time (across DST changes)
                zone = value.tzinfo
                utc = _dt.datetime.__add__(value.astimezone(_dt.timezone.utc), clock)
                value = utc.astimezone(zone)
            else:
                value = _dt.datetime.__add__(value, clock)
        return DateTime._from(value)

    def subtract(self, years: int = 0, months: int = 0, weeks: float = 0, days: float = 0, hours: float = 0,
                 minutes: float = 0, seconds: float = 0, microseconds: float = 0) -> DateTime:
        return self.add(years=-years, months=-months, weeks=-weeks, days=-days, hours=-hours, minutes=-minutes,
                        seconds=-seconds, microseconds=-microseconds)

    def __add__(self, other: Any) -> Any:
        if isinstance(other, _dt.timedelta):
            return self.add(days=other.days, seconds=other.seconds, microseconds=other.microseconds)
        return NotImplemented

    def __radd__(self, other: Any) -> Any:
        return self.__add__(other)

    def __sub__(self, other: Any) -> Any:
        if isinstance(other, _dt.timedelta):
            return self.add(days=-other.days, seconds=-other.seconds, microseconds=-other.microseconds)
        if isinstance(other, _dt.datetime):
            # pendulum 3: an Interval from `other` to self, measured between instants (Python would
            # subtract wall clocks when both share a tzinfo object).
            return Interval(other, self)
        return NotImplemented

    def __rsub__(self, other: Any) -> Any:
        # A plain datetime minus a DateTime is an Interval too, as with pendulum.
        if isinstance(other, _dt.datetime):
            return Interval(self, other)
        return NotImplemented

    def in_timezone(self, tz: Any) -> DateTime:
        return DateTime._from(self.astimezone(_zone(tz)))

    in_tz = in_timezone

    def naive(self) -> DateTime:
        return DateTime._from(self.replace(tzinfo=None))

    def set(self, year: Any = None, month: Any = None, day: Any = None, hour: Any = None, minute: Any = None,
            second: Any = None, microsecond: Any = None, tz: Any = None) -> DateTime:
        """The same instant's fields changed (pendulum's set); `tz` keeps the wall-clock time."""
        names = ("year", "month", "day", "hour", "minute", "second", "microsecond")
        values = (year, month, day, hour, minute, second, microsecond)
        value = self.replace(**{n: v for n, v in zip(names, values) if v is not None})
        if tz is not None:
            value = value.replace(tzinfo=_zone(tz))
        return DateTime._from(value)

    def next(self, day_of_week: Any = None, keep_time: bool = False) -> DateTime:
        """The next given weekday (Monday=0; default: this weekday), a week ahead at most, at midnight
        unless keep_time."""
        target = self.weekday() if day_of_week is None else int(day_of_week)
        value = self.add(days=(target - self.weekday()) % 7 or 7)
        return value if keep_time else value.start_of("day")

    def previous(self, day_of_week: Any = None, keep_time: bool = False) -> DateTime:
        target = self.weekday() if day_of_week is None else int(day_of_week)
        value = self.subtract(days=(self.weekday() - target) % 7 or 7)
        return value if keep_time else value.start_of("day")

    def start_of(self, unit: str) -> DateTime:
        value: _dt.datetime = self
        if unit == "second":
            value = value.replace(microsecond=0)
        elif unit == "minute":
            value = value.replace(second=0, microsecond=0)
        elif unit == "hour":
            value = value.replace(minute=0, second=0, microsecond=0)
        elif unit == "day":
            value = value.replace(hour=0, minute=0, second=0, microsecond=0)
        elif unit == "week":
            value = (value - _dt.timedelta(days=value.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
        elif unit == "month":
            value = value.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        elif unit == "year":
            value = value.replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
        else:
            raise ValueError(f"pendulum stand-in: start_of({unit!r}) is not supported")
        return DateTime._from(value)

    def end_of(self, unit: str) -> DateTime:
        start = self.start_of(unit)
        if unit == "week":
            nxt = start.add(weeks=1)
        elif unit == "month":
            nxt = start.add(months=1)
        elif unit == "year":
            nxt = start.add(years=1)
        else:
            nxt = start.add(**{unit + "s": 1})
        return nxt.subtract(microseconds=1)

    def to_date_string(self) -> str:
        return self.strftime("%Y-%m-%d")

    def to_time_string(self) -> str:
        return self.strftime("%H:%M:%S")

    def to_datetime_string(self) -> str:
        return self.strftime("%Y-%m-%d %H:%M:%S")

    def to_iso8601_string(self) -> str:
        text = self.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    def to_rfc3339_string(self) -> str:
        return self.isoformat()

    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return super().isoformat(sep, timespec)

    def format(self, fmt: str, locale: str | None = None) -> str:
        def token(match: Any) -> str:
            if match.group(1) is not None:
                return match.group(1)
            t = match.group(0)
            table = {
                "YYYY": f"{self.year:04d}", "MMMM": self.strftime("%B"), "MMM": self.strftime("%b"),
                "MM": f"{self.month:02d}", "M": str(self.month), "DDDD": f"{self.day_of_year:03d}",
                "DD": f"{self.day:02d}", "D": str(self.day), "dddd": self.strftime("%A"), "ddd": self.strftime("%a"),
                "HH": f"{self.hour:02d}", "H": str(self.hour), "hh": f"{(self.hour % 12) or 12:02d}",
                "h": str((self.hour % 12) or 12), "mm": f"{self.minute:02d}", "m": str(self.minute),
                "ss": f"{self.second:02d}", "s": str(self.second), "SSSSSS": f"{self.microsecond:06d}",
                "SSS": f"{self.microsecond // 1000:03d}", "A": "AM" if self.hour < 12 else "PM",
                "a": "am" if self.hour < 12 else "pm", "X": str(int(self.timestamp())),
                "zz": self.tzname() or "",
            }
            if t in ("Z", "ZZ"):
                off = self.utcoffset() or _dt.timedelta(0)
                total = int(off.total_seconds()) // 60
                sign = "+" if total >= 0 else "-"
                hh, mm = divmod(abs(total), 60)
                return f"{sign}{hh:02d}:{mm:02d}" if t == "Z" else f"{sign}{hh:02d}{mm:02d}"
            return table[t]

        return _TOKENS.sub(token, fmt)

    def diff(self, other: Any = None, abs: bool = True) -> Interval:
        """pendulum: the Interval from self to other (now by default); `abs` puts the earlier first."""
        return Interval(self, other if other is not None else now(self.tzinfo), absolute=abs)

    def diff_for_humans(self, other: Any = None, absolute: bool = False, locale: str | None = None) -> str:
        """English only: '2 hours ago', 'in 3 days'; against another date: '1 day before'/'after'."""
        is_now = other is None
        other = now(UTC) if other is None else other
        seconds = (_plain_utc(self) - _plain_utc(other)).total_seconds()
        future = seconds > 0
        amount = abs(seconds)
        for unit, size in (("year", 365 * 86400), ("month", 30 * 86400), ("week", 7 * 86400), ("day", 86400),
                           ("hour", 3600), ("minute", 60), ("second", 1)):
            if amount >= size or unit == "second":
                count = max(int(amount // size), 1)
                break
        text = f"{count} {unit}{'s' if count != 1 else ''}"
        if absolute:
            return text
        if is_now:
            return f"in {text}" if future else f"{text} ago"
        return f"{text} after" if future else f"{text} before"

    def is_past(self) -> bool:
        return self < now(UTC)

    def is_future(self) -> bool:
        return self > now(UTC)

    def date(self) -> Any:
        return Date(self.year, self.month, self.day)

    def __repr__(self) -> str:
        return f"DateTime({self.year}, {self.month}, {self.day}, {self.hour}, {self.minute}, {self.second}" + (
            f", {self.microsecond}" if self.microsecond else "") + f", tzinfo={self.tzinfo!r})"

    def __str__(self) -> str:
        # pendulum 3 (what Airflow 3 installs) prints a space between date and time; isoformat() keeps `T`.
        return self.isoformat(" ")

    def __reduce__(self) -> Any:
        return (DateTime, (self.year, self.month, self.day, self.hour, self.minute, self.second,
                           self.microsecond, self.tzinfo))


class Date(_dt.date):
    def to_date_string(self) -> str:
        return self.isoformat()

    def add(self, years: int = 0, months: int = 0, weeks: int = 0, days: int = 0) -> Date:
        value = _dt.datetime(self.year, self.month, self.day)
        if years or months:
            value = _add_months(value, years * 12 + months)
        value += _dt.timedelta(weeks=weeks, days=days)
        return Date(value.year, value.month, value.day)

    def subtract(self, years: int = 0, months: int = 0, weeks: int = 0, days: int = 0) -> Date:
        return self.add(-years, -months, -weeks, -days)

    def __add__(self, other: Any) -> Any:
        if isinstance(other, _dt.timedelta):
            return self.add(days=other.days)
        return NotImplemented

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        # pendulum 3: a Date minus a timedelta is a Date, minus a date an Interval between them.
        if isinstance(other, _dt.timedelta):
            return self.add(days=-other.days)
        if isinstance(other, _dt.date) and not isinstance(other, _dt.datetime):
            return Interval(other, self)
        return NotImplemented

    def __rsub__(self, other: Any) -> Any:
        if isinstance(other, _dt.date) and not isinstance(other, _dt.datetime):
            return Interval(self, other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Date({self.year}, {self.month}, {self.day})"


def datetime(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
             microsecond: int = 0, tz: Any = UTC, fold: int = 1) -> DateTime:
    return DateTime(year, month, day, hour, minute, second, microsecond, tzinfo=_zone(tz), fold=fold)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0) -> DateTime:
    return datetime(year, month, day, hour, minute, second, microsecond, tz=local_timezone())


def naive(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0) -> DateTime:
    return DateTime(year, month, day, hour, minute, second, microsecond)


def date(year: int, month: int, day: int) -> Date:
    return Date(year, month, day)


class WeekDay(_enum.IntEnum):
    """pendulum 3's weekdays (Monday=0), also module constants as in pendulum 2."""

    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = WeekDay


def time(hour: int, minute: int = 0, second: int = 0, microsecond: int = 0) -> Time:
    """A wall-clock time (pendulum.time), as DAG files pass to time-window operators."""
    return Time(hour, minute, second, microsecond)


def now(tz: Any = None) -> DateTime:
    zone = _zone(tz) or local_timezone()
    return DateTime._from(_dt.datetime.now(zone))


def today(tz: Any = "local") -> DateTime:
    zone = local_timezone() if tz == "local" else _zone(tz)
    return now(zone).start_of("day")


def tomorrow(tz: Any = "local") -> DateTime:
    return today(tz).add(days=1)


def yesterday(tz: Any = "local") -> DateTime:
    return today(tz).subtract(days=1)


def instance(value: _dt.datetime, tz: Any = UTC) -> DateTime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=_zone(tz))
    return DateTime._from(value)


def from_timestamp(timestamp: float, tz: Any = UTC) -> DateTime:
    return DateTime._from(_dt.datetime.fromtimestamp(timestamp, _zone(tz)))


def parse(text: str, tz: Any = UTC, strict: bool = True, **options: Any) -> DateTime:
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = _dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"pendulum stand-in: cannot parse {text!r} (ISO-8601 only)") from None
    if parsed.tzinfo is None and tz is not None:
        parsed = parsed.replace(tzinfo=_zone(tz))
    elif parsed.tzinfo is not None and parsed.utcoffset() == _dt.timedelta(0):
        parsed = parsed.replace(tzinfo=UTC)
    return DateTime._from(parsed)


def from_format(text: str, fmt: str, tz: Any = UTC) -> DateTime:
    raise NotImplementedError("pendulum stand-in: from_format is not supported; install pendulum")


# pendulum 2's name for Interval
Period = Interval
Time = _dt.time
