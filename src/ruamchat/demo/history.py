"""Months of past conversations for the reports, made fast: the demo's history and the benchmarks' million.

``generate`` writes rows directly with ``bulk_create`` in batches (one conversation at a time through the
inbox actions would take hours for a million). What it writes is what the actions would have written, so the
reports read it like real history:

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

Times are the story's: the ``auto_now`` / ``auto_now_add`` fields are switched off while it writes
(``own_timestamps``). The identities' external ids start with ``EXTERNAL_PREFIX``, so a test can tell the
history from hand-made conversations.
"""

from __future__ import annotations

import math
import random
import secrets
import time as clock
from array import array
from bisect import bisect
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as wall
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models, transaction
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
TRANSFER_REASONS = ("งานด้านเทคนิค ส่งต่อทีมซัพพอร์ต", "เรื่องคืนเงิน ส่งต่อฝ่ายซัพพอร์ต", "Payment issue, needs Support")
BACK_REASONS = ("สอบถามทั่วไป ส่งกลับฝ่ายบริการ",)
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
SCORES = {"csat": {1: 4, 2: 4, 3: 9, 4: 29, 5: 54},
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


@contextmanager
def own_timestamps(*model_classes: type[models.Model]) -> Iterator[None]:
    """Let ``bulk_create`` keep the times the history gives: ``auto_now`` and ``auto_now_add`` fields
    (``created_at``, ``updated_at``, ``started_at`` …) would be overwritten with the time of the insert.
    The flags are the fields' own, for the whole process, so nothing else may save these models meanwhile."""
    saved = []
    for model in model_classes:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                saved.append((f, f.auto_now, f.auto_now_add))  # type: ignore[attr-defined]
                f.auto_now = f.auto_now_add = False  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add  # type: ignore[attr-defined]


# ---------------------------------------------------------------- who and where


@dataclass
class _Team:
    pk: int
    kind: str
    assignment: str
    calendar: BusinessCalendar
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


def _cast(rng: random.Random) -> _Cast:
    """The channels, teams and agents to write history for; a minimal set made first where there are none."""
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
        cast_teams[team.pk] = _Team(team.pk, team.kind, team.assignment, calendar_for_team(team.pk), agents,
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
    """What happened in one conversation, up to ``now``: its messages, events and final state."""

    __slots__ = ("assignee", "bot", "breached", "cut", "events", "first_customer", "first_reply_at", "handover",
                 "invitations", "lang", "last_at", "last_text", "messages", "now", "paused", "reopened",
                 "resolved_at", "status", "t", "team", "waiting_since")

    def __init__(self, now: datetime, start: datetime, team: int, lang: int) -> None:
        self.now = now
        self.t = start
        self.cut = False
        self.status = Status.OPEN
        self.team = team
        self.assignee: int | None = None
        self.lang = lang
        self.messages: list[Message] = []
        #: (at, kind, actor id, data, references: data key → Message or Invitation)
        self.events: list[tuple[datetime, str, int | None, dict[str, Any], dict[str, Any] | None]] = []
        self.first_customer: datetime | None = None
        self.first_reply_at: datetime | None = None
        self.resolved_at: datetime | None = None
        self.waiting_since: datetime | None = None
        self.reopened = 0
        self.last_at = start
        self.last_text = ""
        self.handover: dict[str, Any] = {}
        self.bot: BotConversation | None = None
        #: (invitation, the message that asked, the answer)
        self.invitations: list[tuple[Invitation, Message, Response | None]] = []
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
              refs: dict[str, Any] | None = None, moment: datetime | None = None) -> None:
        self.events.append((min(moment or self.t, self.now), kind, actor, data, refs))

    def message(self, direction: str, sender: str, text: str, user: int | None = None, *, private: bool = False,
                metadata: dict[str, Any] | None = None, moment: datetime | None = None) -> Message:
        moment = min(moment or self.t, self.now)
        message = Message(direction=direction, sender_type=sender, sender_user_id=user, is_private=private, text=text,
                          status=Message.Status.RECEIVED if direction == In else (
                              Message.Status.SENT if private or sender != Message.Sender.AGENT
                              else Message.Status.READ),
                          metadata=metadata or {}, created_at=moment, sent_at=None if direction == In else moment)
        self.messages.append(message)
        if not private and moment >= self.last_at:
            self.last_at, self.last_text = moment, text
        return message

    def customer(self, text: str) -> Message:
        if self.first_customer is None:
            self.first_customer = self.t
        if self.waiting_since is None:
            self.waiting_since = self.t
        return self.message(In, Message.Sender.CONTACT, text)


class _Writer:
    def __init__(self, cast: _Cast, rng: random.Random, now: datetime) -> None:
        self.cast, self.rng, self.now = cast, rng, now
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
        calendar = team.calendar
        if self.rng.random() < 0.3 and not calendar.is_open(start):
            return start + timedelta(seconds=max(30.0, self.lognormal(600, 0.8)))
        return calendar.add(start, timedelta(seconds=max(business_seconds, 20.0)))

    def first_response_seconds(self, team: _Team, priority: int, speed: float) -> float:
        rng = self.rng
        if team.kind == Team.Kind.SUPPORT:
            base = self.lognormal(600, 1.0) if rng.random() < 0.75 else self.lognormal(5400, 0.8)
        else:
            base = self.lognormal(180, 0.9) if rng.random() < 0.86 else self.lognormal(2400, 0.8)
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
        due = team.calendar.add(started, timedelta(minutes=minutes, seconds=paused))
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
        story = _Story(self.now, created, team.pk, lang)
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
        if story.status == Status.OPEN:  # still open now: its resolution clock may be over already
            self.breach(story, cast.teams[story.team], priority, "resolution", created, self.now, story.paused)
        return story, facts

    def _bot(self, story: _Story, channel: Channel, lang: int) -> bool:
        """The chatbot answers first; True when it handed the conversation to a person (who carries on)."""
        rng = self.rng
        story.status = Status.BOT
        state = story.bot = BotConversation(channel_id=channel.pk, state=BotConversation.State.ACTIVE,
                                            language="en" if lang else "th", greeted=True,
                                            started_at=story.t, updated_at=story.t)
        if not story.at(self.later(story, rng.uniform(2, 6))):
            return False
        story.message(Out, Message.Sender.BOT, self.pick(BOT_ANSWER, lang), metadata={"bot": "answer"})
        story.event(Event.Kind.BOT_ANSWERED, None, {
            "answer": "answer", "confidence": round(rng.uniform(0.25, 0.9), 3),
            "articles": [{"article_id": None, "title": ARTICLES[int(rng.random() * len(ARTICLES))]}]})
        state.messages_sent, state.last_answer_at, state.awaiting = 1, story.t, "feedback"
        state.quiet_check_at = story.t + timedelta(minutes=60)
        state.updated_at = story.t
        if rng.random() < BOT_RESOLVES:
            confirmed = rng.random() < 0.6
            wait = rng.uniform(20, 400) if confirmed else 3600 + rng.uniform(0, 300)
            if not story.at(self.later(story, wait)):
                return False
            if confirmed:
                story.customer(self.pick(THANKS, lang))
                story.at(self.later(story, 2))
                story.message(Out, Message.Sender.BOT, self.pick(BOT_DONE, lang), metadata={"bot": "resolved"})
                state.messages_sent = 2
            outcome = BotConversation.Outcome.CONFIRMED if confirmed else BotConversation.Outcome.QUIET
            story.event(Event.Kind.BOT_RESOLVED, None, {"outcome": outcome})
            story.status, story.resolved_at, story.waiting_since = Status.RESOLVED, story.t, None
            state.state, state.outcome, state.awaiting = BotConversation.State.RESOLVED, outcome, ""
            state.ended_at = state.updated_at = story.t
            state.quiet_check_at = None
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
            state.messages_sent += 1
        state.state, state.reason, state.awaiting = BotConversation.State.HANDED_OFF, reason, ""
        state.ended_at = state.updated_at = story.t
        state.quiet_check_at = None
        return True

    def _auto_assign(self, story: _Story, team: _Team) -> None:
        if team.assignment == Team.Assignment.MANUAL and self.rng.random() < 0.7:
            return
        agent = self.agent_of(team)
        if agent is not None:
            story.assignee = agent[0]
            story.event(Event.Kind.ASSIGNED, None, {"assignee_id": agent[0], "reason": "auto",
                                                    "strategy": team.assignment},
                        moment=story.t + timedelta(seconds=1))

    def _reply(self, story: _Story, team: _Team, text: str) -> Message:
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
            close = team.calendar.add(story.t, timedelta(hours=rng.uniform(1, 30)))
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
            if not story.at(team.calendar.add(story.t, timedelta(seconds=rng.uniform(60, 1200)))):
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
                story.paused += team.calendar.between(pause_start, story.t).total_seconds()
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
        for kind, delay in kinds:
            survey = self.cast.surveys.get(kind)
            sent = story.t + timedelta(seconds=delay + rng.uniform(0, 120))
            if survey is None or sent >= self.now:
                continue
            message = story.message(Out, Message.Sender.SYSTEM, self.pick(SURVEY_ASK[kind], story.lang),
                                    metadata={"survey": {"kind": kind, "scale": SCALES[kind]}}, moment=sent)
            invitation = Invitation(survey=survey, kind=kind, language="en" if story.lang else "th",
                                    status=Invitation.Status.SENT, send_at=sent, sent_at=sent,
                                    expires_at=sent + timedelta(days=survey.expires_days), team_id=story.team,
                                    agent_id=resolver, created_at=sent, token=secrets.token_urlsafe(24))
            story.event(Event.Kind.SURVEY_SENT, None, {"invitation_id": None, "survey": kind, "message_id": None},
                        {"invitation_id": invitation, "message_id": message}, moment=sent)
            answered = sent + timedelta(seconds=max(30.0, self.lognormal(1200, 1.2)))
            response = None
            if rng.random() < ANSWERED and answered < self.now:
                score = _draw(rng, SCORE_CHOICES[kind])
                invitation.opened_at, invitation.answered_at = answered - timedelta(seconds=30), answered
                comment, topics, sentiment, sentiment_score = "", [], "", None
                if rng.random() < COMMENTED:
                    good, bad = {"csat": (4, 2), "nps": (9, 6), "ces": (5, 3)}[kind]
                    sentiment = "positive" if score >= good else "negative" if score <= bad else "neutral"
                    options = COMMENTS[sentiment]
                    comment, topics = options[int(rng.random() * len(options))]
                    sentiment_score = {"positive": rng.uniform(0.55, 0.95), "neutral": rng.uniform(-0.15, 0.2),
                                       "negative": rng.uniform(-0.95, -0.4)}[sentiment]
                response = Response(survey=survey, kind=kind, score=score, comment=comment, sentiment=sentiment,
                                    sentiment_score=sentiment_score, topics=list(topics),
                                    language=invitation.language, via=Response.Via.PAGE, team_id=story.team,
                                    agent_id=resolver, answered_at=answered, updated_at=answered)
                story.event(Event.Kind.SURVEY_ANSWERED, None, {"invitation_id": None, "survey": kind, "score": score},
                            {"invitation_id": invitation}, moment=answered)
            elif rng.random() < 0.3:
                invitation.opened_at = min(sent + timedelta(minutes=rng.uniform(1, 600)), self.now)
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

    contact_ids: array[int] = field(default_factory=lambda: array("q"))
    identity_ids: array[int] = field(default_factory=lambda: array("q"))
    channel: array[int] = field(default_factory=lambda: array("H"))
    lang: bytearray = field(default_factory=bytearray)
    second: dict[int, tuple[int, int]] = field(default_factory=dict)


def generate(*, conversations: int, days: int, seed: int = 7, now: datetime | None = None,
             batch: int = 5000) -> dict[str, Any]:
    """Write ``conversations`` past conversations over the last ``days`` days (see the module's docstring).
    Returns how many rows of each kind were written and how long it took."""
    started = clock.perf_counter()
    rng = random.Random(seed)
    now = now or timezone.now()
    tag = f"{seed}{secrets.token_hex(3)}"
    counts: Counter[str] = Counter()
    if conversations <= 0:
        return {**counts, "seconds": 0.0}
    cast = _cast(rng)
    writer = _Writer(cast, rng, now)
    moments = _moments(rng, conversations, max(days, 1), now)
    people = _People()
    active: list[int] = []
    with own_timestamps(Contact, Identity, Conversation, Message, Event, BotConversation, Invitation, Response):
        for start in range(0, conversations, batch):
            with transaction.atomic():
                _write_batch(writer, moments[start:start + batch], cast.channels, tag, people, counts, active)
    if cast.with_sla and active:
        _set_sla_clocks(active, now)
    counts["active"] = len(active)
    return {**counts, "seconds": round(clock.perf_counter() - started, 2)}


def _write_batch(writer: _Writer, moments: list[datetime], channels: list[Channel], tag: str, people: _People,
                 counts: Counter[str], active: list[int]) -> None:
    rng = writer.rng
    channel_table = (list(range(len(channels))), writer.cast.channel_cumulative)
    # who writes: a returning customer (on their usual channel, sometimes on another) or a new one
    who: list[tuple[int, int, bool]] = []  # (contact index, channel index, on their second channel)
    new_contacts: list[Contact] = []
    first_identities: list[Identity] = []
    second_identities: list[tuple[int, Identity]] = []
    known = len(people.contact_ids)
    for moment in moments:
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
                    identity = Identity(channel=channels[other], display_name=_name(contact), created_at=moment,
                                        external_id=_external_id(tag, channels[other].kind, contact, True))
                    second_identities.append((contact, identity))
                    people.second[contact] = (other, 0)
                    who.append((contact, other, True))
                    continue
            who.append((contact, usual, False))
            continue
        contact = known + len(new_contacts)
        channel = _draw(rng, channel_table)
        lang = 1 if rng.random() < 0.18 else 0
        kind = channels[channel].kind
        new_contacts.append(Contact(name=_name(contact), language="en" if lang else "th",
                                    email=_external_id(tag, "email", contact) if kind == "email" else "",
                                    created_at=moment, last_seen_at=moment))
        people.channel.append(channel)
        people.lang.append(lang)
        first_identities.append(Identity(channel=channels[channel], display_name=_name(contact), created_at=moment,
                                         external_id=_external_id(tag, kind, contact)))
        who.append((contact, channel, False))
    Contact.objects.bulk_create(new_contacts, batch_size=1000)
    people.contact_ids.extend(c.pk for c in new_contacts)
    for n, identity in enumerate(first_identities):
        identity.contact_id = people.contact_ids[known + n]
    for contact, identity in second_identities:
        identity.contact_id = people.contact_ids[contact]
    Identity.objects.bulk_create([*first_identities, *(i for _c, i in second_identities)], batch_size=1000)
    people.identity_ids.extend(i.pk for i in first_identities)
    for contact, identity in second_identities:
        people.second[contact] = (people.second[contact][0], identity.pk)
    counts["contacts"] += len(new_contacts)
    counts["identities"] += len(first_identities) + len(second_identities)

    stories: list[_Story] = []
    rows: list[Conversation] = []
    for moment, (contact, channel_index, other) in zip(moments, who, strict=True):
        channel = channels[channel_index]
        story, facts = writer.tell(moment, channel, people.lang[contact])
        stories.append(story)
        waiting = story.waiting_since if story.status in (Status.OPEN, Status.BOT) else None
        rows.append(Conversation(
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
    Conversation.objects.bulk_create(rows, batch_size=1000)
    counts["conversations"] += len(rows)

    messages: list[Message] = []
    bots: list[BotConversation] = []
    for row, story in zip(rows, stories, strict=True):
        if story.status in (Status.OPEN, Status.PENDING, Status.SNOOZED):
            active.append(row.pk)
        counts[f"status_{story.status}"] += 1
        story.messages.sort(key=_created_at)
        for message in story.messages:
            message.conversation_id, message.channel_id = row.pk, row.channel_id
            messages.append(message)
        if story.bot is not None:
            story.bot.conversation_id = row.pk
            bots.append(story.bot)
    Message.objects.bulk_create(messages, batch_size=2000)
    BotConversation.objects.bulk_create(bots, batch_size=1000)
    counts["messages"] += len(messages)
    counts["bot_conversations"] += len(bots)

    invitations: list[Invitation] = []
    for row, story in zip(rows, stories, strict=True):
        for invitation, message, _response in story.invitations:
            invitation.contact_id, invitation.identity_id = row.contact_id, row.identity_id
            invitation.channel_id, invitation.conversation_id = row.channel_id, row.pk
            invitation.category, invitation.message_id = row.category, message.pk
            invitations.append(invitation)
    Invitation.objects.bulk_create(invitations, batch_size=1000)
    responses = []
    for story in stories:
        for invitation, _message, response in story.invitations:
            if response is not None:
                response.invitation_id, response.contact_id = invitation.pk, invitation.contact_id
                response.conversation_id, response.channel_id = invitation.conversation_id, invitation.channel_id
                response.category = invitation.category
                responses.append(response)
    Response.objects.bulk_create(responses, batch_size=1000)
    counts["invitations"] += len(invitations)
    counts["responses"] += len(responses)

    events: list[Event] = []
    for row, story in zip(rows, stories, strict=True):
        story.events.sort(key=_first)
        for at, kind, actor, data, refs in story.events:
            if refs:
                data = {**data, **{key: value.pk for key, value in refs.items()}}
            events.append(Event(conversation_id=row.pk, kind=kind, actor_id=actor, data=data, created_at=at))
    Event.objects.bulk_create(events, batch_size=2000)
    counts["events"] += len(events)


def _created_at(message: Message) -> datetime:
    return message.created_at


def _first(row: tuple[Any, ...]) -> Any:
    return row[0]


def _set_sla_clocks(conversation_ids: list[int], now: datetime) -> None:
    """The SLA clocks of the conversations still active (the backlog), as the SLA code keeps them."""
    from ruamchat.sla.actions import recompute

    for start in range(0, len(conversation_ids), 500):
        chunk = conversation_ids[start:start + 500]
        with transaction.atomic():
            for conversation in Conversation.objects.filter(pk__in=chunk):
                recompute(conversation, now=now)
