"""Survey numbers at scale: how fast the CSAT / NPS / CES figures, the comments and the follow-up figures are
read for the last 30 and 365 days, and how fast a customer's survey page opens, on SQLite and PostgreSQL.

    python benchmarks/survey_numbers.py                       # SQLite, 100k responses
    python benchmarks/survey_numbers.py --db sqlite,postgres --responses 100000 --runs 30

Each database runs in a child process with a database of its own (SQLite in a temp dir; a fresh
``ruamchat_bench_surveys`` on the test PostgreSQL, ``RUAMCHAT_TEST_POSTGRES_URL`` from ``scripts/services``),
dropped at the end unless ``--keep``.

Set-up (timed as "seed s", not part of the measures): 4 teams, 20 agents and a supervisor
(``accounts.actions``), 5 channels (website, two LINE accounts, Facebook Messenger, email), the three surveys
of the data migration, then with ``bulk_create`` in batches: contacts, N responses over the last 365 days
(CSAT 60%, NPS 25%, CES 15%; score distributions tilted per agent; ~30% with a short Thai or English comment
whose sentiment and topics are set directly, not analysed), each with its sent invitation (sent before it was
answered), 40% more sent invitations nobody answered, and for every unhappy answer (NPS 0-6, CSAT 1-2) the
follow-up conversation the closed loop opens.

Timed (p50 / p95 over ``--runs`` calls after ``--warmup`` untimed ones): ``selectors.figures(filters)`` and
``figures(filters, group)`` for every group, ``selectors.comments(filters, limit=30)`` and
``selectors.follow_up_figures`` for the last 30 and 365 days; the supervisors' page ``/surveys/`` that shows
them; ``GET /s/<token>/``, the customer's survey page, over ``--requests`` invitations still open (the rate
limit per address is raised for the run). Prints one Markdown table.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

try:
    from benchmarks.common import drop_postgres, machine, start_django
except ImportError:  # run as a script from benchmarks/
    from common import drop_postgres, machine, start_django  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
PG_DATABASE = "ruamchat_bench_surveys"
RESULT_PREFIX = "BENCH-RESULT "
BATCH = 5000
HISTORY_DAYS = 365
UNANSWERED_SHARE = 0.4  # sent invitations nobody answered, per answered one
COMMENT_SHARE = 0.3

TEAMS = (("ทีมบริการลูกค้า", "service"), ("ทีมแชท LINE", "service"), ("ทีมซัพพอร์ตเทคนิค", "support"),
         ("ทีมคืนสินค้าและเคลม", "support"))
#: (kind, name, share of the answers)
CHANNELS = (("line", "LINE @chuanshop", 0.38), ("website", "เว็บไซต์ชวนช้อป", 0.24),
            ("messenger", "Facebook ชวนช้อป", 0.16), ("email", "support@chuanshop.example", 0.14),
            ("line", "LINE @chuanshop.mall", 0.08))
CATEGORIES = (("order_status", 0.26), ("technical", 0.17), ("return", 0.12), ("refund", 0.11), ("payment", 0.1),
              ("exchange", 0.08), ("account", 0.06), ("other", 0.1))
KINDS = (("csat", 0.60), ("nps", 0.25), ("ces", 0.15))
#: the share of each score on its scale (CSAT 1-5, NPS 0-10, CES 1-7) before an agent's tilt
SCORE_WEIGHTS = {
    "csat": {1: 5, 2: 4, 3: 10, 4: 29, 5: 52},
    "nps": {0: 2, 1: 1, 2: 1, 3: 1.5, 4: 2, 5: 4, 6: 6.5, 7: 11, 8: 17, 9: 22, 10: 32},
    "ces": {1: 3, 2: 4, 3: 8, 4: 14, 5: 24, 6: 26, 7: 21},
}
#: NPS invitations sent by campaign (to a segment, by email or LINE): no team, agent or category
NPS_CAMPAIGN_SHARE = 0.4
FIRST_NAMES = ("สมชาย", "สมหญิง", "วิชัย", "มาลี", "ประเสริฐ", "นภา", "อนุชา", "กาญจนา", "ปิยะ", "Somchai", "Anna",
               "John", "")
LAST_NAMES = ("ใจดี", "รักไทย", "ศรีสุข", "ทองดี", "มั่นคง", "Smith", "Tan", "")
#: (text, topic keys) by language and sentiment
COMMENTS: dict[str, dict[str, list[tuple[str, list[str]]]]] = {
    "th": {
        "positive": [
            ("แอดมินตอบไวมากค่ะ ประทับใจ", ["staff", "response_time"]), ("ส่งของไวมาก ได้ของภายในวันเดียว", ["delivery"]),
            ("พนักงานสุภาพ อธิบายละเอียดดีครับ", ["staff"]), ("ได้เงินคืนเร็วค่ะ ขอบคุณมาก", ["refund"]),
            ("สินค้าคุณภาพดี ตรงปก", ["product"]), ("บริการดีมากค่ะ", []), ("ราคาคุ้มค่า ส่งฟรีด้วย", ["price", "delivery"]),
            ("เปลี่ยนสินค้าให้ง่ายมาก ไม่ยุ่งยาก", ["refund"]), ("ขอบคุณที่ช่วยแก้ปัญหาให้นะคะ", []),
        ],
        "neutral": [
            ("ก็โอเคค่ะ แต่รอนานไปหน่อย", ["response_time"]), ("ได้รับของแล้ว กล่องบุบนิดหน่อย", ["delivery"]),
            ("ราคาแพงไปนิด แต่ของดี", ["price", "product"]), ("เว็บใช้ยากนิดหน่อยตอนชำระเงิน", ["website", "payment"]),
            ("ปกติครับ", []), ("แก้ปัญหาได้ แต่ต้องอธิบายหลายรอบ", []),
        ],
        "negative": [
            ("รอตอบนานมาก ไม่มีใครตอบเลย", ["response_time"]), ("ส่งช้ามาก รอของเป็นอาทิตย์", ["delivery"]),
            ("สินค้าชำรุด ใช้ไม่ได้ตั้งแต่แกะกล่อง", ["product", "delivery"]), ("ขอคืนเงินนานแล้วยังไม่ได้คืน", ["refund"]),
            ("แอดมินพูดจาไม่สุภาพ", ["staff"]), ("โดนตัดเงินสองรอบ ยังไม่ได้แก้ไข", ["payment"]),
            ("ระบบเข้าสู่ระบบไม่ได้ แอปค้างตลอด", ["website"]), ("ไม่ประทับใจเลยค่ะ", []),
        ],
    },
    "en": {
        "positive": [
            ("Quick reply and very friendly staff, thanks!", ["staff", "response_time"]),
            ("Parcel arrived the next day.", ["delivery"]), ("Refund was fast.", ["refund"]),
            ("Great product, good value for money.", ["product", "price"]), ("Very helpful, thank you.", []),
        ],
        "neutral": [
            ("OK, but I had to wait a while for a reply.", ["response_time"]), ("Fine.", []),
            ("The checkout page is a bit confusing.", ["website"]), ("Box was slightly damaged.", ["delivery"]),
        ],
        "negative": [
            ("Nobody answered for two days.", ["response_time"]),
            ("The kettle stopped working after a week.", ["product"]),
            ("Still waiting for my refund.", ["refund"]), ("Rude agent, did not solve anything.", ["staff"]),
            ("I was charged twice and no one fixed it.", ["payment"]),
        ],
    },
}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


# -- seeding (in the child, Django set up) ------------------------------------------------------------------

@contextmanager
def own_timestamps(*models: Any) -> Iterator[None]:
    """Let ``bulk_create`` keep the times the seed gives (``auto_now`` / ``auto_now_add`` would overwrite
    them with the time of the insert)."""
    saved = []
    for model in models:
        for field in model._meta.concrete_fields:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                saved.append((field, field.auto_now, field.auto_now_add))
                field.auto_now = field.auto_now_add = False
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in saved:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add


def tilted(weights: dict[int, float], tilt: float) -> tuple[list[int], list[float]]:
    """Scores and their cumulative weights, shifted towards the top (``tilt`` > 0) or the bottom."""
    scores = sorted(weights)
    low, high = scores[0], scores[-1]
    cumulative, total = [], 0.0
    for score in scores:
        total += weights[score] * math.exp(tilt * (2 * (score - low) / (high - low) - 1))
        cumulative.append(total)
    return scores, cumulative


def sentiment_of(kind: str, score: int, rng: random.Random) -> str:
    if rng.random() < 0.08:
        return "neutral"
    good, bad = {"csat": (4, 2), "nps": (9, 6), "ces": (5, 3)}[kind]
    return "positive" if score >= good else "negative" if score <= bad else "neutral"


def moment(rng: random.Random, now: datetime, today_start: datetime, days_back: int) -> datetime:
    """A time on the local day ``days_back`` days ago, mostly in the shop's busy hours, never in the future."""
    seconds = min(max(rng.gauss(14.5 * 3600, 3.5 * 3600), 0), 86399)
    value = today_start - timedelta(days=days_back) + timedelta(seconds=seconds)
    return value if value < now else now - timedelta(seconds=rng.uniform(60, 6 * 3600))


def seed(responses: int, random_seed: int) -> dict[str, Any]:
    from django.db import connection, transaction
    from django.utils import timezone

    from ruamchat.accounts.actions import create_agent, create_team
    from ruamchat.accounts.models import AgentProfile
    from ruamchat.connectors.actions import create_channel
    from ruamchat.connectors.models import Channel
    from ruamchat.contacts.models import Contact
    from ruamchat.inbox.models import Conversation
    from ruamchat.surveys.actions import new_token
    from ruamchat.surveys.models import Campaign, FollowUp, Invitation, Response, Survey

    started = time.perf_counter()
    rng = random.Random(random_seed)
    teams = [create_team(actor=None, name=name, kind=kind) for name, kind in TEAMS]
    agents = []
    for n in range(20):
        profile = create_agent(actor=None, username=f"bench-agent-{n:02d}", password=None,
                               display_name=f"{FIRST_NAMES[n % 9]} {n:02d}", teams=[teams[n % len(teams)]])
        agents.append(profile.user)
    create_agent(actor=None, username="bench-supervisor", password=None, display_name="หัวหน้าทีม",
                 role=AgentProfile.Role.SUPERVISOR, teams=teams)
    channels = []
    for kind, name, _share in CHANNELS:
        if kind == "website":
            channels.append(create_channel(actor=None, kind=kind, name=name, default_team=teams[0]))
        else:  # LINE, Messenger and email want credentials to be created through the action; none are used
            channels.append(Channel.objects.create(kind=kind, name=name, default_team=teams[0]))
    channel_weights = [share for _kind, _name, share in CHANNELS]
    campaign_channels = [c for c in channels if c.kind in ("line", "email")]
    surveys = {s.kind: s for s in Survey.objects.all()}
    # an agent's answers lean better or worse; every agent works in one team
    tilts = {agent.pk: rng.uniform(-0.6, 0.6) for agent in agents}
    team_of = {agent.pk: teams[n % len(teams)].pk for n, agent in enumerate(agents)}
    distributions = {(kind, agent): tilted(SCORE_WEIGHTS[kind], tilts.get(agent, 0.0))
                     for kind in SCORE_WEIGHTS for agent in [None, *tilts]}

    now = timezone.now()
    today_start = timezone.make_aware(datetime.combine(timezone.localdate(now), datetime.min.time()))
    contact_count = max(1, int(responses * 0.7))
    languages = ["en" if rng.random() < 0.2 else "th" for _ in range(contact_count)]
    with own_timestamps(Contact), transaction.atomic():
        contact_ids: list[int] = []
        for first in range(0, contact_count, BATCH):
            batch = [Contact(name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}".strip(),
                             language=languages[i], created_at=now - timedelta(days=400), last_seen_at=now)
                     for i in range(first, min(first + BATCH, contact_count))]
            contact_ids.extend(c.pk for c in Contact.objects.bulk_create(batch))

    # every invitation: answered ones for the responses, then the unanswered ones; in time order
    specs = []
    category_weights = [weight for _category, weight in CATEGORIES]
    unanswered = round(responses * UNANSWERED_SHARE)
    for n in range(responses + unanswered):
        kind = rng.choices(KINDS, cum_weights=[0.60, 0.85, 1.0])[0][0]
        contact = rng.randrange(contact_count)
        answered = n < responses
        when = moment(rng, now, today_start, rng.randrange(HISTORY_DAYS))
        if answered:
            answered_at = when
            sent_at = answered_at - timedelta(seconds=min(rng.expovariate(1 / 5400), 6 * 86400) + 20)
        else:
            answered_at, sent_at = None, when
        campaign = kind == "nps" and rng.random() < NPS_CAMPAIGN_SHARE
        if campaign:
            agent = team = None
            category = ""
            channel = rng.choice(campaign_channels)
        else:
            agent = rng.choice(agents).pk
            team = team_of[agent]
            category = rng.choices(CATEGORIES, weights=category_weights)[0][0]
            channel = rng.choices(channels, weights=channel_weights)[0]
        specs.append((sent_at, answered_at, kind, contact, agent, team, category, channel, campaign))
    specs.sort(key=lambda spec: spec[0])
    # the NPS campaign of each month (every contact at most once per campaign), sent by LINE and email
    campaigns: dict[tuple[int, int], Campaign] = {}
    with own_timestamps(Campaign):
        for sent_at, _answered_at, _kind, _contact, _agent, _team, _category, _channel, campaign in specs:
            if not campaign:
                continue
            local = timezone.localtime(sent_at)
            month = (local.year, local.month)
            if month not in campaigns:
                begins = sent_at - timedelta(minutes=5)
                campaigns[month] = Campaign.objects.create(
                    survey=surveys["nps"], name=f"NPS {month[0]}-{month[1]:02d}", status=Campaign.Status.DONE,
                    line_channel=campaign_channels[0], email_channel=campaign_channels[-1], created_at=begins,
                    started_at=begins, finished_at=begins + timedelta(days=2))
    in_campaign: set[tuple[int, int]] = set()

    counts = {"contacts": contact_count, "invitations": len(specs), "responses": 0, "comments": 0,
              "follow_ups": 0}
    unhappy: list[tuple[int, int, int, int | None, datetime]] = []  # response id, contact, channel, team, when
    with own_timestamps(Invitation, Response), transaction.atomic():
        for first in range(0, len(specs), BATCH):
            chunk = specs[first:first + BATCH]
            invitations = []
            for n, (sent_at, answered_at, kind, contact, agent, team, category, channel, campaign) in enumerate(
                    chunk):
                campaign_id = None
                if campaign:
                    local = timezone.localtime(sent_at)
                    campaign_id = campaigns[(local.year, local.month)].pk
                    while (campaign_id, contact) in in_campaign:
                        contact = rng.randrange(contact_count)
                    in_campaign.add((campaign_id, contact))
                    chunk[n] = (sent_at, answered_at, kind, contact, agent, team, category, channel, campaign)
                opened = answered_at - timedelta(seconds=30) if answered_at else (
                    sent_at + timedelta(minutes=rng.uniform(1, 600)) if rng.random() < 0.3 else None)
                invitations.append(Invitation(
                    survey=surveys[kind], kind=kind, contact_id=contact_ids[contact], channel=channel,
                    token=new_token(), language=languages[contact], status=Invitation.Status.SENT, send_at=sent_at,
                    sent_at=sent_at, expires_at=sent_at + timedelta(days=surveys[kind].expires_days),
                    opened_at=opened if opened is None or opened < now else now, team_id=team, agent_id=agent,
                    category=category, campaign_id=campaign_id, created_at=sent_at, answered_at=answered_at))
            Invitation.objects.bulk_create(invitations)
            answers = []
            for invitation, spec in zip(invitations, chunk, strict=True):
                sent_at, answered_at, kind, contact, agent, team, category, channel, campaign = spec
                if answered_at is None:
                    continue
                scores, cumulative = distributions[(kind, agent)]
                score = rng.choices(scores, cum_weights=cumulative)[0]
                language = languages[contact]
                sentiment = sentiment_of(kind, score, rng)
                share = {"negative": 0.45, "neutral": 0.3, "positive": 0.26}[sentiment]
                comment, topics, sentiment_score = "", [], None
                if rng.random() < share:
                    comment, topics = rng.choice(COMMENTS[language][sentiment])
                    sentiment_score = {"positive": rng.uniform(0.4, 1), "neutral": rng.uniform(-0.2, 0.2),
                                       "negative": rng.uniform(-1, -0.4)}[sentiment]
                    counts["comments"] += 1
                else:
                    sentiment = ""
                answers.append(Response(
                    invitation=invitation, survey=surveys[kind], kind=kind, score=score, comment=comment,
                    sentiment=sentiment, sentiment_score=sentiment_score, topics=list(topics), language=language,
                    via="page" if campaign or channel.kind == "email" else "chat", contact_id=invitation.contact_id,
                    team_id=team, agent_id=agent, channel=channel, category=category, answered_at=answered_at,
                    updated_at=answered_at))
            Response.objects.bulk_create(answers)
            counts["responses"] += len(answers)
            for answer in answers:
                if (answer.kind == "nps" and answer.score <= 6) or (answer.kind == "csat" and answer.score <= 2):
                    unhappy.append((answer.pk, answer.contact_id, answer.channel_id, answer.team_id,
                                    answer.answered_at))
            if (first // BATCH) % 10 == 9:
                log(f"{first + len(chunk):,}/{len(specs):,} invitations ({time.perf_counter() - started:.0f} s)")

    # the closed loop: every unhappy answer opened a follow-up conversation for a service team
    outcomes = ("recovered", "resolved", "resolved", "not_recovered", "unreachable")
    with own_timestamps(Conversation, FollowUp), transaction.atomic():
        for first in range(0, len(unhappy), BATCH):
            chunk = unhappy[first:first + BATCH]
            conversations, follow_ups = [], []
            for _response, contact, channel, team, answered_at in chunk:
                opened = answered_at + timedelta(seconds=rng.uniform(5, 120))
                age_days = (now - opened).total_seconds() / 86400
                closed = rng.random() < min(0.95, 0.2 + age_days / 10)
                contacted = opened + timedelta(seconds=rng.expovariate(1 / (4 * 3600)))
                contacted = contacted if (contacted < now and rng.random() < 0.9) or closed else None
                closed_at = max(contacted or opened, opened) + timedelta(hours=rng.uniform(1, 72)) if closed else None
                if closed_at is not None and closed_at > now:
                    closed_at = now
                follow_up_team = team if team in (teams[0].pk, teams[1].pk) else teams[0].pk
                conversations.append(Conversation(
                    channel_id=channel, contact_id=contact, team_id=follow_up_team,
                    status="resolved" if closed else "open", category="other", created_at=opened,
                    updated_at=closed_at or opened, last_message_at=contacted or opened, first_reply_at=contacted,
                    resolved_at=closed_at))
                follow_ups.append((opened, contacted, closed_at))
            Conversation.objects.bulk_create(conversations)
            FollowUp.objects.bulk_create([
                FollowUp(response_id=response, conversation=conversation, team_id=conversation.team_id,
                         created_at=opened, first_contact_at=contacted, closed_at=closed_at,
                         outcome=rng.choice(outcomes) if closed_at else "")
                for (response, *_rest), conversation, (opened, contacted, closed_at)
                in zip(chunk, conversations, follow_ups, strict=True)])
            counts["follow_ups"] += len(chunk)

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in ("contacts_contact", "surveys_invitation", "surveys_response", "surveys_followup",
                          "inbox_conversation"):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
        else:
            cursor.execute("ANALYZE")
    return {**counts, "seconds": time.perf_counter() - started}


# -- measuring (in the child) -------------------------------------------------------------------------------

def explain(sql: str, params: Any) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def measure(opts: argparse.Namespace, plans_path: str) -> list[dict[str, Any]]:
    from django.contrib.auth.models import User
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from ruamchat.surveys import selectors, views
    from ruamchat.surveys.models import Invitation

    views.RATE = "1000000/m"  # one test client, one address: the per-address limit would answer 429
    cache.clear()
    rows: list[dict[str, Any]] = []
    plans = open(plans_path, "w") if plans_path else None  # noqa: SIM115 - closed below

    def timed(name: str, call: Callable[[int], Any], runs: int, warmup: int) -> None:
        t0 = time.perf_counter()
        call(runs)
        first = time.perf_counter() - t0
        for i in range(1, warmup if first < 0.5 else 1):  # one warm-up call is enough for the slow ones
            call(runs + i)
        t0 = time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            call(0)
        warm = time.perf_counter() - t0
        queries = list(captured.captured_queries)  # read now: a request empties the connection's log
        if warm * runs > opts.budget:  # a slow one: fewer runs, so the whole benchmark stays in minutes
            runs = max(10, min(runs, int(opts.budget / warm)))
        times, cpu = [], []
        for i in range(runs):
            t0, c0 = time.perf_counter(), time.process_time()
            call(i)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        rows.append({"name": name, "p50": pct(times, 0.5), "p95": pct(times, 0.95), "cpu": pct(cpu, 0.5),
                     "queries": len(queries), "runs": runs})
        log(f"{name}: p50 {rows[-1]['p50']:.1f} ms, p95 {rows[-1]['p95']:.1f} ms")
        if plans is not None:
            for query in queries:
                sql = query["sql"]
                if sql.lstrip().upper().startswith("SELECT") and "surveys_" in sql:
                    plans.write(f"### {name}\n{sql}\n{explain(sql, None)}\n\n")

    for days in (30, 365):
        since, until = selectors.period(days)
        filters = selectors.Filters(since=since, until=until)
        timed(f"figures, totals, {days} days", lambda i, f=filters: selectors.figures(f), opts.runs, opts.warmup)
        for group in selectors.GROUPS:
            timed(f"figures by {group}, {days} days", lambda i, f=filters, g=group: selectors.figures(f, g),
                  opts.runs, opts.warmup)
        timed(f"comments(limit=30), {days} days", lambda i, f=filters: selectors.comments(f, limit=30),
              opts.runs, opts.warmup)
        timed(f"follow_up_figures, {days} days", lambda i, s=since, u=until: selectors.follow_up_figures(s, u),
              opts.runs, opts.warmup)

    supervisor = Client()
    supervisor.force_login(User.objects.get(username="bench-supervisor"))

    def get(client: Client, url: str) -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} answered {response.status_code}")
        response.content  # noqa: B018 - rendered fully, as a server would send it

    for days in (30, 365):
        timed(f"page /surveys/?days={days}&group=team (supervisor)",
              lambda i, d=days: get(supervisor, f"/surveys/?days={d}&group=team"),
              opts.runs, opts.warmup)

    # the customer's page: invitations sent in the last 25 days (not expired), answered or not, each opened once
    now = timezone.now()
    open_ones = list(Invitation.objects.filter(status=Invitation.Status.SENT, sent_at__gte=now - timedelta(days=25),
                                               expires_at__gt=now).values_list("token", flat=True))
    picked = random.Random(opts.seed + 1).sample(open_ones, min(len(open_ones), opts.requests + 20))
    customer = Client()
    if len(picked) > 20:
        timed("page GET /s/<token>/ (customer)", lambda i: get(customer, f"/s/{picked[i % len(picked)]}/"),
              len(picked) - 20, 20)
    if plans is not None:
        plans.close()
    return rows


def child(db: str, opts: argparse.Namespace) -> None:
    data_dir = start_django(db, database=PG_DATABASE, prefix="ruamchat-bench-surveys")
    log(f"{db}: seeding {opts.responses:,} responses")
    seeded = seed(opts.responses, opts.seed)
    log(f"{db}: seeded in {seeded['seconds']:.0f} s: {seeded}")
    totals = sanity()
    plans_path = f"{opts.plans}-{db}.txt" if opts.plans else ""
    rows = measure(opts, plans_path)
    print(RESULT_PREFIX + json.dumps({"db": db, "seed": seeded, "rows": rows, "totals": totals,
                                      "data_dir": data_dir}, ensure_ascii=False), flush=True)


def sanity() -> str:
    """The year's numbers, to show the seeded data looks like a shop's."""
    from ruamchat.surveys import selectors

    since, until = selectors.period(365)
    f = selectors.figures(selectors.Filters(since=since, until=until))[0]

    def n(value: float | None, digits: int = 1) -> str:
        return "-" if value is None else f"{value:.{digits}f}"

    return (f"CSAT {n(f.csat.percent)}% of {f.csat.answers:,}, NPS {n(f.nps.score)} ± {n(f.nps.margin)} of "
            f"{f.nps.answers:,}, CES {n(f.ces.mean, 2)} of {f.ces.answers:,}, response rate {n(f.response_rate)}% "
            f"({f.answered:,} of {f.delivered:,} delivered)")


# -- the table (the parent) ---------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite", help="comma-separated: sqlite, postgres")
    parser.add_argument("--responses", type=int, default=100_000, help="survey responses seeded")
    parser.add_argument("--runs", type=int, default=30, help="timed calls per selector")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls per selector first")
    parser.add_argument("--requests", type=int, default=200, help="timed GETs of the customer's survey page")
    parser.add_argument("--budget", type=float, default=20.0, help="seconds a measure may take: a slower one "
                        "is timed over fewer calls (at least 10; the number is in the table), one warm-up call")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--plans", default="", help="write the EXPLAIN of every survey query measured to "
                        "<PLANS>-<db>.txt (PostgreSQL: EXPLAIN ANALYZE; SQLite: EXPLAIN QUERY PLAN)")
    parser.add_argument("--keep", action="store_true", help="keep the databases and data dirs")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args)
        return
    results = []
    for db in [d.strip() for d in args.db.split(",") if d.strip()]:
        command = [sys.executable, __file__, "--child", db, "--responses", str(args.responses), "--runs",
                   str(args.runs), "--warmup", str(args.warmup), "--requests", str(args.requests), "--seed",
                   str(args.seed), "--plans", args.plans, "--budget", str(args.budget)]
        started = time.perf_counter()
        result = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False, cwd=ROOT)
        found = [line for line in result.stdout.splitlines() if line.startswith(RESULT_PREFIX)]
        if result.returncode != 0 or not found:
            sys.stderr.write(result.stdout[-3000:])
            raise SystemExit(f"{db} failed")
        row = json.loads(found[-1][len(RESULT_PREFIX):])
        row["wall"] = time.perf_counter() - started
        results.append(row)
        if args.keep:
            log(f"{db}: kept {row['data_dir']}" + (f" and the database {PG_DATABASE}" if db == "postgres" else ""))
        else:
            shutil.rmtree(row["data_dir"], ignore_errors=True)
            if db == "postgres":
                drop_postgres(PG_DATABASE)

    names = list(dict.fromkeys(r["name"] for result in results for r in result["rows"]))
    by_db = [{r["name"]: r for r in result["rows"]} for result in results]
    print("\n| measure | queries | " + " | ".join(f"{r['db']} p50 / p95 ms | CPU ms | runs" for r in results)
          + " |")
    print("|---|---:|" + "---:|---:|---:|" * len(results))
    for name in names:
        queries = next(str(rows[name]["queries"]) for rows in by_db if name in rows)
        cells = [f"{rows[name]['p50']:.1f} / {rows[name]['p95']:.1f} | {rows[name]['cpu']:.1f} | {rows[name]['runs']}"
                 if name in rows else "- | - | -" for rows in by_db]
        print(f"| {name} | {queries} | " + " | ".join(cells) + " |")
    first = results[0]["seed"]
    print(f"\nSeeded {first['responses']:,} responses ({first['comments']:,} with a comment), "
          f"{first['invitations']:,} sent invitations, {first['contacts']:,} contacts, {first['follow_ups']:,} "
          "follow-ups; " + ", ".join(f"{r['db']} seeding {r['seed']['seconds']:.0f} s, whole run {r['wall']:.0f} s"
                                     for r in results) + ".")
    print(f"The year's numbers: {results[0]['totals']}.")
    print(f"p50 / p95 over `runs` calls after {args.warmup} warm-up ones (one when a call takes over 0.5 s; "
          f"fewer runs when {args.runs} would take over {args.budget:.0f} s); the customer's page over "
          f"{args.requests} invitations sent in the last 25 days, after 20 others. `CPU ms`: this process's CPU "
          "time per call, p50 (Python and SQLite's work; PostgreSQL's own work is not counted). `queries`: SQL "
          "queries of one call.")
    print(f"Machine: {machine()}.")


if __name__ == "__main__":
    main()
