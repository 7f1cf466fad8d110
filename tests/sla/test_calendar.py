"""The business-calendar engine SLA due times are computed with (pure: no database).

Due-time cases are tables of fixed timestamps. Weekdays used below, for reading the tables:
2026-05-12 Tue, 05-15 Fri, 05-16 Sat, 05-29 Fri, 05-31 Sun (Visakha Bucha), 06-01 Mon (its substitution
day), 03-03 Tue (Makha Bucha), 07-28/29/30 Tue-Thu (King's birthday, Asarnha Bucha, Buddhist Lent);
2025-04-13..15 Sun-Tue (Songkran), 04-16 Wed (its substitution day), 04-06 Sun (Chakri), 04-07 Mon (its
substitution day). Europe/Berlin changes clocks on 2026-03-29 and 2026-10-25, America/New_York on
2026-03-08 and 2026-11-01.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from ruamchat.sla.calendar import HOLIDAY_CATEGORIES, MAX_CLOSED_DAYS, BusinessCalendar, Period

BKK = ZoneInfo("Asia/Bangkok")
BER = ZoneInfo("Europe/Berlin")
NYC = ZoneInfo("America/New_York")
H = timedelta(hours=1)
M = timedelta(minutes=1)
WEEKDAYS = range(5)


def bkk(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=BKK)


def ber(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=BER)


def nyc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=NYC)


# Mon-Fri 09:00-18:00 Bangkok, Thai public holidays.
OFFICE = BusinessCalendar(periods=Period.every(WEEKDAYS, time(9), time(18)))
# Mon-Fri 09:00-12:00 and 13:00-17:00 (lunch break).
LUNCH = BusinessCalendar(periods=Period.every(WEEKDAYS, time(9), time(12)) + Period.every(WEEKDAYS, time(13), time(17)))
# Every night 22:00-02:00.
NIGHT = BusinessCalendar(periods=Period.every(range(7), time(22), time(2)))
# Royal Ploughing Day (2026-05-13) is in the "government" category only.
OFFICE_GOV = BusinessCalendar(
    periods=Period.every(WEEKDAYS, time(9), time(18)), holiday_categories=("public", "government")
)
OFFICE_CLOSED = BusinessCalendar(
    periods=Period.every(WEEKDAYS, time(9), time(18)), closed_days=frozenset({date(2026, 5, 14)})
)
OFFICE_SPECIAL = BusinessCalendar(
    periods=Period.every(WEEKDAYS, time(9), time(18)),
    open_days={
        date(2026, 5, 31): ((time(10), time(14)),),  # Sunday and Visakha Bucha
        date(2026, 6, 1): ((time(9), time(12)),),  # Monday, substitution holiday
        date(2026, 5, 12): ((time(13), time(15)),),  # an ordinary Tuesday with shorter hours
        date(2026, 5, 16): ((time(22), time(2)),),  # a Saturday night shift
    },
)
NIGHT_CLOSED = BusinessCalendar(periods=Period.every(range(7), time(22), time(2)), closed_days={date(2026, 5, 14)})
# Monday 22:00-02:00 and Tuesday 00:00-08:00 overlap from 00:00 to 02:00.
OVERLAP = BusinessCalendar(periods=(Period(0, time(22), time(2)), Period(1, time(0), time(8))), holiday_country=None)
BERLIN = BusinessCalendar("Europe/Berlin", Period.every(WEEKDAYS, time(9), time(17)), holiday_country=None)
BERLIN_NIGHT = BusinessCalendar("Europe/Berlin", Period.every(range(7), time(22), time(6)), holiday_country=None)
# Sundays in and around the small hours, when clocks change.
BERLIN_SMALL_HOURS = BusinessCalendar(
    "Europe/Berlin", (Period(6, time(2), time(3)), Period(6, time(3, 30), time(5))), holiday_country=None
)
BERLIN_24 = BusinessCalendar.always_open("Europe/Berlin")
NEW_YORK = BusinessCalendar("America/New_York", Period.every(WEEKDAYS, time(9), time(17)), holiday_country="US")
NEW_YORK_NIGHT = BusinessCalendar("America/New_York", Period.every(range(7), time(22), time(6)), holiday_country=None)
ALWAYS = BusinessCalendar.always_open()

DUE_CASES = [
    # within hours, before opening, after closing, weekends
    pytest.param(OFFICE, bkk(2026, 5, 12, 10), 2 * H, bkk(2026, 5, 12, 12), id="within-hours"),
    pytest.param(OFFICE, bkk(2026, 5, 12, 16), 2 * H, bkk(2026, 5, 12, 18), id="used-up-exactly-at-closing"),
    pytest.param(OFFICE, bkk(2026, 5, 12, 7, 30), H, bkk(2026, 5, 12, 10), id="before-opening"),
    pytest.param(OFFICE, bkk(2026, 5, 12, 19), H, bkk(2026, 5, 13, 10), id="after-closing"),
    pytest.param(OFFICE, bkk(2026, 5, 12, 18), H, bkk(2026, 5, 13, 10), id="at-closing-instant"),
    pytest.param(OFFICE, bkk(2026, 5, 16, 11), 30 * M, bkk(2026, 5, 18, 9, 30), id="on-a-saturday"),
    pytest.param(OFFICE, bkk(2026, 5, 15, 17), 3 * H, bkk(2026, 5, 18, 11), id="across-a-weekend"),
    pytest.param(OFFICE, bkk(2026, 5, 18, 9), 45 * H, bkk(2026, 5, 22, 18), id="five-full-days"),
    pytest.param(OFFICE, bkk(2026, 5, 18, 9), 45 * H + M, bkk(2026, 5, 25, 9, 1), id="five-days-and-a-minute"),
    pytest.param(OFFICE, datetime(2026, 5, 12, 3, tzinfo=UTC), H, bkk(2026, 5, 12, 11), id="start-given-in-utc"),
    # created outside hours with a zero target: the clock starts at opening
    pytest.param(OFFICE, bkk(2026, 5, 16, 23), timedelta(0), bkk(2026, 5, 18, 9), id="zero-on-a-weekend"),
    pytest.param(OFFICE, bkk(2026, 5, 12, 11, 7), timedelta(0), bkk(2026, 5, 12, 11, 7), id="zero-while-open"),
    # Thai public holidays, their substitution days, Buddhist lunar holidays
    pytest.param(OFFICE, bkk(2026, 5, 29, 17), 3 * H, bkk(2026, 6, 2, 11), id="visakha-bucha-2026-and-substitution"),
    pytest.param(OFFICE, bkk(2026, 3, 2, 17, 30), H, bkk(2026, 3, 4, 9, 30), id="makha-bucha-2026"),
    pytest.param(OFFICE, bkk(2026, 7, 27, 17), 2 * H, bkk(2026, 7, 31, 10), id="kings-birthday-asarnha-lent-2026"),
    pytest.param(OFFICE, bkk(2025, 4, 11, 17), 2 * H, bkk(2025, 4, 17, 10), id="songkran-2025-and-substitution"),
    pytest.param(OFFICE, bkk(2025, 4, 4, 18), H, bkk(2025, 4, 8, 10), id="chakri-2025-substitution"),
    pytest.param(OFFICE, bkk(2026, 5, 12, 17), 2 * H, bkk(2026, 5, 13, 10), id="royal-ploughing-not-public"),
    pytest.param(OFFICE_GOV, bkk(2026, 5, 12, 17), 2 * H, bkk(2026, 5, 14, 10), id="royal-ploughing-government"),
    # a period crossing midnight (22:00-02:00) with holidays on the start day and on the next day
    pytest.param(NIGHT, bkk(2026, 5, 12, 20), 2 * H, bkk(2026, 5, 13, 0), id="night-crosses-midnight"),
    pytest.param(NIGHT, bkk(2026, 5, 13, 1), 2 * H, bkk(2026, 5, 13, 23), id="night-after-midnight-part"),
    pytest.param(NIGHT, bkk(2026, 5, 30, 23), 2 * H, bkk(2026, 5, 31, 1), id="night-runs-into-holiday-morning"),
    pytest.param(NIGHT, bkk(2026, 5, 30, 23), 3 * H, bkk(2026, 5, 31, 2), id="night-ends-on-holiday-at-closing"),
    pytest.param(
        NIGHT, bkk(2026, 5, 30, 23), 3 * H + 30 * M, bkk(2026, 6, 2, 22, 30), id="night-holiday-and-substitution-shut"
    ),
    pytest.param(NIGHT, bkk(2026, 3, 2, 21), 4 * H, bkk(2026, 3, 3, 2), id="night-next-day-is-holiday"),
    pytest.param(NIGHT, bkk(2026, 3, 2, 21), 5 * H, bkk(2026, 3, 4, 23), id="night-start-day-is-holiday"),
    # several periods a day
    pytest.param(LUNCH, bkk(2026, 5, 12, 11), 2 * H, bkk(2026, 5, 12, 14), id="lunch-break-skipped"),
    pytest.param(LUNCH, bkk(2026, 5, 12, 11), H, bkk(2026, 5, 12, 12), id="lunch-used-up-at-break"),
    pytest.param(LUNCH, bkk(2026, 5, 12, 12, 30), timedelta(0), bkk(2026, 5, 12, 13), id="lunch-zero-in-break"),
    pytest.param(LUNCH, bkk(2026, 5, 12, 16, 30), H, bkk(2026, 5, 13, 9, 30), id="lunch-to-next-morning"),
    pytest.param(OVERLAP, bkk(2026, 5, 11, 22), 10 * H, bkk(2026, 5, 12, 8), id="overlapping-periods-count-once"),
    # admin closed day
    pytest.param(OFFICE_CLOSED, bkk(2026, 5, 13, 17), 2 * H, bkk(2026, 5, 15, 10), id="admin-closed-day"),
    pytest.param(NIGHT_CLOSED, bkk(2026, 5, 13, 23), 2 * H, bkk(2026, 5, 14, 1), id="closed-day-morning-still-runs"),
    pytest.param(NIGHT_CLOSED, bkk(2026, 5, 13, 23), 4 * H, bkk(2026, 5, 15, 23), id="closed-day-night-shut"),
    # special opening days
    pytest.param(OFFICE_SPECIAL, bkk(2026, 5, 29, 17), 3 * H, bkk(2026, 5, 31, 12), id="open-on-sunday-holiday"),
    pytest.param(OFFICE_SPECIAL, bkk(2026, 5, 29, 17), 6 * H, bkk(2026, 6, 1, 10), id="open-on-substitution-day"),
    pytest.param(OFFICE_SPECIAL, bkk(2026, 5, 29, 17), 9 * H, bkk(2026, 6, 2, 10), id="special-days-then-normal"),
    pytest.param(OFFICE_SPECIAL, bkk(2026, 5, 12, 9), 3 * H, bkk(2026, 5, 13, 10), id="special-day-replaces-hours"),
    pytest.param(OFFICE_SPECIAL, bkk(2026, 5, 15, 17), 4 * H, bkk(2026, 5, 17, 1), id="special-night-shift"),
    # daylight-saving changes: Berlin (spring 2026-03-29, autumn 2026-10-25) and New York
    pytest.param(BERLIN, ber(2026, 3, 27, 16), 2 * H, ber(2026, 3, 30, 10), id="berlin-office-over-spring"),
    pytest.param(BERLIN, ber(2026, 10, 23, 16), 2 * H, ber(2026, 10, 26, 10), id="berlin-office-over-autumn"),
    pytest.param(BERLIN_NIGHT, ber(2026, 3, 28, 22), 7 * H, ber(2026, 3, 29, 6), id="berlin-night-spring-7h"),
    pytest.param(BERLIN_NIGHT, ber(2026, 3, 28, 22), 8 * H, ber(2026, 3, 29, 23), id="berlin-night-spring-8h"),
    pytest.param(BERLIN_NIGHT, ber(2026, 10, 24, 22), 9 * H, ber(2026, 10, 25, 6), id="berlin-night-autumn-9h"),
    pytest.param(BERLIN_24, ber(2026, 3, 28, 12), 24 * H, ber(2026, 3, 29, 13), id="berlin-24x7-spring"),
    pytest.param(BERLIN_24, ber(2026, 10, 24, 12), 24 * H, ber(2026, 10, 25, 11), id="berlin-24x7-autumn"),
    pytest.param(NEW_YORK, nyc(2026, 3, 6, 16), 2 * H, nyc(2026, 3, 9, 10), id="new-york-office-over-spring"),
    pytest.param(NEW_YORK_NIGHT, nyc(2026, 3, 7, 22), 8 * H, nyc(2026, 3, 8, 23), id="new-york-night-spring"),
    pytest.param(NEW_YORK_NIGHT, nyc(2026, 10, 31, 22), 9 * H, nyc(2026, 11, 1, 6), id="new-york-night-autumn"),
    pytest.param(NEW_YORK, nyc(2026, 11, 25, 16), 2 * H, nyc(2026, 11, 27, 10), id="new-york-thanksgiving"),
    # 24x7
    pytest.param(ALWAYS, bkk(2025, 4, 13, 3, 17), 50 * H, bkk(2025, 4, 15, 5, 17), id="always-open-on-songkran"),
]


@pytest.mark.parametrize(("calendar", "start", "duration", "due"), DUE_CASES)
def test_due_times(calendar: BusinessCalendar, start: datetime, duration: timedelta, due: datetime) -> None:
    result = calendar.add(start, duration)
    assert result == due, f"{result.astimezone(due.tzinfo)} != {due}"
    assert result.tzinfo is UTC
    assert calendar.between(start, result) == duration


@pytest.mark.parametrize(
    ("calendar", "at", "expected"),
    [
        pytest.param(OFFICE, bkk(2026, 5, 12, 9), True, id="opening-instant"),
        pytest.param(OFFICE, bkk(2026, 5, 12, 18), False, id="closing-instant"),
        pytest.param(OFFICE, bkk(2026, 5, 16, 10), False, id="saturday"),
        pytest.param(OFFICE, bkk(2026, 6, 1, 10), False, id="substitution-day"),
        pytest.param(NIGHT, bkk(2026, 5, 31, 1), True, id="holiday-morning-of-previous-evening"),
        pytest.param(NIGHT, bkk(2026, 5, 31, 23), False, id="holiday-evening"),
        pytest.param(NIGHT, bkk(2026, 6, 1, 0, 30), False, id="after-midnight-part-of-holiday-period"),
        pytest.param(NIGHT, bkk(2026, 3, 3, 1), True, id="next-day-holiday-morning"),
        pytest.param(NIGHT_CLOSED, bkk(2026, 5, 14, 1), True, id="closed-day-morning"),
        pytest.param(NIGHT_CLOSED, bkk(2026, 5, 15, 1), False, id="day-after-closed-day-morning"),
        pytest.param(LUNCH, bkk(2026, 5, 12, 12, 15), False, id="lunch-break"),
        pytest.param(OFFICE_SPECIAL, bkk(2026, 5, 31, 10), True, id="special-sunday"),
        pytest.param(OFFICE_SPECIAL, bkk(2026, 5, 17, 1), True, id="special-night-after-midnight"),
        pytest.param(BERLIN_NIGHT, datetime(2026, 3, 29, 1, 30, tzinfo=UTC), True, id="berlin-just-after-gap"),
        pytest.param(ALWAYS, bkk(2025, 4, 14, 3), True, id="always"),
    ],
)
def test_is_open(calendar: BusinessCalendar, at: datetime, expected: bool) -> None:
    assert calendar.is_open(at) is expected


@pytest.mark.parametrize(
    ("calendar", "at", "expected"),
    [
        pytest.param(OFFICE, bkk(2026, 5, 12, 10), bkk(2026, 5, 12, 10), id="open-now"),
        pytest.param(OFFICE, bkk(2026, 5, 29, 18), bkk(2026, 6, 2, 9), id="over-weekend-and-holidays"),
        pytest.param(NIGHT, bkk(2026, 5, 31, 2), bkk(2026, 6, 2, 22), id="night-after-holidays"),
        pytest.param(LUNCH, bkk(2026, 5, 12, 12), bkk(2026, 5, 12, 13), id="after-lunch"),
        pytest.param(BERLIN, ber(2026, 3, 28, 9), ber(2026, 3, 30, 9), id="berlin-monday-after-change"),
    ],
)
def test_next_open(calendar: BusinessCalendar, at: datetime, expected: datetime) -> None:
    assert calendar.next_open(at) == expected
    assert calendar.next_open(at).tzinfo is UTC


@pytest.mark.parametrize(
    ("calendar", "a", "b", "expected"),
    [
        pytest.param(OFFICE, bkk(2026, 5, 11), bkk(2026, 5, 18), 45 * H, id="ordinary-week"),
        pytest.param(OFFICE, bkk(2026, 5, 25), bkk(2026, 6, 8), 8 * 9 * H, id="fortnight-with-two-holidays"),
        pytest.param(OFFICE, bkk(2026, 5, 12, 18), bkk(2026, 5, 12, 9), -9 * H, id="backwards-is-negative"),
        pytest.param(NIGHT, bkk(2026, 5, 30), bkk(2026, 6, 3), 2 * H + 4 * H + 2 * H, id="night-around-holidays"),
        pytest.param(OVERLAP, bkk(2026, 5, 11, 20), bkk(2026, 5, 12, 12), 10 * H, id="overlap-counted-once"),
        pytest.param(BERLIN_24, ber(2026, 3, 29), ber(2026, 3, 30), 23 * H, id="berlin-spring-day-23h"),
        pytest.param(BERLIN_24, ber(2026, 10, 25), ber(2026, 10, 26), 25 * H, id="berlin-autumn-day-25h"),
        pytest.param(BERLIN, ber(2026, 3, 30), ber(2026, 3, 31), 8 * H, id="berlin-office-day-stays-8h"),
        # 02:00-03:00 does not exist on 2026-03-29; 03:30-05:00 is summer time as usual.
        pytest.param(BERLIN_SMALL_HOURS, ber(2026, 3, 22), ber(2026, 3, 23), 2 * H + 30 * M, id="sunday-before"),
        pytest.param(BERLIN_SMALL_HOURS, ber(2026, 3, 29), ber(2026, 3, 30), 90 * M, id="gap-period-empty"),
        # 02:00 on 2026-10-25 is ambiguous: fold=0 is its first (summer-time) occurrence, so 02:00-03:00
        # lasts two real hours (02:00 CEST to 03:00 CET).
        pytest.param(BERLIN_SMALL_HOURS, ber(2026, 10, 25), ber(2026, 10, 26), 3 * H + 30 * M, id="ambiguous-hour"),
    ],
)
def test_between(calendar: BusinessCalendar, a: datetime, b: datetime, expected: timedelta) -> None:
    assert calendar.between(a, b) == expected


def test_spring_gap_and_autumn_fold_are_resolved_with_fold_0() -> None:
    # Sunday 2026-03-29: 02:00 does not exist; fold=0 gives the instant one hour later (03:00 CEST), the
    # same as 03:00, so the 02:00-03:00 period is empty and is never open.
    assert not BERLIN_SMALL_HOURS.is_open(datetime(2026, 3, 29, 1, 0, tzinfo=UTC))
    assert list(BERLIN_SMALL_HOURS.open_intervals(ber(2026, 3, 29), ber(2026, 3, 30))) == [
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), datetime(2026, 3, 29, 3, 0, tzinfo=UTC)),
    ]
    # Sunday 2026-10-25: 02:00 happens twice; the period opens at the first 02:00 (00:00 UTC).
    assert list(BERLIN_SMALL_HOURS.open_intervals(ber(2026, 10, 25), ber(2026, 10, 26))) == [
        (datetime(2026, 10, 25, 0, 0, tzinfo=UTC), datetime(2026, 10, 25, 2, 0, tzinfo=UTC)),
        (datetime(2026, 10, 25, 2, 30, tzinfo=UTC), datetime(2026, 10, 25, 4, 0, tzinfo=UTC)),
    ]


def test_open_intervals_are_utc_clipped_and_joined() -> None:
    intervals = list(OFFICE.open_intervals(bkk(2026, 5, 29, 12), bkk(2026, 6, 2, 10)))
    assert intervals == [
        (datetime(2026, 5, 29, 5, tzinfo=UTC), datetime(2026, 5, 29, 11, tzinfo=UTC)),
        (datetime(2026, 6, 2, 2, tzinfo=UTC), datetime(2026, 6, 2, 3, tzinfo=UTC)),
    ]
    assert all(a.tzinfo is UTC and b.tzinfo is UTC for a, b in intervals)
    # 24x7: one interval however many days, DST included.
    assert list(BERLIN_24.open_intervals(ber(2026, 3, 20), ber(2026, 4, 20))) == [
        (ber(2026, 3, 20), ber(2026, 4, 20)),
    ]
    # Overlapping periods come out as one interval; an empty range gives nothing.
    assert list(OVERLAP.open_intervals(bkk(2026, 5, 11), bkk(2026, 5, 13))) == [
        (bkk(2026, 5, 11, 22), bkk(2026, 5, 12, 8)),
    ]
    assert list(OFFICE.open_intervals(bkk(2026, 5, 12, 10), bkk(2026, 5, 12, 10))) == []


# ---------------------------------------------------------------------------------------------------
# Thai holidays straight from the `holidays` package


KNOWN_TH_HOLIDAYS = [
    # (date, start of its Thai name): substitution days ("ชดเชย…") and Buddhist lunar holidays
    (date(2025, 4, 7), "ชดเชยวันพระบาทสมเด็จพระพุทธยอดฟ้าจุฬาโลกมหาราช"),  # Chakri Day fell on Sun 6 April
    (date(2025, 4, 16), "ชดเชยวันสงกรานต์"),  # Songkran 13 April was a Sunday
    (date(2026, 6, 1), "ชดเชยวันวิสาขบูชา"),  # Visakha Bucha fell on Sun 31 May
    (date(2026, 12, 7), "ชดเชยวันคล้ายวันเฉลิมพระชนมพรรษา"),  # 5 December 2026 is a Saturday
    (date(2025, 2, 12), "วันมาฆบูชา"),
    (date(2025, 5, 11), "วันวิสาขบูชา"),
    (date(2026, 3, 3), "วันมาฆบูชา"),
    (date(2026, 5, 31), "วันวิสาขบูชา"),
    (date(2026, 7, 29), "วันอาสาฬหบูชา"),
    (date(2026, 7, 30), "วันเข้าพรรษา"),
]


@pytest.mark.parametrize(("day", "name"), KNOWN_TH_HOLIDAYS, ids=[str(d) for d, _ in KNOWN_TH_HOLIDAYS])
def test_known_thai_holidays_agree_with_the_package(day: date, name: str) -> None:
    table = holidays.country_holidays("TH", years=day.year, categories=("public",), language="th")
    assert table.get(day, "").startswith(name)
    assert OFFICE.is_holiday(day)
    assert (OFFICE.holiday_name(day) or "").startswith(name)
    assert not OFFICE.is_open(bkk(day.year, day.month, day.day, 10))


def test_holiday_names_in_thai_and_english() -> None:
    assert OFFICE.holiday_name(date(2026, 5, 31)) == "วันวิสาขบูชา"
    assert OFFICE.holiday_name(date(2026, 5, 31), "th") == "วันวิสาขบูชา"
    assert OFFICE.holiday_name(date(2026, 5, 31), "en") == "Visakha Bucha"
    assert OFFICE.holiday_name(date(2026, 5, 31), "en_US") == "Visakha Bucha"
    assert OFFICE.holiday_name(date(2026, 6, 1), "th") == "ชดเชยวันวิสาขบูชา"
    assert OFFICE.holiday_name(date(2025, 4, 14), "th") == "วันสงกรานต์"
    assert OFFICE.holiday_name(date(2026, 5, 12)) is None
    assert OFFICE.holiday_name(date(2026, 5, 13)) is None  # Royal Ploughing is not a public holiday
    assert OFFICE_GOV.holiday_name(date(2026, 5, 13)) == "วันพืชมงคล"
    assert ALWAYS.holiday_name(date(2026, 5, 31)) is None
    # A special opening day keeps its holiday's name.
    assert OFFICE_SPECIAL.holiday_name(date(2026, 5, 31)) == "วันวิสาขบูชา"


@pytest.mark.parametrize("year", [2025, 2026])
def test_substitution_days_found_in_the_package_move_due_times(year: int) -> None:
    table = holidays.country_holidays("TH", years=year, categories=("public",), language="th")

    def working(day: date) -> bool:
        return day.weekday() < 5 and day not in table

    substitutes = sorted(day for day, name in table.items() if name.startswith("ชดเชย"))
    assert len(substitutes) >= 2
    for sub in substitutes:
        # It stands in for a holiday of the same name that fell on the weekend just before.
        base = table[sub].replace("ชดเชย", "")
        originals = [day for day, name in table.items() if name == base and timedelta(0) < sub - day <= 4 * 24 * H]
        assert any(day.weekday() >= 5 for day in originals), (sub, table[sub], originals)
        assert sub.weekday() < 5
        before, after = sub - timedelta(days=1), sub + timedelta(days=1)
        while not working(before):
            before -= timedelta(days=1)
        while not working(after):
            after += timedelta(days=1)
        start = bkk(before.year, before.month, before.day, 17)
        assert OFFICE.add(start, 2 * H) == bkk(after.year, after.month, after.day, 10), sub
        assert not OFFICE.is_open(bkk(sub.year, sub.month, sub.day, 10))


def test_our_category_names_are_the_packages_constants() -> None:
    for ours, theirs in HOLIDAY_CATEGORIES.items():
        assert getattr(holidays, ours.upper()) == theirs
    thailand = holidays.country_holidays("TH")
    assert {"public", "government", "bank", "armed_forces", "school", "workday"} <= set(thailand.supported_categories)
    assert set(thailand.supported_categories) <= set(HOLIDAY_CATEGORIES.values())


def test_holiday_categories_are_checked_and_normalised() -> None:
    calendar = BusinessCalendar(periods=OFFICE.periods, holiday_categories=("Public", "armed-forces"))
    assert calendar.holiday_categories == ("armed_forces", "public")
    assert calendar.is_holiday(date(2026, 1, 18))  # Armed Forces Day
    assert not OFFICE.is_holiday(date(2026, 1, 18))
    assert calendar.holiday_name(date(2026, 1, 18)) == "วันกองทัพไทย"
    with pytest.raises(ValueError, match="unknown holiday category"):
        BusinessCalendar(holiday_categories=("pubic",))
    with pytest.raises(ValueError, match="not available for TH"):
        BusinessCalendar(holiday_categories=("half_day",))
    with pytest.raises(ValueError, match="no country"):
        BusinessCalendar(holiday_country="XX")
    assert BusinessCalendar(periods=OFFICE.periods, holiday_categories=()).is_open(bkk(2026, 6, 1, 10))
    assert BusinessCalendar(periods=OFFICE.periods, holiday_country=None).is_open(bkk(2026, 6, 1, 10))


# ---------------------------------------------------------------------------------------------------
# between() is the inverse of add(): a seeded random search (hypothesis is not installed)

PROPERTY_CALENDARS = {
    "office": OFFICE,
    "lunch": LUNCH,
    "night": NIGHT,
    "special": OFFICE_SPECIAL,
    "overlap": OVERLAP,
    "berlin": BERLIN,
    "berlin-night": BERLIN_NIGHT,
    "berlin-small-hours": BERLIN_SMALL_HOURS,
    "berlin-24": BERLIN_24,
    "new-york": NEW_YORK,
    "odd-minutes": BusinessCalendar(
        "America/New_York",
        (Period(0, time(23, 59, 30), time(0, 0, 15)), Period(2, time(1, 30), time(1, 30)), Period(6, time(2), time(3))),
        holiday_country=None,
    ),
}


@pytest.mark.parametrize("name", PROPERTY_CALENDARS)
def test_between_is_the_inverse_of_add(name: str) -> None:
    calendar = PROPERTY_CALENDARS[name]
    rng = random.Random(f"sla-{name}")
    origin = datetime(2025, 1, 1, tzinfo=UTC)
    for _ in range(300):
        start = origin + timedelta(microseconds=rng.randrange(int(timedelta(days=2 * 365).total_seconds() * 1e6)))
        # Mostly SLA-sized targets (minutes to a week), sometimes up to 30 days, sometimes zero.
        scale = rng.choice([timedelta(0), timedelta(hours=2), timedelta(days=7), timedelta(days=30)])
        duration = timedelta(microseconds=rng.randrange(int(scale.total_seconds() * 1e6) + 1))
        due = calendar.add(start, duration)
        assert due >= start
        assert calendar.between(start, due) == duration, (start, duration, due)
        # The due time is the first instant with that much business time behind it.
        if duration:
            assert calendar.between(start, due - timedelta(microseconds=1)) < duration
        assert calendar.add(start, timedelta(0)) == calendar.next_open(start)
        other = start + timedelta(seconds=rng.randrange(0, 40 * 86400))
        elapsed = calendar.between(start, other)
        assert calendar.between(other, start) == -elapsed
        if elapsed:  # (a zero target is due at the next opening, which may come after `other`)
            assert calendar.add(start, elapsed) <= other


def _oracle_open_minutes(calendar: BusinessCalendar, first: date, days: int) -> int:
    """Open minutes of a Bangkok calendar (no DST) counted minute by minute from the rules themselves."""
    table = holidays.country_holidays("TH", years={first.year, first.year + 1}, categories=("public",))
    weekly = {p.weekday: [] for p in calendar.periods}
    for p in calendar.periods:
        weekly[p.weekday].append((p.start, p.end))

    def hours(day: date) -> list[tuple[time, time]]:
        if day in calendar.open_days:
            return list(calendar.open_days[day])
        if day in calendar.closed_days or day in table:
            return []
        return weekly.get(day.weekday(), [])

    def open_at(moment: datetime) -> bool:
        for start_day in (moment.date(), moment.date() - timedelta(days=1)):
            for start, end in hours(start_day):
                opens = datetime.combine(start_day, start)
                closes = datetime.combine(start_day if end > start else start_day + timedelta(days=1), end)
                if opens <= moment < closes:
                    return True
        return False

    origin = datetime.combine(first, time())
    return sum(open_at(origin + timedelta(minutes=i)) for i in range(days * 24 * 60))


@pytest.mark.parametrize(
    ("calendar", "first"),
    [
        pytest.param(OFFICE, date(2026, 5, 28), id="office-visakha"),
        pytest.param(NIGHT, date(2026, 5, 28), id="night-visakha"),
        pytest.param(NIGHT_CLOSED, date(2026, 5, 12), id="night-closed-day"),
        pytest.param(LUNCH, date(2025, 4, 10), id="lunch-songkran"),
        pytest.param(OFFICE_SPECIAL, date(2026, 5, 11), id="special-days"),
        pytest.param(OFFICE_SPECIAL, date(2026, 5, 28), id="special-days-holiday"),
    ],
)
def test_between_matches_a_minute_by_minute_oracle(calendar: BusinessCalendar, first: date) -> None:
    days = 8
    a = bkk(first.year, first.month, first.day)
    b = a + timedelta(days=days)
    assert calendar.between(a, b) == timedelta(minutes=_oracle_open_minutes(calendar, first, days))


# ---------------------------------------------------------------------------------------------------
# Edge cases and refusals


def test_always_open_is_calendar_time() -> None:
    start = bkk(2026, 4, 13, 8, 15)
    assert ALWAYS.add(start, timedelta(days=40, seconds=7)) == start + timedelta(days=40, seconds=7)
    assert ALWAYS.between(start, start + timedelta(days=400)) == timedelta(days=400)
    assert ALWAYS.next_open(start) == start
    assert ALWAYS.holiday_country is None


def test_a_calendar_without_periods_raises_instead_of_looping() -> None:
    empty = BusinessCalendar()
    start = bkk(2026, 5, 12, 10)
    with pytest.raises(ValueError, match="no weekly opening hours"):
        empty.add(start, H)
    with pytest.raises(ValueError, match="no weekly opening hours"):
        empty.next_open(start)
    # Questions about a finite range have an answer: nothing is open.
    assert empty.between(start, start + timedelta(days=30)) == timedelta(0)
    assert not empty.is_open(start)
    assert list(empty.open_intervals(start, start + timedelta(days=3))) == []
    # Special opening days alone are used, and once they are past the calendar says so.
    only_special = BusinessCalendar(open_days={date(2026, 5, 20): ((time(9), time(10)),)})
    assert only_special.add(start, 30 * M) == bkk(2026, 5, 20, 9, 30)
    with pytest.raises(ValueError, match="no special opening day"):
        only_special.add(start, 2 * H)


def test_a_calendar_closed_for_years_raises() -> None:
    # Open on Mondays only, and every Monday of the next four years is closed.
    mondays = frozenset(date(2026, 5, 11) + timedelta(weeks=w) for w in range(4 * 53))
    closed = BusinessCalendar(periods=(Period(0, time(9), time(17)),), holiday_country=None, closed_days=mondays)
    with pytest.raises(ValueError, match=f"no open time for more than {MAX_CLOSED_DAYS} days"):
        closed.add(bkk(2026, 5, 10), H)
    assert closed.between(bkk(2026, 5, 10), bkk(2027, 5, 10)) == timedelta(0)


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2026, 5, 12, 10)
    aware = bkk(2026, 5, 12, 10)
    for call in (
        lambda: OFFICE.add(naive, H),
        lambda: OFFICE.between(naive, aware),
        lambda: OFFICE.between(aware, naive),
        lambda: OFFICE.is_open(naive),
        lambda: OFFICE.next_open(naive),
        lambda: OFFICE.open_intervals(naive, aware),  # refused at the call, not when iterated
    ):
        with pytest.raises(ValueError, match="timezone-aware"):
            call()


def test_invalid_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="weekday"):
        Period(7, time(9), time(17))
    with pytest.raises(ValueError, match="without tzinfo"):
        Period(0, time(9, tzinfo=UTC), time(17))
    with pytest.raises(ValueError, match="unknown time zone"):
        BusinessCalendar("Asia/Nowhere")
    with pytest.raises(ValueError, match="both closed and specially open"):
        BusinessCalendar(closed_days={date(2026, 5, 12)}, open_days={date(2026, 5, 12): ((time(9), time(10)),)})
    with pytest.raises(ValueError, match=r"datetime\.date"):
        BusinessCalendar(closed_days={datetime(2026, 5, 12, tzinfo=UTC)})
    with pytest.raises(ValueError, match="negative"):
        OFFICE.add(bkk(2026, 5, 12), -H)


def test_json_round_trip() -> None:
    calendar = BusinessCalendar(
        time_zone="Europe/Berlin",
        periods=(
            Period(4, time(22), time(2)),
            *Period.every(WEEKDAYS, time(8, 30), time(12)),
            Period(6, time(0), time(0)),
        ),
        holiday_country="de",
        holiday_categories=("public",),
        closed_days=frozenset({date(2026, 12, 24), date(2026, 12, 31)}),
        open_days={date(2026, 12, 26): ((time(10), time(14)), (time(20), time(1)))},
    )
    data = json.loads(json.dumps(calendar.to_json()))
    assert data["periods"][0] == {"weekday": 0, "start": "08:30", "end": "12:00"}
    assert data["open_days"] == {"2026-12-26": [["10:00", "14:00"], ["20:00", "01:00"]]}
    restored = BusinessCalendar.from_json(data)
    assert restored == calendar
    assert hash(restored) == hash(calendar)
    assert restored.holiday_country == "DE"
    start = ber(2026, 12, 23, 11)
    assert restored.add(start, 20 * H) == calendar.add(start, 20 * H)
    # Defaults, "24:00" as an end, readable errors.
    assert BusinessCalendar.from_json({}) == BusinessCalendar()
    late = BusinessCalendar.from_json({"periods": [{"weekday": 0, "start": "18:00", "end": "24:00"}]})
    assert late.periods == (Period(0, time(18), time(0)),)
    assert late.between(bkk(2026, 5, 11), bkk(2026, 5, 12)) == 6 * H
    with pytest.raises(ValueError, match="not a time"):
        BusinessCalendar.from_json({"periods": [{"weekday": 0, "start": "9am", "end": "17:00"}]})
    with pytest.raises(ValueError, match="unknown business calendar keys"):
        BusinessCalendar.from_json({"timezone": "Asia/Bangkok"})
    with pytest.raises(ValueError, match="not a date"):
        BusinessCalendar.from_json({"closed_days": ["31/12/2026"]})


def test_calendars_are_values() -> None:
    a = BusinessCalendar(periods=(Period(1, time(9), time(17)), Period(0, time(9), time(17))))
    b = BusinessCalendar(periods=[Period(0, time(9), time(17)), Period(1, time(9), time(17))])  # type: ignore[arg-type]
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b}) == 1
    assert a.hours_on(date(2026, 5, 11)) == ((time(9), time(17)),)
    assert a.hours_on(date(2026, 6, 1)) == ()  # substitution day
    assert Period(0, time(22), time(2)).passes_midnight
    assert Period(0, time(0), time(0)).nominal_length == timedelta(days=1)
