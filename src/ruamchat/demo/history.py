"""Months of past conversations for the reports, made fast: the demo's history and the benchmarks' million.

``generate`` writes the rows itself, a batch of conversations per transaction: one conversation at a time
through the inbox actions would take hours for a million, and even ``bulk_create`` spends about a millisecond
per conversation preparing its values (17 minutes for a million), so the rows are lists in column order sent
with COPY on PostgreSQL and one ``executemany`` per table on SQLite, their ids taken from the tables' sequences
first (``_Table``). What it writes is what the actions would have written, so the reports read it like real
history:

- contacts who come back (about 45% of conversations are a returning customer's; some write on a second
  channel), each with an identity per channel;
- conversations spread over the last ``days`` days like a Thai online shop's: more on weekdays and on the
  double-day sales (9.9, 10.10, 11.11, 12.12), mostly 10:00–21:00 in Bangkok, across the existing channels;
- their messages (the customer's, the agents' replies, the bot's, private notes, the survey question) and
  events with the data the actions give them (``created``, ``first_reply``, ``assigned``, ``transferred``,
  ``status_changed``, ``reopened``, ``sla_breached``, ``bot_answered`` / ``bot_handoff`` / ``bot_resolved``,
  ``survey_sent`` / ``survey_answered``), the chatbot's part (``BotConversation``) on website and LINE chats,
  and CSAT for the Service teams, CES and a week later NPS for the Support teams, with answers and comments;
- agents answer in their team's business hours (some evenings too), each at their own speed; SLA breaches
  are announced where the team's policy was missed, at the moment it was;
- whatever would happen after ``now`` does not: the newest conversations are still with the bot, open or
  pending (a backlog), and their SLA clocks are set by ``sla.actions.recompute``.

Times are the story's, ``created_at`` and ``updated_at`` included: ``bulk_create`` would overwrite an
``auto_now_add`` or ``auto_now`` field with the time of the insert (its ``pre_save`` runs with ``add=True``), and
writing the columns directly needs no switching those off. Every other column gets its field's default. The
identities' external ids start with ``EXTERNAL_PREFIX``, so a test can tell the history from hand-made
conversations.
"""

from __future__ import annotations

import json
import math
import random
import secrets
import time as clock
from array import array
from bisect import bisect, bisect_left
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as wall
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from ruamchat.accounts.models import AgentProfile, Team
from ruamchat.bot.models import BotConversation
from ruamchat.connectors.models import Channel
from ruamchat.contacts.models import Contact, Identity
from ruamchat.inbox.models import Conversation, Event, Message
from ruamchat.sla.calendar import BusinessCalendar
from ruamchat.sla.selectors import calendar_for_team, policy_for
from ruamchat.surveys.models import Invitation, Response, Survey
from ruamchat.triage.keywords import CATEGORIES

EXTERNAL_PREFIX = "hist-"
Status = Conversation.Status
In, Out = Message.Direction.INCOMING, Message.Direction.OUTGOING

# ---------------------------------------------------------------- the shape of the shop

#: the share of conversations per channel kind (split between the channels of a kind)
CHANNEL_SHARES = {"line": 0.42, "website": 0.2, "messenger": 0.18, "email": 0.12}
OTHER_CHANNEL_SHARE = 0.06
#: the kinds where the chatbot answers first (a share of the conversations)
BOT_KINDS = frozenset({"website", "line"})
BOT_SHARE = 0.3
BOT_RESOLVES = 0.4
HANDOFF_REASONS = (("low_confidence", 34), ("person", 30), ("declined", 14), ("urgent", 6), ("angry", 5),
                   ("limit", 5), ("not_text", 4), ("window", 2))
#: local hour of the day → relative traffic (a shop's: busy 10:00–21:00, quiet at night)
HOURS = (1.2, 0.6, 0.3, 0.2, 0.2, 0.3, 0.6, 1.3, 2.6, 4.6, 7.0, 7.6, 6.6, 7.2, 7.6, 7.5, 7.1, 6.6, 6.1, 6.6,
         7.0, 6.2, 3.6, 2.1)
#: Monday … Sunday
WEEKDAYS = (1.12, 1.06, 1.0, 1.0, 1.04, 0.8, 0.62)
#: (month, day) → traffic factor: the double-day sales and the day after
SALE_DAYS = {(m, m): 2.6 for m in range(1, 13)} | {(m, m + 1): 1.5 for m in range(1, 12)}
#: (category, share, chance a Service conversation of it goes to Support)
CATEGORY_SHAPE = (("order_status", 0.26, 0.05), ("technical", 0.14, 0.45), ("return", 0.1, 0.2),
                  ("exchange", 0.08, 0.15), ("refund", 0.1, 0.35), ("payment", 0.1, 0.3), ("account", 0.06, 0.2),
                  ("other", 0.16, 0.03))
assert {c for c, _s, _t in CATEGORY_SHAPE} == set(CATEGORIES)
PRIORITIES = ((0, 2), (1, 10), (2, 70), (3, 18))
PRIORITY_SPEED = {0: 0.3, 1: 0.6, 2: 1.0, 3: 1.3}
RETURNING = 0.45
SECOND_CHANNEL = 0.15
NO_REPLY = 0.06  # the customer left before anyone answered; closed later without a reply
REOPENED = 0.05
CLOSED = 0.08
HELD_PENDING = 0.1  # of the last days' conversations: pending, waiting for the customer (the backlog)
HELD_DAYS = 4
SURVEYED = 0.45
ANSWERED = 0.42
COMMENTED = 0.3
NPS_LATER = 0.5

FIRST_NAMES = ("สมชาย", "สมหญิง", "วิชัย", "มาลี", "ประเสริฐ", "นภา", "อนุชา", "กาญจนา", "ปิยะ", "ธนากร", "วรรณา",
               "ศิริพร", "อรุณ", "พิมพ์ชนก", "กิตติ", "Somchai", "Anna", "John", "Mei", "David")
LAST_NAMES = ("ใจดี", "รักไทย", "ศรีสุข", "ทองดี", "มั่นคง", "แสงทอง", "บุญมา", "Smith", "Tan", "")

#: what customers open with, by category: (Thai, English)
OPENERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "order_status": (("ของยังไม่มาส่งเลยค่ะ สั่งไปสามวันแล้ว", "เช็คสถานะพัสดุให้หน่อยครับ", "เลขพัสดุคืออะไรคะ"),
                     ("Where is my order?", "My parcel has not arrived yet.")),
    "technical": (("เครื่องปั่นเปิดไม่ติดค่ะ", "หม้อทอดมีกลิ่นไหม้ครับ", "แอปค้างตอนจ่ายเงินค่ะ"),
                  ("The blender won't turn on.", "The app keeps crashing.")),
    "return": (("ขอคืนสินค้าได้ไหมคะ", "ได้ของผิดรุ่นครับ อยากคืน"), ("Can I return this item?",)),
    "exchange": (("ขอเปลี่ยนไซส์ได้ไหมคะ", "ขอเปลี่ยนสีครับ"), ("Can I exchange it for a bigger size?",)),
    "refund": (("ยังไม่ได้เงินคืนเลยค่ะ", "ขอเงินคืนครับ ยกเลิกออเดอร์แล้ว"), ("I haven't received my refund.",)),
    "payment": (("โอนแล้วแต่สถานะยังไม่อัปเดตค่ะ", "โดนตัดเงินสองรอบครับ"), ("I was charged twice.",)),
    "account": (("ลืมรหัสผ่านค่ะ", "เข้าสู่ระบบไม่ได้ครับ"), ("I can't log in.",)),
    "other": (("มีของพร้อมส่งไหมคะ", "สอบถามโปรโมชั่นค่ะ", "ส่งต่างจังหวัดกี่วันครับ"),
              ("Do you ship to Chiang Mai?", "Is this in stock?")),
}
SECOND_LINES = (("ORD-10482 ค่ะ", "รบกวนด่วนนะคะ", "ส่งรูปให้แล้วค่ะ"), ("Order ORD-10482.", "Please help."))
CUSTOMER_LINES = (("ได้ค่ะ ขอบคุณค่ะ", "โอเคครับ", "ส่งรูปให้แล้วนะคะ", "แล้วต้องรออีกนานไหมคะ", "ยังไม่ได้เลยค่ะ"),
                  ("OK, thanks.", "Sent the photo.", "How long will it take?"))
THANKS = (("ขอบคุณมากค่ะ 🙏", "ได้แล้วครับ ขอบคุณครับ"), ("Thank you!", "Got it, thanks."))
AGENT_FIRST = (("สวัสดีค่ะ ขอเลขคำสั่งซื้อหน่อยนะคะ", "สวัสดีครับ ตรวจสอบให้สักครู่นะครับ", "ขออภัยในความไม่สะดวกค่ะ กำลังเช็คให้ค่ะ"),
               ("Hello! Could you share your order number?", "Hi, let me check that for you."))
AGENT_LINES = (("ตรวจสอบแล้วค่ะ พัสดุจะถึงพรุ่งนี้ค่ะ", "ดำเนินการให้แล้วนะคะ", "รบกวนส่งรูปสินค้ามาให้ดูหน่อยค่ะ",
                "คืนเงินภายใน 7-14 วันทำการค่ะ"),
               ("Done, it will arrive tomorrow.", "Please send a photo of the item.", "Your refund is on its way."))
NOTES = ("ลูกค้าขอเคลม ส่งเรื่องให้คลังแล้ว", "เช็คกับ Kerry แล้ว รอตอบกลับ", "VIP, ดูแลเป็นพิเศษ", "Refund approved by finance")
TRANSFER_REASONS: tuple[str, ...] = ("งานด้านเทคนิค ส่งต่อทีมซัพพอร์ต", "เรื่องคืนเงิน ส่งต่อฝ่ายซัพพอร์ต",
                                     "Payment issue, needs Support")
BACK_REASONS: tuple[str, ...] = ("สอบถามทั่วไป ส่งกลับฝ่ายบริการ",)
ARTICLES = ("วิธีติดตามพัสดุ", "การคืนและเปลี่ยนสินค้า", "ระยะเวลาคืนเงิน", "วิธีชำระเงิน", "Shipping times", "Reset your password")
BOT_ANSWER = (("น้องชวนขอแนะนำบทความนี้ค่ะ ช่วยได้ไหมคะ", "ลองดูวิธีนี้นะคะ ตอบคำถามไหมคะ"),
              ("This article may help. Did it answer your question?",))
BOT_DONE = (("ยินดีค่ะ 😊",), ("Glad to help!",))
BOT_HANDOFF = (("น้องชวนส่งเรื่องให้ทีมงานแล้วค่ะ จะตอบกลับโดยเร็วค่ะ",), ("A person from our team will answer soon.",))
HANDOFF_LINES = {"person": (("ขอคุยกับพนักงานค่ะ",), ("Can I talk to a person?",)),
                 "declined": (("ไม่ใช่ค่ะ",), ("No, that's not it.",)),
                 "urgent": (("ด่วนมากค่ะ ของเสียหาย",), ("This is urgent!",)),
                 "angry": (("รอนานมาก แย่มาก!!!",), ("This is terrible!!!",))}
SURVEY_ASK = {"csat": (("รบกวนให้คะแนนการบริการของเราหน่อยนะคะ 🙏",), ("How did we do? Please rate us.",)),
              "ces": (("การติดต่อเราครั้งนี้ง่ายแค่ไหนคะ",), ("How easy was it to get help?",)),
              "nps": (("คุณจะแนะนำชวนช้อปให้เพื่อนไหมคะ (0-10)",), ("Would you recommend us to a friend (0-10)?",))}
SUBJECTS = ("สอบถามคำสั่งซื้อ", "สินค้าชำรุด", "ขอใบกำกับภาษี", "Refund request", "Order question")
#: score weights per survey kind (CSAT 1–5, NPS 0–10, CES 1–7)
SCORES: dict[str, dict[int, float]] = {"csat": {1: 4, 2: 4, 3: 9, 4: 29, 5: 54},
          "nps": {0: 2, 1: 1, 2: 1, 3: 1.5, 4: 2, 5: 4, 6: 6.5, 7: 11, 8: 17, 9: 22, 10: 32},
          "ces": {1: 3, 2: 4, 3: 8, 4: 14, 5: 24, 6: 26, 7: 21}}
#: (comment, topics) by sentiment: Thai and English mixed
COMMENTS = {
    "positive": (("แอดมินตอบไวมากค่ะ ประทับใจ", ["staff", "response_time"]), ("ส่งของไวมาก", ["delivery"]),
                 ("ได้เงินคืนเร็วค่ะ", ["refund"]), ("Very helpful, thank you.", []),
                 ("Quick reply, friendly staff", ["staff", "response_time"])),
    "neutral": (("ก็โอเคค่ะ แต่รอนานไปหน่อย", ["response_time"]), ("ราคาแพงไปนิด แต่ของดี", ["price", "product"]),
                ("OK.", [])),
    "negative": (("รอตอบนานมาก", ["response_time"]), ("สินค้าชำรุด ใช้ไม่ได้", ["product"]),
                 ("ขอคืนเงินนานแล้วยังไม่ได้", ["refund"]), ("Rude agent.", ["staff"]),
                 ("Charged twice, still not fixed.", ["payment"])),
}


def _weights(pairs: Sequence[tuple[Any, float]]) -> tuple[list[Any], list[float]]:
    """(values, cumulative weights): a table for ``_draw``."""
    values, cumulative, total = [], [], 0.0
    for value, weight in pairs:
        total += weight
        values.append(value)
        cumulative.append(total)
    return values, cumulative


def _draw(rng: random.Random, table: tuple[list[Any], list[float]]) -> Any:
    values, cumulative = table
    return values[min(bisect(cumulative, rng.random() * cumulative[-1]), len(values) - 1)]


CATEGORY_CHOICES = _weights([(c, s) for c, s, _t in CATEGORY_SHAPE])
TO_SUPPORT = {c: t for c, _s, t in CATEGORY_SHAPE}
PRIORITY_CHOICES = _weights(PRIORITIES)
REASON_CHOICES = _weights(HANDOFF_REASONS)
SCORE_CHOICES = {kind: _weights(list(weights.items())) for kind, weights in SCORES.items()}
SCALES = {"csat": [1, 5], "nps": [0, 10], "ces": [1, 7]}
ROUNDS = {True: _weights([(0, 30), (1, 38), (2, 22), (3, 10)]), False: _weights([(0, 45), (1, 35), (2, 15), (3, 5)])}


class _Table:
    """Rows of one model written in bulk, without a model instance per row: a row is a list of the table's
    columns in order (``row``), ids are taken from the table's sequence (``ids``), and ``write`` sends them
    with COPY (PostgreSQL) or one ``executemany`` (SQLite). Every column is given, as the model would have
    it: the fields' defaults where the story gives no value, ``auto_now`` times as the story says."""

    def __init__(self, model: type[models.Model], vendor: str) -> None:
        meta = model._meta
        fields = list(meta.concrete_fields)
        self.name = meta.db_table
        self.vendor = vendor
        self.columns = [f.column for f in fields]
        self.index = {f.attname: n for n, f in enumerate(fields)}
        self.pk = self.index[meta.pk.attname]
        self.json = [n for n, f in enumerate(fields) if isinstance(f, models.JSONField)]
        self.times = [n for n, f in enumerate(fields) if isinstance(f, models.DateTimeField)]
        self.template: list[Any] = [None if f.primary_key else f.get_default() for f in fields]
        for n in self.json:
            self.template[n] = json.dumps(self.template[n])

    def row(self, **values: Any) -> list[Any]:
        row = self.template.copy()
        index = self.index
        for name, value in values.items():
            row[index[name]] = value
        return row

    def set(self, row: list[Any], **values: Any) -> None:
        for name, value in values.items():
            row[self.index[name]] = value

    def ids(self, count: int) -> list[int]:
        """``count`` new ids, as the database would hand them out."""
        if not count:
            return []
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                               [self.name, self.columns[self.pk], count])
                return [n for (n,) in cursor.fetchall()]
            cursor.execute(f'SELECT MAX("{self.columns[self.pk]}") FROM "{self.name}"')  # noqa: S608
            top = cursor.fetchone()[0] or 0
            if self.vendor == "sqlite":
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [self.name])
                found = cursor.fetchone()
                top = max(top, found[0] if found else 0)
        return list(range(top + 1, top + 1 + count))

    def number(self, rows: list[list[Any]]) -> None:
        """Give the rows their ids (before other rows point to them)."""
        for row, pk in zip(rows, self.ids(len(rows)), strict=True):
            row[self.pk] = pk

    def write(self, rows: list[list[Any]]) -> int:
        """Insert the rows (numbered with ``number``, or all without an id); returns how many."""
        if not rows:
            return 0
        dumps = json.dumps
        times = self.times if self.vendor != "postgresql" else []
        for row in rows:
            for n in self.json:
                value = row[n]
                if value is not None and not isinstance(value, str):
                    row[n] = dumps(value)
            for n in times:  # SQLite keeps UTC times as text, as Django writes them
                value = row[n]
                if value is not None:
                    row[n] = str(value.astimezone(UTC).replace(tzinfo=None))
        names = self.columns
        if rows[0][self.pk] is None:  # not numbered (nothing points to these rows): the database numbers them
            assert self.pk == 0
            names, rows = names[1:], [row[1:] for row in rows]
        columns = ", ".join(f'"{c}"' for c in names)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                with cursor.cursor.copy(f'COPY "{self.name}" ({columns}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(names))
                cursor.executemany(f'INSERT INTO "{self.name}" ({columns}) VALUES ({marks})', rows)  # noqa: S608
        return len(rows)


class _Tables:
    def __init__(self, vendor: str) -> None:
        self.contact = _Table(Contact, vendor)
        self.identity = _Table(Identity, vendor)
        self.conversation = _Table(Conversation, vendor)
        self.message = _Table(Message, vendor)
        self.event = _Table(Event, vendor)
        self.bot = _Table(BotConversation, vendor)
        self.invitation = _Table(Invitation, vendor)
        self.response = _Table(Response, vendor)
        assert self.message.pk == self.invitation.pk == 0  # events name them by their first column


# ---------------------------------------------------------------- who and where


class _Hours:
    """A team's business calendar (``sla.calendar``) as the list of its open intervals over the history's
    months, answering ``add`` / ``between`` / ``is_open`` with a binary search: the same answers as the
    calendar's, a few times faster (the history asks millions of them). Outside the range: the calendar."""

    def __init__(self, calendar: BusinessCalendar, since: datetime, until: datetime) -> None:
        self.calendar, self.since, self.until = calendar, since, until
        self.starts: list[datetime] = []
        self.lengths: list[float] = []
        self.before: list[float] = []  # open seconds from ``since`` to each interval's start
        self.after: list[float] = []  # … to each interval's end
        total = 0.0
        for opens, closes in calendar.open_intervals(since, until):
            length = (closes - opens).total_seconds()
            self.starts.append(opens)
            self.lengths.append(length)
            self.before.append(total)
            total += length
            self.after.append(total)

    def _inside(self, *moments: datetime) -> bool:
        return bool(self.starts) and all(self.since <= m < self.until for m in moments)

    def _position(self, moment: datetime) -> float:
        n = bisect(self.starts, moment) - 1
        if n < 0:
            return 0.0
        return self.before[n] + min((moment - self.starts[n]).total_seconds(), self.lengths[n])

    def is_open(self, moment: datetime) -> bool:
        if not self._inside(moment):
            return self.calendar.is_open(moment)
        n = bisect(self.starts, moment) - 1
        return n >= 0 and (moment - self.starts[n]).total_seconds() < self.lengths[n]

    def add(self, start: datetime, seconds: float) -> datetime:
        """When ``seconds`` of open time have passed since ``start`` (a target used up at closing time is due
        then, as the calendar says)."""
        if seconds > 0 and self._inside(start):
            target = self._position(start) + seconds
            n = bisect_left(self.after, target)
            if n < len(self.starts):
                return self.starts[n] + timedelta(seconds=target - self.before[n])
        return self.calendar.add(start, timedelta(seconds=max(seconds, 0.0)))

    def between(self, start: datetime, end: datetime) -> float:
        if self._inside(start, end):
            return self._position(end) - self._position(start)
        return self.calendar.between(start, end).total_seconds()



@dataclass
class _Team:
    pk: int
    kind: str
    assignment: str
    hours: _Hours
    #: (user id, speed factor: below 1 answers faster)
    agents: list[tuple[int, float]]
    #: priority → (first response, resolution) target in minutes, or None without a policy
    targets: dict[int, tuple[int | None, int | None] | None] = field(default_factory=dict)


@dataclass
class _Cast:
    channels: list[Channel]
    channel_cumulative: list[float]
    teams: dict[int, _Team]
    service: list[int]
    support: list[int]
    default_team: dict[int, int]  # channel id → the team its conversations start in
    surveys: dict[str, Survey]
    with_sla: bool


def _cast(rng: random.Random, since: datetime, until: datetime) -> _Cast:
    """The channels, teams and agents to write history for; a minimal set made first where there are none.
    Their business hours are read for ``since`` … ``until``."""
    _ensure_minimal_set()
    channels = list(Channel.objects.filter(is_active=True).order_by("pk"))
    teams = list(Team.objects.order_by("pk"))
    members: dict[int, list[tuple[int, str]]] = {t.pk: [] for t in teams}
    everyone = []
    for user_id, role, team_id in AgentProfile.objects.filter(user__is_active=True).values_list(
            "user_id", "role", "teams"):
        everyone.append(user_id)
        if team_id is not None:
            members[team_id].append((user_id, role))
    cast_teams: dict[int, _Team] = {}
    for team in teams:
        people = [u for u, role in members[team.pk] if role == AgentProfile.Role.AGENT] or \
                 [u for u, _r in members[team.pk]] or sorted(set(everyone))[:1]
        agents = [(u, rng.uniform(0.65, 1.5)) for u in sorted(set(people))]
        targets: dict[int, tuple[int | None, int | None] | None] = {}
        for priority, _w in PRIORITIES:
            found = policy_for(team.pk, priority)
            targets[priority] = (found[0].first_response_minutes, found[0].resolution_minutes) if found else None
        hours = _Hours(calendar_for_team(team.pk), since, until)
        cast_teams[team.pk] = _Team(team.pk, team.kind, team.assignment, hours, agents,
                                    targets)
    service = [t.pk for t in teams if t.kind == Team.Kind.SERVICE]
    support = [t.pk for t in teams if t.kind == Team.Kind.SUPPORT]
    default_team = {c.pk: c.default_team_id if c.default_team_id in cast_teams else (service or support)[0]
                    for c in channels}
    per_kind = Counter(c.kind for c in channels)
    _values, cumulative = _weights([(c, CHANNEL_SHARES.get(c.kind, OTHER_CHANNEL_SHARE) / per_kind[c.kind])
                                    for c in channels])
    surveys = {}
    for kind in ("csat", "nps", "ces"):
        found_survey = Survey.objects.filter(kind=kind).order_by("-active", "pk").first()
        if found_survey is not None:
            surveys[kind] = found_survey
    return _Cast(channels, cumulative, cast_teams, service, support, default_team, surveys,
                 with_sla=any(t.targets.get(2) for t in cast_teams.values()))


def _ensure_minimal_set() -> None:
    """On a database without them: a Service and a Support team with two agents each, a website chat and a
    LINE account (no credentials: nothing is sent anywhere)."""
    from ruamchat.accounts.actions import create_agent, create_team
    from ruamchat.connectors.actions import create_channel

    teams = {kind: Team.objects.filter(kind=kind).order_by("pk").first() for kind in Team.Kind.values}
    for kind, name in (("service", "ฝ่ายบริการลูกค้า"), ("support", "ฝ่ายซัพพอร์ต")):
        if teams[kind] is None:
            taken = Team.objects.filter(name=name).exists()
            teams[kind] = create_team(actor=None, name=f"{name} ({kind})" if taken else name, kind=kind,
                                      assignment="least_busy" if kind == "support" else "manual")
    for kind, names in (("service", ("สมชาย", "กัญญา")), ("support", ("วิชัย", "พิมพ์"))):
        team = teams[kind]
        assert team is not None
        if not AgentProfile.objects.filter(teams=team).exists():
            for n, name in enumerate(names):
                username = f"history-{kind}-{n + 1}"
                while AgentProfile.objects.filter(user__username=username).exists():
                    username += "x"
                create_agent(actor=None, username=username, password=None, display_name=name, teams=[team])
    if not Channel.objects.filter(is_active=True).exists():
        create_channel(actor=None, kind="website", name="เว็บไซต์ร้าน", default_team=teams["service"])
        Channel.objects.create(kind="line", name="LINE @shop", default_team=teams["service"])


# ---------------------------------------------------------------- one conversation's story


class _Story:
    """What happened in one conversation, up to ``now``: its messages and events (rows) and final state."""

    __slots__ = ("assignee", "bot", "breached", "cut", "events", "first_customer", "first_reply_at", "handover",
                 "invitations", "lang", "last_at", "last_text", "messages", "now", "paused", "reopened",
                 "resolved_at", "status", "t", "table", "team", "waiting_since")

    def __init__(self, table: _Table, now: datetime, start: datetime, team: int, lang: int) -> None:
        self.table = table
        self.now = now
        self.t = start
        self.cut = False
        self.status: str = Status.OPEN
        self.team = team
        self.assignee: int | None = None
        self.lang = lang
        self.messages: list[list[Any]] = []
        #: (at, kind, actor id, data, references: data key → the row of a message or invitation)
        self.events: list[tuple[datetime, str, int | None, dict[str, Any], dict[str, list[Any]] | None]] = []
        self.first_customer: datetime | None = None
        self.first_reply_at: datetime | None = None
        self.resolved_at: datetime | None = None
        self.waiting_since: datetime | None = None
        self.reopened = 0
        self.last_at = start
        self.last_text = ""
        self.handover: dict[str, Any] = {}
        self.bot: dict[str, Any] | None = None  # the BotConversation's fields
        #: (invitation row, the row of the message that asked, the answer's fields)
        self.invitations: list[tuple[list[Any], list[Any], dict[str, Any] | None]] = []
        self.breached: set[str] = set()
        self.paused = 0.0  # business seconds spent pending (the resolution clock's pause)

    def at(self, moment: datetime) -> bool:
        """Move the story's clock; False (and the story ends) when that moment has not come yet."""
        if self.cut or moment >= self.now:
            self.cut = True
            return False
        self.t = moment
        return True

    def event(self, kind: str, actor: int | None, data: dict[str, Any],
              refs: dict[str, list[Any]] | None = None, moment: datetime | None = None) -> None:
        self.events.append((min(moment or self.t, self.now), kind, actor, data, refs))

    def message(self, direction: str, sender: str, text: str, user: int | None = None, *, private: bool = False,
                metadata: dict[str, Any] | None = None, moment: datetime | None = None) -> list[Any]:
        moment = min(moment or self.t, self.now)
        if direction == In:
            status = Message.Status.RECEIVED
        else:
            status = Message.Status.SENT if private or sender != Message.Sender.AGENT else Message.Status.READ
        row = self.table.row(direction=direction, sender_type=sender, sender_user_id=user, is_private=private,
                             text=text, status=status, metadata=metadata or {}, created_at=moment,
                             sent_at=None if direction == In else moment)
        self.messages.append(row)
        if not private and moment >= self.last_at:
            self.last_at, self.last_text = moment, text
        return row

    def customer(self, text: str) -> list[Any]:
        if self.first_customer is None:
            self.first_customer = self.t
        if self.waiting_since is None:
            self.waiting_since = self.t
        return self.message(In, Message.Sender.CONTACT, text)


class _Writer:
    def __init__(self, cast: _Cast, tables: _Tables, rng: random.Random, now: datetime, backlog: bool) -> None:
        self.cast, self.tables, self.rng, self.now, self.backlog = cast, tables, rng, now, backlog
        self.held_since = now - timedelta(days=HELD_DAYS)

    # -- small draws

    def pick(self, options: tuple[tuple[str, ...], tuple[str, ...]], lang: int) -> str:
        texts = options[lang] or options[0]
        return texts[int(self.rng.random() * len(texts))]

    def lognormal(self, median: float, sigma: float) -> float:
        return median * math.exp(self.rng.gauss(0.0, sigma))

    def later(self, story: _Story, seconds: float) -> datetime:
        return story.t + timedelta(seconds=max(seconds, 1.0))

    def customer_gap(self) -> float:
        return max(10.0, self.lognormal(300, 1.3))

    def agent_of(self, team: _Team) -> tuple[int, float] | None:
        return team.agents[int(self.rng.random() * len(team.agents))] if team.agents else None

    def speed_of(self, team: _Team, user: int | None) -> float:
        for agent, speed in team.agents:
            if agent == user:
                return speed
        return 1.0

    def answer_at(self, team: _Team, start: datetime, business_seconds: float) -> datetime:
        """When a person answers: ``business_seconds`` of the team's opening hours after ``start``; outside
        them, sometimes an agent on evening duty answers within minutes."""
        hours = team.hours
        if self.rng.random() < 0.3 and not hours.is_open(start):
            return start + timedelta(seconds=max(30.0, self.lognormal(600, 0.8)))
        return hours.add(start, max(business_seconds, 20.0))

    def first_response_seconds(self, team: _Team, priority: int, speed: float) -> float:
        rng = self.rng
        if team.kind == Team.Kind.SUPPORT:
            base = self.lognormal(600, 1.0) if rng.random() < 0.8 else self.lognormal(5400, 0.8)
        else:
            base = self.lognormal(180, 0.9) if rng.random() < 0.89 else self.lognormal(2400, 0.8)
        return base * speed * PRIORITY_SPEED[priority]

    def breach(self, story: _Story, team: _Team, priority: int, clock_name: str, started: datetime,
               until: datetime, paused: float = 0.0) -> None:
        """Announce the SLA breach of ``clock_name`` when the target was missed before ``until``, at the moment
        it was (or when the clock started running again, for one that was already over)."""
        targets = team.targets.get(priority)
        if not targets or clock_name in story.breached:
            return
        minutes = targets[0] if clock_name == "first_response" else targets[1]
        if not minutes:
            return
        due = team.hours.add(started, minutes * 60 + paused)
        if due < until and due < self.now:
            story.breached.add(clock_name)
            story.event(Event.Kind.SLA_BREACHED, None, {"clock": clock_name, "due_at": due.isoformat()},
                        moment=max(due, story.t))

    # -- the story

    def tell(self, created: datetime, channel: Channel, lang: int) -> tuple[_Story, dict[str, Any]]:
        rng = self.rng
        cast = self.cast
        team = cast.teams[cast.default_team[channel.pk]]
        category = _draw(rng, CATEGORY_CHOICES)
        priority = _draw(rng, PRIORITY_CHOICES)
        if category in ("payment", "technical") and priority == 2 and rng.random() < 0.2:
            priority = 1
        story = _Story(self.tables.message, self.now, created, team.pk, lang)
        facts = {"category": category if category != "other" else "", "priority": priority, "team_kind": team.kind}
        story.event(Event.Kind.CREATED, None, {"channel": channel.kind, "team_id": team.pk})
        story.customer(self.pick(OPENERS[category], lang))
        if rng.random() < 0.35 and story.at(self.later(story, rng.uniform(5, 90))):
            story.customer(self.pick(SECOND_LINES, lang))
        bot = channel.kind in BOT_KINDS and rng.random() < BOT_SHARE
        if bot and not self._bot(story, channel, lang):
            return story, facts
        if not story.cut:
            self._people(story, team, priority, category, created)
        if story.status in (Status.OPEN, Status.PENDING) and not self.backlog:
            self._finish(story, cast.teams[story.team])
        elif story.status == Status.OPEN:  # still open now: its resolution clock may be over already
            self.breach(story, cast.teams[story.team], priority, "resolution", created, self.now, story.paused)
        return story, facts

    def _finish(self, story: _Story, team: _Team) -> None:
        """No backlog: what is still open now was dealt with in the last minutes (resolved; closed when nobody
        had answered)."""
        story.t = min(story.t + timedelta(seconds=self.lognormal(600, 0.8)), self.now - timedelta(seconds=30))
        story.events = [e for e in story.events if e[0] <= story.t or e[1] != Event.Kind.SLA_BREACHED]
        actor = story.assignee or (self.agent_of(team) or (None, 1.0))[0]
        self._status(story, actor, Status.RESOLVED if story.first_reply_at else Status.CLOSED, snoozed_until=None)

    def _bot(self, story: _Story, channel: Channel, lang: int) -> bool:
        """The chatbot answers first; True when it handed the conversation to a person (who carries on)."""
        rng = self.rng
        story.status = Status.BOT
        state = story.bot = {"channel_id": channel.pk, "state": BotConversation.State.ACTIVE, "greeted": True,
                             "language": "en" if lang else "th", "started_at": story.t, "updated_at": story.t}
        if not story.at(self.later(story, rng.uniform(2, 6))):
            return False
        story.message(Out, Message.Sender.BOT, self.pick(BOT_ANSWER, lang), metadata={"bot": "answer"})
        story.event(Event.Kind.BOT_ANSWERED, None, {
            "answer": "answer", "confidence": round(rng.uniform(0.25, 0.9), 3),
            "articles": [{"article_id": None, "title": ARTICLES[int(rng.random() * len(ARTICLES))]}]})
        state.update(messages_sent=1, last_answer_at=story.t, awaiting="feedback", updated_at=story.t,
                     quiet_check_at=story.t + timedelta(minutes=60))
        if rng.random() < BOT_RESOLVES:
            confirmed = rng.random() < 0.6
            wait = rng.uniform(20, 400) if confirmed else 3600 + rng.uniform(0, 300)
            if not story.at(self.later(story, wait)):
                return False
            if confirmed:
                story.customer(self.pick(THANKS, lang))
                story.at(self.later(story, 2))
                story.message(Out, Message.Sender.BOT, self.pick(BOT_DONE, lang), metadata={"bot": "resolved"})
                state["messages_sent"] = 2
            outcome = BotConversation.Outcome.CONFIRMED if confirmed else BotConversation.Outcome.QUIET
            story.event(Event.Kind.BOT_RESOLVED, None, {"outcome": outcome})
            story.status, story.resolved_at, story.waiting_since = Status.RESOLVED, story.t, None
            state.update(state=BotConversation.State.RESOLVED, outcome=outcome, awaiting="", ended_at=story.t,
                         updated_at=story.t, quiet_check_at=None)
            return False
        reason = _draw(rng, REASON_CHOICES)
        if not story.at(self.later(story, rng.uniform(30, 300))):
            return False
        if reason in HANDOFF_LINES:
            story.customer(self.pick(HANDOFF_LINES[reason], lang))
        story.event(Event.Kind.BOT_HANDOFF, None, {"reason": reason, "articles": []})
        story.status = Status.OPEN
        story.handover = {"kind": "bot", "reason": reason, "by": "bot", "at": story.t.isoformat(), "articles": []}
        if reason != "window":
            story.message(Out, Message.Sender.BOT, self.pick(BOT_HANDOFF, lang), metadata={"bot": "handoff"},
                          moment=story.t + timedelta(seconds=1))
            state["messages_sent"] += 1
        state.update(state=BotConversation.State.HANDED_OFF, reason=reason, awaiting="", ended_at=story.t,
                     updated_at=story.t, quiet_check_at=None)
        return True

    def _auto_assign(self, story: _Story, team: _Team) -> None:
        """A team that hands out its work assigns at once; in a manual one an agent sometimes takes it first."""
        manual = team.assignment == Team.Assignment.MANUAL
        if manual and self.rng.random() < 0.7:
            return
        agent = self.agent_of(team)
        if agent is None:
            return
        story.assignee = agent[0]
        if manual:  # inbox.actions.claim
            story.event(Event.Kind.ASSIGNED, agent[0], {"assignee_id": agent[0], "previous_id": None},
                        moment=story.t + timedelta(seconds=self.rng.uniform(5, 60)))
        else:  # routing.actions.auto_assign
            story.event(Event.Kind.ASSIGNED, None, {"assignee_id": agent[0], "reason": "auto",
                                                    "strategy": team.assignment},
                        moment=story.t + timedelta(seconds=1))

    def _reply(self, story: _Story, team: _Team, text: str) -> list[Any]:
        """A person answers (the assignee, else someone of the team, who takes it)."""
        actor = story.assignee
        if actor is None:
            agent = self.agent_of(team)
            actor = agent[0] if agent else None
        message = story.message(Out, Message.Sender.AGENT, text, actor)
        if story.first_reply_at is None:
            story.first_reply_at = story.t
            story.event(Event.Kind.FIRST_REPLY, actor, {"message_id": None}, {"message_id": message})
        if story.assignee is None and actor is not None:
            story.assignee = actor
            story.event(Event.Kind.ASSIGNED, actor, {"assignee_id": actor, "reason": "replied"})
        story.waiting_since = None
        story.handover = {}
        return message

    def _status(self, story: _Story, actor: int | None, new: str, **extra: Any) -> None:
        story.event(Event.Kind.STATUS_CHANGED, actor, {"old": story.status, "new": new, **extra})
        if new == Status.RESOLVED:
            story.resolved_at = story.t
            story.waiting_since = None
        elif new == Status.CLOSED:
            story.resolved_at = story.resolved_at or story.t
            story.waiting_since = None
        story.status = new

    def _people(self, story: _Story, team: _Team, priority: int, category: str, created: datetime) -> None:
        rng, cast = self.rng, self.cast
        lang = story.lang
        self._auto_assign(story, team)
        if rng.random() < NO_REPLY:
            close = team.hours.add(story.t, rng.uniform(1, 30) * 3600)
            self.breach(story, team, priority, "first_response", created, close)
            if not story.at(close):
                return
            agent = story.assignee or (self.agent_of(team) or (None, 1.0))[0]
            self._status(story, agent, Status.CLOSED, snoozed_until=None)
            return
        speed = self.speed_of(team, story.assignee) if story.assignee else rng.uniform(0.7, 1.4)
        first = self.answer_at(team, story.t, self.first_response_seconds(team, priority, speed))
        self.breach(story, team, priority, "first_response", created, first)
        if not story.at(first):
            return
        self._reply(story, team, self.pick(AGENT_FIRST, lang))
        # to the other kind of team: mostly Service → Support for technical, refund and payment work
        moved = None
        if team.kind == Team.Kind.SERVICE and cast.support and rng.random() < TO_SUPPORT[category] * 0.8:
            moved = cast.teams[cast.support[int(rng.random() * len(cast.support))]]
            reasons = TRANSFER_REASONS
        elif team.kind == Team.Kind.SUPPORT and cast.service and rng.random() < 0.03:
            moved = cast.teams[cast.service[int(rng.random() * len(cast.service))]]
            reasons = BACK_REASONS
        if moved is not None:
            if not story.at(team.hours.add(story.t, rng.uniform(60, 1200))):
                return
            actor = story.assignee
            reason = reasons[int(rng.random() * len(reasons))]
            if rng.random() < 0.6:
                story.message(Out, Message.Sender.AGENT, NOTES[int(rng.random() * len(NOTES))], actor, private=True,
                              metadata={"handover": True})
            story.event(Event.Kind.TRANSFERRED, actor, {"reason": reason, "from_team_id": team.pk,
                                                        "to_team_id": moved.pk, "from_agent_id": actor,
                                                        "to_agent_id": None})
            story.handover = {"reason": reason, "from_team_id": team.pk, "by": "", "at": story.t.isoformat()}
            story.team, story.assignee, team = moved.pk, None, moved
            self._auto_assign(story, team)
            speed = self.speed_of(team, story.assignee) if story.assignee else 1.0
            if not story.at(self.answer_at(team, story.t, self.first_response_seconds(team, priority, speed))):
                return
            self._reply(story, team, self.pick(AGENT_LINES, lang))
        # a few more exchanges; support cases wait for the customer more often
        support = team.kind == Team.Kind.SUPPORT
        rounds = _draw(rng, ROUNDS[support])
        held = created >= self.held_since and rng.random() < HELD_PENDING
        if rng.random() < 0.1:
            story.message(Out, Message.Sender.AGENT, NOTES[int(rng.random() * len(NOTES))], story.assignee,
                          private=True, moment=story.t + timedelta(seconds=30))
        for n in range(rounds + (1 if held else 0)):
            last = n == rounds
            if (held and last) or rng.random() < (0.25 if support else 0.08):
                if not story.at(self.later(story, rng.uniform(20, 300))):
                    return
                self._status(story, story.assignee, Status.PENDING, snoozed_until=None)
                if held and last:
                    return  # waiting for the customer still
                pause_start = story.t
                if not story.at(self.later(story, self.lognormal(6 * 3600, 1.0))):
                    return
                story.paused += team.hours.between(pause_start, story.t)
                story.event(Event.Kind.STATUS_CHANGED, None, {"old": Status.PENDING, "new": Status.OPEN,
                                                              "reason": "customer_replied"})
                story.status = Status.OPEN
            elif not story.at(self.later(story, self.customer_gap())):
                return
            story.customer(self.pick(CUSTOMER_LINES, lang))
            speed = self.speed_of(team, story.assignee)
            if not story.at(self.answer_at(team, story.t, self.lognormal(240 if support else 120, 1.0) * speed)):
                return
            self._reply(story, team, self.pick(AGENT_LINES, lang))
        if rng.random() < 0.4 and story.at(self.later(story, self.customer_gap())):
            story.customer(self.pick(THANKS, lang))
        if story.cut:
            return
        # most are settled within minutes; some support cases need days of investigation (a claim, a repair)
        if support and rng.random() < 0.2:
            resolved = team.hours.add(story.t, self.lognormal(16 * 3600, 0.7))
        else:
            resolved = self.answer_at(team, story.t, self.lognormal(1800 if support else 600, 1.1))
        self.breach(story, team, priority, "resolution", created, resolved, story.paused)
        if not story.at(resolved):
            return
        resolver = story.assignee
        self._status(story, resolver, Status.RESOLVED, snoozed_until=None)
        self._surveys(story, team, resolver)
        if rng.random() < REOPENED:
            if not story.at(self.later(story, rng.uniform(2 * 3600, 48 * 3600))):
                return
            story.event(Event.Kind.REOPENED, None, {"previous_resolved_at": str(story.resolved_at)})
            story.status, story.resolved_at, story.reopened = Status.OPEN, None, story.reopened + 1
            story.customer(self.pick(CUSTOMER_LINES, lang))
            if not story.at(self.answer_at(team, story.t, self.lognormal(300, 1.0))):
                return
            self._reply(story, team, self.pick(AGENT_LINES, lang))
            if not story.at(self.answer_at(team, story.t, self.lognormal(900, 1.0))):
                return
            self._status(story, story.assignee, Status.RESOLVED, snoozed_until=None)
        if rng.random() < CLOSED and story.at(self.later(story, rng.uniform(86400, 3 * 86400))):
            self._status(story, story.assignee, Status.CLOSED, snoozed_until=None)

    def _surveys(self, story: _Story, team: _Team, resolver: int | None) -> None:
        """CSAT after a Service team's conversation; CES right after a Support case and NPS a week later."""
        rng = self.rng
        if rng.random() >= SURVEYED:
            return
        kinds = [("csat", 60.0)] if team.kind == Team.Kind.SERVICE else [("ces", 60.0)]
        if team.kind == Team.Kind.SUPPORT and rng.random() < NPS_LATER:
            kinds.append(("nps", 7 * 86400.0))
        language = "en" if story.lang else "th"
        for kind, delay in kinds:
            survey = self.cast.surveys.get(kind)
            sent = story.t + timedelta(seconds=delay + rng.uniform(0, 120))
            if survey is None or sent >= self.now:
                continue
            message = story.message(Out, Message.Sender.SYSTEM, self.pick(SURVEY_ASK[kind], story.lang),
                                    metadata={"survey": {"kind": kind, "scale": SCALES[kind]}}, moment=sent)
            invitation = self.tables.invitation.row(
                survey_id=survey.pk, kind=kind, language=language, status=Invitation.Status.SENT, send_at=sent,
                sent_at=sent, expires_at=sent + timedelta(days=survey.expires_days), team_id=story.team,
                agent_id=resolver, created_at=sent, token=secrets.token_urlsafe(24))
            story.event(Event.Kind.SURVEY_SENT, None, {"invitation_id": None, "survey": kind, "message_id": None},
                        {"invitation_id": invitation, "message_id": message}, moment=sent)
            answered = sent + timedelta(seconds=max(30.0, self.lognormal(1200, 1.2)))
            response = None
            if rng.random() < ANSWERED and answered < self.now:
                score = _draw(rng, SCORE_CHOICES[kind])
                self.tables.invitation.set(invitation, opened_at=answered - timedelta(seconds=30),
                                           answered_at=answered)
                response = {"survey_id": survey.pk, "kind": kind, "score": score, "language": language,
                            "via": Response.Via.PAGE, "team_id": story.team, "agent_id": resolver,
                            "answered_at": answered, "updated_at": answered}
                if rng.random() < COMMENTED:
                    good, bad = {"csat": (4, 2), "nps": (9, 6), "ces": (5, 3)}[kind]
                    sentiment = "positive" if score >= good else "negative" if score <= bad else "neutral"
                    options = COMMENTS[sentiment]
                    comment, topics = options[int(rng.random() * len(options))]
                    response.update(comment=comment, topics=list(topics), sentiment=sentiment, sentiment_score={
                        "positive": rng.uniform(0.55, 0.95), "neutral": rng.uniform(-0.15, 0.2),
                        "negative": rng.uniform(-0.95, -0.4)}[sentiment])
                story.event(Event.Kind.SURVEY_ANSWERED, None, {"invitation_id": None, "survey": kind, "score": score},
                            {"invitation_id": invitation}, moment=answered)
            elif rng.random() < 0.3:
                self.tables.invitation.set(invitation,
                                           opened_at=min(sent + timedelta(minutes=rng.uniform(1, 600)), self.now))
            story.invitations.append((invitation, message, response))


# ---------------------------------------------------------------- when


def _moments(rng: random.Random, count: int, days: int, now: datetime) -> list[datetime]:
    """``count`` moments over the last ``days`` local days, shaped like the shop's traffic, oldest first."""
    zone = ZoneInfo(settings.TIME_ZONE)
    today = timezone.localtime(now, zone).date()
    first = today - timedelta(days=days - 1)
    dates = [first + timedelta(days=n) for n in range(days)]
    weights = []
    for n, day in enumerate(dates):
        weight = WEEKDAYS[day.weekday()] * SALE_DAYS.get((day.month, day.day), 1.0)
        weight *= (0.85 + 0.3 * n / max(days - 1, 1)) * max(0.5, rng.gauss(1.0, 0.08))
        weights.append(weight)
    day_values, day_cumulative = _weights(list(enumerate(weights)))
    hour_values, hour_cumulative = _weights(list(enumerate(HOURS)))
    midnights = [datetime.combine(d, wall(0), tzinfo=zone).astimezone(UTC) for d in dates]
    picked_days = rng.choices(day_values, cum_weights=day_cumulative, k=count)
    picked_hours = rng.choices(hour_values, cum_weights=hour_cumulative, k=count)
    latest = now - timedelta(minutes=2)
    moments = []
    for day, hour in zip(picked_days, picked_hours, strict=True):
        moment = midnights[day] + timedelta(seconds=hour * 3600 + rng.random() * 3600)
        while moment > latest:  # not in the future: the same hour a day earlier
            moment -= timedelta(days=1)
        moments.append(moment)
    moments.sort()
    return moments


def _name(n: int) -> str:
    return f"{FIRST_NAMES[(n * 7919) % len(FIRST_NAMES)]} {LAST_NAMES[(n * 104729) % len(LAST_NAMES)]}".strip()


def _external_id(tag: str, kind: str, n: int, second: bool = False) -> str:
    base = f"{EXTERNAL_PREFIX}{tag}-{n}{'b' if second else ''}"
    return f"{base}@example.com" if kind == "email" else base


# ---------------------------------------------------------------- writing


@dataclass
class _People:
    """The customers written so far, by index: their contact and first identity, usual channel and language,
    and the second channel some of them use (channel index, identity id)."""

    tag: str  # in every external id of this run (a second run writes new customers)
    contact_ids: array[int] = field(default_factory=lambda: array("q"))
    identity_ids: array[int] = field(default_factory=lambda: array("q"))
    channel: array[int] = field(default_factory=lambda: array("H"))
    lang: bytearray = field(default_factory=bytearray)
    second: dict[int, tuple[int, int]] = field(default_factory=dict)


def generate(*, conversations: int, days: int, seed: int = 7, now: datetime | None = None,
             batch: int = 5000, backlog: bool = True) -> dict[str, Any]:
    """Write ``conversations`` past conversations over the last ``days`` days (see the module's docstring),
    one transaction per ``batch`` of them. ``backlog=False``: none is left open or pending for a team (the
    conversations of the last hours were just resolved), so the team queues show only newer ones. Returns how
    many rows of each kind were written and the seconds it took."""
    started = clock.perf_counter()
    rng = random.Random(seed)
    now = now or timezone.now()
    counts: Counter[str] = Counter()
    if conversations <= 0:
        return {**counts, "seconds": 0.0}
    cast = _cast(rng, now - timedelta(days=days + 2), now + timedelta(days=60))
    writer = _Writer(cast, _Tables(connection.vendor), rng, now, backlog)
    moments = _moments(rng, conversations, max(days, 1), now)
    people = _People(tag=f"{seed}{secrets.token_hex(3)}")
    active: list[int] = []
    for start in range(0, conversations, batch):
        with transaction.atomic():  # the ids are taken and used in one transaction (SQLite: MAX(id) + 1 …)
            _store(_make_batch(writer, moments[start:start + batch], people, counts, active))
    if cast.with_sla and active:
        _set_sla_clocks(active, now)
    counts["active"] = len(active)
    return {**counts, "seconds": round(clock.perf_counter() - started, 2)}


def _make_batch(writer: _Writer, moments: list[datetime], people: _People, counts: Counter[str],
                active: list[int]) -> list[tuple[_Table, list[list[Any]]]]:
    """The rows of the conversations starting at ``moments``, numbered, for ``_store``."""
    rng, tables = writer.rng, writer.tables
    channels = writer.cast.channels
    channel_table = (list(range(len(channels))), writer.cast.channel_cumulative)
    # who writes: a returning customer (on their usual channel, sometimes on another) or a new one
    who: list[tuple[int, int, bool]] = []  # (contact index, channel index, on their second channel)
    contacts: list[list[Any]] = []
    identities: list[list[Any]] = []
    seconds: list[tuple[int, list[Any]]] = []  # (contact index, identity row) on a second channel
    stored = len(people.contact_ids)
    for moment in moments:
        known = stored + len(contacts)  # the ones of this batch are written before their conversations
        if known > 30 and rng.random() < RETURNING:
            contact = int(rng.random() * known)
            usual = people.channel[contact]
            if contact in people.second:
                if rng.random() < 0.5:
                    who.append((contact, people.second[contact][0], True))
                    continue
            elif len(channels) > 1 and rng.random() < SECOND_CHANNEL:
                other = _draw(rng, channel_table)
                if other != usual:
                    identity = tables.identity.row(
                        channel_id=channels[other].pk, display_name=_name(contact), created_at=moment,
                        external_id=_external_id(people.tag, channels[other].kind, contact, True))
                    seconds.append((contact, identity))
                    people.second[contact] = (other, 0)
                    who.append((contact, other, True))
                    continue
            who.append((contact, usual, False))
            continue
        contact = known
        channel = _draw(rng, channel_table)
        lang = 1 if rng.random() < 0.18 else 0
        kind = channels[channel].kind
        contacts.append(tables.contact.row(
            name=_name(contact), language="en" if lang else "th", created_at=moment, last_seen_at=moment,
            email=_external_id(people.tag, "email", contact) if kind == "email" else ""))
        people.channel.append(channel)
        people.lang.append(lang)
        identities.append(tables.identity.row(channel_id=channels[channel].pk, display_name=_name(contact),
                                              created_at=moment, external_id=_external_id(people.tag, kind, contact)))
        who.append((contact, channel, False))
    tables.contact.number(contacts)
    people.contact_ids.extend(row[tables.contact.pk] for row in contacts)
    contact_of = tables.identity.index["contact_id"]
    for n, identity in enumerate(identities):
        identity[contact_of] = people.contact_ids[stored + n]
    for contact, identity in seconds:
        identity[contact_of] = people.contact_ids[contact]
    new_identities = [*identities, *(row for _c, row in seconds)]
    tables.identity.number(new_identities)
    people.identity_ids.extend(row[tables.identity.pk] for row in identities)
    for contact, identity in seconds:
        people.second[contact] = (people.second[contact][0], identity[tables.identity.pk])
    counts["contacts"] += len(contacts)
    counts["identities"] += len(new_identities)

    stories: list[_Story] = []
    rows: list[list[Any]] = []
    for moment, (contact, channel_index, other) in zip(moments, who, strict=True):
        channel = channels[channel_index]
        story, facts = writer.tell(moment, channel, people.lang[contact])
        stories.append(story)
        waiting = story.waiting_since if story.status in (Status.OPEN, Status.BOT) else None
        rows.append(tables.conversation.row(
            channel_id=channel.pk, contact_id=people.contact_ids[contact], team_id=story.team,
            identity_id=people.second[contact][1] if other else people.identity_ids[contact],
            assignee_id=story.assignee, status=story.status, priority=facts["priority"], category=facts["category"],
            triage={"team_kind": facts["team_kind"], "category": facts["category"] or "other",
                    "priority": facts["priority"], "language": "en" if story.lang else "th", "angry": False,
                    "reasons": []},
            handover=story.handover if story.status == Status.OPEN else {},
            subject=SUBJECTS[int(rng.random() * len(SUBJECTS))] if channel.kind == "email" else "",
            waiting_since=waiting, last_message_at=story.last_at, last_message_preview=story.last_text[:200],
            first_reply_at=story.first_reply_at, resolved_at=story.resolved_at, reopened_count=story.reopened,
            created_at=moment, updated_at=story.t))
    tables.conversation.number(rows)
    conversation_pk = tables.conversation.pk

    messages: list[list[Any]] = []
    bots: list[list[Any]] = []
    invitations: list[list[Any]] = []
    responses: list[list[Any]] = []
    message_table, invitation_table = tables.message, tables.invitation
    in_conversation, in_channel = message_table.index["conversation_id"], message_table.index["channel_id"]
    created_at = message_table.index["created_at"]
    for row, story, (contact, channel_index, _other) in zip(rows, stories, who, strict=True):
        pk, channel_id = row[conversation_pk], channels[channel_index].pk
        if story.status in (Status.OPEN, Status.PENDING, Status.SNOOZED):
            active.append(pk)
        counts[f"status_{story.status}"] += 1
        story.messages.sort(key=lambda m: m[created_at])
        for message in story.messages:
            message[in_conversation], message[in_channel] = pk, channel_id
            messages.append(message)
        if story.bot is not None:
            bots.append(tables.bot.row(conversation_id=pk, **story.bot))
        identity_id = row[tables.conversation.index["identity_id"]]
        category = row[tables.conversation.index["category"]]
        for invitation, _asked, answer in story.invitations:
            invitation_table.set(invitation, contact_id=people.contact_ids[contact], identity_id=identity_id,
                                 channel_id=channel_id, conversation_id=pk, category=category)
            invitations.append(invitation)
            if answer is not None:
                responses.append(tables.response.row(
                    contact_id=people.contact_ids[contact], conversation_id=pk, channel_id=channel_id,
                    category=category, **answer))
    message_table.number(messages)
    invitation_table.number(invitations)
    answered = []
    for story in stories:
        for invitation, asked, answer in story.invitations:
            invitation_table.set(invitation, message_id=asked[message_table.pk])
            if answer is not None:
                answered.append(invitation[invitation_table.pk])
    response_of = tables.response.index["invitation_id"]
    for response_row, invitation_id in zip(responses, answered, strict=True):
        response_row[response_of] = invitation_id

    events: list[list[Any]] = []
    event_table = tables.event
    for row, story in zip(rows, stories, strict=True):
        story.events.sort(key=lambda e: e[0])
        for at, kind, actor, data, refs in story.events:
            if refs:  # the ids of the rows (a message, an invitation) the event names: their first column
                data = {**data, **{key: value[0] for key, value in refs.items()}}
            events.append(event_table.row(conversation_id=row[conversation_pk], kind=kind, actor_id=actor, data=data,
                                          created_at=at))
    counts["conversations"] += len(rows)
    counts["messages"] += len(messages)
    counts["bot_conversations"] += len(bots)
    counts["invitations"] += len(invitations)
    counts["responses"] += len(responses)
    counts["events"] += len(events)
    return [(tables.contact, contacts), (tables.identity, new_identities), (tables.conversation, rows),
            (message_table, messages), (tables.bot, bots), (invitation_table, invitations),
            (tables.response, responses), (event_table, events)]


def _store(tables: list[tuple[_Table, list[list[Any]]]]) -> None:
    """One batch's rows (in the caller's transaction)."""
    if connection.vendor == "postgresql":  # a bulk load: losing the last batch in a crash is harmless
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    for table, rows in tables:
        table.write(rows)


def _set_sla_clocks(conversation_ids: list[int], now: datetime) -> None:
    """The SLA clocks of the conversations still active (the backlog), as the SLA code keeps them."""
    from ruamchat.sla.actions import recompute

    for start in range(0, len(conversation_ids), 500):
        chunk = conversation_ids[start:start + 500]
        with transaction.atomic():
            for conversation in Conversation.objects.filter(pk__in=chunk):
                recompute(conversation, now=now)
