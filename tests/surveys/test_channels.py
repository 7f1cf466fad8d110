"""Surveys on each channel, through the channel's real webhook (signed) or mailbox and its fake provider: CSAT as
LINE and Messenger quick replies whose press comes back as the answer, Meta's 24-hour window, CSAT links in email,
and campaign invitations pushed on LINE or mailed with a personal link and a one-click unsubscribe."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone, translation

from ruamchat.connectors.actions import update_channel
from ruamchat.contacts.models import Consent
from ruamchat.inbox.actions import change_status, send_reply
from ruamchat.inbox.models import Conversation, Event, Message
from ruamchat.surveys import actions
from ruamchat.surveys.models import Campaign, FollowUp, Invitation, Response, Survey
from tests.connectors.email.conftest import SUPPORT, mail, mailbox_channel  # noqa: F401
from tests.connectors.email.conftest import deliver as deliver_mail  # noqa: F401
from tests.connectors.line.conftest import CUSTOMER, fresh, line_channel  # noqa: F401
from tests.connectors.line.conftest import deliver as deliver_line  # noqa: F401
from tests.connectors.meta.conftest import CUSTOMER as PSID
from tests.connectors.meta.conftest import body, messenger, text_item  # noqa: F401
from tests.connectors.meta.conftest import deliver as deliver_meta  # noqa: F401
from tests.fakes.graph_api import FakeGraphApi
from tests.fakes.line_api import FakeLineApi

pytestmark = pytest.mark.django_db

PUSH = "/v2/bot/message/push"
_ids = itertools.count(1)


def _line_event(name: str, **changes: Any) -> bytes:
    n = next(_ids)
    changes = {"webhookEventId": f"01JSURVEY{n:017d}", "replyToken": f"{n:04d}" + "cd" * 14, **changes}
    if name.startswith("message"):
        changes.setdefault("message.id", f"88{n:016d}")
    return fresh(name, **changes)


@pytest.fixture
def line_says(deliver_line: Callable[..., Any], run_jobs: Callable[[], int]) -> Callable[..., None]:  # noqa: F811
    def say(text: str) -> None:
        raw = _line_event("message_text", **{"message.text": text, "message.emojis": [],
                                             "message.mention": {"mentionees": []}})
        assert deliver_line(raw).status_code == 200
        run_jobs()

    return say


@pytest.fixture
def line_taps(deliver_line: Callable[..., Any], run_jobs: Callable[[], int]) -> Callable[..., None]:  # noqa: F811
    def tap(data: str) -> None:
        assert deliver_line(_line_event("postback", **{"postback.data": data})).status_code == 200
        run_jobs()

    return tap


def _last_objects(line_api: FakeLineApi) -> list[dict[str, Any]]:
    return list(line_api.delivered[-1].messages)


def test_line_csat_goes_as_quick_replies_and_a_tap_is_the_answer_without_reopening(
    line_channel: Any, line_api: FakeLineApi, line_says: Callable[..., None],  # noqa: F811
    line_taps: Callable[..., None], csat_on: Callable[..., Any], agent: Any, run_jobs: Callable[[], int],
    team: Any,
) -> None:
    csat_on(line_channel)
    line_says("สั่งของไปแล้วยังไม่ได้รับค่ะ")
    conversation = Conversation.objects.get(identity__external_id=CUSTOMER)
    send_reply(conversation=conversation, actor=agent, text="ตรวจสอบแล้ว พัสดุถึงพรุ่งนี้ค่ะ")
    change_status(conversation=conversation, actor=agent, status="resolved")
    run_jobs()

    invitation = Invitation.objects.get(conversation=conversation, kind="csat")
    assert invitation.status == "sent" and invitation.team == team and invitation.agent == agent
    question = _last_objects(line_api)[-1]
    assert question["type"] == "text" and question["text"] == Survey.objects.get(kind="csat").question_th
    items = question["quickReply"]["items"]
    assert [i["action"]["data"] for i in items] == [f"survey:{invitation.pk}:{n}" for n in (5, 4, 3, 2, 1)]
    assert all(i["action"]["type"] == "postback" and len(i["action"]["label"]) <= 20 for i in items)
    # what the customer sees is the whole label, in Thai and in English (LINE cuts labels at 20 characters)
    assert [i["action"]["label"] for i in items] == [q["label"] for q in invitation.message.metadata["quick_replies"]]
    from ruamchat.surveys.replies import csat_label
    with translation.override("en"):
        assert all(len(csat_label(n)) <= 20 for n in range(1, 6))

    line_taps(f"survey:{invitation.pk}:2")

    response = Response.objects.get(invitation=invitation)
    assert (response.score, response.via, response.kind, response.team, response.agent) == (2, "chat", "csat",
                                                                                             team, agent)
    conversation.refresh_from_db()
    assert conversation.status == "resolved" and conversation.reopened_count == 0
    assert conversation.waiting_since is None
    # the tap is kept in the conversation, labelled as the answer it is
    tap = conversation.messages.filter(direction="in").order_by("-id").first()
    assert tap.metadata["survey_answer"] == {"invitation": invitation.pk, "value": "2"}
    # the follow-up question comes back on LINE with a "no thanks" button
    followup = _last_objects(line_api)[-1]
    assert Survey.objects.get(kind="csat").followup_th in followup["text"]
    assert followup["quickReply"]["items"][0]["action"]["data"] == f"survey:{invitation.pk}:skip"

    # a CSAT of 2 is unhappy: a follow-up conversation for the Service team
    follow_up = FollowUp.objects.get(response=response)
    assert follow_up.about == conversation and follow_up.team == team

    line_says("รอนานมาก แอดมินตอบช้าค่ะ")
    response.refresh_from_db()
    assert response.comment == "รอนานมาก แอดมินตอบช้าค่ะ" and response.sentiment == "negative"
    conversation.refresh_from_db()
    assert conversation.status == "resolved"  # the comment went to the survey, not into a new case
    # the comment reaches the follow-up as a note for the agent
    note = follow_up.conversation.messages.filter(is_private=True).order_by("-id").first()
    assert "รอนานมาก" in note.text


def test_a_typed_score_is_read_while_the_survey_waits_for_it(
    line_channel: Any, line_says: Callable[..., None], csat_on: Callable[..., Any], agent: Any,  # noqa: F811
    run_jobs: Callable[[], int],
) -> None:
    csat_on(line_channel, followup_th="", followup_en="")
    line_says("ขอเปลี่ยนที่อยู่จัดส่งค่ะ")
    conversation = Conversation.objects.get(identity__external_id=CUSTOMER)
    send_reply(conversation=conversation, actor=agent, text="เปลี่ยนให้แล้วค่ะ")
    change_status(conversation=conversation, actor=agent, status="resolved")
    run_jobs()

    line_says("๕")  # Thai digit five

    response = Response.objects.get(invitation__conversation=conversation)
    assert response.score == 5
    conversation.refresh_from_db()
    assert conversation.status == "resolved"
    # without a follow-up question the survey is over: the next message is a new question, it reopens
    line_says("อีกเรื่องค่ะ มีสีดำไหม")
    conversation.refresh_from_db()
    assert conversation.status == "open" and conversation.reopened_count == 1
    assert Response.objects.get(pk=response.pk).comment == ""


def test_a_forged_tap_for_someone_elses_invitation_records_nothing(
    line_channel: Any, line_says: Callable[..., None], line_taps: Callable[..., None],  # noqa: F811
    csat_on: Callable[..., Any], agent: Any, run_jobs: Callable[[], int], conversation: Any, website: Any,
    answer_and_resolve: Callable[..., Any],
) -> None:
    csat_on(line_channel, website)
    answer_and_resolve(conversation, agent)  # a website visitor's CSAT
    theirs = Invitation.objects.get(conversation=conversation)
    line_says("สวัสดีค่ะ")
    line_taps(f"survey:{theirs.pk}:1")

    assert not Response.objects.exists()
    assert not FollowUp.objects.exists()


def test_messenger_csat_in_the_window_as_quick_replies_and_skipped_after_24_hours(
    messenger: Any, deliver_meta: Callable[..., Any], graph_api: FakeGraphApi,  # noqa: F811
    csat_on: Callable[..., Any], agent: Any, run_jobs: Callable[[], int],
) -> None:
    csat_on(messenger)
    assert deliver_meta(messenger, body(text_item("ของแตกมาค่ะ"))).status_code == 200
    run_jobs()
    conversation = Conversation.objects.get(identity__external_id=PSID)
    send_reply(conversation=conversation, actor=agent, text="ขออภัยค่ะ จะส่งของใหม่ให้นะคะ")
    change_status(conversation=conversation, actor=agent, status="resolved")
    run_jobs()

    invitation = Invitation.objects.get(conversation=conversation)
    assert invitation.status == "sent"
    sent = graph_api.delivered[-1]
    assert sent.messaging_type == "RESPONSE" and sent.tag is None
    payloads = [q["payload"] for q in sent.message["quick_replies"]]
    assert payloads == [f"survey:{invitation.pk}:{n}" for n in (5, 4, 3, 2, 1)]

    # the customer taps "4": Meta sends it as a message with the quick reply's payload
    label = sent.message["quick_replies"][1]["title"]
    item = text_item(label, quick_reply={"payload": f"survey:{invitation.pk}:4"})
    assert deliver_meta(messenger, body(item)).status_code == 200
    run_jobs()
    assert Response.objects.get(invitation=invitation).score == 4
    conversation.refresh_from_db()
    assert conversation.status == "resolved"


def test_messenger_csat_is_skipped_outside_the_24_hour_window(
    messenger: Any, deliver_meta: Callable[..., Any], graph_api: FakeGraphApi,  # noqa: F811
    csat_on: Callable[..., Any], agent: Any, run_jobs: Callable[[], int],
) -> None:
    csat_on(messenger)
    assert deliver_meta(messenger, body(text_item("สอบถามค่ะ"))).status_code == 200
    run_jobs()
    conversation = Conversation.objects.get(identity__external_id=PSID)
    send_reply(conversation=conversation, actor=agent, text="ได้ค่ะ")
    run_jobs()
    # the customer's last message was 25 hours ago when the agent resolves it
    when = timezone.now() - timedelta(hours=25)
    Message.objects.filter(conversation=conversation, direction="in").update(created_at=when)
    graph_api.last_user_message(PSID, when)
    sends_before = len(graph_api.delivered)
    change_status(conversation=conversation, actor=agent, status="resolved")
    run_jobs()

    invitation = Invitation.objects.get(conversation=conversation)
    assert (invitation.status, invitation.skip_reason) == ("skipped", "window")
    assert len(graph_api.delivered) == sends_before
    assert Event.objects.filter(conversation=conversation, kind="survey_skipped", data__reason="window").exists()


@pytest.fixture
def smtp_mailbox(mailbox_channel: Any, smtp_sink: Any, settings: Any) -> Any:  # noqa: F811
    settings.RUAMCHAT_PUBLIC_URL = "https://ruamchat.example"
    return update_channel(actor=None, channel=mailbox_channel, config={
        "smtp_host": "127.0.0.1", "smtp_port": smtp_sink.port, "smtp_security": "none"})


def _plain(received: Any) -> str:
    part = received.message().get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_email_csat_is_a_reply_with_one_link_per_answer_and_the_page_records_it(
    smtp_mailbox: Any, deliver_mail: Callable[..., Any], smtp_sink: Any, csat_on: Callable[..., Any],  # noqa: F811
    agent: Any, run_jobs: Callable[[], int], client: Client,
) -> None:
    csat_on(smtp_mailbox)
    conversation = deliver_mail(mail(subject="เปลี่ยนสินค้า", message_id="ask-csat@example.com")).conversation
    send_reply(conversation=conversation, actor=agent, text="เปลี่ยนให้แล้วค่ะ")
    change_status(conversation=conversation, actor=agent, status="resolved")
    run_jobs()

    received = smtp_sink.wait_for(2)[-1]
    assert received.message()["Auto-Submitted"] == "auto-replied"
    text = _plain(received)
    invitation = Invitation.objects.get(conversation=conversation)
    links = [line.rsplit(" ", 1)[-1] for line in text.splitlines() if "/s/" in line]
    assert [urlsplit(link).query for link in links] == [f"score={n}" for n in (5, 4, 3, 2, 1)]
    assert all(invitation.token in link for link in links)

    # opening a link shows that answer chosen, but records nothing until the customer sends it
    page = client.get(urlsplit(links[0]).path + "?score=5")
    assert page.status_code == 200 and not Response.objects.exists()
    assert client.post(urlsplit(links[0]).path, {"score": "5"}).status_code == 302
    assert Response.objects.get(invitation=invitation).via == "page"


def test_a_line_campaign_pushes_a_personal_link_and_skips_opted_out_and_recently_surveyed(
    line_channel: Any, line_api: FakeLineApi, line_says: Callable[..., None], supervisor: Any,  # noqa: F811
    run_jobs: Callable[[], int], settings: Any, client: Client,
) -> None:
    settings.RUAMCHAT_PUBLIC_URL = "https://ruamchat.example"
    from ruamchat.contacts.actions import identify, record_consent

    line_says("สวัสดีค่ะ")  # the customer is a friend of the account
    opted_out = identify(channel=line_channel, external_id="U" + "1" * 32, name="ไม่เอาแบบสอบถาม").contact
    record_consent(contact=opted_out, purpose=Consent.Purpose.SURVEYS, granted=False, source="agent")
    recent = identify(channel=line_channel, external_id="U" + "2" * 32, name="เพิ่งตอบ").contact
    nps = Survey.objects.get(kind="nps")
    Invitation.objects.create(survey=nps, kind="nps", contact=recent, token=actions.new_token(),
                              status="sent", send_at=timezone.now(), sent_at=timezone.now() - timedelta(days=10))
    campaign = Campaign.objects.create(survey=nps, name="NPS ไตรมาส 4", line_channel=line_channel, per_minute=600)
    campaign.segment_channels.add(line_channel)
    actions.start_campaign(campaign=campaign, actor=supervisor)
    pushes_before = len(line_api.calls_to(PUSH))
    run_jobs()
    # invitations are spaced by the rate: run the later ones as if their time had come
    from ruamchat.jobs.models import Job
    Job.objects.filter(status="queued", name="surveys.deliver").update(run_after=timezone.now())
    run_jobs()

    sent = Invitation.objects.get(campaign=campaign, status="sent")
    assert sent.contact.identities.get().external_id == CUSTOMER
    skipped = dict(Invitation.objects.filter(campaign=campaign, status="skipped")
                   .values_list("contact_id", "skip_reason"))
    assert skipped == {opted_out.pk: "opted_out", recent.pk: "quiet"}
    pushes = line_api.calls_to(PUSH)[pushes_before:]
    (push,) = [p for p in pushes if p.json["to"] == CUSTOMER]
    flex = push.json["messages"][-1]
    button = flex["contents"]["footer"]["contents"][0]["action"]
    assert button["type"] == "uri" and button["uri"].endswith(f"/s/{sent.token}/")
    assert push.headers.get("x-line-retry-key")
    campaign.refresh_from_db()
    assert campaign.status == "done"

    # the customer answers on the page: a detractor opens a follow-up on their LINE chat
    path = urlsplit(button["uri"]).path
    assert client.post(path, {"score": "3"}).status_code == 302
    follow_up = FollowUp.objects.get(response__invitation=sent)
    assert follow_up.conversation.identity.external_id == CUSTOMER
    assert follow_up.conversation.handover["kind"] == "follow_up"


def test_an_email_campaign_mails_the_link_with_one_click_unsubscribe_and_one_reminder(
    smtp_mailbox: Any, smtp_sink: Any, supervisor: Any, run_jobs: Callable[[], int],
    client: Client,
) -> None:
    from ruamchat.contacts.models import Contact
    from ruamchat.jobs.models import Job

    customer = Contact.objects.create(name="Jane", email="jane@example.com", language="en")
    ces = Survey.objects.get(kind="ces")
    campaign = Campaign.objects.create(survey=ces, name="CES", email_channel=smtp_mailbox, reminder_days=3,
                                       attribute_name="", per_minute=60)
    actions.start_campaign(campaign=campaign, actor=supervisor)
    run_jobs()

    (received,) = smtp_sink.wait_for(1)
    sent = received.message()
    invitation = Invitation.objects.get(campaign=campaign, contact=customer)
    assert received.rcpt_tos == ["jane@example.com"]
    assert sent["Auto-Submitted"] == "auto-generated"
    unsubscribe = selectors_link(invitation, "opt-out")
    assert str(sent["List-Unsubscribe"]).strip() == f"<{unsubscribe}>"  # (folded by the mail policy)
    assert sent["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = _plain(received)
    assert ces.question_en in text and invitation.token in text  # English: the contact's language

    # three days later nobody has answered: one reminder, then no more
    Job.objects.filter(name="surveys.remind").update(run_after=timezone.now())
    run_jobs()
    assert len(smtp_sink.wait_for(2)) == 2
    assert smtp_sink.messages[-1].message()["Subject"].startswith("Reminder")
    actions.remind(invitation_id=invitation.pk)
    assert len(smtp_sink.messages) == 2

    # the mail program's one-click unsubscribe (a POST without any form token) stops surveys
    assert client.post(urlsplit(unsubscribe).path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert Consent.objects.get(contact=customer).granted is False


def selectors_link(invitation: Invitation, step: str) -> str:
    from ruamchat.surveys.selectors import link

    return link(invitation, step=step)
