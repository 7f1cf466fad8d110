"""The chatbot: its settings per channel (administrators), its numbers (supervisors, administrators), and
pausing or resuming it in a conversation (anyone who may work on the conversation)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from ruamchat.accounts.selectors import profile_for
from ruamchat.api.common import caller, found, responses
from ruamchat.bot import actions, selectors
from ruamchat.bot.models import BotConversation, BotSettings
from ruamchat.connectors.models import Channel
from ruamchat.inbox.selectors import get_conversation

router = Router(tags=["chatbot"])


class BotSettingsOut(Schema):
    channel_id: int
    enabled: bool
    greeting_th: str
    greeting_en: str
    after_hours: bool
    after_hours_details_th: str
    after_hours_details_en: str
    threshold: float
    max_messages: int
    quiet_minutes: int


class BotSettingsIn(Schema):
    enabled: bool | None = Field(None, description="Answer new chats from the public knowledge base "
                                                   "(email: one acknowledgement with suggested articles).")
    greeting_th: str | None = Field(None, max_length=2000)
    greeting_en: str | None = Field(None, max_length=2000)
    after_hours: bool | None = Field(None, description="Outside business hours, say when the team will answer.")
    after_hours_details_th: str | None = Field(None, max_length=2000)
    after_hours_details_en: str | None = Field(None, max_length=2000)
    threshold: float | None = Field(None, ge=0, le=1, description="Confidence needed to offer an article.")
    max_messages: int | None = Field(None, ge=1, le=50, description="Most automatic messages per conversation.")
    quiet_minutes: int | None = Field(None, ge=5, le=7 * 24 * 60,
                                      description="Resolve when the customer is quiet this long after an answer.")


class BotStateOut(Schema):
    conversation_id: int
    state: str = Field(description="`active`, `handed_off` or `resolved`.")
    reason: str = Field(description="Why the bot handed off (empty while it answers).")
    outcome: str = Field(description="How the bot resolved it: `confirmed`, `quiet` or `abandoned`.")
    paused: bool
    messages_sent: int


class BotMetricsOut(Schema):
    since: datetime
    until: datetime
    conversations: int = Field(description="Conversations the bot took (by when it took them).")
    answered: int = Field(description="… in which it offered at least one article.")
    deflected: int = Field(description="… it resolved with nobody else involved.")
    handed_off: int
    active: int
    deflection_rate: float | None
    handoff_rate: float | None
    reasons: dict[str, int] = Field(description="Hand-offs by reason.")
    outcomes: dict[str, int] = Field(description="Resolutions by outcome.")
    feedback_yes: int
    feedback_no: int
    yes_rate: float | None = Field(description="“Did this answer your question?” answered yes ÷ answered.")


def _settings_out(settings: BotSettings) -> BotSettingsOut:
    return BotSettingsOut(channel_id=settings.channel_id, **{name: getattr(settings, name)
                                                            for name in actions.SETTINGS_FIELDS})


def _channel(request: HttpRequest, channel_id: int) -> Channel:
    if not profile_for(caller(request)).is_admin:
        raise PermissionDenied(_("Only administrators can see or change the chatbot's settings."))
    return found(Channel.objects.filter(pk=channel_id).first(), _("Channel not found."))


@router.get("/channels/{channel_id}/bot", response=responses(BotSettingsOut), summary="The chatbot's settings")
def get_settings(request: HttpRequest, channel_id: int) -> BotSettingsOut:
    channel = _channel(request, channel_id)
    return _settings_out(selectors.settings_or_default(channel.pk))


@router.patch("/channels/{channel_id}/bot", response=responses(BotSettingsOut, errors=(400, 403, 404)),
              summary="Change the chatbot's settings")
def change_settings(request: HttpRequest, channel_id: int, payload: BotSettingsIn) -> BotSettingsOut:
    channel = _channel(request, channel_id)
    saved = actions.save_settings(actor=caller(request), channel=channel, **payload.model_dump(exclude_unset=True))
    return _settings_out(saved)


def _state_out(state: BotConversation) -> BotStateOut:
    return BotStateOut(conversation_id=state.conversation_id, state=state.state, reason=state.reason,
                       outcome=state.outcome, paused=state.paused, messages_sent=state.messages_sent)


@router.post("/conversations/{conversation_id}/bot/pause", response=responses(BotStateOut),
             summary="Pause the chatbot in a conversation", tags=["conversations"])
def pause(request: HttpRequest, conversation_id: int) -> BotStateOut:
    conversation = found(get_conversation(caller(request), conversation_id), _("Conversation not found."))
    return _state_out(actions.pause(conversation=conversation, actor=caller(request)))


@router.post("/conversations/{conversation_id}/bot/resume", response=responses(BotStateOut, errors=(400, 404)),
             summary="Give a conversation back to the chatbot", tags=["conversations"])
def resume(request: HttpRequest, conversation_id: int) -> BotStateOut:
    conversation = found(get_conversation(caller(request), conversation_id), _("Conversation not found."))
    return _state_out(actions.resume(conversation=conversation, actor=caller(request)))


@router.get("/bot/metrics", response=responses(BotMetricsOut, errors=(400, 403)),
            summary="Deflection, hand-offs and “did this help”")
def metrics(request: HttpRequest, since: datetime | None = None, until: datetime | None = None,
            channel_id: int | None = None) -> BotMetricsOut:
    if not profile_for(caller(request)).sees_everything:
        raise PermissionDenied(_("Only supervisors and administrators can see the chatbot's numbers."))
    until = until or timezone.now()
    since = since or until - timedelta(days=30)
    found_metrics = selectors.metrics(since=since, until=until, channel_id=channel_id)
    return BotMetricsOut(
        since=since, until=until, conversations=found_metrics.conversations, answered=found_metrics.answered,
        deflected=found_metrics.deflected, handed_off=found_metrics.handed_off, active=found_metrics.active,
        deflection_rate=found_metrics.deflection_rate, handoff_rate=found_metrics.handoff_rate,
        reasons=found_metrics.reasons, outcomes=found_metrics.outcomes, feedback_yes=found_metrics.feedback_yes,
        feedback_no=found_metrics.feedback_no, yes_rate=found_metrics.yes_rate,
    )
