"""Business calendars: the opening hours that SLA due times are counted in.

A :class:`BusinessCalendar` is a pure value (no database): a time zone, weekly opening periods, the
public holidays of a country (from the ``holidays`` package, Thai ones by default) and the days an
admin closed or opened specially. SLA code asks it three questions: *when is a target of N business
hours from this moment due* (:meth:`~BusinessCalendar.add`), *how much business time passed between
two moments* (:meth:`~BusinessCalendar.between`) and *is it open now / when does it open next*.

Rules
-----
- **Aware datetimes only.** Every datetime passed in must be timezone-aware (``ValueError``
  otherwise); every datetime returned is an aware UTC datetime (``tzinfo=datetime.UTC``).
- **Periods.** A :class:`Period` is a weekday and local wall-clock ``start``/``end`` times. ``end <=
  start`` means the period passes midnight and ends on the next day (22:00-02:00); ``start == end``
  means 24 hours (``00:00-00:00`` is the whole day). A day may have several periods (a lunch break is
  two periods); overlapping periods are fine (open time is never counted twice).
- **The day a period starts decides whether it runs.** A public holiday or an admin-closed day closes
  every period that *starts* on that date, including the after-midnight part of a 22:00-02:00 period;
  a period that started the evening before still runs into a holiday morning. A special opening day
  (``open_days``) replaces the weekly periods of its date with its own hours and ignores a holiday on
  that date (its hours follow the same rules: ``(time(22), time(2))`` passes midnight). A date may not
  be both closed and specially open (``ValueError``); an open day with no hours is a closed day.
- **Time zones and daylight saving.** Wall-clock times are turned into instants with ``zoneinfo`` and
  ``fold=0``, then normalised through UTC: a time in a spring-forward gap (02:30 in Berlin on the last
  Sunday of March) becomes the instant one gap later (03:30 summer time), an ambiguous time in the
  autumn fall-back hour means its first occurrence (summer time). Durations are real elapsed time, so a
  period that spans the change lasts an hour more or less (00:00-00:00 lasts 23 or 25 hours, 22:00-06:00
  7 or 9), while 09:00-17:00 stays 8 hours. A period that ends up empty (02:00-03:00 on the
  spring-forward day in Berlin) is simply not open.
- **Intervals are half-open**: open from ``start`` inclusive to ``end`` exclusive. ``is_open`` at the
  closing instant is False.
- **add(start, d)** walks open time forward from ``start`` and returns the instant when ``d`` of it has
  passed; ``add(start, timedelta(0))`` is the next open moment at or after ``start`` (a conversation
  created at night starts its clock at opening), and a target that is used up exactly at closing time
  is due at closing time (not at the next opening). Negative durations are refused.
- **between(a, b)** is the open time inside ``[a, b)``; it is antisymmetric (``between(b, a) ==
  -between(a, b)``) so "business time left until due" may be negative once overdue. For every start
  ``s`` and duration ``d``: ``between(s, add(s, d)) == d``.
- **Never loops forever.** ``add`` and ``next_open`` raise ``ValueError`` when the calendar has no open
  time at all within about three years (``MAX_CLOSED_DAYS``) of where they are looking, and at once for
  a calendar without weekly periods whose special opening days are all past. ``between``,
  ``open_intervals`` and ``is_open`` only look inside the range asked, so they answer ``0`` / nothing /
  ``False`` for such a calendar.
- **Holidays** come from ``holidays.country_holidays(country, years=year, categories=...)``, cached per
  (country, categories, year) at module level (``holidays`` itself is imported on first use). Our
  category names (:data:`HOLIDAY_CATEGORIES`) are the package's: for Thailand (``holidays`` 0.60 to
  0.109) ``public`` (the days off, including Makha/Visakha/Asarnha Bucha, Buddhist Lent, the
  substitution days named "ชดเชย…" and the cabinet's extra days "วันหยุดพิเศษ"), ``government`` (Royal
  Ploughing Day), ``bank`` (bank closing days, none after 2021), ``armed_forces``, ``school`` and
  ``workday`` (observances that are working days: Loy Krathong, National Science Day…). An empty
  ``holiday_categories`` (or ``holiday_country=None``) means no holidays. Names are in Thai with
  ``language="th"`` (the Thai default), English with ``"en"``/``"en_US"``.

Calendars are immutable and hashable; each keeps a small per-instance cache of its days' open
intervals, so keep one instance per configuration (for example per channel) for the fastest answers.
:meth:`~BusinessCalendar.to_json` / :meth:`~BusinessCalendar.from_json` convert to and from a plain
dict for a ``JSONField``.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "HOLIDAY_CATEGORIES",
    "MAX_CLOSED_DAYS",
    "BusinessCalendar",
    "Period",
]

Interval = tuple[datetime, datetime]
Hours = tuple[tuple[time, time], ...]
_Day = tuple[tuple[Interval, ...], datetime]

#: ``add``/``next_open`` give up (``ValueError``) after this many days without any open time.
MAX_CLOSED_DAYS = 3 * 366

#: Our holiday category names → the ``holidays`` package's category constants (which are, as of
#: 0.60-0.109, the same lowercase strings). Which of them a country supports is checked at construction.
HOLIDAY_CATEGORIES: Mapping[str, str] = {
    "public": "public",
    "government": "government",
    "bank": "bank",
    "armed_forces": "armed_forces",
    "school": "school",
    "workday": "workday",
    "optional": "optional",
    "half_day": "half_day",
    "unofficial": "unofficial",
}

_ONE_DAY = timedelta(days=1)
_MIDNIGHT = time(0, 0)
# Days looked back from the local date of an instant: periods that started up to two days earlier can
# still be running (a 24-hour period starting at 23:00 the day before yesterday ends yesterday 23:00;
# one more day covers zones that skipped a whole date, like Pacific/Apia on 2011-12-30).
_LOOKBACK_DAYS = 2
# Intervals of later days never start before local midnight of the next day minus this, even through
# a daylight-saving gap (the largest gap ever was a whole day).
_LAG = timedelta(days=2)
# The last dates that can be handled without overflowing datetime arithmetic.
_LAST_DAY = date.max - timedelta(days=4)
_FIRST_DAY = date.min + timedelta(days=4)
_DAY_CACHE_SIZE = 4096
_JSON_KEYS = frozenset({"time_zone", "periods", "holiday_country", "holiday_categories", "closed_days", "open_days"})


# --------------------------------------------------------------------------------------------------
# Holidays (module-level caches)


@lru_cache(maxsize=64)
def _country_info(country: str) -> tuple[frozenset[str], tuple[str, ...], str | None]:
    """(supported categories, supported languages, default language) of a country, or ValueError."""
    import holidays

    try:
        instance = holidays.country_holidays(country)
    except NotImplementedError as exc:
        raise ValueError(f"the holidays package has no country {country!r}") from exc
    return (
        frozenset(instance.supported_categories),
        tuple(instance.supported_languages),
        instance.default_language,
    )


@lru_cache(maxsize=1024)
def _holiday_table(country: str, categories: tuple[str, ...], year: int, language: str | None) -> dict[date, str]:
    import holidays

    if not categories or not 1 <= year <= 9999:
        return {}
    table = holidays.country_holidays(country, years=year, categories=categories, language=language)
    return {day: name for day, name in table.items() if day.year == year}


@lru_cache(maxsize=1024)
def _holiday_dates(country: str, categories: tuple[str, ...], year: int) -> frozenset[date]:
    return frozenset(_holiday_table(country, categories, year, None))


def _resolve_language(country: str, language: str | None) -> str | None:
    """An exact supported language, else one with the same prefix ("en" → "en_US"), else as given."""
    if language is None:
        return None
    supported = _country_info(country)[1]
    if language in supported:
        return language
    prefix = language.replace("-", "_").split("_")[0].lower()
    for candidate in supported:
        if candidate.split("_")[0].lower() == prefix:
            return candidate
    return language


def _normalise_category(name: str) -> str:
    key = re.sub(r"[\s-]+", "_", str(name).strip().lower())
    if key not in HOLIDAY_CATEGORIES:
        raise ValueError(f"unknown holiday category {name!r}; known: {', '.join(HOLIDAY_CATEGORIES)}")
    return HOLIDAY_CATEGORIES[key]


# --------------------------------------------------------------------------------------------------
# Helpers


def _aware_utc(value: datetime, name: str = "datetime") -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got the naive datetime {value.isoformat()}")
    return value.astimezone(UTC)


def _check_time(value: Any, what: str) -> time:
    if not isinstance(value, time):
        raise ValueError(f"{what} must be a datetime.time, not {type(value).__name__}")
    if value.tzinfo is not None:
        raise ValueError(f"{what} must be a local wall-clock time without tzinfo")
    return value.replace(fold=0) if value.fold else value


def _check_date(value: Any, what: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError(f"{what} must be a datetime.date, not {type(value).__name__}")
    return value


def _span(day: date, start: time, end: time, zone: ZoneInfo) -> Interval | None:
    """The UTC instants of one opening that starts on ``day`` (None when DST leaves it empty)."""
    end_day = day if end > start else day + _ONE_DAY
    opens = datetime.combine(day, start, zone).astimezone(UTC)
    closes = datetime.combine(end_day, end, zone).astimezone(UTC)
    return (opens, closes) if closes > opens else None


def _time_to_json(value: time) -> str:
    return value.isoformat(timespec="minutes" if not (value.second or value.microsecond) else "auto")


def _time_from_json(value: Any, what: str, *, end: bool = False) -> time:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string like '09:00', not {value!r}")
    if end and value.strip() in {"24:00", "24:00:00"}:
        return _MIDNIGHT
    try:
        parsed = time.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(f"{what}: {value!r} is not a time like '09:00'") from exc
    return _check_time(parsed, what)


def _date_from_json(value: Any, what: str) -> date:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string like '2026-05-31', not {value!r}")
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(f"{what}: {value!r} is not a date like '2026-05-31'") from exc


class _FrozenDict(Mapping[date, Hours]):
    """A read-only, hashable mapping (for ``BusinessCalendar.open_days``)."""

    __slots__ = ("_data", "_hash")

    def __init__(self, data: Mapping[date, Hours]) -> None:
        self._data = dict(sorted(data.items()))
        self._hash: int | None = None

    def __getitem__(self, key: date) -> Hours:
        return self._data[key]

    def __iter__(self) -> Iterator[date]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(frozenset(self._data.items()))
        return self._hash

    def __repr__(self) -> str:
        return repr(self._data)


# --------------------------------------------------------------------------------------------------
# Public API


@dataclass(frozen=True)
class Period:
    """One weekly opening period, in local wall-clock time.

    ``weekday``: 0 = Monday … 6 = Sunday, the day the period starts. ``end <= start`` means the period
    passes midnight and ends on the next day (22:00-02:00); ``start == end`` means 24 hours
    (``time(0), time(0)`` is the whole day).
    """

    weekday: int
    start: time
    end: time

    def __post_init__(self) -> None:
        if isinstance(self.weekday, bool) or not isinstance(self.weekday, int) or not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) … 6 (Sunday), got {self.weekday!r}")
        object.__setattr__(self, "start", _check_time(self.start, "Period.start"))
        object.__setattr__(self, "end", _check_time(self.end, "Period.end"))

    @property
    def passes_midnight(self) -> bool:
        """True when the period ends on the next day (including 24-hour periods)."""
        return self.end <= self.start

    @property
    def nominal_length(self) -> timedelta:
        """Wall-clock length (the real length differs by the DST shift on a change day)."""
        start = datetime.combine(date(2000, 1, 3), self.start)
        end = datetime.combine(date(2000, 1, 3) if self.end > self.start else date(2000, 1, 4), self.end)
        return end - start

    @classmethod
    def every(cls, weekdays: Iterable[int], start: time, end: time) -> tuple[Period, ...]:
        """The same hours on several days: ``Period.every(range(5), time(9), time(18))`` (Mon-Fri)."""
        return tuple(cls(weekday, start, end) for weekday in weekdays)


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours in a time zone, with public holidays and admin-set closed and opening days.

    See the module docstring for the rules. Fields are normalised on construction (sequences to
    tuples/frozensets, country code upper-case, categories checked against the country); invalid
    values raise ``ValueError``.
    """

    time_zone: str = "Asia/Bangkok"
    periods: tuple[Period, ...] = ()
    holiday_country: str | None = "TH"
    holiday_categories: tuple[str, ...] = ("public",)
    closed_days: frozenset[date] = frozenset()
    open_days: Mapping[date, Hours] = field(default_factory=dict)

    _zone: ZoneInfo = field(init=False, repr=False, compare=False)
    _weekly: tuple[Hours, ...] = field(init=False, repr=False, compare=False)
    _last_special_day: date | None = field(init=False, repr=False, compare=False)
    _days: dict[date, _Day] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if not isinstance(self.time_zone, str) or not self.time_zone:
            raise ValueError(f"time_zone must be an IANA zone name like 'Asia/Bangkok', got {self.time_zone!r}")
        try:
            zone = ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {self.time_zone!r}") from exc
        set_(self, "_zone", zone)

        for period in self.periods:
            if not isinstance(period, Period):
                raise ValueError(f"periods must be Period objects, got {period!r}")
        periods = tuple(sorted(set(self.periods), key=lambda p: (p.weekday, p.start, p.end)))
        set_(self, "periods", periods)
        weekly: list[list[tuple[time, time]]] = [[] for _ in range(7)]
        for period in periods:
            weekly[period.weekday].append((period.start, period.end))
        set_(self, "_weekly", tuple(tuple(sorted(hours)) for hours in weekly))

        country = self.holiday_country
        if country is not None:
            if not isinstance(country, str) or not country.strip():
                raise ValueError(f"holiday_country must be a country code like 'TH' or None, got {country!r}")
            country = country.strip().upper()
            set_(self, "holiday_country", country)
        if isinstance(self.holiday_categories, str):
            raise ValueError("holiday_categories must be a sequence of names, e.g. ('public',)")
        categories = tuple(sorted({_normalise_category(name) for name in self.holiday_categories}))
        set_(self, "holiday_categories", categories)
        if country is not None:
            supported = _country_info(country)[0]
            unsupported = [name for name in categories if name not in supported]
            if unsupported:
                raise ValueError(
                    f"holiday categories {unsupported} are not available for {country}; "
                    f"it has: {', '.join(sorted(supported))}"
                )

        closed = frozenset(_check_date(day, "closed_days entry") for day in self.closed_days)
        set_(self, "closed_days", closed)
        open_days: dict[date, Hours] = {}
        for day, hours in dict(self.open_days).items():
            _check_date(day, "open_days key")
            checked = []
            for pair in hours:
                if not isinstance(pair, tuple | list) or len(pair) != 2:
                    raise ValueError(f"open_days[{day}] must hold (start, end) pairs of times, got {pair!r}")
                start = _check_time(pair[0], f"open_days[{day}] start")
                end = _check_time(pair[1], f"open_days[{day}] end")
                checked.append((start, end))
            open_days[day] = tuple(sorted(checked))
        both = sorted(closed.intersection(open_days))
        if both:
            raise ValueError(f"dates both closed and specially open: {', '.join(map(str, both))}")
        set_(self, "open_days", _FrozenDict(open_days))
        set_(self, "_last_special_day", None if any(weekly) else max(open_days, default=date.min))
        set_(self, "_days", {})

    # -- construction helpers ----------------------------------------------------------------------

    @classmethod
    def always_open(cls, time_zone: str = "Asia/Bangkok") -> BusinessCalendar:
        """24 hours a day, 7 days a week, no holidays (business time == calendar time)."""
        return cls(
            time_zone=time_zone,
            periods=Period.every(range(7), _MIDNIGHT, _MIDNIGHT),
            holiday_country=None,
            holiday_categories=(),
        )

    def to_json(self) -> dict[str, Any]:
        """A plain, JSON-serialisable dict (times "HH:MM", dates "YYYY-MM-DD"); see :meth:`from_json`."""
        return {
            "time_zone": self.time_zone,
            "periods": [
                {"weekday": p.weekday, "start": _time_to_json(p.start), "end": _time_to_json(p.end)}
                for p in self.periods
            ],
            "holiday_country": self.holiday_country,
            "holiday_categories": list(self.holiday_categories),
            "closed_days": [day.isoformat() for day in sorted(self.closed_days)],
            "open_days": {
                day.isoformat(): [[_time_to_json(start), _time_to_json(end)] for start, end in hours]
                for day, hours in self.open_days.items()
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        """The inverse of :meth:`to_json`. Missing keys take the defaults; "24:00" is accepted as an end.

        Raises ``ValueError`` with a readable message on malformed data.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"a business calendar must be a JSON object, got {type(data).__name__}")
        unknown = set(data) - _JSON_KEYS
        if unknown:
            raise ValueError(f"unknown business calendar keys: {', '.join(sorted(unknown))}")
        kwargs: dict[str, Any] = {}
        if "time_zone" in data:
            kwargs["time_zone"] = data["time_zone"]
        periods = []
        for i, item in enumerate(data.get("periods") or ()):
            if not isinstance(item, Mapping) or set(item) != {"weekday", "start", "end"}:
                raise ValueError(f"periods[{i}] must be an object with weekday, start and end, got {item!r}")
            periods.append(
                Period(
                    item["weekday"],
                    _time_from_json(item["start"], f"periods[{i}].start"),
                    _time_from_json(item["end"], f"periods[{i}].end", end=True),
                )
            )
        kwargs["periods"] = tuple(periods)
        if "holiday_country" in data:
            kwargs["holiday_country"] = data["holiday_country"]
        if "holiday_categories" in data:
            categories = data["holiday_categories"]
            if not isinstance(categories, list | tuple):
                raise ValueError(f"holiday_categories must be a list, got {categories!r}")
            kwargs["holiday_categories"] = tuple(categories)
        closed = data.get("closed_days") or ()
        if not isinstance(closed, list | tuple):
            raise ValueError(f"closed_days must be a list of dates, got {closed!r}")
        kwargs["closed_days"] = frozenset(_date_from_json(day, "closed_days entry") for day in closed)
        open_days: dict[date, Hours] = {}
        raw_open = data.get("open_days") or {}
        if not isinstance(raw_open, Mapping):
            raise ValueError(f"open_days must be an object of date → hours, got {raw_open!r}")
        for key, hours in raw_open.items():
            day = _date_from_json(key, "open_days key")
            if not isinstance(hours, list | tuple) or not all(
                isinstance(pair, list | tuple) and len(pair) == 2 for pair in hours
            ):
                raise ValueError(f"open_days[{key}] must be a list of [start, end] pairs, got {hours!r}")
            open_days[day] = tuple(
                (
                    _time_from_json(start, f"open_days[{key}] start"),
                    _time_from_json(end, f"open_days[{key}] end", end=True),
                )
                for start, end in hours
            )
        kwargs["open_days"] = open_days
        return cls(**kwargs)

    # -- questions about days ----------------------------------------------------------------------

    def is_holiday(self, day: date) -> bool:
        """True when ``day`` is a public holiday of the configured country and categories."""
        if self.holiday_country is None or not self.holiday_categories:
            return False
        return day in _holiday_dates(self.holiday_country, self.holiday_categories, day.year)

    def holiday_name(self, day: date, language: str = "th") -> str | None:
        """The holiday's name on ``day`` (Thai by default; "en" for English), or None.

        Only the country's holidays in the configured categories; a special opening day still has its
        holiday's name. Several holidays on one date are joined with "; " (the package's way).
        """
        if self.holiday_country is None or not self.holiday_categories:
            return None
        resolved = _resolve_language(self.holiday_country, language)
        return _holiday_table(self.holiday_country, self.holiday_categories, day.year, resolved).get(day)

    def hours_on(self, day: date) -> Hours:
        """The local (start, end) opening hours that start on ``day``, after holidays and admin days."""
        special = self.open_days.get(day)
        if special is not None:
            return special
        if day in self.closed_days or self.is_holiday(day):
            return ()
        return self._weekly[day.weekday()]

    # -- questions about instants ------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` is inside an opening (start inclusive, end exclusive)."""
        at = _aware_utc(at, "at")
        today = at.astimezone(self._zone).date()
        for back in range(_LOOKBACK_DAYS, -1, -1):
            for opens, closes in self._day_spans(today - timedelta(days=back)):
                if opens <= at < closes:
                    return True
        return False

    def open_intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The open intervals inside ``[start, end)``: aware UTC (open, close) pairs, ordered, disjoint,
        clipped to the range, adjacent ones joined. Empty when ``end <= start``."""
        return self._clipped(_aware_utc(start, "start"), _aware_utc(end, "end"))

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself when open, else the next opening; ValueError if none within ~3 years."""
        at = _aware_utc(at, "at")
        for opens, _closes in self._pieces(at, None):
            return max(opens, at)
        raise AssertionError("unreachable: _pieces without a stop never ends")  # pragma: no cover

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant when ``duration`` of business time has passed since ``start`` (the due time).

        ``add(start, timedelta(0))`` is :meth:`next_open`. ValueError for a negative duration or when the
        calendar has no open time within ~3 years.
        """
        start = _aware_utc(start, "start")
        if not isinstance(duration, timedelta):
            raise ValueError(f"duration must be a timedelta, not {type(duration).__name__}")
        if duration < timedelta(0):
            raise ValueError(f"duration must not be negative, got {duration}")
        remaining = duration
        for opens, closes in self._pieces(start, None):
            opens = max(opens, start)
            available = closes - opens
            if remaining <= available:
                return opens + remaining
            remaining -= available
        raise AssertionError("unreachable: _pieces without a stop never ends")  # pragma: no cover

    def between(self, a: datetime, b: datetime) -> timedelta:
        """Business time from ``a`` to ``b`` (negative when ``b`` is before ``a``)."""
        a = _aware_utc(a, "a")
        b = _aware_utc(b, "b")
        if b < a:
            return -self.between(b, a)
        total = timedelta(0)
        for opens, closes in self._pieces(a, b):
            if opens >= b:
                break
            total += min(closes, b) - max(opens, a)
        return total

    # -- engine ------------------------------------------------------------------------------------

    def _day_spans(self, day: date) -> tuple[Interval, ...]:
        """UTC intervals of the openings that start on local date ``day``."""
        return self._day(day)[0]

    def _day(self, day: date) -> _Day:
        """(spans of ``day``, bound): every opening of a later day starts at or after ``bound``.

        Cached per instance (cleared when it reaches ``_DAY_CACHE_SIZE`` days).
        """
        entry = self._days.get(day)
        if entry is None:
            zone = self._zone
            found = (_span(day, start, end, zone) for start, end in self.hours_on(day))
            spans = tuple(sorted(span for span in found if span is not None))
            bound = datetime.combine(day + _ONE_DAY, _MIDNIGHT, zone).astimezone(UTC) - _LAG
            if len(self._days) >= _DAY_CACHE_SIZE:
                self._days.clear()
            entry = self._days[day] = (spans, bound)
        return entry

    def _clipped(self, start: datetime, end: datetime) -> Iterator[Interval]:
        if end <= start:
            return
        current: Interval | None = None
        for opens, closes in self._pieces(start, end):
            if opens >= end:
                break
            piece = (max(opens, start), min(closes, end))
            if current is not None and piece[0] <= current[1]:
                current = (current[0], max(current[1], piece[1]))
                continue
            if current is not None:
                yield current
            current = piece
        if current is not None:
            yield current

    def _pieces(self, start: datetime, stop: datetime | None) -> Iterator[Interval]:
        """Disjoint open pieces after ``start``, in order (the first one clipped to start at ``start``).

        Openings of each local day are pushed on a heap and popped in start order once no later day
        can open before them; overlapping parts are cut off, so open time is never counted twice
        (adjacent pieces are not joined: that would never end for a 24x7 calendar). With ``stop``,
        ends after the pieces that start before ``stop``; without, raises ValueError after
        ``MAX_CLOSED_DAYS`` days without open time.
        """
        first = start.astimezone(self._zone).date()
        if first < _FIRST_DAY or first > _LAST_DAY:
            raise ValueError(f"{start.isoformat()} is too close to the limits of datetime")
        day = first - timedelta(days=_LOOKBACK_DAYS)
        last_open = first
        heap: list[Interval] = []
        done_until = start  # everything before this instant has been yielded (or is before start)
        while True:
            if day > _LAST_DAY:
                if stop is not None:
                    break
                raise ValueError(f"business calendar has no open time after {last_open} up to the year 9999")
            spans, bound = self._day(day)
            for span in spans:
                if span[1] > start:
                    heapq.heappush(heap, span)
                    last_open = day
            day += _ONE_DAY
            while heap and heap[0][0] <= bound:
                opens, closes = heapq.heappop(heap)
                if closes <= done_until:
                    continue
                yield max(opens, done_until), closes
                done_until = closes
            if stop is not None:
                if bound >= stop:
                    return
            elif not heap:
                if self._last_special_day is not None and (day - self._last_special_day).days > _LOOKBACK_DAYS + 1:
                    raise ValueError(
                        "business calendar has no weekly opening hours"
                        + (f" and no special opening day after {start.date()}" if self.open_days else "")
                    )
                if (day - last_open).days > MAX_CLOSED_DAYS:
                    raise ValueError(
                        f"business calendar has no open time for more than {MAX_CLOSED_DAYS} days after {last_open}; "
                        "check its weekly hours, closed days and holidays"
                    )
        # stop is beyond the last representable day: flush what is left, in order.
        while heap:
            opens, closes = heapq.heappop(heap)
            if closes > done_until:
                yield max(opens, done_until), closes
                done_until = closes
