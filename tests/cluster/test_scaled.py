"""The scaled set-up, run for real as separate processes on PostgreSQL and Redis: live events cross from one
web process to a browser on another (directly and through nginx with deploy/nginx/ruamchat.conf), and two
workers never send one reply twice."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from functools import partial
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, WebSocket, expect

from tests.cluster.harness import (
    Api,
    Cluster,
    ReplySender,
    WebhookSender,
    count_incoming,
    delivered_texts,
    job_holders,
    jobs_by_status,
    line_user_id,
    many_text_webhooks,
    outgoing_statuses,
    post_webhook,
    push_requests_by_text,
    pushes_by_retry_key,
    scale,
    text_webhook,
    timed,
)
from tests.fakes.line_api import FakeLineApi

pytestmark = [pytest.mark.cluster]

PASSWORD = "cluster-admin-password-9"
LIVE = 30_000  # ms a live update may take on a busy 2-core machine (it takes well under a second when idle)


class Sockets:
    """The websockets a page opens and the events they receive ({"type": "event", ...} frames)."""

    def __init__(self, page: Page) -> None:
        self.urls: list[str] = []
        self.events: list[tuple[str, dict[str, Any]]] = []
        page.on("websocket", self._opened)

    def _opened(self, socket: WebSocket) -> None:
        self.urls.append(socket.url)
        socket.on("framereceived", lambda payload: self._frame(socket.url, payload))

    def _frame(self, url: str, payload: str | bytes) -> None:
        try:
            data = json.loads(payload)
        except ValueError:
            return
        if isinstance(data, dict) and data.get("type") == "event":
            self.events.append((url, data))

    def message_ids(self, event: str, conversation_id: int) -> set[int]:
        return {int(data["payload"]["message_id"]) for _, data in self.events
                if data.get("event") == event and data["payload"].get("conversation_id") == conversation_id}


def sign_in(context: BrowserContext, base: str, username: str = "admin") -> Page:
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(re.compile(r"/inbox/"))
    return page


def open_live(page: Page, url: str) -> None:
    """Go to ``url``, wait until its websocket is connected, and mark the document: ``same_document`` tells later
    whether anything since came live or by reloading."""
    page.goto(url)
    expect(page.locator("#connection-status")).to_have_attribute("data-state", "online", timeout=LIVE)
    page.evaluate("window.rcClusterMark = 'still the same document'")


def same_document(page: Page) -> bool:
    return bool(page.evaluate("window.rcClusterMark === 'still the same document'"))


def message_id_with_text(api: Api, conversation_id: int, text: str) -> int:
    found = [m["id"] for m in api.messages(conversation_id) if m["text"] == text]
    assert len(found) == 1, f"{text!r} stored {len(found)} times"
    return int(found[0])


@pytest.mark.browser
def test_an_event_from_one_web_process_reaches_a_browser_on_another_directly_and_through_nginx(
    cluster: Cluster, line: FakeLineApi, chromium: Any
) -> None:
    web_a = cluster.serve_asgi("web-a", ready=False)
    web_b = cluster.serve_asgi("web-b", ready=False)
    cluster.worker("worker")
    token = cluster.create_admin("admin", PASSWORD)
    cluster.wait_http(web_a)
    cluster.wait_http(web_b)
    api_a = Api(web_a.url, token)
    channel = api_a.create_line_channel(api_a.create_team()["id"])
    customer = line_user_id()
    line.add_profile(customer, "สมหญิง ใจดี")
    hook_on_a = channel.hook_url(web_a.url)

    context = chromium.new_context(viewport={"width": 1366, "height": 768})
    try:
        # The agent's browser talks only to B: the page, and the websocket the events come through.
        page = sign_in(context, web_b.url)
        sockets = Sockets(page)
        open_live(page, f"{web_b.url}/inbox/?queue=all")
        assert sockets.urls and all(f":{web_b.port}/ws/" in url for url in sockets.urls), sockets.urls

        # A customer writes: the webhook goes to A, the worker (a third process) stores it, the list on B shows it.
        first = text_webhook(channel, customer, "สวัสดีค่ะ สั่งเสื้อไปเมื่อวาน ยังไม่ได้เลขพัสดุเลยค่ะ", "810000000000000001")
        assert post_webhook(hook_on_a, first).status_code == 200
        expect(page.locator("#queue-list")).to_contain_text(first.text, timeout=LIVE)
        assert same_document(page)

        [conversation_id] = api_a.conversation_ids(channel.id)
        open_live(page, f"{web_b.url}/inbox/c/{conversation_id}/?queue=all")
        second = text_webhook(channel, customer, "ขอเปลี่ยนเป็นไซซ์ M ได้ไหมคะ", "810000000000000002")
        assert post_webhook(hook_on_a, second).status_code == 200
        expect(page.locator("#message-list")).to_contain_text(second.text, timeout=LIVE)

        # An agent answers through A's API: B's browser shows it, the worker sends it to LINE once.
        reply_text = "ได้เลยค่ะ เปลี่ยนเป็นไซซ์ M ให้แล้ว จะส่งเลขพัสดุให้ภายในวันนี้นะคะ"
        reply = api_a.reply(conversation_id, reply_text)
        expect(page.locator("#message-list")).to_contain_text(reply_text, timeout=LIVE)
        cluster.wait(lambda: delivered_texts(line)[reply_text] >= 1, timeout=60, what="the reply to reach LINE")
        assert line.texts_to(customer) == [reply_text]
        assert same_document(page), "the page was reloaded: the messages did not come live"
        # ... and they came through B's websocket, as events published by other processes
        assert {message_id_with_text(api_a, conversation_id, second.text), int(reply["id"])} <= \
            sockets.message_ids("message.created", conversation_id)

        # The same through nginx with the deploy configuration: / to two WSGI processes, /ws/ to A and B.
        http_1 = cluster.serve_wsgi("http-1", ready=False)
        http_2 = cluster.serve_wsgi("http-2", ready=False)
        cluster.wait_http(http_1)
        cluster.wait_http(http_2)
        proxy = cluster.nginx("nginx", http=[http_1, http_2], ws=[web_a, web_b])
        proxied = chromium.new_context(viewport={"width": 1366, "height": 768})
        try:
            static: list[tuple[str, int]] = []
            proxied.on("response", lambda r: static.append((r.url, r.status)) if "/static/" in r.url else None)
            through = sign_in(proxied, proxy.url)
            proxied_sockets = Sockets(through)
            open_live(through, f"{proxy.url}/inbox/c/{conversation_id}/?queue=all")
            expect(through.locator("#message-list")).to_contain_text(reply_text)
            assert proxied_sockets.urls and all(u.startswith(f"ws://127.0.0.1:{proxy.port}/ws/agent/")
                                                for u in proxied_sockets.urls), proxied_sockets.urls
            assert any(url.endswith("/app.js") for url, _ in static), static
            assert all(status in (200, 304) for _, status in static), static

            third = text_webhook(channel, customer, "ขอบคุณมากค่ะ 🙏 รอเลขพัสดุนะคะ", "810000000000000003")
            assert post_webhook(channel.hook_url(proxy.url), third).status_code == 200
            expect(through.locator("#message-list")).to_contain_text(third.text, timeout=LIVE)
            # the WSGI process that took it has no websockets: the event reached B's browser through Redis too
            expect(page.locator("#message-list")).to_contain_text(third.text, timeout=LIVE)

            second_reply = "ยินดีค่ะ เลขพัสดุคือ TH12345678 นะคะ"
            with Api(proxy.url, token) as api_proxy:
                api_proxy.reply(conversation_id, second_reply)
            expect(through.locator("#message-list")).to_contain_text(second_reply, timeout=LIVE)
            expect(page.locator("#message-list")).to_contain_text(second_reply, timeout=LIVE)
            cluster.wait(lambda: delivered_texts(line)[second_reply] >= 1, timeout=60,
                         what="the second reply to reach LINE")
            assert same_document(through) and same_document(page)
            assert line.texts_to(customer) == [reply_text, second_reply]
        finally:
            proxied.close()
    finally:
        context.close()
        api_a.close()

    # nginx sent the websocket to an ASGI process and everything else to the two WSGI processes (a websocket is
    # logged when it closes: the browser is closed now)
    cluster.wait(lambda: any(" /ws/agent/ " in entry for entry in proxy.access_log_lines()), timeout=30,
                 what="nginx to log the websocket")
    requests = [entry.split() for entry in proxy.access_log_lines()]
    ws_upstreams = {f"upstream=127.0.0.1:{p.port}" for p in (web_a, web_b)}
    http_upstreams = {f"upstream=127.0.0.1:{p.port}" for p in (http_1, http_2)}
    upgrades = [r for r in requests if r[1] == "/ws/agent/"]
    assert upgrades and all(r[2] == "101" and r[3] in ws_upstreams for r in upgrades), upgrades
    plain = [r for r in requests if not r[1].startswith("/ws/")]
    assert {r[3] for r in plain} == http_upstreams, plain  # both WSGI processes served, nothing else did
    assert ["POST", channel.hook_path, "200"] in [r[:3] for r in plain]
    # and passed the client's address on (X-Forwarded-For)
    assert all('xff="127.0.0.1"' in " ".join(r) for r in plain)


def test_two_workers_never_send_the_same_reply_twice(cluster: Cluster, line: FakeLineApi) -> None:
    web = cluster.serve_wsgi("web", threads=8, ready=False)
    workers = [cluster.worker("worker-1", concurrency=4), cluster.worker("worker-2", concurrency=4)]
    token = cluster.create_admin("admin", PASSWORD)
    cluster.wait_http(web)
    api = Api(web.url, token)
    channel = api.create_line_channel(api.create_team()["id"])
    users = [line_user_id() for _ in range(12)]
    for n, user in enumerate(users):
        line.add_profile(user, f"ลูกค้า {n}")
    seed = WebhookSender([channel.hook_url(web.url)], many_text_webhooks(channel, users, len(users),
                                                                         first_message_id=820_000_000_000_000_000))
    seed.run()
    assert seed.accepted == len(users), seed.log
    cluster.wait(lambda: count_incoming(cluster.database, channel.id) == len(users),
                 timeout=120, what="the customers' first messages to be stored")
    conversations = api.conversation_ids(channel.id)
    assert len(conversations) == len(users)

    tag = uuid.uuid4().hex[:6]
    total = scale(500, minimum=20)
    replies = [(conversations[i % len(conversations)], f"ขอบคุณที่รอค่ะ ทีมงานดูแลเรื่องนี้ให้แล้วนะคะ [{tag}-{i:04d}]")
               for i in range(total)]
    like = f"%[{tag}-%"

    def sent() -> int:
        return outgoing_statuses(cluster.database, like)["sent"]

    def sent_at_least(count: int) -> bool:
        return sent() >= count

    # In bursts of 100 from 8 clients; the next burst starts while the workers are still sending the last.
    with timed(f"{total} replies created and sent by two workers"):
        for start in range(0, total, 100):
            burst = ReplySender([web.url], token, replies[start:start + 100], concurrency=8)
            burst.run()
            assert burst.log.statuses == Counter({201: len(burst.replies)}), burst.log
            posted = start + len(burst.replies)
            cluster.wait(partial(sent_at_least, posted // 2), timeout=300, what="the workers to keep up",
                         progress=lambda: outgoing_statuses(cluster.database, like))
        cluster.wait(lambda: sent() == total, timeout=300, what=f"all {total} replies to be sent",
                     progress=lambda: outgoing_statuses(cluster.database, like))

    texts = {text for _, text in replies}
    assert outgoing_statuses(cluster.database, like) == Counter({"sent": total})
    # LINE got exactly one push request per reply (not merely one accepted), each with its own retry key
    pushed = push_requests_by_text(line)
    assert {text: pushed[text] for text in texts if pushed[text] != 1} == {}
    assert sum(pushed[text] for text in texts) == total
    keys = pushes_by_retry_key(line)
    assert "" not in keys and {key: n for key, n in keys.items() if n != 1} == {}
    # and every customer received each reply exactly once
    delivered = delivered_texts(line)
    assert {text: delivered[text] for text in texts if delivered[text] != 1} == {}
    # both workers did their share of the sending: they really competed for the same queue
    holders = job_holders(cluster.database, "inbox.deliver_message")
    assert {w.pid for w in workers} <= set(holders), (holders, [w.pid for w in workers])
    assert not [key for key in jobs_by_status(cluster.database) if key[1] == "failed"]
    api.close()
