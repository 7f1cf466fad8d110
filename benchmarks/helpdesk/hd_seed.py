"""Set up and seed the django-helpdesk benchmark database (run with the helpdesk venv's Python; see hd_settings.py).

    python hd_seed.py setup                # after migrate: two queues, 20 staff agents, a superuser and its API token
    python hd_seed.py seed N               # N tickets in bulk through helpdesk's ORM (bulk_create), with follow-ups
    python hd_seed.py count                # how many tickets there are

Each prints one line ``BENCH-RESULT <json>``. Seeding bypasses helpdesk's forms on purpose (one ticket at a time
with its mails would take hours at 100k); the rows are the ones its ticket form leaves behind: the ticket, a
"Ticket Opened" follow-up, and for resolved/closed tickets a follow-up with the new status. The mix mirrors
benchmarks/queue_pages.py's seeded inbox: ~5% open (a few reopened), the rest resolved or closed, created over
two years (the open ones recent), 65% in the Service queue, most assigned to one of 20 agents.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from datetime import UTC, datetime
from typing import Any

import django

RESULT_PREFIX = "BENCH-RESULT "
ADMIN_USERNAME = "bench-admin"
DAY = 86400.0
HISTORY_DAYS = 730
CHUNK = 10_000

TITLES = (
    "สั่งของไปเมื่อวาน ยังไม่ได้รับเลยครับ",
    "อยากทราบว่าสินค้ารุ่นนี้มีสีดำไหมคะ",
    "ชำระเงินแล้วแต่สถานะยังไม่อัปเดตค่ะ",
    "ขอเปลี่ยนไซซ์ได้ไหมครับ ใส่ไม่พอดี",
    "แอปเข้าสู่ระบบไม่ได้ ขึ้นข้อความผิดพลาดตลอด",
    "ต้องการขอคืนเงินค่ะ ได้รับสินค้าชำรุด",
    "Hello, where is my order? It has been a week.",
    "ร้านเปิดกี่โมงครับ",
)
ANSWERS = (
    "ตรวจสอบให้แล้วครับ พัสดุจะถึงภายในพรุ่งนี้ครับ",
    "ขออภัยในความไม่สะดวกค่ะ ทางเราจะดำเนินการคืนเงินภายใน 7 วันทำการ",
    "Thank you, we have sorted this out for you.",
)


def emit(result: dict[str, Any]) -> None:
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def setup() -> dict[str, Any]:
    from django.contrib.auth.models import User
    from helpdesk.models import Queue
    from rest_framework.authtoken.models import Token

    password = os.environ["HDBENCH_ADMIN_PASSWORD"]
    admin = User.objects.create_superuser(ADMIN_USERNAME, "admin@example.com", password)
    token = Token.objects.create(user=admin)
    queues = [Queue.objects.create(title=title, slug=slug, allow_public_submission=True)
              for title, slug in (("Service", "service"), ("Support", "support"))]
    for i in range(1, 21):
        User.objects.create_user(f"bench-agent-{i:02d}", f"agent{i}@example.com", None, is_staff=True)
    return {"token": token.key, "queues": [q.pk for q in queues], "admin": ADMIN_USERNAME}


def pick_status(rng: random.Random, position: float) -> int:
    """1 open, 2 reopened, 3 resolved, 4 closed: ~5% open or reopened, mostly among the newest tenth."""
    p_active = 0.45 if position > 0.9 else 0.0056
    if rng.random() < p_active:
        return 1 if rng.random() < 0.9 else 2
    return 3 if rng.random() < 0.67 else 4


def seed(n: int, random_seed: int) -> dict[str, Any]:
    from django.contrib.auth.models import User
    from django.db import connection, transaction
    from helpdesk.models import FollowUp, Queue, Ticket

    started = time.monotonic()
    rng = random.Random(random_seed)
    now = time.time()
    oldest = now - HISTORY_DAYS * DAY
    queues = list(Queue.objects.order_by("pk"))
    agents = list(User.objects.filter(username__startswith="bench-agent-").order_by("pk"))
    admin = User.objects.get(username=ADMIN_USERNAME)
    first = Ticket.objects.count()
    # created/modified are auto_now(_add): switched off here so that the seeded history keeps its dates.
    for name in ("created", "modified"):
        field = Ticket._meta.get_field(name)
        field.auto_now = field.auto_now_add = False

    def at(epoch: float) -> datetime:
        return datetime.fromtimestamp(epoch, UTC)

    counts = {"tickets": 0, "followups": 0}
    for start in range(first, first + n, CHUNK):
        size = min(CHUNK, first + n - start)
        tickets, plans = [], []
        for i in range(start, start + size):
            position = (i - first + 1) / n
            status = pick_status(rng, position)
            active = status in (1, 2)
            if active and position > 0.9:
                created = now - min(rng.expovariate(1 / (2 * DAY)), 30 * DAY) - 3600
            else:
                created = oldest + position * (HISTORY_DAYS - 7) * DAY + rng.random() * 3600
            resolved = created + rng.expovariate(1 / (6 * 3600)) if not active else None
            queue = queues[0] if rng.random() < 0.65 else queues[1]
            assignee = (None if rng.random() < 0.4 else rng.choice(agents)) if active else (
                rng.choice(agents) if rng.random() < 0.93 else None)
            title = rng.choice(TITLES)
            tickets.append(Ticket(
                title=title, queue=queue, created=at(created), modified=at(resolved or created),
                submitter_email=f"customer{rng.randint(1, max(1, n // 2))}@example.co.th", assigned_to=assignee,
                status=status, description=title, priority=rng.choice((1, 2, 3, 3, 3, 3, 3, 3, 4, 5)),
            ))
            plans.append((created, resolved, status, assignee))
        with transaction.atomic():
            Ticket.objects.bulk_create(tickets, batch_size=2000)
            followups = []
            for ticket, (created, resolved, status, assignee) in zip(tickets, plans, strict=True):
                followups.append(FollowUp(ticket=ticket, date=at(created), title="Ticket Opened", public=True,
                                          comment=ticket.description, user=None))
                if resolved is not None:
                    followups.append(FollowUp(
                        ticket=ticket, date=at(resolved), title="Resolved" if status == 3 else "Closed",
                        public=True, comment=rng.choice(ANSWERS), user=assignee or admin, new_status=status))
            FollowUp.objects.bulk_create(followups, batch_size=2000)
        counts["tickets"] += size
        counts["followups"] += len(followups)
        print(f"[helpdesk seed] {counts['tickets']:,}/{n:,} tickets ({time.monotonic() - started:.0f} s)",
              file=sys.stderr, flush=True)
    with connection.cursor() as cursor:
        for table in ("helpdesk_ticket", "helpdesk_followup"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    return {"seconds": time.monotonic() - started, **counts}


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hd_settings")
    django.setup()
    if argv[:1] == ["setup"]:
        emit(setup())
    elif argv[:1] == ["seed"] and len(argv) >= 2:
        emit(seed(int(argv[1]), int(argv[2]) if len(argv) > 2 else 20240601))
    elif argv[:1] == ["count"]:
        from helpdesk.models import Ticket

        emit({"tickets": Ticket.objects.count()})
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
