"""Redis restarted in the middle of traffic, for real: ruamchat's processes run against a Redis of the test's own
(the shared one is never touched), an agent has a conversation open in a browser and a visitor has the website
chat open, while a LINE customer keeps writing (5 messages a second).

Redis is stopped, stays down for a few seconds, and starts again empty (no persistence): every webhook is still
answered 200 and its message stored, the agent's page says it is reconnecting and comes back online, and every
message — before, during and after — shows up in the open conversation without a reload. Then Redis forgets
everything once more without dropping a connection (FLUSHALL, as a failover to an empty replica does): the open
websockets notice through their probes, reconnect and catch up, and a reply sent meanwhile reaches the visitor."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Frame, Page, expect

from tests.cluster.harness import (
    Api,
    Cluster,
    PrivateRedis,
    WebhookSender,
    incoming_message_ids,
    line_user_id,
    post_webhook,
    scale,
    text_webhook,
    timed,
)
from tests.fakes.line_api import FakeLineApi

pytestmark = [pytest.mark.cluster, pytest.mark.browser]

PASSWORD = "cluster-admin-password-9"
LIVE = 30_000  # ms a live update may take on a busy 2-core machine
#: a socket notices lost subscriptions within two probe intervals (realtime.consumers.PROBE_INTERVAL, 10 s),
#: then the browser reconnects after its back-off
NOTICED = 60_000

#: recorded in every frame of a page: the connection states the agent's page and the widget went through
WATCH_CONNECTION = """
(() => {
  window.rcStates = [];
  window.rcOpens = 0;
  const watch = (el, attribute) => {
    const note = () => {
      const state = el.getAttribute(attribute);
      if (window.rcStates[window.rcStates.length - 1] === state) return;
      window.rcStates.push(state);
      if (state === "online" || state === "open") window.rcOpens += 1;
    };
    note();
    new MutationObserver(note).observe(el, { attributes: true, attributeFilter: [attribute] });
  };
  // (in a frame the script may run before or after the document is parsed: look until the element is there)
  let tries = 0;
  const find = () => {
    const status = document.getElementById("connection-status");
    const widget = document.getElementById("rc-app");
    if (status) watch(status, "data-state");
    else if (widget) watch(widget, "data-connection");
    else if (tries++ < 200) setTimeout(find, 25);
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", find);
  else find();
})();
"""




def sign_in(context: BrowserContext, base: str) -> Page:
    page = context.new_page()
    page.goto(f"{base}/login/")
    page.locator("#id_username").fill("admin")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url("**/inbox/**")
    return page


def opens(page_or_frame: Page | Frame) -> int:
    return int(page_or_frame.evaluate("window.rcOpens"))


def states(page_or_frame: Page | Frame) -> list[str]:
    return list(page_or_frame.evaluate("window.rcStates"))


def wait_for_opens(page: Page, target: Page | Frame, more_than: int, timeout: int) -> None:
    """Until ``target`` (the page or the widget's frame) has connected more than ``more_than`` times."""
    deadline = time.monotonic() + timeout / 1000
    while opens(target) <= more_than:
        if time.monotonic() > deadline:
            raise AssertionError(f"no new connection within {timeout / 1000:.0f} s: {states(target)}")
        page.wait_for_timeout(200)  # lets Playwright run; polling the condition above, bounded by the deadline


def test_redis_restart_loses_nothing_and_browsers_reconnect_and_catch_up(
    redis_cluster: Cluster, private_redis: PrivateRedis, line: FakeLineApi, chromium: Any
) -> None:
    cluster = redis_cluster
    web = cluster.serve_asgi("web", ready=False)
    cluster.worker("worker")
    token = cluster.create_admin("admin", PASSWORD)
    cluster.wait_http(web)
    api = Api(web.url, token)
    team_id = api.create_team()["id"]
    channel = api.create_line_channel(team_id)
    website = api.post("/channels", {"kind": "website", "name": "เว็บไซต์ร้าน", "default_team_id": team_id})
    customer, others = line_user_id(), [line_user_id() for _ in range(3)]
    line.add_profile(customer, "สมหญิง ใจดี")
    hook = channel.hook_url(web.url)

    first = text_webhook(channel, customer, "สวัสดีค่ะ สั่งเสื้อไปสองตัว ได้มาตัวเดียวค่ะ (0)", "830000000000000000")
    assert post_webhook(hook, first).status_code == 200
    cluster.wait(lambda: incoming_message_ids(cluster.database, channel.id)[first.message_id] == 1, timeout=60,
                 what="the first message to be stored")
    [conversation_id] = api.conversation_ids(channel.id)

    agent_context = chromium.new_context(viewport={"width": 1366, "height": 900})
    visitor_context = chromium.new_context(viewport={"width": 1280, "height": 800}, locale="th-TH")
    agent_context.add_init_script(WATCH_CONNECTION)
    visitor_context.add_init_script(WATCH_CONNECTION)
    try:
        # The agent has the conversation open; the visitor has the shop's chat open and has written.
        page = sign_in(agent_context, web.url)
        page.goto(f"{web.url}/inbox/c/{conversation_id}/?queue=all")
        status = page.locator("#connection-status")
        expect(status).to_have_attribute("data-state", "online", timeout=LIVE)
        page.evaluate("window.rcSameDocument = true")
        shop = visitor_context.new_page()
        shop.goto(f"{web.url}/widget/{website['key']}/demo")
        shop.locator("ruamchat-widget .rc-bubble").click()
        widget = shop.frame_locator("ruamchat-widget iframe")
        expect(widget.locator("#rc-app")).to_have_attribute("data-connection", "open", timeout=LIVE)
        widget.locator("#rc-input").fill("สวัสดีค่ะ เสื้อไซซ์ M ยังมีไหมคะ")
        widget.locator("#rc-input").press("Enter")
        expect(widget.locator(".rc-msg--visitor").first).to_have_attribute("data-state", "sent", timeout=LIVE)
        widget_frame = next(f for f in shop.frames if "/frame" in f.url)
        shop.evaluate("window.rcSameDocument = true")
        [visitor_conversation] = api.conversation_ids(int(website["id"]))

        # Healthy and idle: the connections stay up (Redis' blocking reads must not time out under them). (The
        # widget may have reconnected once already: its first message can wait long for its acknowledgement
        # while a fresh web process loads its language data.)
        agent_opens, visitor_opens = opens(page), opens(widget_frame)
        page.wait_for_timeout(12_000)  # the idle period itself is what is checked, not a wait for something
        assert opens(page) == agent_opens, states(page)
        assert opens(widget_frame) == visitor_opens, states(widget_frame)

        # The stream: the customer writes 5 times a second; three others write in between.
        count = scale(150, minimum=40)
        hooks = [text_webhook(channel, others[i % 3] if i % 10 == 5 else customer,
                              f"ข้อความที่ {i} จากลูกค้า เรื่องเสื้อที่ยังไม่ได้รับ ({i})", str(830000000000000001 + i))
                 for i in range(count)]
        sender = WebhookSender([hook], hooks, concurrency=4, rate=5)
        sender.start()

        def accepted_at_least(n: int) -> None:
            cluster.wait(lambda: sender.accepted >= n or sender.finished_all, timeout=120,
                         what=f"{n} webhooks to be answered", progress=lambda: sender.log)

        # 1. Redis stops and is down for a while (3 s at least), then starts again, empty.
        accepted_at_least(count // 6)
        with timed("Redis stopped, down, started"):
            stopped = time.monotonic()
            private_redis.stop()
            expect(status).to_have_attribute("data-state", "reconnecting", timeout=LIVE)
            page.wait_for_timeout(max(0, int((stopped + 3 - time.monotonic()) * 1000)))  # the outage's length
            private_redis.start()
        # back online: the browser's back-off (up to 15 s) after the failed tries of the outage, plus a try that
        # may meet Redis still starting (a read times out after 15 s) on a loaded machine
        expect(status).to_have_attribute("data-state", "online", timeout=NOTICED)
        assert opens(page) > agent_opens, states(page)
        assert "reconnecting" in states(page)
        wait_for_opens(page, widget_frame, visitor_opens, NOTICED)  # the widget is back too
        agent_opens, visitor_opens = opens(page), opens(widget_frame)

        # 2. Redis forgets everything without dropping a connection: the sockets' probes notice.
        accepted_at_least(count // 2)
        private_redis.flush()
        reply_text = "ขออภัยค่ะ ไซซ์ M หมดแล้ว มีไซซ์ L แทนได้ไหมคะ"
        api.reply(visitor_conversation, reply_text)
        with timed("sockets noticed the lost subscriptions"):
            wait_for_opens(page, page, agent_opens, NOTICED)
            wait_for_opens(page, widget_frame, visitor_opens, NOTICED)
        expect(status).to_have_attribute("data-state", "online", timeout=LIVE)

        # Every webhook was answered 200 at once (Redis is not on the way in), and every message stored once.
        sender.join(timeout=300)
        assert sender.log.statuses == Counter({200: count}), sender.log
        expected = {h.message_id for h in hooks} | {first.message_id}
        cluster.wait(lambda: set(incoming_message_ids(cluster.database, channel.id)) >= expected, timeout=120,
                     what="every message to be stored",
                     progress=lambda: len(expected - set(incoming_message_ids(cluster.database, channel.id))))
        stored = incoming_message_ids(cluster.database, channel.id)
        assert {mid: n for mid, n in stored.items() if n != 1} == {}
        assert set(stored) == expected

        # 3. After it all, messages still come live; and everything is on the agent's page, without a reload.
        last = text_webhook(channel, customer, "ตกลงค่ะ รอเลขพัสดุนะคะ (last)", str(830000000000000001 + count))
        assert post_webhook(hook, last).status_code == 200
        messages = page.locator("#message-list")
        expect(messages).to_contain_text(last.text, timeout=LIVE)
        shown = messages.inner_text()
        mine = [h.text for h in hooks if h.user_id == customer] + [first.text]
        assert [text for text in mine if text not in shown] == []
        queue = page.locator("#queue-list")
        expect(queue.locator(".queue-row")).to_have_count(5, timeout=LIVE)  # 4 LINE customers and the visitor
        for other in others:  # each other customer's latest message is the preview in the list
            latest = [i for i, h in enumerate(hooks) if h.user_id == other][-1]
            expect(queue).to_contain_text(f"ข้อความที่ {latest} ", timeout=LIVE)
        assert page.evaluate("window.rcSameDocument") is True, "the agent's page was reloaded"

        # The visitor got the reply sent while the subscriptions were lost, without reloading either.
        expect(widget.locator(".rc-msg--agent", has_text=reply_text)).to_be_visible(timeout=LIVE)
        expect(widget.locator("#rc-app")).to_have_attribute("data-connection", "open")
        assert shop.evaluate("window.rcSameDocument") is True, "the shop page was reloaded"
        cluster.check_alive()  # neither the web process nor the worker died of it
        print(f"[cluster] agent page states: {states(page)}; widget: {states(widget_frame)}; "
              f"webhooks {json.dumps(dict(sender.log.statuses))}", flush=True)
    finally:
        agent_context.close()
        visitor_context.close()
        api.close()
