"""Retake the README's screenshots from the real UI: the demo data, served by `ruamchat demo`, seen by
Debian's headless Chromium through Playwright.   .venv/bin/python scripts/screenshots.py"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"


# an NPS invitation for a demo customer, printed as its token (the page a LINE push or an email would link to)
NPS_INVITATION = """
from django.utils import timezone
from datetime import timedelta
from ruamchat.contacts.models import Identity
from ruamchat.surveys.actions import new_token
from ruamchat.surveys.models import Invitation, Survey
identity = Identity.objects.filter(channel__kind="line").first()
invitation = Invitation.objects.create(
    survey=Survey.objects.get(kind="nps"), kind="nps", contact=identity.contact, identity=identity,
    channel=identity.channel, token=new_token(), status="sent", send_at=timezone.now(), sent_at=timezone.now(),
    expires_at=timezone.now() + timedelta(days=30), language="th")
print(invitation.token)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    port = free_port()
    env = {**os.environ, "RUAMCHAT_DATA_DIR": tempfile.mkdtemp(prefix="ruamchat-shots-")}
    server = subprocess.Popen([str(Path(sys.executable).parent / "ruamchat"), "demo", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the demo server did not start") from None
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=os.environ.get("RUAMCHAT_CHROMIUM", "/usr/bin/chromium"),
                                        args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1366, "height": 820}, locale="th-TH")
            page.goto(f"{base}/login/")
            page.fill("#id_username", "pim")
            page.fill("#id_password", "ruamchat-demo")
            page.press("#id_password", "Enter")
            page.wait_for_selector("#queue-list")
            page.goto(f"{base}/inbox/?queue=all")
            row = page.locator("#queue-list .queue-row", has_text="หม้อหุงข้าว")
            row.locator("a.queue-link").click()
            page.wait_for_selector("#message-list li.message.incoming details.email-quoted, #message-list li.message")
            page.screenshot(path=str(OUT / "email-conversation.png"))
            page.locator("a", has_text="ดูแบบที่ส่งมา").first.click()
            page.wait_for_selector(".email-html")
            page.screenshot(path=str(OUT / "email-formatted.png"))

            # the knowledge base beside a conversation: articles suggested from what the customer asked
            page.goto(f"{base}/inbox/?queue=all")
            page.locator("#queue-list .queue-row", has_text="Suda W.").locator("a.queue-link").click()
            page.wait_for_selector("#kb-suggestions .kb-suggestion", timeout=60_000)
            page.locator("#kb-panel").scroll_into_view_if_needed()
            page.screenshot(path=str(OUT / "kb-suggestions.png"))

            # the public help center on a phone: home, and a search with the matched words marked
            phone = browser.new_page(viewport={"width": 390, "height": 844}, locale="th-TH", device_scale_factor=2)
            phone.goto(f"{base}/help/th/")
            phone.screenshot(path=str(OUT / "help-center.png"))
            phone.goto(f"{base}/help/th/search?q=" + "แบ่งจ่ายบัตรเครดิตได้ไหม")
            phone.wait_for_selector("mark")
            phone.screenshot(path=str(OUT / "help-search.png"))

            # the chatbot in the website chat: a Thai question answered with an article card, then "no" → a person
            key = re.search(r"/widget/([A-Za-z0-9_-]+)\.js", phone.content())
            if key is None:
                raise SystemExit("the help center has no chat widget")
            phone.goto(f"{base}/widget/{key.group(1)}/frame?lang=th")
            phone.fill("#rc-input", "สวัสดีค่ะ ทีวีผ่อน 0% ได้นานสุดกี่เดือนคะ")
            phone.press("#rc-input", "Enter")
            phone.wait_for_selector(".rc-card", timeout=60_000)
            phone.screenshot(path=str(OUT / "bot-widget.png"))
            phone.locator(".rc-quick-button", has_text="ไม่").first.click()
            phone.wait_for_function("document.querySelectorAll('.rc-msg').length >= 4", timeout=60_000)
            page.goto(f"{base}/inbox/?queue=all")
            handed = page.locator("#queue-list .queue-row", has_text=re.compile("ส่งคำถามต่อ|นอกเวลาทำการ")).first
            handed.locator("a.queue-link").click()
            page.wait_for_selector("#bot-panel")
            page.screenshot(path=str(OUT / "bot-handoff.png"))

            # surveys: the supervisor's page, and an NPS question on a customer's phone
            supervisor = browser.new_page(viewport={"width": 1366, "height": 1100}, locale="th-TH")
            supervisor.goto(f"{base}/login/")
            supervisor.fill("#id_username", "napat")
            supervisor.fill("#id_password", "ruamchat-demo")
            supervisor.press("#id_password", "Enter")
            supervisor.wait_for_selector("#queue-list")
            supervisor.goto(f"{base}/surveys/?days=30&group=agent")
            supervisor.wait_for_selector("#survey-totals")
            supervisor.screenshot(path=str(OUT / "surveys.png"))
            token = subprocess.run(
                [str(Path(sys.executable).parent / "ruamchat"), "shell", "-c", NPS_INVITATION], env=env, check=True,
                capture_output=True, text=True).stdout.strip().splitlines()[-1]
            phone.goto(f"{base}/s/{token}/")
            phone.screenshot(path=str(OUT / "survey-nps.png"))

            # reports: the Customer service dashboard over the demo's history, and the live wallboard
            supervisor.set_viewport_size({"width": 1366, "height": 1500})
            supervisor.goto(f"{base}/reports/service/?period=30")
            supervisor.wait_for_function("() => Array.from(document.querySelectorAll('canvas[data-chart]'))"
                                         ".every(c => c.chart)")
            supervisor.screenshot(path=str(OUT / "reports.png"))
            supervisor.set_viewport_size({"width": 1366, "height": 700})
            supervisor.goto(f"{base}/reports/wallboard/")
            supervisor.wait_for_selector(".wb-team")
            supervisor.screenshot(path=str(OUT / "wallboard.png"))

            # customer 360: ปิยะนุช's page (LINE, with attributes, a note and a suggested duplicate on Facebook),
            # and the global search for a word in the middle of a Thai sentence
            supervisor.set_viewport_size({"width": 1366, "height": 1250})
            supervisor.goto(f"{base}/inbox/?queue=all")
            supervisor.locator("#queue-list .queue-row", has_text="CS-10017").locator("a.queue-link").click()
            supervisor.click("#customer-profile-link")
            supervisor.wait_for_selector("#contact-lifetime")
            supervisor.wait_for_selector("#orders-panel .order-card:not(.order-failed)", timeout=15000)
            supervisor.screenshot(path=str(OUT / "customer.png"))
            supervisor.set_viewport_size({"width": 1366, "height": 800})
            supervisor.goto(f"{base}/search/?q=" + "ฝาแตก")
            supervisor.screenshot(path=str(OUT / "search.png"))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(f"written to {OUT}")


if __name__ == "__main__":
    main()
