"""Writes for surveys.

How a survey goes out:

- ``conversation_resolved`` runs in the transaction that resolves a conversation (a person or the chatbot):
  it schedules the CSAT invitation (once per conversation) and those of the matching NPS / CES triggers, each
  with a ``surveys.deliver`` job at its time.
- ``start_campaign`` schedules a campaign; ``run_campaign`` (a job) creates one invitation per contact of the
  segment, spaced by the campaign's rate, each with its own ``surveys.deliver`` job; ``remind`` sends the one
  reminder.
- ``deliver`` decides at sending time (nothing is assumed from scheduling time): the survey is still on, the
  contact has not opted out nor been surveyed within the quiet period, the conversation is still resolved,
  the rules (channel, team, tags) let it be asked, and the channel allows an automatic message now (Meta's
  24-hour window). Otherwise the invitation is kept as skipped with the reason, so it is counted.
  Invitations about a conversation go into that conversation (``inbox.actions.send_automatic``: LINE and
  Messenger quick replies, stars in the website chat, links in email); campaign invitations go straight to
  the contact through the channel's ``send_notice`` (LINE push, a new email).

How answers come back: pressed or typed in the chat (``inbox.actions`` recognises them with
``selectors.chat_answer`` while storing the message, so an answer never reopens the conversation, then
``chat_answer_received`` answers in a job), or on the personal page (``answer_on_page``). A second answer
updates the first. An NPS detractor (0–6) or a CSAT of 1–2 opens a follow-up conversation for the Service
team (``open_follow_up``).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ruamchat.accounts.selectors import profile_for
from ruamchat.connectors import registry
from ruamchat.connectors.models import Channel
from ruamchat.contacts.actions import record_consent
from ruamchat.contacts.models import Consent, Contact, Identity
from ruamchat.contacts.selectors import consents
from ruamchat.core.text import detect_language
from ruamchat.inbox import actions as inbox
from ruamchat.inbox.models import Conversation, Event, Message
from ruamchat.inbox.selectors import is_group_chat, reply_window
from ruamchat.jobs import queue
from ruamchat.realtime import events as rt
from ruamchat.surveys import analysis, replies, selectors
from ruamchat.surveys.models import Campaign, FollowUp, Invitation, Response, Survey, Topic, Trigger

logger = logging.getLogger("ruamchat.surveys")

Kind = Survey.Kind
Skip = Invitation.Skip
Sent = Invitation.Status
#: how long a chat waits for a typed score, and for the optional comment after it
SCORE_WAIT = timedelta(hours=24)
COMMENT_WAIT = timedelta(minutes=30)
MAX_COMMENT = 2000
CAMPAIGN_BATCH = 500


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _language(contact: Contact, conversation: Conversation | None) -> str:
    language = (contact.language or "")[:2].lower()
    if language in ("th", "en"):
        return language
    if conversation is not None:
        text = (Message.objects.filter(conversation=conversation, direction=Message.Direction.INCOMING)
                .exclude(text="").order_by("-id").values_list("text", flat=True).first())
        if text:
            return detect_language(text)
    return "th"


# ---------------------------------------------------------------- scheduling


def conversation_resolved(conversation: Conversation) -> None:
    """Called by ``inbox.actions`` in the transaction that resolves a conversation: schedule its CSAT and
    the NPS / CES triggers that match. Re-resolving a conversation reschedules an invitation not yet sent
    (once per conversation: an invitation already sent or skipped stays as it is)."""
    if conversation.identity_id is None:
        return
    now = timezone.now()
    planned: list[tuple[Survey, Trigger | None, int]] = []
    csat = selectors.csat_survey()
    if csat is not None and csat.active and csat.channels.filter(pk=conversation.channel_id).exists():
        planned.append((csat, None, csat.delay_minutes))  # (a channel CSAT is off for leaves no trace)
    team_kind = conversation.team.kind if conversation.team_id and conversation.team else ""
    triggers = (Trigger.objects.filter(active=True, survey__active=True).select_related("survey")
                .prefetch_related("channels"))
    for each in triggers:
        if each.team_kind and each.team_kind != team_kind:
            continue
        channel_ids = {c.pk for c in each.channels.all()}
        if channel_ids and conversation.channel_id not in channel_ids:
            continue
        planned.append((each.survey, each, each.delay_minutes))
    for survey, trigger, delay in planned:
        send_at = now + timedelta(minutes=delay)
        invitation = Invitation.objects.select_for_update().filter(survey=survey, conversation=conversation).first()
        if invitation is not None:
            if invitation.status != Sent.SCHEDULED:
                continue
            invitation.send_at = send_at
            invitation.save(update_fields=["send_at"])
        else:
            invitation = Invitation.objects.create(
                survey=survey, kind=survey.kind, contact_id=conversation.contact_id,
                identity_id=conversation.identity_id, channel_id=conversation.channel_id, conversation=conversation,
                trigger=trigger, token=new_token(), send_at=send_at)
        queue.enqueue("surveys.deliver", run_after=send_at, invitation_id=invitation.pk)


def message_failed(*, message_id: int, error: str) -> None:
    """The message carrying an invitation could not be delivered: the invitation was not delivered either."""
    Invitation.objects.filter(message_id=message_id, status=Sent.SENT).update(status=Sent.FAILED, error=error[:500])


def person_replied(conversation: Conversation) -> None:
    """A person answered the customer: the first contact of an open follow-up in this conversation."""
    FollowUp.objects.filter(conversation=conversation, first_contact_at__isnull=True,
                            closed_at__isnull=True).update(first_contact_at=timezone.now())


# ---------------------------------------------------------------- sending


def _skip(invitation: Invitation, reason: str, detail: str = "") -> None:
    invitation.status, invitation.skip_reason, invitation.error = Sent.SKIPPED, reason, detail[:500]
    invitation.save(update_fields=["status", "skip_reason", "error"])
    if invitation.conversation_id is not None:
        inbox.record_event(conversation_id=invitation.conversation_id, kind=Event.Kind.SURVEY_SKIPPED,
                           invitation_id=invitation.pk, survey=invitation.kind, reason=reason)


def _csat_rule_refuses(invitation: Invitation, conversation: Conversation) -> bool:
    survey = invitation.survey
    if not survey.channels.filter(pk=conversation.channel_id).exists():
        return True
    if conversation.team_id is not None and survey.skip_teams.filter(pk=conversation.team_id).exists():
        return True
    if survey.skip_tags.filter(pk__in=conversation.tags.values("pk")).exists():
        return True
    if conversation.first_reply_at is None:
        return True  # nobody answered (the chatbot resolved it, or it was closed unanswered): no one to rate
    return FollowUp.objects.filter(conversation=conversation).exists()  # not again in the follow-up itself


def _conversation_skip(invitation: Invitation, conversation: Conversation) -> str | None:
    """Why an invitation about a conversation cannot go now; "wait" when it may later (reopened)."""
    if conversation.status not in (Conversation.Status.RESOLVED, Conversation.Status.CLOSED):
        return "wait"
    if is_group_chat(conversation):
        return Skip.RULE
    if invitation.kind == Kind.CSAT and _csat_rule_refuses(invitation, conversation):
        return Skip.RULE
    identity = conversation.identity
    if identity is None or identity.blocked_at is not None:
        return Skip.NO_ADDRESS
    if not reply_window(conversation, human=False).allowed:
        return Skip.WINDOW
    return None


def deliver(*, invitation_id: int) -> None:
    """Send one invitation when its time comes (the ``surveys.deliver`` job), or keep it as skipped with the
    reason. Campaign invitations are marked sent before the provider is called, outside the transaction
    (a crash in between loses one invitation rather than sending it twice)."""
    with transaction.atomic():
        invitation = (Invitation.objects.select_for_update(of=("self",))
                      .select_related("survey", "contact", "campaign").filter(pk=invitation_id).first())
        if invitation is None:
            return
        notice = _deliver_locked(invitation, timezone.now())
    if notice is not None:
        _send_notice(*notice, reminder=False)
    if invitation.campaign_id is not None:
        campaign_progress(campaign_id=invitation.campaign_id)


def _deliver_locked(invitation: Invitation,
                    now: datetime) -> tuple[Invitation, Channel, Identity | None, str] | None:
    """Skip, send into the conversation, or claim for a notice (returned, sent after commit)."""
    if invitation.status != Sent.SCHEDULED or invitation.send_at > now + timedelta(seconds=1):
        return None  # done already, or rescheduled (a later job sends it)
    survey = invitation.survey
    if not survey.active:
        _skip(invitation, Skip.INACTIVE)
        return None
    if invitation.campaign is not None and invitation.campaign.status == Campaign.Status.CANCELLED:
        _skip(invitation, Skip.CANCELLED)
        return None
    if consents(invitation.contact_id, Consent.Purpose.SURVEYS) is False:
        _skip(invitation, Skip.OPTED_OUT)
        return None
    conversation = None
    if invitation.conversation_id is not None:
        conversation = (Conversation.objects.select_for_update(of=("self",))
                        .select_related("channel", "identity", "team").get(pk=invitation.conversation_id))
        reason = _conversation_skip(invitation, conversation)
        if reason == "wait":
            return None  # reopened: asked when it is resolved again
        if reason:
            _skip(invitation, reason)
            return None
    if selectors.surveyed_recently(invitation, now):
        _skip(invitation, Skip.QUIET)
        return None
    invitation.language = _language(invitation.contact, conversation)
    invitation.expires_at = now + timedelta(days=survey.expires_days)
    if conversation is not None:
        _send_in_conversation(invitation, conversation, now)
        return None
    route = _campaign_route(invitation)
    if route is None:
        _skip(invitation, Skip.NO_ADDRESS)
        return None
    channel, identity, address = route
    invitation.channel, invitation.identity = channel, identity
    invitation.status, invitation.sent_at = Sent.SENT, now
    invitation.save()
    return invitation, channel, identity, address


def _send_in_conversation(invitation: Invitation, conversation: Conversation, now: datetime) -> None:
    survey = invitation.survey
    with translation.override(invitation.language):
        content = replies.invitation(invitation, conversation.channel.kind)
    try:
        message = inbox.send_automatic(conversation=conversation, text=content.text, cards=content.cards,
                                       quick_replies=content.quick_replies,
                                       metadata={"survey": {"invitation": invitation.pk, "kind": survey.kind,
                                                            "scale": list(survey.scale)}})
    except ValidationError as exc:
        _skip(invitation, Skip.WINDOW, " ".join(exc.messages))
        return
    invitation.message = message
    invitation.status, invitation.sent_at = Sent.SENT, now
    invitation.team_id = conversation.team_id
    invitation.agent_id = selectors.last_agent(conversation)
    invitation.category = conversation.category
    if content.chat:
        invitation.awaiting, invitation.awaiting_until = "score", now + SCORE_WAIT
    invitation.save()
    inbox.record_event(conversation_id=conversation.pk, kind=Event.Kind.SURVEY_SENT, invitation_id=invitation.pk,
                       survey=survey.kind, message_id=message.pk)


def _campaign_route(invitation: Invitation) -> tuple[Channel, Identity | None, str] | None:
    """How a campaign reaches the contact: LINE when they are a friend of its LINE account (and have not
    blocked it), else email when it has a mailbox and the contact an address."""
    campaign = invitation.campaign
    if campaign is None:
        return None
    if campaign.line_channel_id is not None:
        identity = (Identity.objects.filter(contact_id=invitation.contact_id, channel_id=campaign.line_channel_id,
                                            blocked_at__isnull=True, external_id__startswith="U")
                    .select_related("channel").first())
        if identity is not None:
            return identity.channel, identity, identity.external_id
    if campaign.email_channel_id is not None:
        identity = (Identity.objects.filter(contact_id=invitation.contact_id, channel_id=campaign.email_channel_id)
                    .select_related("channel").first())
        address = identity.external_id if identity is not None else invitation.contact.email
        if address and "@" in address:
            channel = identity.channel if identity is not None else Channel.objects.get(pk=campaign.email_channel_id)
            return channel, identity, address
    return None


def _send_notice(invitation: Invitation, channel: Channel, identity: Identity | None, address: str, *,
                 reminder: bool) -> None:
    with translation.override(invitation.language):
        notice = replies.notice(invitation, address=address, reminder=reminder)
    connector = registry.get(channel.kind)
    send = getattr(connector, "send_notice", None)
    if send is None:
        result_error, ok = _("This channel cannot send survey invitations."), False
    else:
        result = send(channel, notice)
        result_error, ok = result.error, result.ok
    if not ok:
        Invitation.objects.filter(pk=invitation.pk).update(
            **({"status": Sent.FAILED} if not reminder else {}), error=str(result_error)[:500])
        logger.info("survey invitation %s not sent: %s", invitation.pk, result_error)
        return
    if reminder:
        Invitation.objects.filter(pk=invitation.pk).update(reminded_at=timezone.now())
        return
    campaign = invitation.campaign
    if campaign is not None and campaign.reminder_days:
        queue.enqueue("surveys.remind", run_after=timezone.now() + timedelta(days=campaign.reminder_days),
                      invitation_id=invitation.pk)


def remind(*, invitation_id: int) -> None:
    """The one reminder of a campaign invitation nobody answered (the ``surveys.remind`` job)."""
    invitation = (Invitation.objects.select_related("survey", "contact", "campaign", "channel", "identity")
                  .filter(pk=invitation_id).first())
    if invitation is None or invitation.status != Sent.SENT or invitation.reminded_at is not None \
            or invitation.channel is None:
        return
    if Response.objects.filter(invitation=invitation).exists():
        return
    if invitation.campaign is not None and invitation.campaign.status == Campaign.Status.CANCELLED:
        return
    if consents(invitation.contact_id, Consent.Purpose.SURVEYS) is False:
        return
    if invitation.expires_at is not None and invitation.expires_at <= timezone.now():
        return
    address = invitation.identity.external_id if invitation.identity is not None else invitation.contact.email
    if not address:
        return
    _send_notice(invitation, invitation.channel, invitation.identity, address, reminder=True)


# ---------------------------------------------------------------- campaigns


def _check_supervisor(actor: User | None) -> None:
    if actor is None or not profile_for(actor).sees_everything:
        raise PermissionDenied(_("Only supervisors and administrators manage survey campaigns."))


def check_campaign(campaign: Campaign) -> None:
    problems: dict[str, list[str]] = {}
    if campaign.survey.kind == Kind.CSAT:
        problems["survey"] = [_("CSAT is asked after conversations; campaigns send NPS or CES surveys.")]
    if campaign.line_channel_id is None and campaign.email_channel_id is None:
        problems["line_channel"] = [_("Choose a LINE account, a mailbox, or both to send from.")]
    if campaign.attribute_name and (not campaign.attribute_name.replace("_", "").replace("-", "").isalnum()
                                    or "__" in campaign.attribute_name):
        problems["attribute_name"] = [_("An attribute name has only letters, digits, '-' and '_'.")]
    if problems:
        raise ValidationError(problems)


def save_campaign(*, campaign: Campaign, actor: User | None, segment_channel_ids: list[int] | None = None,
                  segment_tag_ids: list[int] | None = None) -> Campaign:
    """Create or change a campaign (supervisors, administrators); a started one can no longer change."""
    _check_supervisor(actor)
    if campaign.pk is not None and Campaign.objects.filter(pk=campaign.pk).exclude(
            status=Campaign.Status.DRAFT).exists():
        raise ValidationError(_("Only a draft campaign can be changed."))
    campaign.attribute_name = campaign.attribute_name.strip()
    check_campaign(campaign)
    if campaign.created_by_id is None:
        campaign.created_by = actor
    with transaction.atomic():
        campaign.save()
        if segment_channel_ids is not None:
            campaign.segment_channels.set(segment_channel_ids)
        if segment_tag_ids is not None:
            campaign.segment_tags.set(segment_tag_ids)
    return campaign


def start_campaign(*, campaign: Campaign, actor: User | None) -> Campaign:
    """Schedule a draft campaign: its invitations are created at its time and sent at its rate."""
    _check_supervisor(actor)
    check_campaign(campaign)
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status != Campaign.Status.DRAFT:
            raise ValidationError(_("Only a draft campaign can be started."))
        locked.status = Campaign.Status.SCHEDULED
        locked.save(update_fields=["status"])
        queue.enqueue("surveys.run_campaign", run_after=locked.scheduled_at or timezone.now(),
                      campaign_id=locked.pk)
    return locked


def cancel_campaign(*, campaign: Campaign, actor: User | None) -> Campaign:
    """Stop a campaign: invitations not sent yet are kept as skipped (cancelled); no more reminders."""
    _check_supervisor(actor)
    with transaction.atomic():
        locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.status in (Campaign.Status.DONE, Campaign.Status.CANCELLED):
            raise ValidationError(_("This campaign has finished already."))
        locked.status, locked.finished_at = Campaign.Status.CANCELLED, timezone.now()
        locked.save(update_fields=["status", "finished_at"])
        Invitation.objects.filter(campaign=locked, status=Sent.SCHEDULED).update(
            status=Sent.SKIPPED, skip_reason=Skip.CANCELLED)
    return locked


def run_campaign(*, campaign_id: int) -> int:
    """Create the invitations of a scheduled campaign (the ``surveys.run_campaign`` job): one per contact of
    the segment, spaced by its rate. Returns how many were created."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().select_related("survey").filter(pk=campaign_id).first()
        if campaign is None or campaign.status != Campaign.Status.SCHEDULED:
            return 0
        campaign.status, campaign.started_at = Campaign.Status.SENDING, timezone.now()
        campaign.save(update_fields=["status", "started_at"])
    start = timezone.now()
    created = 0
    contact_ids = list(selectors.segment(campaign).values_list("pk", flat=True))
    for offset in range(0, len(contact_ids), CAMPAIGN_BATCH):
        batch = contact_ids[offset:offset + CAMPAIGN_BATCH]
        with transaction.atomic():
            invitations = Invitation.objects.bulk_create([
                Invitation(survey=campaign.survey, kind=campaign.survey.kind, contact_id=contact_id,
                           campaign=campaign, token=new_token(),
                           send_at=start + timedelta(seconds=60 * (offset + i) / campaign.per_minute))
                for i, contact_id in enumerate(batch)], ignore_conflicts=True)
            for invitation in Invitation.objects.filter(campaign=campaign, contact_id__in=batch,
                                                        status=Sent.SCHEDULED).only("pk", "send_at"):
                queue.enqueue("surveys.deliver", run_after=invitation.send_at, invitation_id=invitation.pk)
            created += len(invitations)
    campaign_progress(campaign_id=campaign.pk)
    return created


def campaign_progress(*, campaign_id: int) -> None:
    """A sending campaign is done once none of its invitations waits to be sent."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(pk=campaign_id, status=Campaign.Status.SENDING).first()
        if campaign is None or Invitation.objects.filter(campaign=campaign, status=Sent.SCHEDULED).exists():
            return
        campaign.status, campaign.finished_at = Campaign.Status.DONE, timezone.now()
        campaign.save(update_fields=["status", "finished_at"])


# ---------------------------------------------------------------- answers


def _record(invitation: Invitation, *, score: int | None, comment: str | None, via: str) -> tuple[Response, bool]:
    """Store (or update) the answer in the caller's transaction. Returns it and whether it just became
    unhappy (the closed loop opens)."""
    low, high = invitation.survey.scale
    existing = Response.objects.select_for_update().filter(invitation=invitation).first()
    if score is not None and not low <= score <= high:
        raise ValidationError(_("Choose a score from %(low)s to %(high)s.") % {"low": low, "high": high})
    if existing is None and score is None:
        raise ValidationError(_("Choose a score first."))
    was_unhappy = existing is not None and existing.unhappy
    response = existing or Response(
        invitation=invitation, survey_id=invitation.survey_id, kind=invitation.kind, contact_id=invitation.contact_id,
        conversation_id=invitation.conversation_id, team_id=invitation.team_id, agent_id=invitation.agent_id,
        channel_id=invitation.channel_id, category=invitation.category, answered_at=timezone.now(),
        language=invitation.language)
    if score is not None:
        response.score = score
    if existing is None:
        invitation.answered_at = response.answered_at  # counted by the response rate without a join
        invitation.save(update_fields=["answered_at"])
    response.via = via
    if comment is not None:
        comment = comment.strip()[:MAX_COMMENT]
        response.comment = comment
        found = analysis.analyse(comment, invitation.language) if comment else None
        response.sentiment = found.sentiment if found else ""
        response.sentiment_score = found.score if found else None
        response.topics = found.topics if found else []
    response.save()
    if existing is None and invitation.conversation_id is not None:
        inbox.record_event(conversation_id=invitation.conversation_id, kind=Event.Kind.SURVEY_ANSWERED,
                           invitation_id=invitation.pk, survey=invitation.kind, score=response.score)
    return response, response.unhappy and not was_unhappy


def _after_answer(response: Response, became_unhappy: bool, *, comment_added: bool) -> None:
    follow_up = FollowUp.objects.filter(response=response).select_related("conversation").first()
    if follow_up is None and became_unhappy:
        open_follow_up(response)
    elif follow_up is not None and comment_added and response.comment:
        inbox.add_system_note(conversation=follow_up.conversation,
                              text=_("The customer's comment: %(comment)s") % {"comment": response.comment})


def answer_on_page(*, invitation: Invitation, score: int | None = None, comment: str | None = None) -> Response:
    """The customer answers on the survey page (a score, then optionally a comment)."""
    if invitation.status != Sent.SENT:
        raise ValidationError(_("This survey is not open."))
    if invitation.expires_at is not None and invitation.expires_at <= timezone.now():
        raise ValidationError(_("This survey has closed."))
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().select_related("survey").get(pk=invitation.pk)
        response, became_unhappy = _record(locked, score=score, comment=comment, via=Response.Via.PAGE)
        _after_answer(response, became_unhappy, comment_added=comment is not None)
    return response


def page_opened(invitation: Invitation) -> None:
    if invitation.opened_at is None:
        Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=timezone.now())


def opt_out(*, invitation: Invitation, agreed: bool = False) -> None:
    """The customer asks for no more surveys (or, ``agreed``, takes that back) from the survey page."""
    record_consent(contact=invitation.contact, purpose=Consent.Purpose.SURVEYS, granted=agreed,
                   source=Consent.Source.SURVEY_PAGE, note=f"invitation {invitation.pk}")


def chat_answer_received(*, message: Message, answer: selectors.ChatAnswer) -> None:
    """Called by ``inbox.actions`` for a stored message that answers a survey: answered in a job."""
    message.metadata = {**message.metadata, "survey_answer": {"invitation": answer.invitation_id,
                                                              "value": answer.value}}
    message.save(update_fields=["metadata"])
    queue.enqueue("surveys.chat_answer", message_id=message.pk)


def chat_answer(*, message_id: int) -> None:
    """Record a score, comment or "no thanks" given in the chat, and answer it (the ``surveys.chat_answer``
    job): after a score, the follow-up question (or thanks); after a comment or "no thanks", thanks."""
    message = Message.objects.filter(pk=message_id).first()
    data = (message.metadata or {}).get("survey_answer") if message is not None else None
    if message is None or not isinstance(data, dict):
        return
    with transaction.atomic():
        invitation = (Invitation.objects.select_for_update(of=("self",)).select_related("survey", "conversation")
                      .filter(pk=int(data.get("invitation") or 0), conversation_id=message.conversation_id).first())
        if invitation is None or invitation.conversation is None:
            return
        value = str(data.get("value", ""))
        now = timezone.now()
        reply = ""
        response: Response | None = None
        became_unhappy = comment_added = False
        followup_text = invitation.survey.text("followup", invitation.language)
        if value.isdigit():
            response, became_unhappy = _record(invitation, score=int(value), comment=None, via=Response.Via.CHAT)
            if followup_text:
                invitation.awaiting, invitation.awaiting_until = "comment", now + COMMENT_WAIT
                reply = "followup"
            else:
                invitation.awaiting, invitation.awaiting_until = "", None
                reply = "thanks"
        elif value == "comment":
            if Response.objects.filter(invitation=invitation).exists():
                response, became_unhappy = _record(invitation, score=None, comment=message.text,
                                                   via=Response.Via.CHAT)
                comment_added = True
            invitation.awaiting, invitation.awaiting_until = "", None
            reply = "thanks"
        elif value == "skip":
            invitation.awaiting, invitation.awaiting_until = "", None
            reply = "thanks"
        invitation.save(update_fields=["awaiting", "awaiting_until"])
        if response is not None:
            _after_answer(response, became_unhappy, comment_added=comment_added)
        if reply:
            with translation.override(invitation.language):
                content = replies.followup(invitation) if reply == "followup" else replies.thanks(invitation)
            try:
                inbox.send_automatic(conversation=invitation.conversation, text=content.text,
                                     quick_replies=content.quick_replies,
                                     metadata={"survey": {"invitation": invitation.pk, "kind": invitation.kind,
                                                          "step": reply}})
            except ValidationError as exc:
                logger.info("survey reply in conversation %s not sent: %s", invitation.conversation_id, exc)


# ---------------------------------------------------------------- the closed loop


def open_follow_up(response: Response) -> FollowUp | None:
    """An unhappy answer: a follow-up conversation for the Service team with the score, the comment and the
    conversation it was about, and a live notice to the supervisors. In the caller's transaction."""
    invitation = response.invitation
    survey = invitation.survey
    about = invitation.conversation
    identity_id = about.identity_id if about is not None else invitation.identity_id
    channel_id = about.channel_id if about is not None else invitation.channel_id
    if identity_id is None or channel_id is None:
        return None
    team = selectors.follow_up_team(survey)
    kind_label = str(Kind(response.kind).label)
    lines = [_("%(survey)s: %(score)s (scale %(low)s–%(high)s)") % {
        "survey": kind_label, "score": response.score, "low": survey.scale[0], "high": survey.scale[1]}]
    if response.comment:
        lines.append(_("Comment: %(comment)s") % {"comment": response.comment})
    if about is not None:
        lines.append(_("About conversation #%(number)s") % {"number": about.pk})
    subject = _("Follow-up: %(survey)s %(score)s") % {"survey": response.kind.upper(), "score": response.score}
    conversation = inbox.open_follow_up(
        contact_id=response.contact_id, identity_id=identity_id, channel_id=channel_id, team=team,
        subject=subject, note="\n".join(lines),
        handover={"kind": "follow_up", "reason": f"{response.kind}:{response.score}", "by": "survey",
                  "comment": response.comment[:300], "about": about.pk if about is not None else None},
        about_id=about.pk if about is not None else None)
    try:
        with transaction.atomic():
            follow_up = FollowUp.objects.create(response=response, conversation=conversation, about=about,
                                                team=team)
    except IntegrityError:
        return FollowUp.objects.filter(response=response).first()
    if about is not None:
        inbox.record_event(conversation_id=about.pk, kind=Event.Kind.FOLLOW_UP_OPENED,
                           follow_up_conversation_id=conversation.pk, score=response.score, survey=response.kind)
    groups = {rt.SUPERVISORS_GROUP}
    if team is not None:
        groups.add(rt.team_group(team.pk))
    rt.publish(groups, "followup.opened", {
        "conversation_id": conversation.pk, "team_id": team.pk if team else None, "survey": response.kind,
        "score": response.score, "about_id": about.pk if about is not None else None})
    return follow_up


def close_follow_up(*, follow_up: FollowUp, actor: User, outcome: str) -> FollowUp:
    """Record how the follow-up ended (the conversation itself is resolved as usual)."""
    inbox.check_can_act(actor, follow_up.conversation)
    if outcome not in FollowUp.Outcome.values:
        raise ValidationError(_("Choose how the follow-up ended."))
    with transaction.atomic():
        locked = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
        if locked.closed_at is not None:
            raise ValidationError(_("This follow-up is closed already."))
        locked.outcome, locked.closed_at, locked.closed_by = outcome, timezone.now(), actor
        locked.save(update_fields=["outcome", "closed_at", "closed_by"])
        inbox.record_event(conversation_id=locked.conversation_id, kind=Event.Kind.FOLLOW_UP_CLOSED, actor=actor,
                           outcome=outcome)
    return locked


# ---------------------------------------------------------------- administration


SURVEY_FIELDS = ("name", "active", "question_th", "question_en", "low_label_th", "low_label_en", "high_label_th",
                 "high_label_en", "followup_th", "followup_en", "thanks_th", "thanks_en", "quiet_days",
                 "expires_days", "delay_minutes")


def save_survey(*, actor: User | None, survey: Survey, **values: Any) -> Survey:
    """An administrator edits a survey's texts and rules (unknown names are refused)."""
    from ruamchat.accounts.actions import check_admin

    check_admin(actor)
    unknown = set(values) - set(SURVEY_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown settings: %(names)s") % {"names": ", ".join(sorted(unknown))})
    for name, value in values.items():
        if value is not None:
            setattr(survey, name, value.strip() if isinstance(value, str) else value)
    survey.full_clean()
    survey.save()
    return survey


def save_topic(*, actor: User | None, topic: Topic) -> Topic:
    """An administrator adds or changes a comment topic; its keywords are kept one per line, de-duplicated."""
    from ruamchat.accounts.actions import check_admin
    from ruamchat.surveys.topics import parse_keywords

    check_admin(actor)
    topic.keywords = "\n".join(parse_keywords(topic.keywords))
    topic.full_clean()
    topic.save()
    return topic
