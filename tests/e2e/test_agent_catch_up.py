"""An agent whose connection drops catches up on what happened meanwhile, without reloading."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import WebSocketRoute, expect

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-battery-9"



class Outage:
    """Between the agent's browser and the server: passes websockets through until cut."""

    def __init__(self) -> None:
        self.down = False
        self.open: list[tuple[WebSocketRoute, WebSocketRoute]] = []

    def route(self, page_side: WebSocketRoute) -> None:
        if self.down:
            page_side.close(code=4000, reason="network down")
            return
        server_side = page_side.connect_to_server()
        self.open.append((page_side, server_side))

    def cut(self) -> None:
        self.down = True
        for page_side, server_side in self.open:
            page_side.close(code=4000, reason="network down")
            server_side.close()
        self.open.clear()


def test_agent_catches_up_after_losing_the_connection(
    live_server_url: str, chromium: Any, make_agent: Any, team: Any, visitor_says: Any
) -> None:
    make_agent(teams=[team], username="kanya", password=PASSWORD)
    conversation = visitor_says("สวัสดีค่ะ ขอสอบถามเรื่องการจัดส่ง", visitor="visitor-catchup-aaaaaaaaaaaa").conversation
    outage = Outage()
    context = chromium.new_context(viewport={"width": 1366, "height": 768})
    context.route_web_socket(re.compile(r"/ws/agent/"), outage.route)
    page = context.new_page()
    try:
        page.goto(f"{live_server_url}/login/")
        page.locator("#id_username").fill("kanya")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("#id_password").press("Enter")
        page.goto(f"{live_server_url}/inbox/c/{conversation.pk}/?queue=unassigned")
        status = page.locator("#connection-status")
        expect(status).to_have_attribute("data-state", "online")
        expect(page.locator("#queue-list .queue-row")).to_have_count(1)

        context.set_offline(True)
        outage.cut()
        expect(status).to_have_attribute("data-state", "reconnecting")
        # while the agent is cut off: the customer writes again, and someone new writes in
        visitor_says("ส่งเลขพัสดุให้หน่อยได้ไหมคะ", visitor="visitor-catchup-aaaaaaaaaaaa")
        visitor_says("มีสินค้าไซส์ L ไหมครับ", visitor="visitor-newcomer-aaaaaaaaaaa")

        outage.down = False
        context.set_offline(False)
        expect(status).to_have_attribute("data-state", "online", timeout=20_000)
        expect(page.locator("#message-list")).to_contain_text("ส่งเลขพัสดุให้หน่อยได้ไหมคะ")
        expect(page.locator("#queue-list .queue-row")).to_have_count(2)
        expect(page.locator("#queue-list")).to_contain_text("มีสินค้าไซส์ L ไหมครับ")
    finally:
        context.close()


def test_a_handshake_that_never_answers_is_given_up_and_the_page_comes_online(
    live_server_url: str, chromium: Any, make_agent: Any, team: Any
) -> None:
    import socket
    import threading

    make_agent(teams=[team], username="kanya", password=PASSWORD)
    # a server that takes the connection and never answers the handshake (a stuck process behind a proxy)
    silent = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.append(silent.accept()[0]), daemon=True).start()
    context = chromium.new_context()
    # the page's first agent socket goes to the silent server; later ones to ruamchat
    context.add_init_script(f"""(() => {{
      const Real = window.WebSocket;
      let first = true;
      function Redirected(url, protocols) {{
        if (first && String(url).indexOf("/ws/agent/") >= 0) {{
          first = false;
          url = "ws://127.0.0.1:{silent.getsockname()[1]}/ws/agent/";
        }}
        return new Real(url, protocols);
      }}
      Redirected.prototype = Real.prototype;
      for (const name of ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]) Redirected[name] = Real[name];
      window.WebSocket = Redirected;
    }})();""")
    page = context.new_page()
    try:
        page.goto(f"{live_server_url}/login/")
        page.locator("#id_username").fill("kanya")
        page.locator("#id_password").fill(PASSWORD)
        page.locator("#id_password").press("Enter")
        expect(page.locator("#connection-status")).to_have_attribute("data-state", "online", timeout=45_000)
        assert len(held) == 1  # the first try did reach the silent server and was given up
    finally:
        context.close()
        for connection in held:
            connection.close()
        silent.close()
