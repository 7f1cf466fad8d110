"""Realistic Thai demo data, made through the same actions the product uses.

Only the timestamps are moved back afterwards (a demo needs yesterday's conversations); that
back-dating is the one write here that no action makes, and it touches demo rows only. The exception
is the reports' history (``demo.history``): three months of past conversations written in bulk, as
the actions would have left them, before the hand-made ones.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from ruamchat.accounts.actions import create_agent, create_team
from ruamchat.accounts.models import Team
from ruamchat.connectors.actions import create_channel
from ruamchat.connectors.models import Channel
from ruamchat.connectors.website.actions import identify_visitor, receive_visitor_message
from ruamchat.demo import history
from ruamchat.inbox import actions
from ruamchat.inbox.models import Conversation, Event, Message
from ruamchat.kb.actions import import_knowledge_base, save_help_center
from ruamchat.reports.actions import rebuild_all

DEMO_PASSWORD = "ruamchat-demo"  # noqa: S105 — printed on screen for the demo logins
#: the past conversations the reports show (demo.history), written in about a second
HISTORY_CONVERSATIONS = 800
HISTORY_DAYS = 90

AGENTS = [
    ("admin", "ผู้ดูแลระบบ", "admin", []),
    ("napat", "ณภัทร (หัวหน้าทีม)", "supervisor", ["service", "support"]),
    ("somchai", "สมชาย", "agent", ["service"]),
    ("kanya", "กัญญา", "agent", ["service"]),
    ("wichai", "วิชัย", "agent", ["support"]),
    ("pim", "พิมพ์", "agent", ["support"]),
]

CANNED = [
    ("hello", "ทักทาย", "สวัสดีค่ะ ยินดีให้บริการค่ะ มีอะไรให้ช่วยไหมคะ"),
    ("thanks", "ขอบคุณ", "ขอบคุณที่ติดต่อเรานะคะ หากมีคำถามเพิ่มเติมทักมาได้ตลอดเลยค่ะ"),
    ("tracking", "เลขพัสดุ", "รบกวนแจ้งเลขที่คำสั่งซื้อ (เช่น ORD-12345) เพื่อให้เราตรวจสอบสถานะการจัดส่งค่ะ"),
    ("refund", "ขั้นตอนคืนเงิน", "การคืนเงินจะดำเนินการภายใน 7-14 วันทำการ กลับเข้าช่องทางเดิมที่ชำระค่ะ"),
    ("hours", "เวลาทำการ", "ทีมงานให้บริการ จันทร์–เสาร์ 09:00–18:00 น. (ยกเว้นวันหยุดนักขัตฤกษ์) ค่ะ"),
    ("hello-en", "Greeting (English)", "Hello! Thank you for contacting us. How can I help you today?"),
]

# (visitor, name, email, minutes ago, [(who, text)], status, priority, team, assignee, tags)
CONVERSATIONS: list[tuple[Any, ...]] = [
    ("demo-visitor-malee-000000000001", "มาลี ใจดี", "malee@example.com", 4,
     [("c", "สวัสดีค่ะ สั่งเสื้อไปเมื่อวันจันทร์ ยังไม่ได้รับของเลยค่ะ เลขที่ ORD-10234")],
     "open", 2, "service", None, ["สอบถาม"]),
    ("demo-visitor-anan-0000000000002", "อนันต์ ศรีสุข", "", 12,
     [("c", "ปลั๊กพ่วงที่ซื้อไปมีควันออกมาตอนเสียบครับ อันตรายมาก"),
      ("c", "ตอนนี้ถอดปลั๊กแล้วครับ ต้องทำยังไงต่อ")],
     "open", 0, "support", None, ["ความปลอดภัย"]),
    ("demo-visitor-jane-0000000000003", "Jane Miller", "jane@example.com", 25,
     [("c", "Hi, I was charged twice for order ORD-10299. Can you check please?")],
     "open", 1, "support", "wichai", ["payment"]),
    ("demo-visitor-sompong-000000004", "สมปอง", "", 40,
     [("c", "มีไซส์ XL สีดำไหมคะ"), ("a:somchai", "มีค่ะ เหลือ 3 ตัวสุดท้ายค่ะ"),
      ("c", "โอเคค่ะ เดี๋ยวสั่งเลย")],
     "pending", 2, "service", "somchai", []),
    ("demo-visitor-nok-00000000000005", "นก", "nok@example.com", 90,
     [("c", "ขอคืนสินค้าได้ไหมคะ รองเท้าไซส์เล็กไป"),
      ("a:kanya", "ได้ค่ะ รบกวนส่งรูปสินค้าและใบเสร็จมาให้ดูหน่อยนะคะ")],
     "open", 2, "service", "kanya", ["คืนสินค้า"]),
    ("demo-visitor-preecha-00000000006", "ปรีชา", "", 60 * 26,
     [("c", "ขอบคุณมากครับ ได้ของแล้ว"), ("a:somchai", "ยินดีค่ะ ขอบคุณที่ใช้บริการนะคะ")],
     "resolved", 3, "service", "somchai", []),
    ("demo-visitor-wan-00000000000007", "วรรณา", "wanna@example.com", 60 * 5,
     [("c", "แอปล็อกอินไม่ได้ ขึ้นรหัสผ่านไม่ถูกต้องตลอดเลยค่ะ"),
      ("a:pim", "ลองกดลืมรหัสผ่านแล้วตั้งใหม่ดูนะคะ ถ้ายังไม่ได้แจ้งได้เลยค่ะ")],
     "snoozed", 2, "support", "pim", ["บัญชี"]),
    ("demo-visitor-tom-00000000000008", "Tom", "", 60 * 50,
     [("c", "Do you ship to Chiang Mai?"), ("a:kanya", "Yes, 2-3 business days by Kerry Express.")],
     "closed", 3, "service", "kanya", []),
    ("demo-visitor-lek-00000000000009", "เล็ก", "", 7,
     [("c", "โอนเงินแล้วแต่สถานะยังขึ้นว่ารอชำระเงินค่ะ แนบสลิปให้แล้วนะคะ")],
     "open", 1, "service", None, ["payment"]),
]


@transaction.atomic
def seed_demo() -> bool:
    """Load the demo once; returns False when it was already there (so a second run keeps its data)."""
    user_model = get_user_model()
    if user_model.objects.filter(username="admin").exists():
        return False
    service = create_team(actor=None, name="ฝ่ายบริการลูกค้า", kind="service")
    support = create_team(actor=None, name="ฝ่ายซัพพอร์ต", kind="support")
    teams = {"service": service, "support": support}
    users: dict[str, Any] = {}
    for username, display, role, team_kinds in AGENTS:
        users[username] = create_agent(
            actor=None, username=username, password=DEMO_PASSWORD, display_name=display, role=role,
            teams=[teams[k] for k in team_kinds], language="th",
        ).user
    for shortcut, title, text in CANNED:
        actions.save_canned_response(actor=None, shortcut=shortcut, title=title, text=text)
    _seed_routing(service, support)
    website = create_channel(actor=None, kind="website", name="เว็บไซต์ร้าน ชวนช้อป", default_team=service,
                             config={"prechat": False})
    _seed_knowledge_base(website)
    now = timezone.now()
    admin = users["admin"]
    line, page, mailbox = _line_channel(service), _messenger_channel(service), _email_channel(support)
    # three months of past conversations for the reports, written before the hand-made ones below; none left
    # in a queue, so the inbox shows the hand-made ones on top
    history.generate(conversations=HISTORY_CONVERSATIONS, days=HISTORY_DAYS, backlog=False)
    _seed_line(line, admin)
    _seed_messenger(page)
    _seed_email(mailbox)
    for n, (visitor, name, email, minutes, lines, status, priority, team, assignee, tags) in enumerate(CONVERSATIONS):
        identify_visitor(channel=website, visitor_token=visitor, name=name, email=email)
        conversation = None
        for i, (who, text) in enumerate(lines):
            if who == "c":
                message = receive_visitor_message(channel=website, visitor_token=visitor,
                                                  client_id=f"demo-{n:03d}-{i:03d}", text=text)
                if conversation is None:
                    conversation = _route(message.conversation, admin, teams[team],
                                          users[assignee] if assignee else None, priority)
            else:
                assert conversation is not None
                actions.send_reply(conversation=conversation, actor=users[who.split(":", 1)[1]], text=text)
        assert conversation is not None
        for tag_name in tags:
            actions.tag(conversation=conversation, actor=admin, name=tag_name)
        if status == "snoozed":
            actions.change_status(conversation=conversation, actor=admin, status=status,
                                  snoozed_until=now + timedelta(hours=3))
        elif status != "open":
            actions.change_status(conversation=conversation, actor=admin, status=status)
        _backdate(conversation.pk, minutes)
    _seed_bot(website)
    _seed_surveys(website, users)
    _seed_customers(admin)
    rebuild_all()  # the dashboards show the history at once (then the periodic catch-up keeps them current)
    return True


# The survey answers of the last weeks: (days ago, kind, score, comment, agent) — CSAT on the website chat,
# NPS and CES after support cases; a few unhappy ones opened follow-ups.
SURVEY_HISTORY = [
    (1, "csat", 5, "แอดมินตอบไวมาก สุภาพด้วยค่ะ ประทับใจ", "somchai"),
    (1, "csat", 4, "", "somchai"),
    (2, "csat", 5, "Very helpful, thank you!", "kanya"),
    (2, "csat", 2, "รอนานมากกว่าจะมีคนตอบ", "kanya"),
    (3, "csat", 5, "", "somchai"),
    (3, "csat", 4, "ได้ของเร็วดีค่ะ", "somchai"),
    (4, "csat", 3, "ตอบช้านิดหน่อย แต่ก็แก้ปัญหาได้", "kanya"),
    (5, "csat", 5, "ขอบคุณมากครับ ช่วยได้เยอะเลย", "kanya"),
    (6, "csat", 1, "ของแตกมา ขอเปลี่ยนแล้วยังไม่ได้เลย", "somchai"),
    (8, "csat", 4, "", "somchai"),
    (9, "csat", 5, "บริการดีมากค่ะ 👍", "kanya"),
    (11, "csat", 4, "The agent was polite", "somchai"),
    (13, "csat", 5, "", "kanya"),
    (2, "nps", 10, "ราคาดี ส่งไว จะแนะนำเพื่อนค่ะ", "wichai"),
    (3, "nps", 9, "", "wichai"),
    (5, "nps", 8, "ค่าส่งแพงไปหน่อย", "wichai"),
    (6, "nps", 4, "เครื่องเสียซ้ำสองครั้ง ไม่ประทับใจเลย", "wichai"),
    (9, "nps", 10, "Great products and fast delivery", "wichai"),
    (12, "nps", 7, "", "wichai"),
    (2, "ces", 6, "", "wichai"),
    (4, "ces", 7, "ง่ายมาก คุยแชทครั้งเดียวจบ", "wichai"),
    (7, "ces", 3, "ต้องส่งรูปหลายรอบ ยุ่งยากค่ะ", "wichai"),
]


def _seed_surveys(website: Any, users: dict[str, Any]) -> None:
    """CSAT on every channel for the Service team (after the demo's own conversations), CES right after a support
    case and NPS seven days after, and some weeks of answers so the Surveys page has something to show."""
    from ruamchat.contacts.actions import identify
    from ruamchat.surveys.actions import answer_on_page, new_token
    from ruamchat.surveys.models import FollowUp, Invitation, Response, Survey, Trigger

    csat = Survey.objects.get(kind="csat")
    csat.channels.set(Channel.objects.all())
    # each team by its own yardstick: CSAT for the Service team; support cases get CES at once and NPS a week later
    csat.skip_teams.set(Team.objects.filter(kind=Team.Kind.SUPPORT))
    nps, ces = Survey.objects.get(kind="nps"), Survey.objects.get(kind="ces")
    Trigger.objects.create(survey=nps, team_kind="support", delay_minutes=7 * 24 * 60)
    Trigger.objects.create(survey=ces, team_kind="support", delay_minutes=0)
    teams = {t.kind: t for t in Team.objects.all()}
    now = timezone.now()
    surveys = {"csat": csat, "nps": nps, "ces": ces}
    for n, (days, kind, score, comment, agent) in enumerate(SURVEY_HISTORY):
        identity = identify(channel=website, external_id=f"demo-survey-{n:03d}-aaaaaaaaaaaaaaaa",
                            name=f"ลูกค้า {n + 1}", language="en" if comment.isascii() and comment else "th")
        when = now - timedelta(days=days, hours=n % 7)
        invitation = Invitation.objects.create(
            survey=surveys[kind], kind=kind, contact=identity.contact, identity=identity, channel=website,
            token=new_token(), status="sent", send_at=when, sent_at=when, expires_at=now + timedelta(days=30),
            language=identity.contact.language or "th", agent=users.get(agent),
            team=teams["support" if kind != "csat" else "service"])
        answer_on_page(invitation=invitation, score=score, comment=comment or None)
        Response.objects.filter(invitation=invitation).update(answered_at=when + timedelta(minutes=20))
        Invitation.objects.filter(pk=invitation.pk).update(answered_at=when + timedelta(minutes=20))
        FollowUp.objects.filter(response__invitation=invitation).update(created_at=when + timedelta(minutes=20))
    for n in range(6):  # invitations nobody answered (the response rate)
        identity = identify(channel=website, external_id=f"demo-survey-quiet-{n:02d}-aaaaaaaaaaaa")
        Invitation.objects.create(survey=csat, kind="csat", contact=identity.contact, identity=identity,
                                  channel=website, token=new_token(), status="sent", send_at=now, language="th",
                                  sent_at=now - timedelta(days=n + 1), team=teams["service"])


# What the shop keeps about its customers (Customers → a customer's page; Admin → Customer attributes)
ATTRIBUTES = [
    ("member_level", "ระดับสมาชิก", "Member level", "list", "Silver\nGold\nPlatinum"),
    ("points", "แต้มสะสม", "Points", "number", ""),
    ("birthday", "วันเกิด", "Birthday", "date", ""),
    ("wholesale", "ลูกค้าขายส่ง", "Wholesale customer", "boolean", ""),
    ("shop_page", "หน้าร้านของลูกค้า", "Customer's shop page", "link", ""),
]


def _seed_customers(admin: Any) -> None:
    from ruamchat.contacts.actions import add_contact_tag, add_note, set_attributes, update_contact
    from ruamchat.contacts.models import AttributeDefinition, Identity
    from ruamchat.orders.actions import ensure_sample_source

    ensure_sample_source()
    for position, (key, label_th, label_en, kind, choices) in enumerate(ATTRIBUTES):
        AttributeDefinition.objects.create(key=key, label_th=label_th, label_en=label_en, kind=kind, choices=choices,
                                           position=position)
    piyanuch = Identity.objects.select_related("contact").get(external_id=LINE_CUSTOMERS[0][0]).contact
    update_contact(contact=piyanuch, phone="081-555-0123")
    set_attributes(actor=admin, contact=piyanuch, values={"member_level": "Gold", "points": "1250",
                                                          "birthday": "1992-04-13", "wholesale": "no"})
    add_contact_tag(actor=admin, contact=piyanuch, name="ลูกค้าประจำ")
    add_note(actor=admin, contact=piyanuch, text="ชอบให้ติดต่อทางไลน์ ไม่สะดวกรับโทรศัพท์ช่วงเช้า")


def _seed_bot(website: Any) -> None:
    """The chatbot on the website chat and on LINE (switched on after the demo's conversations, which people
    answered): new chats are answered from the knowledge base and handed to the Service team when it cannot."""
    from ruamchat.bot.actions import save_settings

    for channel in [website, *Channel.objects.filter(kind="line")]:
        save_settings(actor=None, channel=channel, enabled=True,
                      greeting_th="สวัสดีค่ะ ชวนช้อปยินดีให้บริการ 😊 น้องชวนเป็นผู้ช่วยอัตโนมัติ ถามได้เลยค่ะ",
                      greeting_en="Hello and welcome to ChuanShop! I'm Chuan, the shop's assistant. Ask away.",
                      after_hours_details_th="ระหว่างนี้ ฝากเลขคำสั่งซื้อ (ถ้ามี) และเบอร์โทรไว้ได้เลยค่ะ",
                      after_hours_details_en="Meanwhile, please leave your order number (if any) and phone number.")


def _route(conversation: Conversation, admin: Any, team: Team, assignee: Any, priority: int) -> Conversation:
    if team != conversation.team:
        conversation = actions.transfer(conversation=conversation, actor=admin, team=team,
                                        reason="งานด้านเทคนิค/การชำระเงิน ส่งต่อทีมซัพพอร์ต")
    if assignee is not None:
        conversation = actions.assign(conversation=conversation, actor=admin, assignee=assignee)
    if priority != conversation.priority:
        conversation = actions.change_priority(conversation=conversation, actor=admin, priority=priority)
    return conversation


def _backdate(conversation_id: int, minutes: int) -> None:
    """Spread the demo over the last days, keeping the order of what happened."""
    shift = timedelta(minutes=minutes)
    conv = Conversation.objects.get(pk=conversation_id)
    fields = {f: getattr(conv, f) - shift for f in
              ("created_at", "waiting_since", "last_message_at", "first_reply_at", "resolved_at")
              if getattr(conv, f) is not None}
    Conversation.objects.filter(pk=conversation_id).update(**fields)
    for model in (Message, Event):
        for row in model.objects.filter(conversation_id=conversation_id):
            model.objects.filter(pk=row.pk).update(created_at=row.created_at - shift)


# LINE: what a shop's Official Account receives. The demo has no LINE credentials, so nothing is
# sent to LINE; replies typed in the demo to these customers fail with LINE's connection error.
LINE_CUSTOMERS = [
    ("U4af4980629d6b1f7d6a1c2b3e4f5a6b7", "ปิยะนุช", 35, [
        ("text", "สวัสดีค่ะ ได้รับเครื่องปั่นแล้ว แต่ฝาแตกมาค่ะ 😢"),
        ("image", "รูปฝาที่แตก"),
        ("text", "ขอเปลี่ยนใหม่ได้ไหมคะ ออเดอร์ CS-10017 ค่ะ"),
    ]),
    ("U9c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f", "ธนากร", 75, [
        ("sticker", "ขอบคุณ"),
        ("text", "ได้ของแล้วครับ เร็วมาก ขอบคุณครับ"),
    ]),
]


def _png(width: int = 240, height: int = 160) -> bytes:
    """A small real PNG (a warm gradient with a darker band), so the demo shows an image inline."""
    import struct
    import zlib

    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            band = 60 < y < 100 and 40 < x < 200
            rows += bytes((200 - y // 2, 120 + x // 4, 60)) if not band else bytes((90, 60, 40))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows))) + chunk(
        b"IEND", b"")


def _line_channel(team: Team) -> Channel:
    return create_channel(
        actor=None, kind="line", name="LINE @chuanshop", default_team=team,
        config={"line_channel_id": "2000000001"},
        secrets={"channel_secret": "demo-channel-secret", "access_token": "demo-access-token"},
    )


def _seed_line(line: Channel, admin: Any) -> None:
    from ruamchat.connectors.base import InboundAttachment, InboundMessage

    for n, (user_id, name, minutes, lines) in enumerate(LINE_CUSTOMERS):
        conversation = None
        for i, (kind, text) in enumerate(lines):
            attachments: tuple[InboundAttachment, ...] = ()
            body = text
            if kind == "image":
                attachments = (InboundAttachment("image", "line-photo.png", "image/png", content=_png()),)
                body = ""
            elif kind == "sticker":
                attachments = (InboundAttachment(
                    "sticker", url="https://stickershop.line-scdn.net/stickershop/v1/sticker/52002734/android/sticker.png",
                    data={"package_id": "11537", "sticker_id": "52002734", "keywords": [text]}),)
            message = actions.receive_message(channel=line, inbound=InboundMessage(
                external_user_id=user_id, provider_message_id=f"demo-line-{n}-{i}", text=body,
                attachments=attachments, sender_name=name, sender_language="th"))
            conversation = message.conversation
        assert conversation is not None
        if n == 0:
            actions.add_note(conversation=conversation, actor=admin,
                             text="สินค้าชำรุดจากการขนส่ง ส่งเรื่องเคลมกับ Kerry แล้ว")
        _backdate(conversation.pk, minutes)


MESSENGER_CUSTOMERS = [
    ("7034567890123456", "กิตติพงษ์ แสงทอง", 18, [
        "สวัสดีครับ โปรผ่อน 0% ยังมีอยู่ไหมครับ",
        "สนใจหม้อทอดไร้น้ำมันรุ่น 5 ลิตรครับ",
    ]),
    ("7045678901234567", "Suda W.", 60 * 30, [
        "ขอใบกำกับภาษีเต็มรูปแบบได้ไหมคะ ชื่อบริษัท สยามเทรดดิ้ง จำกัด",
    ]),
    # the LINE customer ปิยะนุช again, on Facebook: the customer page suggests merging the two
    ("7056789012345678", "ปิยะนุช", 60 * 26, [
        "ออเดอร์ CS-10023 ถึงไหนแล้วคะ ยังไม่ได้รับของเลย",
    ]),
]


def _messenger_channel(team: Team) -> Channel:
    return create_channel(
        actor=None, kind="messenger", name="Facebook: ชวนช้อป", default_team=team,
        config={"page_id": "105000000000001", "app_id": "1111111111"},
        secrets={"page_access_token": "demo-page-token", "app_secret": "demo-app-secret",
                 "verify_token": "demo-verify-token"},
    )


def _seed_messenger(page: Channel) -> None:
    from ruamchat.connectors.base import InboundMessage

    for n, (psid, name, minutes, lines) in enumerate(MESSENGER_CUSTOMERS):
        conversation = None
        for i, text in enumerate(lines):
            message = actions.receive_message(channel=page, inbound=InboundMessage(
                external_user_id=psid, provider_message_id=f"m_demo-{n}-{i}", text=text, sender_name=name))
            conversation = message.conversation
        assert conversation is not None
        _backdate(conversation.pk, minutes)


def _demo_mail(*, sender: str, subject: str, text: str, html: str | None, message_id: str,
               in_reply_to: str | None = None, image: bytes | None = None) -> bytes:
    from email.message import EmailMessage
    from email.policy import SMTP
    from email.utils import format_datetime

    m = EmailMessage(policy=SMTP)
    m["From"] = sender
    m["To"] = "ชวนช้อป <support@chuanshop.example>"
    m["Subject"] = subject
    m["Date"] = format_datetime(timezone.localtime())
    m["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        m["In-Reply-To"] = f"<{in_reply_to}>"
        m["References"] = f"<{in_reply_to}>"
    m.set_content(text)
    if html is not None:
        m.add_alternative(html, subtype="html")
        if image is not None:
            html_part = m.get_body(preferencelist=("html",))
            assert isinstance(html_part, EmailMessage)
            html_part.add_related(image, "image", "png", cid="<photo@demo>")
    return m.as_bytes()


def _email_channel(team: Team) -> Channel:
    """A mailbox without IMAP (mail is piped in); replies go to a local SMTP sink on port 1025, if one runs."""
    return create_channel(
        actor=None, kind="email", name="อีเมล support@chuanshop.example", default_team=team,
        config={"address": "support@chuanshop.example", "display_name": "ชวนช้อป", "smtp_host": "127.0.0.1",
                "smtp_port": 1025, "smtp_security": "none"},
    )


def _seed_email(mailbox: Channel) -> None:
    from ruamchat.connectors.actions import process_inbound_event
    from ruamchat.connectors.email.actions import ingest

    mails = [
        (_demo_mail(
            sender="วรรณา ทองดี <wanna@example.co.th>", subject="หม้อหุงข้าวที่ได้รับ ฝาปิดไม่สนิท",
            text="เรียนฝ่ายบริการลูกค้า\n\nหม้อหุงข้าวรุ่น RC-18 ที่ได้รับเมื่อวาน ฝาปิดไม่สนิท ไอน้ำรั่วออกด้านข้าง "
                 "แนบรูปมาให้ดูค่ะ ขอเปลี่ยนเครื่องใหม่ได้ไหมคะ\n\nขอบคุณค่ะ\nวรรณา\n\n-- \nวรรณา ทองดี\n081-234-5678",
            html="<p>เรียนฝ่ายบริการลูกค้า</p><p>หม้อหุงข้าวรุ่น <b>RC-18</b> ที่ได้รับเมื่อวาน ฝาปิดไม่สนิท "
                 "ไอน้ำรั่วออกด้านข้าง แนบรูปมาให้ดูค่ะ</p><p><img src=\"cid:photo@demo\" alt=\"รูปฝาหม้อ\"></p>"
                 "<p>ขอเปลี่ยนเครื่องใหม่ได้ไหมคะ</p><p>ขอบคุณค่ะ<br>วรรณา</p>"
                 "<img width=\"1\" height=\"1\" src=\"https://tracker.example/open.gif\">",
            message_id="demo-mail-1@example.co.th", image=_png(320, 200)), 35),
        (_demo_mail(
            sender="Peter Lee <peter.lee@example.com>", subject="Re: Invoice for order ORD-10301",
            text="Thanks, could you also add our tax ID 0105561234567 to the invoice?\n\n"
                 "On Fri, 20 Nov 2026 at 14:02, ChuanShop <support@chuanshop.example> wrote:\n"
                 "> Please find the invoice for ORD-10301 attached.\n> Best regards, ChuanShop",
            html=None, message_id="demo-mail-2@example.com", in_reply_to="invoice-10301@chuanshop.example"), 180),
    ]
    for raw, minutes in mails:
        event = ingest(channel=mailbox, raw=raw)
        if event is None:
            continue
        process_inbound_event(event_id=event.pk)
        message = Message.objects.filter(channel=mailbox).order_by("-id").first()
        if message is not None:
            _backdate(message.conversation_id, minutes)


def _seed_knowledge_base(website: Any) -> None:
    """The shop's help center (kb.json: 7 categories, Thai and English articles, its words and synonyms), with
    the website chat on every page. The worker indexes the articles in the background."""
    data = json.loads((Path(__file__).with_name("kb.json")).read_text(encoding="utf-8"))
    import_knowledge_base(actor=None, data=data)
    save_help_center(actor=None, name_th="ศูนย์ช่วยเหลือ ชวนช้อป", name_en="ChuanShop Help Center",
                     chat_channel=website)


def _seed_routing(service: Team, support: Team) -> None:
    """Business hours, SLA targets, and the rule that sends support work to the Support team."""
    from datetime import time

    from ruamchat.accounts.actions import update_team
    from ruamchat.routing.actions import create_rule
    from ruamchat.sla.models import Calendar, OpeningPeriod, SlaPolicy

    office = Calendar.objects.create(name="เวลาทำการ จันทร์–เสาร์", time_zone="Asia/Bangkok", holiday_country="TH",
                                     is_default=True)
    for day in range(6):
        OpeningPeriod.objects.create(calendar=office, weekday=day, opens=time(9), closes=time(18))
    for team in (service, support):
        for priority, first, resolution in ((0, 15, 240), (1, 60, 480), (None, 120, 1440)):
            SlaPolicy.objects.create(team=team, priority=priority, first_response_minutes=first,
                                     next_response_minutes=first, resolution_minutes=resolution,
                                     escalate_priority=priority is None)
    update_team(actor=None, team=support, assignment="least_busy")
    create_rule(actor=None, name="งานคืนเงิน เปลี่ยน/คืนสินค้า ปัญหาเทคนิค → ฝ่ายซัพพอร์ต",
                conditions=[{"field": "triage_team", "op": "is", "value": "support"}],
                actions=[{"type": "set_team", "value": support.pk}])
    create_rule(actor=None, name="นอกเวลาทำการ: ติดแท็ก",
                conditions=[{"field": "business_hours", "op": "outside"}],
                actions=[{"type": "add_tag", "value": "นอกเวลา"}])
