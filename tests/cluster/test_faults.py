"""Faults in the scaled set-up, for real: a worker killed with -9 in the middle of heavy traffic, and PostgreSQL
stopped for 30 seconds while webhooks keep coming. Nothing may be lost, stored twice, sent twice or left
half-written, and everything is processed once the fault is over."""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.conftest import register
from tests.cluster.harness import (
    Api,
    Cluster,
    Database,
    PrivatePostgres,
    ReplySender,
    Services,
    WebhookSender,
    count_incoming,
    delivered_texts,
    incoming_message_ids,
    jobs_by_status,
    line_user_id,
    many_text_webhooks,
    outgoing_statuses,
    push_requests_by_text,
    scale,
    timed,
)
from tests.fakes.line_api import FakeLineApi

pytestmark = [pytest.mark.cluster]

#: the jobs the traffic makes; none may be left queued, running or failed at the end
TRAFFIC_JOBS = ("connectors.process_inbound", "inbox.deliver_message", "connectors.refresh_profile")


def unfinished_jobs(db: Database) -> Counter[tuple[str, str]]:
    return Counter({key: n for key, n in jobs_by_status(db).items()
                    if key[0] in TRAFFIC_JOBS and key[1] in ("queued", "running", "failed")})


def inbound_events(db: Database, channel_id: int) -> Counter[tuple[str, str]]:
    """(webhookEventId, status) of the stored raw events, with how often each is stored."""
    rows = db.query("SELECT provider_event_id, status, count(*) FROM connectors_inboundevent WHERE channel_id = %s "
                    "GROUP BY provider_event_id, status", (channel_id,))
    return Counter({(str(event_id), str(status)): int(n) for event_id, status, n in rows})


def conversations_without_messages(db: Database) -> int:
    return int(db.scalar("SELECT count(*) FROM inbox_conversation c WHERE NOT EXISTS "
                         "(SELECT 1 FROM inbox_message m WHERE m.conversation_id = c.id)"))


def running_jobs_of(db: Database, pid: int, name: str = "%") -> int:
    """How many jobs (named like ``name``) the worker process ``pid`` is running now."""
    return int(db.scalar("SELECT count(*) FROM jobs_job WHERE status = 'running' AND locked_by LIKE %s "
                         "AND name LIKE %s", (f"%:{pid}:%", name)))


def test_a_worker_killed_with_sigkill_mid_traffic_loses_nothing_and_repeats_nothing(
    cluster: Cluster, line: FakeLineApi
) -> None:
    webs = [cluster.serve_wsgi("web-1", ready=False), cluster.serve_wsgi("web-2", ready=False)]
    victim = cluster.worker("worker-1", concurrency=2)
    cluster.worker("worker-2", concurrency=2)
    token = cluster.create_admin()
    for web in webs:
        cluster.wait_http(web)
    api = Api(webs[0].url, token)
    channel = api.create_line_channel(api.create_team()["id"])
    rng = random.Random(20240612)
    users = [line_user_id(rng) for _ in range(200)]
    for n, user in enumerate(users):
        line.add_profile(user, f"ลูกค้า {n}")
    inbound_total = scale(10_000, minimum=len(users) * 2)
    outbound_total = scale(2_000, minimum=40)
    hooks = many_text_webhooks(channel, users, inbound_total, first_message_id=830_000_000_000_000_000, rng=rng)
    urls = [channel.hook_url(web.url) for web in webs]
    db = cluster.database

    def stored() -> int:
        return count_incoming(db, channel.id)

    # Every customer writes once first: the conversations the agents then answer.
    with timed(f"{len(users)} first messages"):
        first = WebhookSender(urls, hooks[:len(users)], concurrency=8)
        first.run()
        assert first.accepted == len(users), first.log
        cluster.wait(lambda: stored() == len(users), timeout=300, what="the first messages", progress=stored)
    conversations = api.conversation_ids(channel.id)
    assert len(conversations) == len(users)
    tag = uuid.uuid4().hex[:6]
    like = f"%[{tag}-%"
    replies = [(rng.choice(conversations), f"รับเรื่องแล้วค่ะ กำลังตรวจสอบให้นะคะ [{tag}-{i:05d}]")
               for i in range(outbound_total)]

    def done() -> tuple[int, int]:
        return stored(), outgoing_statuses(db, like)["sent"]

    work = inbound_total + outbound_total
    inbound = WebhookSender(urls, hooks[len(users):], concurrency=8)
    outbound = ReplySender([web.url for web in webs], token, replies, concurrency=2)
    with timed(f"{inbound_total} inbound and {outbound_total} outbound messages, a worker killed at 30%"):
        inbound.start()
        outbound.start()
        cluster.wait(lambda: sum(done()) >= 0.3 * work, timeout=600, what="30% of the messages to be processed",
                     progress=done, interval=1)
        # kill it in the middle of a job, a reply's if it can be caught at one within 20 s (its two threads are
        # nearly always busy; sending a reply is the quicker kind of job)
        deadline = time.monotonic() + 20
        cluster.wait(lambda: running_jobs_of(db, victim.pid, "inbox.deliver_message" if time.monotonic() < deadline
                                             else "%") > 0, timeout=60, interval=0.02,
                     what="the worker to be in the middle of a job")
        victim.kill()
        orphaned = db.query("SELECT name FROM jobs_job WHERE status = 'running' AND locked_by LIKE %s",
                            (f"%:{victim.pid}:%",))
        print(f"[cluster] killed {victim.name} (pid {victim.pid}) after {done()} (stored, sent); it left "
              f"{[name for (name,) in orphaned]} running", flush=True)
        cluster.worker("worker-3", concurrency=2)  # what systemd's Restart= would do
        deadline = time.monotonic() + 600  # for all the rest

        inbound.join(timeout=max(1.0, deadline - time.monotonic()))
        outbound.join(timeout=max(1.0, deadline - time.monotonic()))
        assert inbound.log.statuses == Counter({200: len(inbound.hooks)}), inbound.log
        assert outbound.log.statuses == Counter({201: outbound_total}), outbound.log

        def everything_processed() -> bool:
            return done() == (inbound_total, outbound_total) and not unfinished_jobs(db)

        cluster.wait(everything_processed, timeout=max(1.0, deadline - time.monotonic()),
                     what="every message to be processed",
                     progress=lambda: (done(), unfinished_jobs(db)), interval=1)

    # every inbound message stored exactly once, every raw event processed
    assert incoming_message_ids(db, channel.id) == Counter({hook.message_id: 1 for hook in hooks})
    assert inbound_events(db, channel.id) == Counter({(hook.event_id, "processed"): 1 for hook in hooks})
    # every reply sent, and delivered to the customer exactly once (a retried push after the kill carries the
    # same X-Line-Retry-Key, which LINE answers 409 without delivering)
    assert outgoing_statuses(db, like) == Counter({"sent": outbound_total})
    texts = Counter(text for _, text in replies)
    delivered = delivered_texts(line)
    assert {text: delivered[text] for text in texts if delivered[text] != 1} == {}
    pushed = push_requests_by_text(line)
    print(f"[cluster] replies pushed more than once (answered 409 the second time): "
          f"{sum(1 for text in texts if pushed[text] > 1)}", flush=True)
    assert not unfinished_jobs(db)
    api.close()


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL of this test's own, which it stops and starts (the shared one is never touched)."""
    server = PrivatePostgres()
    try:
        yield server.start()
    finally:
        server.close()


def test_webhooks_during_a_database_outage_are_answered_503_and_processed_once_it_is_back(
    request: pytest.FixtureRequest, tmp_path: Path, cluster_services: Services, migrated_template: Database,
    line: FakeLineApi, private_postgres: PrivatePostgres,
) -> None:
    database = Database.create(private_postgres.admin_url)
    database.load_from(migrated_template)  # quicker than migrating
    cluster = Cluster(tmp_path, database=database, redis_url=cluster_services.redis_url, line=line,
                      name="cluster on a private PostgreSQL")
    register(request, cluster)
    try:
        web = cluster.serve_wsgi("web", ready=False)
        cluster.worker("worker-1", concurrency=2)
        cluster.worker("worker-2", concurrency=2)
        token = cluster.create_admin()
        cluster.wait_http(web)
        api = Api(web.url, token)
        channel = api.create_line_channel(api.create_team()["id"])
        users = [line_user_id() for _ in range(40)]
        for n, user in enumerate(users):
            line.add_profile(user, f"ลูกค้า {n}")
        url = channel.hook_url(web.url)
        db = cluster.database

        def stored() -> int:
            return count_incoming(db, channel.id)

        first = WebhookSender([url], many_text_webhooks(channel, users, len(users),
                                                        first_message_id=840_000_000_000_000_000))
        first.run()
        assert first.accepted == len(users), first.log
        cluster.wait(lambda: stored() == len(users), timeout=120, what="the first messages", progress=stored)
        conversations = api.conversation_ids(channel.id)
        tag = uuid.uuid4().hex[:6]
        like = f"%[{tag}-%"
        replies = [(conversations[i % len(conversations)], f"ขออภัยที่ให้รอค่ะ [{tag}-{i:03d}]") for i in range(100)]

        # Webhooks keep coming, ten a second for 45 s, from a provider that redelivers what is answered 503 (or not
        # at all) after Retry-After; agents have just replied 100 times when PostgreSQL stops.
        hooks = many_text_webhooks(channel, users, scale(450, minimum=100), first_message_id=841_000_000_000_000_000)
        traffic = WebhookSender([url], hooks, concurrency=4, rate=10, redeliver=True, max_wait=10, give_up_after=480)
        with timed("webhooks through a 30 s database outage"):
            traffic.start()
            cluster.wait(lambda: traffic.accepted >= 50, timeout=120, what="the traffic to flow",
                         progress=lambda: traffic.log)
            sent_replies = ReplySender([web.url], token, replies, concurrency=4)
            sent_replies.run()
            assert sent_replies.log.statuses == Counter({201: len(replies)}), sent_replies.log
            private_postgres.stop()
            stopped_at = time.monotonic()
            cluster.wait(lambda: traffic.log.statuses[503] >= 3, timeout=60, what="webhooks to be answered 503",
                         progress=lambda: traffic.log)
            # the outage lasts 30 s; meanwhile the web process and the worker must stay up (cluster.wait checks)
            cluster.wait(lambda: time.monotonic() - stopped_at >= 30, timeout=60, what="30 s of outage")
            during = Counter(traffic.log.statuses)
            private_postgres.start()
            traffic.join(timeout=600)

        assert traffic.accepted == len(hooks), (traffic.log, Counter(traffic.final))
        # during the outage: 503 with Retry-After, never a 500 or a hang; the provider's redeliveries got through
        assert during[503] >= 3 and traffic.log.missing_retry_after == 0, traffic.log
        assert set(traffic.log.statuses) <= {200, 503}, traffic.log

        def unprocessed() -> tuple[int, int, Counter[tuple[str, str]]]:
            return stored(), outgoing_statuses(db, like)["sent"], unfinished_jobs(db)

        expected: tuple[int, int, Counter[tuple[str, str]]] = (len(users) + len(hooks), len(replies), Counter())
        with timed("processing after the outage"):
            cluster.wait(lambda: unprocessed() == expected, timeout=300, what="everything to be processed",
                         progress=unprocessed)

        everyone = [*first.hooks, *hooks]
        # nothing lost, nothing twice, nothing half-written
        assert incoming_message_ids(db, channel.id) == Counter({hook.message_id: 1 for hook in everyone})
        assert inbound_events(db, channel.id) == Counter({(hook.event_id, "processed"): 1 for hook in everyone})
        assert conversations_without_messages(db) == 0
        assert outgoing_statuses(db, like) == Counter({"sent": len(replies)})
        delivered = delivered_texts(line)
        assert {text: delivered[text] for _, text in replies if delivered[text] != 1} == {}
        api.close()
    finally:
        cluster.close()
