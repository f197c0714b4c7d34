"""Working time for SLA deadlines: pure functions over a `Calendar` loaded once.

Everything is counted in the jurisdiction's local wall time (zoneinfo), so a working day is
the local calendar day and working hours are local hours, whatever the zone and its daylight
saving rules; every arithmetic step on instants is done in UTC, and results are returned in UTC.

The rules, in domain words:

- **Working day**: a weekday listed in the calendar that is not a public holiday, or a make-up
  working day (a weekend day worked in exchange for a holiday bridge, as China does).
- **Working time**: with working hours set, the hours `[day_starts, day_ends)` of working days;
  without them, the whole of each working day (24 hours, or its real length on a daylight saving
  change day).
- **Day of receipt** (for deadlines in working days): the local day of the start if it is a
  working day and the start is before that day's end of work; otherwise — a request received on
  a weekend, a holiday or after hours — it is deemed received on the next working day. As
  Chinese administrative practice ("期间开始的日不计算在期间内", the 12345 hotlines' "N个工作日内
  办结") and Thai administrative practice count periods, **the day of receipt is not counted**:
  the deadline is the end of work on the Nth working day after the day of receipt. So a request
  received on Monday with 3 working days is due at the end of Thursday; one received on Saturday
  is deemed received on Monday and is also due at the end of Thursday. Zero days means the end of
  the day of receipt.
- **End of a working day**: `day_ends` when working hours are set, else midnight at the end of
  the day. Work finished at or before that instant is on time.
- **Deadlines in hours** count working time only, starting at the start instant (or at the next
  start of work); a deadline that uses up a day's working time exactly ends at that day's end of
  work, not at the next morning.

Calendars hold the holidays of a bounded window of dates; asking about a day outside it raises
ValueError rather than silently ignoring holidays. So do more than MAX_DAYS days of counting.
"""

import time as time_module
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Case, IntegerField, Q, Subquery, Value, When
from django.utils import timezone

from complaints.models import PublicHoliday, WorkingCalendar
from identity.models import Jurisdiction

MAX_DAYS = 3650  # no SLA counts further than ten years: more is a mistake, not a deadline
MAX_HOURS = MAX_DAYS * 24
# How far a search for working days may look: a calendar with one working weekday still counts
# MAX_DAYS working days; a calendar with none fails here instead of looping forever.
_MAX_SCAN_DAYS = MAX_DAYS * 7 + 366
MONDAY_TO_FRIDAY = frozenset(range(5))
# Holidays are loaded for this many days before and after today by default.
DEFAULT_WINDOW_BEFORE = timedelta(days=2 * 366)
DEFAULT_WINDOW_AFTER = timedelta(days=3 * 366)
# How many ancestors up a jurisdiction looks for a calendar (province → city → district → …).
_MAX_ANCESTORS = 5


@dataclass(frozen=True)
class Calendar:
    """A jurisdiction's working calendar, loaded once: weekdays (Monday 0 … Sunday 6), optional
    local working hours, and the holidays between `holidays_from` and `holidays_until`
    (inclusive; None for an unbounded window, e.g. a calendar with no holidays at all)."""

    time_zone: ZoneInfo
    working_weekdays: frozenset[int] = MONDAY_TO_FRIDAY
    holidays: frozenset[date] = field(default_factory=frozenset)
    # Weekend days worked to make up for a holiday bridge (China's 调休): working days whatever
    # their weekday.
    extra_working_days: frozenset[date] = field(default_factory=frozenset)
    day_starts: time | None = None
    day_ends: time | None = None
    holidays_from: date | None = None
    holidays_until: date | None = None

    def __post_init__(self) -> None:
        if not self.working_weekdays <= frozenset(range(7)):
            raise ValueError("working weekdays are numbers from 0 (Monday) to 6 (Sunday)")
        if (self.day_starts is None) != (self.day_ends is None):
            raise ValueError("working hours need both a start and an end, or neither")
        if (
            self.day_starts is not None
            and self.day_ends is not None
            and self.day_ends <= self.day_starts
        ):
            raise ValueError("the working day must end after it starts")

    @property
    def has_working_hours(self) -> bool:
        return self.day_starts is not None

    def is_working_day(self, day: date) -> bool:
        """Whether `day` (a local date) is a working weekday and not a holiday."""
        if (self.holidays_from is not None and day < self.holidays_from) or (
            self.holidays_until is not None and day > self.holidays_until
        ):
            raise ValueError(
                f"holidays are loaded from {self.holidays_from} to {self.holidays_until}, "
                f"not for {day}"
            )
        if day in self.extra_working_days:
            return True
        return day.weekday() in self.working_weekdays and day not in self.holidays

    def working_interval(self, day: date) -> tuple[datetime, datetime] | None:
        """The working time of a local day as UTC instants `[start, end)`, or None."""
        if not self.is_working_day(day):
            return None
        if self.day_starts is None or self.day_ends is None:
            start = self._instant(day, time.min)
            end = self._instant(day + timedelta(days=1), time.min)
        else:
            start = self._instant(day, self.day_starts)
            end = self._instant(day, self.day_ends)
        return (start, end) if end > start else None

    def end_of_day(self, day: date) -> datetime:
        """The instant work ends on a local day (UTC)."""
        if self.day_ends is None:
            return self._instant(day + timedelta(days=1), time.min)
        return self._instant(day, self.day_ends)

    def local_date(self, at: datetime) -> date:
        return _require_aware(at).astimezone(self.time_zone).date()

    def _instant(self, day: date, at: time) -> datetime:
        # A wall time inside a spring-forward gap resolves with fold=0 (zoneinfo's rule).
        return datetime.combine(day, at, tzinfo=self.time_zone).astimezone(UTC)


def default_calendar(time_zone: str = "UTC") -> Calendar:
    """Monday to Friday, whole days, no holidays: for jurisdictions without a calendar."""
    return Calendar(time_zone=ZoneInfo(time_zone))


def calendar_for(
    jurisdiction: Jurisdiction, *, window: tuple[date, date] | None = None
) -> Calendar:
    """The calendar a jurisdiction counts on: its own, else its nearest ancestor's, else Monday
    to Friday whole days — always in the jurisdiction's own time zone. Holidays are loaded for
    `window` (default: two years back, three years ahead). At most two queries."""
    if window is None:
        today = timezone.localdate()
        window = (today - DEFAULT_WINDOW_BEFORE, today + DEFAULT_WINDOW_AFTER)
    zone = ZoneInfo(jurisdiction.time_zone)
    nearest = _nearest_working_calendar(jurisdiction)
    if nearest is None:
        return Calendar(time_zone=zone)
    exceptions = PublicHoliday.objects.filter(calendar=nearest, date__range=window).values_list(
        "date", "kind"
    )
    days_off: set[date] = set()
    make_up_days: set[date] = set()
    for day, kind in exceptions:
        (make_up_days if kind == PublicHoliday.Kind.WORKING_DAY else days_off).add(day)
    return Calendar(
        time_zone=zone,
        working_weekdays=frozenset(nearest.working_weekdays),
        holidays=frozenset(days_off),
        extra_working_days=frozenset(make_up_days),
        day_starts=nearest.day_starts,
        day_ends=nearest.day_ends,
        holidays_from=window[0],
        holidays_until=window[1],
    )


def _nearest_working_calendar(jurisdiction: Jurisdiction) -> WorkingCalendar | None:
    """One query: the calendars of the jurisdiction and its ancestors, nearest first."""
    # The ancestors' ids as nested subqueries: level 0 is the jurisdiction, 1 its parent, …
    levels: list[Value | Subquery] = [Value(jurisdiction.pk)]
    if jurisdiction.parent_id is not None:
        levels.append(Value(jurisdiction.parent_id))
        above: Value | Subquery = Value(jurisdiction.parent_id)
        for _ in range(_MAX_ANCESTORS - 1):
            # django-stubs types `pk=` as a plain value; an expression is fine at run time.
            parent_of_above = Jurisdiction.objects.filter(pk=above)  # type: ignore[misc]
            above = Subquery(parent_of_above.values("parent_id")[:1])
            levels.append(above)
    depth = Case(
        *(When(jurisdiction_id=level, then=Value(n)) for n, level in enumerate(levels)),
        default=Value(len(levels)),
        output_field=IntegerField(),
    )
    matches = Q()
    for level in levels:
        matches |= Q(jurisdiction_id=level)
    return WorkingCalendar.objects.filter(matches).annotate(depth=depth).order_by("depth").first()


def is_working_time(at: datetime, calendar: Calendar) -> bool:
    """Whether the instant `at` falls inside working time."""
    interval = calendar.working_interval(calendar.local_date(at))
    return interval is not None and interval[0] <= at < interval[1]


def add_working_days(start: datetime, days: int, calendar: Calendar) -> datetime:
    """The deadline `days` working days after `start`: the end of work on the Nth working day
    after the day of receipt (see the module's rules). Returned in UTC."""
    _require_aware(start)
    if not 0 <= days <= MAX_DAYS:
        raise ValueError(f"working days must be between 0 and {MAX_DAYS}, not {days}")
    received = calendar.local_date(start)
    if not calendar.is_working_day(received) or start >= calendar.end_of_day(received):
        received = _next_working_day(received, calendar)
    due = received
    for _ in range(days):
        due = _next_working_day(due, calendar)
    return calendar.end_of_day(due)


def add_working_hours(start: datetime, hours: float, calendar: Calendar) -> datetime:
    """The instant when `hours` of working time have passed since `start`. Returned in UTC."""
    start = _require_aware(start).astimezone(UTC)
    if not 0 <= hours <= MAX_HOURS:
        raise ValueError(f"working hours must be between 0 and {MAX_HOURS}, not {hours}")
    remaining = timedelta(hours=hours)
    if not remaining:
        return start
    for interval_start, interval_end in _intervals_from(start, calendar):
        begin = max(interval_start, start)
        if interval_end - begin >= remaining:
            return begin + remaining
        remaining -= interval_end - begin
    raise ValueError("no working time found within the counting limit")  # pragma: no cover


def working_time_between(a: datetime, b: datetime, calendar: Calendar) -> timedelta:
    """The working time elapsed from `a` to `b` (zero when `b` is not after `a`)."""
    a = _require_aware(a).astimezone(UTC)
    b = _require_aware(b).astimezone(UTC)
    if b <= a:
        return timedelta(0)
    if b - a > timedelta(days=MAX_DAYS):
        raise ValueError(f"cannot count working time over more than {MAX_DAYS} days")
    total = timedelta(0)
    for interval_start, interval_end in _intervals_from(a, calendar, until=b):
        if interval_start >= b:
            break
        total += min(interval_end, b) - max(interval_start, a)
    return total


def working_time_between_excluding(
    a: datetime,
    b: datetime,
    pauses: Sequence[tuple[datetime, datetime]],
    calendar: Calendar,
) -> timedelta:
    """The working time from `a` to `b` outside `pauses` (e.g. while waiting for the citizen).
    Pauses may overlap each other or reach outside `[a, b]`; an open pause is passed with its
    end set to now."""
    total = working_time_between(a, b, calendar)
    for pause_start, pause_end in _merged(pauses, lower=a, upper=b):
        total -= working_time_between(pause_start, pause_end, calendar)
    return total


def _merged(
    pauses: Sequence[tuple[datetime, datetime]], *, lower: datetime, upper: datetime
) -> list[tuple[datetime, datetime]]:
    """Pauses clipped to `[lower, upper]` and merged where they overlap or touch."""
    clipped = sorted(
        (max(_require_aware(start), lower), min(_require_aware(end), upper))
        for start, end in pauses
    )
    merged: list[tuple[datetime, datetime]] = []
    for start, end in clipped:
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _intervals_from(
    start: datetime, calendar: Calendar, *, until: datetime | None = None
) -> Iterator[tuple[datetime, datetime]]:
    """Working intervals, in order, that end after `start`, up to the local day of `until`
    (bounded by _MAX_SCAN_DAYS)."""
    day = calendar.local_date(start)
    last_day = None if until is None else calendar.local_date(until)
    for _ in range(_MAX_SCAN_DAYS):
        if last_day is not None and day > last_day:
            return
        interval = calendar.working_interval(day)
        if interval is not None and interval[1] > start:
            yield interval
        day += timedelta(days=1)
    raise ValueError("no working time found within the counting limit")


def _next_working_day(day: date, calendar: Calendar) -> date:
    for _ in range(_MAX_SCAN_DAYS):
        day += timedelta(days=1)
        if calendar.is_working_day(day):
            return day
    raise ValueError("the calendar has no working day within the counting limit")


def _require_aware(at: datetime) -> datetime:
    if timezone.is_naive(at):
        raise ValueError("SLA instants must be time-zone aware")
    return at


_CALENDAR_TTL_SECONDS = 60.0
_calendars: dict[int, tuple[float, Calendar]] = {}


def current_calendar(jurisdiction: Jurisdiction) -> Calendar:
    """calendar_for with the default window, kept per process for a minute: routing and the
    escalation sweep count many deadlines on the same few calendars, and a holiday edited in
    admin takes effect within the minute."""
    now = time_module.monotonic()
    cached = _calendars.get(jurisdiction.pk)
    if cached is not None and now - cached[0] < _CALENDAR_TTL_SECONDS:
        return cached[1]
    calendar = calendar_for(jurisdiction)
    _calendars[jurisdiction.pk] = (now, calendar)
    return calendar


def clear_cache() -> None:
    _calendars.clear()
