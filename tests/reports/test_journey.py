"""The customer journey: one timeline of a contact's touchpoints on every channel (bot answers and hand-offs,
transfers between teams, resolutions, surveys, follow-ups), newest first and grouped by day, showing each reader
only the conversations they may see; built through the real paths (the visitor's widget, a mail arriving, the
agents' actions, the survey page)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.dates import MONTHS, WEEKDAYS

from ruamchat.contacts.models import Contact, Identity
from ruamchat.inbox import actions as inbox
from ruamchat.inbox.models import Conversation, Event
from ruamchat.surveys import actions as surveys
from ruamchat.surveys.models import FollowUp, Invitation, Survey
from tests.connectors.email.conftest import mail
from tests.kb.conftest import kb_category, make_article  # noqa: F401  (the knowledge base's fixtures)
from tests.pages import login, text_of
from tests.surveys.factories import restore_default_surveys

pytestmark = pytest.mark.django_db(transaction=True)  # the bot's knowledge-base search needs committed rows

INSTALMENTS = "ผ่อน 0% นานสูงสุด 10 เดือน"
VISITOR = "visitor-token-journey-aaaaaaaaaa"
EMAIL = "malee@example.com"
REFUND = "ลูกค้าขอคืนเงิน สินค้าชำรุด"
UNHAPPY = "ของแตกมา รอคืนเงินนานมาก"


def url(contact: Any) -> str:
    return f"/reports/contacts/{contact.pk}/"


@dataclass
class Story:
    contact: Contact
    chat: Conversation  # website: bot, hand-off, transfer to Support, resolved, CSAT 1
    follow_up: Conversation  # website: the closed loop's follow-up, Service team
    email: Conversation  # email, Support team
    service_agent: Any
    support_agent: Any


@pytest.fixture
def story(website: Any, team: Any, support_team: Any, make_agent: Callable[..., Any],
          make_article: Callable[..., Any], run_jobs: Callable[[], int]) -> Story:  # noqa: F811
    from ruamchat.bot.actions import save_settings
    from ruamchat.connectors.actions import create_channel
    from ruamchat.connectors.email.actions import ingest
    from ruamchat.connectors.website.actions import receive_visitor_message

    make_article(title=INSTALMENTS, keywords="ผ่อน แบ่งจ่าย ดอกเบี้ย",
                 summary="ผ่อนชำระ 0% ด้วยบัตรเครดิตที่ร่วมรายการ นานสูงสุด 10 เดือน",
                 body="ผ่อนชำระ 0% นานสูงสุด 10 เดือน ด้วยบัตรเครดิตกสิกร กรุงเทพ กรุงศรี เมื่อซื้อครบ 3,000 บาท")
    save_settings(actor=None, channel=website, enabled=True)
    restore_default_surveys()
    Survey.objects.get(kind="csat").channels.add(website)
    service_agent = make_agent(teams=[team], username="somchai")
    support_agent = make_agent(teams=[support_team], username="wichai")
    counter = iter(range(1, 1000))

    def visitor(text: str) -> Any:
        message = receive_visitor_message(channel=website, visitor_token=VISITOR,
                                          client_id=f"client-journey-{next(counter):04d}", text=text)
        run_jobs()
        return message

    # the website chat: the bot answers with an article, the customer says it did not help, the bot hands over
    chat = visitor("ผ่อน 0% ได้กี่เดือนคะ").conversation
    visitor("ไม่ใช่ค่ะ")
    chat.refresh_from_db()
    assert chat.status == "open" and chat.team == team
    # the Service agent answers, then hands it to Support, which solves it and resolves it: CSAT goes out
    inbox.send_reply(conversation=chat, actor=service_agent, text="สอบถามเลขคำสั่งซื้อด้วยค่ะ")
    run_jobs()
    chat = inbox.transfer(conversation=chat, actor=service_agent, reason=REFUND, team=support_team)
    inbox.send_reply(conversation=chat, actor=support_agent, text="คืนเงินเรียบร้อยแล้วค่ะ")
    run_jobs()
    inbox.change_status(conversation=chat, actor=support_agent, status="resolved")
    run_jobs()
    invitation = Invitation.objects.get(conversation=chat, kind="csat")
    assert invitation.status == "sent"
    # an unhappy answer on the survey page: the closed loop opens a follow-up for the Service team
    surveys.answer_on_page(invitation=invitation, score=1, comment=UNHAPPY)
    loop = FollowUp.objects.select_related("conversation").get(about=chat)
    surveys.close_follow_up(follow_up=loop, actor=service_agent, outcome="recovered")

    # later the same customer writes from her email address (an account of hers on the Support mailbox)
    mailbox = create_channel(actor=None, kind="email", name="อีเมลซัพพอร์ต", default_team=support_team,
                             config={"address": "support@shop.test", "smtp_host": "127.0.0.1", "smtp_port": 1,
                                     "smtp_security": "none"})
    Identity.objects.create(contact=chat.contact, channel=mailbox, external_id=EMAIL, display_name="มาลี")
    ingest(channel=mailbox, raw=mail(sender=f"มาลี <{EMAIL}>", to="support@shop.test",
                                     subject="ใบกำกับภาษีคำสั่งซื้อ 55012", text="ขอใบกำกับภาษีด้วยค่ะ"))
    run_jobs()
    email = Conversation.objects.get(channel=mailbox)
    assert email.contact_id == chat.contact_id and email.team == support_team
    return Story(contact=chat.contact, chat=chat, follow_up=loop.conversation, email=email,
                 service_agent=service_agent, support_agent=support_agent)


@dataclass
class Point:
    kind: str
    conversation: int
    event_id: int
    text: str


def points(page: str) -> list[Point]:
    """The touchpoints on the page, in its order."""
    found = re.findall(r'<li class="touchpoint[^"]*" data-kind="(\w+)" data-event-id="(\d+)" '
                       r'data-conversation="(\d+)">(.*?)</li>\s*(?=<li class="touchpoint|</ol>)', page, re.S)
    return [Point(kind, int(conv), int(event), text_of(body)) for kind, event, conv, body in found]


def in_order(expected: list[tuple[str, int]], seen: list[Point]) -> bool:
    """``expected`` (kind, conversation) appear in ``seen`` in this order (other touchpoints may come between)."""
    remaining = iter((p.kind, p.conversation) for p in seen)
    return all(any(item == each for each in remaining) for item in expected)


def test_the_journey_shows_every_touchpoint_on_every_channel_newest_first(story: Story, supervisor: Any) -> None:
    page = login(supervisor).get(url(story.contact)).content.decode()
    seen = points(page)
    chat, loop, email = story.chat.pk, story.follow_up.pk, story.email.pk
    assert in_order([
        ("created", email),
        ("follow_up_closed", loop), ("follow_up_opened", chat), ("follow_up_opened", loop), ("created", loop),
        ("survey_answered", chat), ("survey_sent", chat), ("status_changed", chat),
        ("transferred", chat), ("bot_handoff", chat), ("bot_answered", chat), ("created", chat),
    ], seen), [(p.kind, p.conversation) for p in seen]
    assert [p.event_id for p in seen] == sorted((p.event_id for p in seen), reverse=True)
    # nothing of the conversations' housekeeping: tags, priorities, first replies, triage
    assert {p.kind for p in seen} <= {"created", "transferred", "assigned", "bot_answered", "bot_handoff",
                                      "status_changed", "survey_sent", "survey_answered", "follow_up_opened",
                                      "follow_up_closed"}

    def one(kind: str, conversation: int) -> str:
        [text] = [p.text for p in seen if p.kind == kind and p.conversation == conversation]
        return text

    assert INSTALMENTS in one("bot_answered", chat)
    assert "The answer did not help" in one("bot_handoff", chat) and "did not help" in one("bot_handoff", chat)
    transfer = one("transferred", chat)
    assert REFUND in transfer and "ทีมบริการลูกค้า → ทีมซัพพอร์ต" in transfer
    assert "Resolved" in one("status_changed", chat)
    answered = one("survey_answered", chat)
    assert "CSAT" in answered and UNHAPPY in answered
    assert f"see #{loop}" in one("follow_up_opened", chat)
    assert "Problem solved, customer satisfied" in one("follow_up_closed", loop)
    started = one("created", email)
    assert "ใบกำกับภาษีคำสั่งซื้อ 55012" in started and "1 message from the customer" in started
    assert "Conversation started on Email, for ทีมซัพพอร์ต" in started and f"#{email} on อีเมลซัพพอร์ต" in started
    assert "2 messages from the customer" in one("created", chat)  # counted, not listed
    assert "ขอใบกำกับภาษีด้วยค่ะ" not in page  # the mail itself is not on the page, only its subject
    # each touchpoint links to its conversation
    for conversation in (chat, loop, email):
        assert f'href="/inbox/c/{conversation}/"' in page


def test_the_header_and_summary(story: Story, supervisor: Any) -> None:
    page = login(supervisor).get(url(story.contact)).content.decode()
    identities = text_of(page.split('id="journey-identities"', 1)[1].split("</ul>", 1)[0])
    assert "เว็บไซต์" in identities and "อีเมลซัพพอร์ต" in identities and "มาลี" in identities
    summary = text_of(page.split('id="journey-summary"', 1)[1].split("</section>", 1)[0])
    assert re.search(r"Conversations\s+3\b", summary)
    assert "เว็บไซต์ (2)" in summary and "อีเมลซัพพอร์ต (1)" in summary
    assert "Last CSAT answer 1" in summary and UNHAPPY in summary
    assert "First contact" in summary and "Last contact" in summary


def test_an_agent_sees_only_the_touchpoints_of_the_conversations_they_may_see(story: Story) -> None:
    # Support sees the chat it took over and the mail to its mailbox, not the Service team's follow-up
    page = login(story.support_agent).get(url(story.contact)).content.decode()
    seen = points(page)
    assert {p.conversation for p in seen} == {story.chat.pk, story.email.pk}
    assert f"/{story.follow_up.pk}/" not in page.replace(url(story.contact), "")  # not even a link to it
    summary = text_of(page.split('id="journey-summary"', 1)[1].split("</section>", 1)[0])
    assert re.search(r"Conversations\s+2\b", summary)
    # Service sees only its follow-up (the chat went to Support, the mail is Support's)
    seen = points(login(story.service_agent).get(url(story.contact)).content.decode())
    assert {p.conversation for p in seen} == {story.follow_up.pk}
    assert "survey_answered" not in {p.kind for p in seen}


def test_an_agent_who_sees_none_of_the_conversations_gets_404(story: Story, make_agent: Callable[..., Any]) -> None:
    from ruamchat.accounts.actions import create_team

    wholesale = create_team(actor=None, name="ทีมขายส่ง", kind="service")
    outsider = make_agent(teams=[wholesale], username="outsider")
    assert login(outsider).get(url(story.contact)).status_code == 404
    assert login(outsider).get("/reports/contacts/999999/").status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(story: Story) -> None:
    response = Client().get(url(story.contact))
    assert response.status_code == 302 and "/login" in response["Location"]
    assert "next=" in response["Location"]


def test_the_side_panel_links_to_the_journey(story: Story, supervisor: Any) -> None:
    page = login(supervisor).get(f"/inbox/c/{story.email.pk}/").content.decode()
    assert re.search(rf'href="{url(story.contact)}"[^>]*id="journey-link"', page)


def test_older_touchpoints_are_a_page_further(story: Story, supervisor: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client = login(supervisor)
    everything = [p.event_id for p in points(client.get(url(story.contact)).content.decode())]
    assert len(everything) > 10
    monkeypatch.setattr("ruamchat.reports.journey.PAGE_SIZE", 6)
    pages: list[list[int]] = []
    address = url(story.contact)
    while address:
        page = client.get(address).content.decode()
        pages.append([p.event_id for p in points(page)])
        match = re.search(r'id="journey-older" rel="next" href="([^"]+)"', page)
        address = url(story.contact) + match.group(1).replace("&amp;", "&") if match else ""
        assert len(pages) < 10
    assert all(len(each) <= 6 for each in pages) and len(pages[0]) == 6
    assert [event for each in pages for event in each] == everything  # nothing twice, nothing missed


def test_days_are_headed_in_the_readers_language_and_time_zone(story: Story, make_agent: Callable[..., Any]) -> None:
    reader = make_agent(role="supervisor", username="thai_reader", language="th")
    page = login(reader).get(url(story.contact)).content.decode()
    newest = Event.objects.filter(conversation__contact=story.contact).latest("id")
    today = timezone.localtime(newest.created_at).date()  # Asia/Bangkok, the organisation's zone
    assert str(timezone.get_current_timezone()) == "Asia/Bangkok"
    with translation.override("th"):
        heading = f"{WEEKDAYS[today.weekday()]} {today.day} {MONTHS[today.month]} {today.year + 543}"
    assert re.search(rf'<h3 class="journey-day"><time datetime="{today.isoformat()}">{heading}</time></h3>', page), \
        page.split('id="journey-timeline"', 1)[1][:400]
    assert "เริ่มบทสนทนาทาง อีเมล ส่งถึง ทีมซัพพอร์ต" in page  # the sentences are Thai too


def test_the_number_of_queries_does_not_grow_with_the_conversations(
    story: Story, supervisor: Any, run_jobs: Callable[[], int],
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    from ruamchat.connectors.email.actions import ingest

    readers = {"supervisor": login(supervisor), "agent": login(story.support_agent)}

    def queries() -> dict[str, int]:
        counted = {}
        for name, client in readers.items():
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url(story.contact)).status_code == 200
            counted[name] = len(captured)
        return counted

    queries()  # sessions warmed
    before = queries()
    # three more mails, each a new case; one is transferred to Service and back, and resolved
    mailbox = story.email.channel
    for n in range(3):
        ingest(channel=mailbox, raw=mail(sender=f"มาลี <{EMAIL}>", to="support@shop.test", subject=f"เรื่องที่ {n}",
                                         text=f"ข้อความที่ {n}"))
        run_jobs()
    latest = Conversation.objects.filter(channel=mailbox).order_by("-id").first()
    assert latest is not None and Conversation.objects.filter(contact=story.contact).count() == 6
    latest = inbox.transfer(conversation=latest, actor=supervisor, reason="ให้ทีมบริการช่วย", team=story.follow_up.team)
    latest = inbox.transfer(conversation=latest, actor=supervisor, reason="กลับมาที่ซัพพอร์ต", team=story.email.team)
    inbox.change_status(conversation=latest, actor=supervisor, status="resolved")
    page = readers["agent"].get(url(story.contact)).content.decode()
    assert [p.kind for p in points(page) if p.conversation == latest.pk][:3] == [
        "status_changed", "transferred", "transferred"]
    assert queries() == before
    for client in readers.values():
        with django_assert_max_num_queries(16):
            client.get(url(story.contact))
