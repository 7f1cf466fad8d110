"""When a survey is (not) sent: once per conversation, the contact's quiet period, opt-out, the skip rules (channel,
team, tag), conversations nobody answered, reopened conversations, the NPS / CES triggers, and how a follow-up is
tracked (first contact, outcome)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ruamchat.contacts.actions import record_consent
from ruamchat.contacts.models import Contact
from ruamchat.inbox.actions import change_status, send_reply, tag
from ruamchat.inbox.models import Conversation, Event
from ruamchat.jobs.models import Job
from ruamchat.surveys import actions
from ruamchat.surveys.models import FollowUp, Invitation, Response, Survey, Trigger
from tests.surveys.conftest import invitation_of

pytestmark = pytest.mark.django_db

VISITOR_B = "visitor-token-bbbbbbbbbbbbbbbb"


def test_csat_goes_once_per_conversation_even_when_it_is_resolved_again(
    website: Any, conversation: Any, agent: Any, csat_on: Callable[..., Any],
    answer_and_resolve: Callable[..., Any], visitor_says: Callable[..., Any], run_jobs: Callable[[], int],
) -> None:
    csat_on(website, quiet_days=0)
    answer_and_resolve(conversation, agent)
    assert invitation_of(conversation).status == "sent"
    visitor_says("ยังไม่ได้ของเลยค่ะ")  # reopens
    conversation.refresh_from_db()
    assert conversation.status == "open"
    answer_and_resolve(conversation, agent)

    assert Invitation.objects.filter(conversation=conversation).count() == 1
    assert conversation.messages.filter(metadata__survey__kind="csat", metadata__survey__step__isnull=True).count() == 1


def test_a_conversation_reopened_before_its_csat_goes_is_asked_when_resolved_again(
    website: Any, conversation: Any, agent: Any, csat_on: Callable[..., Any], visitor_says: Callable[..., Any],
    run_jobs: Callable[[], int],
) -> None:
    csat_on(website, delay_minutes=10)
    send_reply(conversation=conversation, actor=agent, text="ส่งแล้วค่ะ")
    change_status(conversation=conversation, actor=agent, status="resolved")
    visitor_says("ขอถามอีกนิดค่ะ")  # back before the ten minutes are up
    Job.objects.filter(name="surveys.deliver").update(run_after=timezone.now())
    run_jobs()
    invitation = invitation_of(conversation)
    assert invitation.status == "scheduled"  # waits: the conversation is not resolved

    change_status(conversation=conversation, actor=agent, status="resolved")
    invitation.refresh_from_db()
    assert invitation.send_at > timezone.now() + timedelta(minutes=9)  # the delay counts from the new resolution
    Job.objects.filter(name="surveys.deliver").update(run_after=timezone.now())
    Invitation.objects.filter(pk=invitation.pk).update(send_at=timezone.now())
    run_jobs()
    assert invitation_of(conversation).status == "sent"


def test_the_contacts_quiet_period_skips_a_second_csat_and_counts_it(
    website: Any, agent: Any, csat_on: Callable[..., Any], answer_and_resolve: Callable[..., Any],
    visitor_says: Callable[..., Any], settings: Any,
) -> None:
    settings.RUAMCHAT = {**settings.RUAMCHAT, "REOPEN_WINDOW_HOURS": 0}
    csat_on(website, quiet_days=7)
    first = answer_and_resolve(visitor_says("สอบถามค่ะ").conversation, agent)
    Conversation.objects.filter(pk=first.pk).update(resolved_at=timezone.now() - timedelta(hours=1))
    second = visitor_says("อีกเรื่องค่ะ").conversation
    assert second.pk != first.pk
    answer_and_resolve(second, agent)

    assert invitation_of(first).status == "sent"
    skipped = invitation_of(second)
    assert (skipped.status, skipped.skip_reason) == ("skipped", "quiet")
    assert Event.objects.filter(conversation=second, kind="survey_skipped", data__reason="quiet").exists()


def test_an_opted_out_contact_is_not_asked(
    website: Any, conversation: Any, agent: Any, csat_on: Callable[..., Any],
    answer_and_resolve: Callable[..., Any],
) -> None:
    csat_on(website)
    record_consent(contact=conversation.contact, purpose="surveys", granted=False, source="agent", actor=agent)
    answer_and_resolve(conversation, agent)
    invitation = invitation_of(conversation)
    assert (invitation.status, invitation.skip_reason) == ("skipped", "opted_out")
    assert not conversation.messages.filter(metadata__has_key="survey").exists()


@pytest.mark.parametrize("rule", ["channel", "team", "tag", "unanswered"])
def test_skip_rules(
    rule: str, website: Any, conversation: Any, agent: Any, team: Any, csat_on: Callable[..., Any],
    run_jobs: Callable[[], int],
) -> None:
    from ruamchat.inbox.models import Tag

    survey = csat_on(*([] if rule == "channel" else [website]))
    if rule == "team":
        survey.skip_teams.add(team)
    if rule == "tag":
        tag(conversation=conversation, actor=agent, name="spam")
        survey.skip_tags.add(Tag.objects.get(name="spam"))
    if rule != "unanswered":
        send_reply(conversation=conversation, actor=agent, text="รับทราบค่ะ")
    change_status(conversation=conversation, actor=agent, status="resolved")
    run_jobs()

    if rule == "channel":  # CSAT is off there: nothing is planned, nothing is counted
        assert not Invitation.objects.filter(conversation=conversation).exists()
        assert not conversation.messages.filter(metadata__has_key="survey").exists()
        return
    invitation = invitation_of(conversation)
    assert (invitation.status, invitation.skip_reason) == ("skipped", "rule")


def test_a_conversation_only_the_chatbot_answered_gets_no_csat_but_a_trigger_still_runs(
    website: Any, conversation: Any, csat_on: Callable[..., Any], run_jobs: Callable[[], int],
) -> None:
    csat_on(website)
    ces = Survey.objects.get(kind="ces")
    Trigger.objects.create(survey=ces, delay_minutes=0)
    from ruamchat.inbox.actions import resolve_by_bot

    with transaction.atomic():
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        resolve_by_bot(conversation=locked, outcome="confirmed")
    run_jobs()

    assert invitation_of(conversation, "csat").skip_reason == "rule"
    assert invitation_of(conversation, "ces").status == "sent"


def test_triggers_nps_seven_days_after_a_support_case_ces_right_after(
    support_team: Any, make_agent: Callable[..., Any], visitor_says: Callable[..., Any],
    run_jobs: Callable[[], int], settings: Any,
) -> None:
    from ruamchat.connectors.actions import create_channel

    settings.RUAMCHAT_PUBLIC_URL = "https://ruamchat.example"
    nps, ces = Survey.objects.get(kind="nps"), Survey.objects.get(kind="ces")
    Trigger.objects.create(survey=nps, team_kind="support", delay_minutes=7 * 24 * 60)
    Trigger.objects.create(survey=ces, team_kind="support", delay_minutes=0)
    channel = create_channel(actor=None, kind="website", name="ร้าน", default_team=support_team)
    engineer = make_agent(teams=[support_team])
    conversation = visitor_says("เครื่องเปิดไม่ติดครับ", channel=channel, visitor=VISITOR_B).conversation
    send_reply(conversation=conversation, actor=engineer, text="ลองชาร์จ 30 นาทีนะครับ")
    change_status(conversation=conversation, actor=engineer, status="resolved")
    run_jobs()

    ces_invitation = invitation_of(conversation, "ces")
    assert ces_invitation.status == "sent"
    message = ces_invitation.message
    assert message.metadata["cards"][0]["url"] == f"https://ruamchat.example/s/{ces_invitation.token}/"
    nps_invitation = invitation_of(conversation, "nps")
    assert nps_invitation.status == "scheduled"
    assert nps_invitation.send_at - timezone.now() > timedelta(days=6, hours=23)

    # a week later the NPS goes out (a website visitor: the link waits in the chat)
    Job.objects.filter(name="surveys.deliver").update(run_after=timezone.now())
    Invitation.objects.filter(pk=nps_invitation.pk).update(send_at=timezone.now())
    run_jobs()
    assert invitation_of(conversation, "nps").status == "sent"


def test_a_service_case_does_not_fire_a_support_trigger(
    website: Any, conversation: Any, agent: Any, answer_and_resolve: Callable[..., Any],
) -> None:
    Trigger.objects.create(survey=Survey.objects.get(kind="nps"), team_kind="support")
    answer_and_resolve(conversation, agent)
    assert not Invitation.objects.filter(conversation=conversation, kind="nps").exists()


def test_a_follow_up_is_tracked_from_first_contact_to_its_outcome(
    website: Any, conversation: Any, agent: Any, supervisor: Any, team: Any, csat_on: Callable[..., Any],
    answer_and_resolve: Callable[..., Any], run_jobs: Callable[[], int],
    published: list[tuple[list[str], dict[str, Any]]], django_capture_on_commit_callbacks: Any,
) -> None:
    csat_on(website)
    answer_and_resolve(conversation, agent)
    invitation = invitation_of(conversation)
    with django_capture_on_commit_callbacks(execute=True):  # realtime events go out after commit
        actions.answer_on_page(invitation=invitation, score=1)
    actions.answer_on_page(invitation=invitation, comment="ของไม่ครบ ไม่มีใครช่วยเลย")

    follow_up = FollowUp.objects.get()
    conversation_ = follow_up.conversation
    assert conversation_.pk != conversation.pk and conversation_.team == team
    assert conversation_.status == "open" and conversation_.priority <= Conversation.Priority.HIGH
    notes = list(conversation_.messages.filter(is_private=True).values_list("text", flat=True))
    assert any("1" in n and f"#{conversation.pk}" in n for n in notes)
    assert any("ของไม่ครบ" in n for n in notes)  # the comment came after the score: added as a note
    assert FollowUp.objects.count() == 1
    alerts = [m for groups, m in published if m["event"] == "followup.opened"]
    assert len(alerts) == 1 and alerts[0]["payload"]["score"] == 1
    assert "supervisors" in [g for groups, m in published if m["event"] == "followup.opened" for g in groups]
    assert Event.objects.filter(conversation=conversation, kind="follow_up_opened").exists()
    # the follow-up gets no CSAT of its own
    send_reply(conversation=conversation_, actor=agent, text="ขออภัยค่ะ จะส่งของที่ขาดให้วันนี้")
    follow_up.refresh_from_db()
    assert follow_up.first_contact_at is not None
    change_status(conversation=conversation_, actor=agent, status="resolved")
    run_jobs()
    assert invitation_of(conversation_).skip_reason == "rule"

    actions.close_follow_up(follow_up=follow_up, actor=agent, outcome="recovered")
    follow_up.refresh_from_db()
    assert follow_up.outcome == "recovered" and follow_up.closed_by == agent
    with pytest.raises(ValidationError):  # closed once: the outcome is not overwritten later
        actions.close_follow_up(follow_up=follow_up, actor=supervisor, outcome="unreachable")
    follow_up.refresh_from_db()
    assert follow_up.outcome == "recovered"
    # changing the answer to a good score afterwards opens nothing new
    actions.answer_on_page(invitation=invitation, score=5)
    assert FollowUp.objects.count() == 1 and Response.objects.get().score == 5


def test_the_customers_next_message_goes_to_the_follow_up_when_it_is_open(
    website: Any, conversation: Any, agent: Any, csat_on: Callable[..., Any],
    answer_and_resolve: Callable[..., Any], visitor_says: Callable[..., Any],
) -> None:
    csat_on(website, followup_th="", followup_en="")
    answer_and_resolve(conversation, agent)
    actions.answer_on_page(invitation=invitation_of(conversation), score=2)
    follow_up = FollowUp.objects.get()

    message = visitor_says("ค่ะ ยังรอของอยู่เลย")
    assert message.conversation_id == follow_up.conversation_id


def test_an_invitation_whose_message_failed_is_not_delivered(
    website: Any, conversation: Any, agent: Any, csat_on: Callable[..., Any],
    answer_and_resolve: Callable[..., Any],
) -> None:
    from ruamchat.inbox.actions import mark_failed
    from ruamchat.surveys import selectors

    csat_on(website)
    answer_and_resolve(conversation, agent)
    invitation = invitation_of(conversation)
    Message = type(invitation.message)
    Message.objects.filter(pk=invitation.message_id).update(status="pending")
    mark_failed(message_id=invitation.message_id, error="the provider refused it")

    invitation.refresh_from_db()
    assert (invitation.status, invitation.error) == ("failed", "the provider refused it")
    figures = selectors.figures(selectors.Filters(*selectors.period(1)))[0]
    assert figures.delivered == 0


def test_the_totals_are_the_sum_of_the_groups(team: Any, support_team: Any, agent: Any) -> None:
    from ruamchat.surveys import selectors
    from tests.surveys.factories import answered, sent_invitation

    for score in (5, 4, 2):
        answered("csat", score, team=team, agent=agent)
    for score in (10, 6, 8, 9):
        answered("nps", score, team=support_team)
    answered("ces", 6)
    sent_invitation(Contact.objects.create(name="ไม่ตอบ"), "csat")
    filters = selectors.Filters(*selectors.period(7))
    for group in ("team", "agent", "channel", "category", "day"):
        rows = selectors.figures(filters, group)
        summed, direct = selectors.total_of(rows), selectors.figures(filters)[0]
        assert (summed.csat, summed.nps, summed.ces, summed.delivered, summed.answered) == (
            direct.csat, direct.nps, direct.ces, direct.delivered, direct.answered), group
    assert direct.csat.percent == pytest.approx(200 / 3) and direct.nps.score == 25.0
    assert (direct.delivered, direct.answered) == (9, 8)
