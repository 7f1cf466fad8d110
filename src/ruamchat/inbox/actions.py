"""Every change to conversations and messages. Each action checks, mutates in one transaction,
records Events, and publishes realtime events after commit. Nothing else writes these models."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ruamchat.accounts.models import Team
from ruamchat.accounts.selectors import profile_for
from ruamchat.connectors import registry
from ruamchat.connectors.base import InboundMessage, OutgoingEcho
from ruamchat.connectors.models import Channel
from ruamchat.contacts.actions import identify
from ruamchat.core.text import preview_of, sanitize_html
from ruamchat.inbox.models import Attachment, CannedResponse, Conversation, Event, Message, Tag
from ruamchat.inbox.selectors import can_be_assigned, can_view, reply_window
from ruamchat.inbox.storage import StorageFull, remove_files, save_file
from ruamchat.jobs import queue
from ruamchat.realtime import events as rt

logger = logging.getLogger("ruamchat.inbox")

MAX_TEXT = 20_000
Status = Conversation.Status


# ---------------------------------------------------------------- helpers


def _groups(conversation: Conversation, *, extra_teams: set[int | None] = frozenset(),  # type: ignore[assignment]
            extra_users: set[int | None] = frozenset()) -> list[str]:  # type: ignore[assignment]
    groups = {rt.SUPERVISORS_GROUP}
    for team_id in {conversation.team_id, *extra_teams}:
        if team_id:
            groups.add(rt.team_group(team_id))
    for user_id in {conversation.assignee_id, *extra_users}:
        if user_id:
            groups.add(rt.user_group(user_id))
    return sorted(groups)


def _publish_conversation(conversation: Conversation, change: str, *, created: bool = False,
                          extra_teams: set[int | None] = frozenset(),  # type: ignore[assignment]
                          extra_users: set[int | None] = frozenset()) -> None:  # type: ignore[assignment]
    payload: dict[str, Any] = {
        "conversation_id": conversation.pk,
        "team_id": conversation.team_id,
        "assignee_id": conversation.assignee_id,
        "status": conversation.status,
        "priority": conversation.priority,
    }
    if created:
        rt.publish(_groups(conversation), "conversation.created", payload)
    else:
        rt.publish(_groups(conversation, extra_teams=extra_teams, extra_users=extra_users),
                   "conversation.updated", {**payload, "change": change})


def _publish_message(conversation: Conversation, message: Message) -> None:
    rt.publish(
        _groups(conversation),
        "message.created",
        {
            "conversation_id": conversation.pk,
            "message_id": message.pk,
            "team_id": conversation.team_id,
            "assignee_id": conversation.assignee_id,
            "is_private": message.is_private,
        },
    )


def _sla(conversation: Conversation) -> None:
    """Move the SLA clocks to the conversation's new state (in the caller's transaction)."""
    from ruamchat.sla.actions import announce, recompute

    announce(conversation, recompute(conversation))


def _schedule_distribution(team_id: int | None) -> None:
    from ruamchat.routing.actions import schedule_distribution

    schedule_distribution(team_id)


def _event(conversation: Conversation, kind: str, actor: User | None, **data: Any) -> Event:
    return Event.objects.create(conversation=conversation, kind=kind, actor=actor, data=data)


def check_can_act(actor: User, conversation: Conversation) -> None:
    if not can_view(actor, conversation):
        raise PermissionDenied(_("You do not have access to this conversation."))


def _clean_text(text: str, *, required: bool) -> str:
    text = (text or "").replace("\x00", "").strip()
    if required and not text:
        raise ValidationError(_("Write a message first."))
    if len(text) > MAX_TEXT:
        raise ValidationError(_("The message is too long (at most %(max)s characters).") % {"max": MAX_TEXT})
    return text


def check_upload(upload: UploadedFile) -> None:
    limit = settings.RUAMCHAT["UPLOAD_MAX_BYTES"]
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("%(name)s is too large: files may be at most %(mb)s MB.")
            % {"name": upload.name, "mb": limit // (1024 * 1024)}
        )
    if (upload.content_type or "").split(";")[0].strip().lower() not in settings.RUAMCHAT["UPLOAD_CONTENT_TYPES"]:
        raise ValidationError(_("%(name)s: this type of file cannot be sent.") % {"name": upload.name})


def _check_outgoing(
    actor: User, conversation: Conversation, text: str, uploads: list[UploadedFile] | None
) -> tuple[str, list[UploadedFile]]:
    check_can_act(actor, conversation)
    uploads = uploads or []
    text = _clean_text(text, required=not uploads)
    for upload in uploads:
        check_upload(upload)
    return text, uploads


@contextmanager
def _files_removed_unless_kept() -> Iterator[list[str]]:
    """The files stored in the block (append their names) are deleted again when the block fails: a message
    that is not kept leaves no file behind. Put it outside the transaction, so the rows are rolled back first."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        remove_files(stored)
        raise


def _store_uploads(message: Message, uploads: list[UploadedFile], stored: list[str]) -> None:
    """Raises StorageFull (a ValidationError: the agent is told, the draft stays) when there is no room."""
    for upload in uploads:
        content_type = (upload.content_type or "application/octet-stream").split(";")[0].strip().lower()
        filename = (upload.name or "file").rsplit("/", 1)[-1][:200]
        attachment = Attachment(
            message=message, kind=Attachment.kind_for(content_type), filename=filename,
            content_type=content_type, size=upload.size or 0,
        )
        stored.append(save_file(attachment.file, filename, upload))
        attachment.save()


# ---------------------------------------------------------------- inbound


def _current_conversation(identity_id: int) -> Conversation | None:
    return (
        Conversation.objects.select_for_update().filter(identity_id=identity_id).order_by("-id").first()
    )


def _threaded_conversation(channel: Channel, inbound: InboundMessage, identity: Any) -> Conversation | None:
    """The conversation a message continues: the one its references answer, the one it names for the same
    customer, or (for chats) the customer's current one. None: it starts a new conversation."""
    if inbound.references:
        found = dict(
            Message.objects.filter(channel=channel, provider_message_id__in=list(inbound.references[:50]))
            .values_list("provider_message_id", "conversation_id")
        )
        for ref in inbound.references:
            if ref in found:
                return Conversation.objects.select_for_update().get(pk=found[ref])
    if inbound.conversation_hint is not None:
        named = (Conversation.objects.select_for_update()
                 .filter(pk=inbound.conversation_hint, channel=channel, contact_id=identity.contact_id).first())
        if named is not None:
            return named
    if inbound.new_thread:
        return None
    return _current_conversation(identity.pk)


def receive_message(*, channel: Channel, inbound: InboundMessage) -> Message:
    """Store a customer's message in the right conversation episode. A repeated provider id is a no-op."""
    existing = Message.objects.filter(channel=channel, provider_message_id=inbound.provider_message_id).first()
    if existing is not None:
        return existing
    try:
        with _files_removed_unless_kept() as stored, transaction.atomic():
            return _receive(channel, inbound, stored)
    except IntegrityError:
        existing = Message.objects.filter(channel=channel, provider_message_id=inbound.provider_message_id).first()
        if existing is None:
            raise
        return existing


def _receive(channel: Channel, inbound: InboundMessage, stored: list[str]) -> Message:
    if inbound.thread_id:
        # a group chat is one conversation of its own; the member who wrote goes on the message
        identity = identify(channel=channel, external_id=inbound.thread_id, name=inbound.thread_name)
        metadata = {**inbound.metadata, "member": {"id": inbound.external_user_id, "name": inbound.sender_name}}
    else:
        identity = identify(
            channel=channel, external_id=inbound.external_user_id, name=inbound.sender_name,
            email=inbound.sender_email, language=inbound.sender_language,
        )
        metadata = inbound.metadata
    if inbound.automatic:
        metadata = {**metadata, "automatic": True}
    now = timezone.now()
    conversation = _threaded_conversation(channel, inbound, identity)
    survey = None
    if not inbound.automatic and not inbound.thread_id:
        from ruamchat.surveys.selectors import chat_answer

        # an answer to a survey we asked in the chat (a button, a typed score, the optional comment) goes to
        # the conversation the survey is about and changes nothing there: no reopening, nobody waiting
        survey = chat_answer(identity, conversation, inbound)
        if survey is not None and (conversation is None or conversation.pk != survey.conversation_id):
            conversation = Conversation.objects.select_for_update().get(pk=survey.conversation_id)
    quiet = inbound.automatic or survey is not None
    created = reopened = False
    window = timedelta(hours=settings.RUAMCHAT["REOPEN_WINDOW_HOURS"])
    expired = conversation is not None and (conversation.status == Status.CLOSED or (
        conversation.status == Status.RESOLVED and (conversation.resolved_at or now) < now - window
    ))
    if survey is not None:
        pass
    elif conversation is not None and inbound.automatic and not conversation.is_active and not expired:
        pass  # an out-of-office answer to our last message: kept in place, the case stays resolved
    elif conversation is None or expired:
        previous = conversation
        conversation = Conversation.objects.create(
            channel=channel, contact=identity.contact, identity=identity, team=channel.default_team,
            subject=inbound.subject[:255], waiting_since=None if inbound.automatic else now,
        )
        created = True
        _event(conversation, Event.Kind.CREATED, None, channel=channel.kind, team_id=conversation.team_id,
               **({"follows": previous.pk} if previous is not None else {}))
    elif conversation.status == Status.RESOLVED:
        reopened = True
        conversation.reopened_count += 1
        _event(conversation, Event.Kind.REOPENED, None, previous_resolved_at=str(conversation.resolved_at))
        conversation.resolved_at = None
        conversation.status = Status.OPEN
    elif conversation.status in (Status.PENDING, Status.SNOOZED) and not inbound.automatic:
        # the customer answered: back to the team's attention
        _event(conversation, Event.Kind.STATUS_CHANGED, None, old=conversation.status, new=Status.OPEN,
               reason="customer_replied")
        conversation.status = Status.OPEN
        conversation.snoozed_until = None

    assert conversation is not None  # a survey answer goes to its conversation; every other branch has one
    message = Message.objects.create(
        conversation=conversation, channel=channel, direction=Message.Direction.INCOMING,
        sender_type=Message.Sender.CONTACT, text=inbound.text[:MAX_TEXT],
        html=sanitize_html(inbound.html) if inbound.html else "",
        provider_message_id=inbound.provider_message_id, status=Message.Status.RECEIVED,
        metadata=metadata,
    )
    for item in inbound.attachments:
        data = {**item.data, "fetch": item.fetch_ref} if item.fetch_ref else item.data
        attachment = Attachment(
            message=message, kind=item.kind, filename=item.filename[:255], content_type=item.content_type,
            external_url=item.url, data=data, size=len(item.content or b""),
        )
        if item.content is not None:
            try:
                stored.append(save_file(attachment.file, item.filename or f"{item.kind}", ContentFile(item.content)))
            except StorageFull:
                # the message is kept; the attachment says why its file is not (the content came inline: there
                # is nothing to fetch again later)
                attachment.data = {**attachment.data, "storage_full": 1, "unavailable": "storage_full"}
        attachment.save()

    conversation.last_message_at = now
    conversation.last_message_preview = preview_of(message.text, [a.kind for a in inbound.attachments])
    if conversation.waiting_since is None and not quiet:
        conversation.waiting_since = now
    with_bot = False
    if not quiet and not inbound.thread_id:
        from ruamchat.bot.actions import customer_wrote

        # the chatbot answers a one-to-one chat while no person is involved (decided here, in the transaction
        # that stores the message, so the conversation never shows in a team's queue before the bot has had it)
        with_bot = customer_wrote(conversation, message, created=created, reopened=reopened)
    conversation.save()
    if created and not inbound.automatic:
        from ruamchat.routing.actions import route_new_conversation

        route_new_conversation(conversation, message, assign=not with_bot)
    _sla(conversation)
    if survey is not None:
        from ruamchat.surveys.actions import chat_answer_received

        chat_answer_received(message=message, answer=survey)
    if created:
        _publish_conversation(conversation, "created", created=True)
    else:
        _publish_conversation(conversation, "reopened" if reopened else "message")
    _publish_message(conversation, message)
    return message


# ---------------------------------------------------------------- outbound


def send_reply(
    *, conversation: Conversation, actor: User, text: str,
    uploads: list[UploadedFile] | None = None, sender_type: str = Message.Sender.AGENT,
    quick_replies: list[dict[str, str]] | None = None,
) -> Message:
    """Store the reply as pending together with its delivery job; the worker sends it.

    ``quick_replies`` ([{"label", "text"}] or [{"label", "data"}]) are offered as buttons where the
    channel has them (LINE, Messenger); elsewhere they are left out."""
    text, uploads = _check_outgoing(actor, conversation, text, uploads)
    window = reply_window(conversation, human=sender_type == Message.Sender.AGENT)
    if not window.allowed:
        raise ValidationError(window.reason or _("This channel does not allow a reply now."))
    now = timezone.now()
    with _files_removed_unless_kept() as stored, transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        message = Message.objects.create(
            conversation=conversation, channel_id=conversation.channel_id,
            direction=Message.Direction.OUTGOING, sender_type=sender_type, sender_user=actor,
            text=text, status=Message.Status.PENDING,
            metadata={
                **({"quick_replies": quick_replies[:13]} if quick_replies else {}),
                **({"reply_tag": window.tag} if window.tag else {}),
            },
        )
        _store_uploads(message, uploads, stored)
        fields = ["last_message_at", "last_message_preview", "waiting_since", "handover", "status", "updated_at"]
        if sender_type == Message.Sender.AGENT:
            _end_bot(conversation, actor, "replied")
            conversation.handover = {}  # the receiving side has answered: the hand-over reason is done
            if conversation.first_reply_at is None:
                conversation.first_reply_at = now
                fields.append("first_reply_at")
                _event(conversation, Event.Kind.FIRST_REPLY, actor, message_id=message.pk)
            if conversation.assignee_id is None and can_be_assigned(actor, conversation):
                conversation.assignee_id = actor.pk
                fields.append("assignee")
                _event(conversation, Event.Kind.ASSIGNED, actor, assignee_id=actor.pk, reason="replied")
            conversation.waiting_since = None
            from ruamchat.surveys.actions import person_replied

            person_replied(conversation)
        conversation.last_message_at = now
        conversation.last_message_preview = preview_of(text, [Attachment.kind_for(u.content_type or "")
                                                              for u in uploads])
        conversation.save(update_fields=fields)
        _sla(conversation)
        queue.enqueue("inbox.deliver_message", message_id=message.pk)
        _publish_conversation(conversation, "message")
        _publish_message(conversation, message)
    return message


def send_automatic(
    *, conversation: Conversation, text: str, sender_type: str = Message.Sender.SYSTEM,
    cards: list[dict[str, Any]] | None = None, quick_replies: list[dict[str, str]] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Message:
    """A message no person wrote (a routing rule's automatic reply, the chatbot): sent only where the channel
    allows automatic messages now (never to an auto-replier, within rate limits, never under Meta's human-agent
    tag); it is not a first response. ``cards`` (articles: title, text, url, link_label, optional action) and
    ``quick_replies`` are shown natively where the channel can (LINE Flex and quick replies, the website
    widget) and as text elsewhere."""
    text = _clean_text(text, required=True)
    window = reply_window(conversation, human=False)
    if not window.allowed:
        raise ValidationError(window.reason or _("This channel does not allow an automatic message now."))
    extra: dict[str, Any] = dict(metadata or {})
    if cards:
        extra["cards"] = cards[:10]
    if quick_replies:
        extra["quick_replies"] = quick_replies[:13]
    if window.tag:
        extra["reply_tag"] = window.tag
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        message = Message.objects.create(
            conversation=conversation, channel_id=conversation.channel_id, direction=Message.Direction.OUTGOING,
            sender_type=sender_type, text=text, status=Message.Status.PENDING, metadata=extra,
        )
        conversation.last_message_at = timezone.now()
        conversation.last_message_preview = preview_of(text)
        conversation.save(update_fields=["last_message_at", "last_message_preview", "updated_at"])
        queue.enqueue("inbox.deliver_message", message_id=message.pk)
        _publish_conversation(conversation, "message")
        _publish_message(conversation, message)
    return message


def add_note(*, conversation: Conversation, actor: User, text: str,
             uploads: list[UploadedFile] | None = None) -> Message:
    """A private note: seen by agents only, never sent to the customer."""
    text, uploads = _check_outgoing(actor, conversation, text, uploads)
    with _files_removed_unless_kept() as stored, transaction.atomic():
        message = Message.objects.create(
            conversation=conversation, channel_id=conversation.channel_id,
            direction=Message.Direction.OUTGOING, sender_type=Message.Sender.AGENT, sender_user=actor,
            is_private=True, text=text, status=Message.Status.SENT, sent_at=timezone.now(),
        )
        _store_uploads(message, uploads, stored)
        _publish_message(conversation, message)
    return message


def deliver_message(*, message_id: int) -> None:
    """Send one pending message through its channel's connector. Run by the worker."""
    message = Message.objects.select_related("channel", "conversation").filter(pk=message_id).first()
    if message is None or message.status != Message.Status.PENDING:
        return  # already sent, failed for good, or gone: running twice is harmless
    connector = registry.get(message.channel.kind)
    result = connector.send(message.channel, message)
    with transaction.atomic():
        message = Message.objects.select_for_update().get(pk=message_id)
        message.attempts += 1
        if result.ok:
            message.status = Message.Status.SENT
            message.sent_at = timezone.now()
            message.error = ""
            if result.provider_message_id:
                message.provider_message_id = result.provider_message_id
            message.save(update_fields=["attempts", "status", "sent_at", "error", "provider_message_id"])
            _publish_status(message)
            return
        message.error = result.error[:2000]
        message.save(update_fields=["attempts", "error"])
    if result.retryable:
        raise queue.Retry(result.error)
    mark_failed(message_id=message_id, error=result.error)


def mark_failed(*, message_id: int, error: str) -> None:
    with transaction.atomic():
        message = Message.objects.select_for_update().select_related("conversation").get(pk=message_id)
        if message.status != Message.Status.PENDING:
            return
        message.status = Message.Status.FAILED
        message.error = (error or _("Unknown error"))[:2000]
        message.save(update_fields=["status", "error"])
        _event(message.conversation, Event.Kind.SEND_FAILED, None, message_id=message.pk, error=message.error)
        _survey_not_delivered(message)
        _publish_status(message)


def _publish_status(message: Message) -> None:
    rt.publish(
        _groups(message.conversation),
        "message.updated",
        {"conversation_id": message.conversation_id, "message_id": message.pk, "status": message.status},
    )


def retry_send(*, message: Message, actor: User) -> Message:
    check_can_act(actor, message.conversation)
    with transaction.atomic():
        locked = Message.objects.select_for_update().select_related("conversation").get(pk=message.pk)
        if locked.status != Message.Status.FAILED:
            raise ValidationError(_("Only a message that failed can be sent again."))
        locked.status = Message.Status.PENDING
        locked.error = ""
        locked.save(update_fields=["status", "error"])
        queue.enqueue("inbox.deliver_message", message_id=locked.pk)
        _publish_status(locked)
    return locked


# ---------------------------------------------------------------- the chatbot


def _end_bot(conversation: Conversation, actor: User | None, why: str) -> None:
    """A person is involved now: the chatbot stops for this conversation, which joins its team's queue.
    In the caller's transaction, on the locked conversation; the caller saves ``status``."""
    if conversation.status != Status.BOT:
        return
    from ruamchat.bot.actions import person_stepped_in

    conversation.status = Status.OPEN
    person_stepped_in(conversation=conversation, actor=actor)
    _event(conversation, Event.Kind.BOT_HANDOFF, actor, reason="agent", action=why)


def hand_over_from_bot(*, conversation: Conversation, reason: str, articles: list[dict[str, Any]]) -> Conversation:
    """The chatbot gives the conversation to its team: it joins the queue (on top with the bot's reason until
    someone answers), is assigned automatically where the team does that, and its SLA clocks start from the
    customer's first message. Call inside the bot's transaction with the conversation locked."""
    from ruamchat.routing.actions import auto_assign

    conversation.status = Status.OPEN
    conversation.handover = {"kind": "bot", "reason": reason, "by": "bot", "at": timezone.now().isoformat(),
                             "articles": [str(a.get("title", ""))[:200] for a in articles][:5]}
    if conversation.waiting_since is None:
        conversation.waiting_since = timezone.now()
    conversation.save(update_fields=["status", "handover", "waiting_since", "updated_at"])
    _event(conversation, Event.Kind.BOT_HANDOFF, None, reason=reason, articles=articles[:10])
    if conversation.assignee_id is None:
        auto_assign(conversation)
    _sla(conversation)
    _publish_conversation(conversation, "handoff")
    return conversation


def resolve_by_bot(*, conversation: Conversation, outcome: str) -> Conversation:
    """The chatbot answered and nobody else was needed (``outcome``: the customer said so, or went quiet after
    an answer). Call inside the bot's transaction with the conversation locked."""
    now = timezone.now()
    conversation.status = Status.RESOLVED
    conversation.resolved_at = now
    conversation.waiting_since = None
    conversation.save(update_fields=["status", "resolved_at", "waiting_since", "updated_at"])
    _event(conversation, Event.Kind.BOT_RESOLVED, None, outcome=outcome)
    _resolved(conversation)
    _sla(conversation)
    _publish_conversation(conversation, "status")
    return conversation


def give_to_bot(*, conversation: Conversation, actor: User) -> Conversation:
    """An agent gives the conversation back to the chatbot: it leaves the queue and the agent, and the bot
    answers the customer's next message. Call inside the bot's transaction with the conversation locked."""
    old_status, old_assignee = conversation.status, conversation.assignee_id
    if old_status in (Status.RESOLVED, Status.CLOSED):
        conversation.reopened_count += 1
        conversation.resolved_at = None
    conversation.status = Status.BOT
    conversation.assignee_id = None
    conversation.handover = {}
    conversation.snoozed_until = None
    conversation.save(update_fields=["status", "assignee", "handover", "snoozed_until", "reopened_count",
                                     "resolved_at", "updated_at"])
    _event(conversation, Event.Kind.BOT_RESUMED, actor, old=old_status, previous_id=old_assignee)
    _sla(conversation)
    _publish_conversation(conversation, "status", extra_users={old_assignee})
    if old_assignee is not None:
        _schedule_distribution(conversation.team_id)
    return conversation


def record_event(*, conversation_id: int, kind: str, actor: User | None = None, **data: Any) -> Event:
    """An event other apps add to a conversation's timeline (the chatbot's answers, surveys sent)."""
    return Event.objects.create(conversation_id=conversation_id, kind=kind, actor=actor, data=data)


# ---------------------------------------------------------------- surveys


def _survey_not_delivered(message: Message) -> None:
    if message.sender_type == Message.Sender.SYSTEM and "survey" in (message.metadata or {}):
        from ruamchat.surveys.actions import message_failed

        message_failed(message_id=message.pk, error=message.error)


def _resolved(conversation: Conversation) -> None:
    from ruamchat.surveys.actions import conversation_resolved

    conversation_resolved(conversation)


def add_system_note(*, conversation: Conversation, text: str, metadata: dict[str, Any] | None = None) -> Message:
    """A private note no person wrote (a survey comment for the follow-up), shown to agents only."""
    text = _clean_text(text, required=True)
    with transaction.atomic():
        message = Message.objects.create(
            conversation=conversation, channel_id=conversation.channel_id, direction=Message.Direction.OUTGOING,
            sender_type=Message.Sender.SYSTEM, is_private=True, text=text, status=Message.Status.SENT,
            metadata=dict(metadata or {}))
        _publish_message(conversation, message)
    return message


def open_follow_up(*, contact_id: int, identity_id: int, channel_id: int, team: Team | None, subject: str,
                   note: str, handover: dict[str, Any], about_id: int | None) -> Conversation:
    """A conversation the business starts with an unhappy customer (the closed loop of surveys): in the team's
    queue on top with the reason, high priority, a note with the score and the comment. When the customer's
    current conversation on that account is still going, the follow-up happens there instead of a second one.
    In the caller's transaction."""
    from ruamchat.routing.actions import auto_assign

    now = timezone.now()
    current = _current_conversation(identity_id)
    created = False
    if current is not None and current.status in (Status.OPEN, Status.PENDING, Status.SNOOZED, Status.BOT):
        conversation = current
        _end_bot(conversation, None, "follow_up")
        old_team = conversation.team_id
        if team is not None and conversation.team_id != team.pk:
            _event(conversation, Event.Kind.TRANSFERRED, None, from_team_id=old_team, to_team_id=team.pk,
                   reason="follow_up")
            conversation.team_id, conversation.assignee_id = team.pk, None
        conversation.status = Status.OPEN
        conversation.snoozed_until = None
    else:
        conversation = Conversation.objects.create(
            channel_id=channel_id, contact_id=contact_id, identity_id=identity_id,
            team=team, subject=subject[:255], waiting_since=now)
        created = True
        _event(conversation, Event.Kind.CREATED, None, channel=conversation.channel.kind,
               team_id=conversation.team_id, follow_up_of=about_id, source="survey")
    conversation.priority = min(conversation.priority, Conversation.Priority.HIGH)
    conversation.handover = {**handover, "at": now.isoformat()}
    conversation.waiting_since = conversation.waiting_since or now
    conversation.save()
    _event(conversation, Event.Kind.FOLLOW_UP_OPENED, None, about=about_id, reason=handover.get("reason", ""))
    add_system_note(conversation=conversation, text=note, metadata={"follow_up": True})
    if conversation.assignee_id is None:
        auto_assign(conversation)
    _sla(conversation)
    _publish_conversation(conversation, "follow_up", created=created)
    return conversation


# ---------------------------------------------------------------- assignment and hand-over


def assign(*, conversation: Conversation, actor: User, assignee: User | None) -> Conversation:
    check_can_act(actor, conversation)
    if assignee is not None and not can_be_assigned(assignee, conversation):
        raise ValidationError(_("%(name)s is not in this conversation's team.") % {"name": profile_for(assignee).name})
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        previous = conversation.assignee_id
        new = assignee.pk if assignee is not None else None
        if previous == new:
            return conversation
        conversation.assignee_id = new
        if new is not None:
            _end_bot(conversation, actor, "assigned")
        conversation.save(update_fields=["assignee", "status", "updated_at"])
        if new is None:
            _event(conversation, Event.Kind.UNASSIGNED, actor, previous_id=previous)
        else:
            _event(conversation, Event.Kind.ASSIGNED, actor, assignee_id=new, previous_id=previous)
        _publish_conversation(conversation, "assignee", extra_users={previous})
        if previous is not None:
            _schedule_distribution(conversation.team_id)
    return conversation


def publish_assignment(conversation: Conversation) -> None:
    """Tell the agents after commit that an automatic assignment happened."""
    _publish_conversation(conversation, "assignee")


def release_conversations(*, user_id: int, reason: str) -> int:
    """An agent went offline: in teams that say so, their open conversations go back to the team's queue."""
    from ruamchat.routing.actions import schedule_distribution

    released = 0
    teams = list(Team.objects.filter(members__user_id=user_id, release_on_offline=True).values_list("pk", flat=True))
    for conversation_id in Conversation.objects.filter(
        assignee_id=user_id, team_id__in=teams, status__in=[Status.OPEN, Status.PENDING],
    ).values_list("pk", flat=True):
        with transaction.atomic():
            conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
            if conversation.assignee_id != user_id:
                continue
            conversation.assignee_id = None
            conversation.save(update_fields=["assignee", "updated_at"])
            _event(conversation, Event.Kind.UNASSIGNED, None, previous_id=user_id, reason=reason)
            _publish_conversation(conversation, "assignee", extra_users={user_id})
            schedule_distribution(conversation.team_id)
        released += 1
    return released


def claim(*, conversation: Conversation, actor: User) -> Conversation:
    """Take an unassigned conversation for yourself."""
    if conversation.assignee_id not in (None, actor.pk) and not profile_for(actor).sees_everything:
        raise ValidationError(_("This conversation is already assigned to someone else."))
    return assign(conversation=conversation, actor=actor, assignee=actor)


def transfer(
    *, conversation: Conversation, actor: User, reason: str,
    team: Team | None = None, agent: User | None = None, note: str = "",
) -> Conversation:
    """Hand a conversation to another team or agent. The reason is required and kept in the timeline (and
    shown on top in the receiving queue until someone there answers); ``note`` becomes a private note."""
    check_can_act(actor, conversation)
    note = _clean_text(note, required=False)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why you are transferring this conversation."))
    if team is None and agent is None:
        raise ValidationError(_("Choose a team or an agent to transfer to."))
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        old_team, old_agent = conversation.team_id, conversation.assignee_id
        if team is not None:
            conversation.team = team
        if agent is not None and not can_be_assigned(agent, conversation):
            raise ValidationError(
                _("%(name)s is not in the team %(team)s.")
                % {"name": profile_for(agent).name, "team": conversation.team or "-"}
            )
        conversation.assignee_id = agent.pk if agent is not None else None
        conversation.handover = {
            "reason": reason[:500], "from_team_id": old_team, "by": profile_for(actor).name,
            "at": timezone.now().isoformat(),
        }
        _end_bot(conversation, actor, "transferred")
        conversation.save(update_fields=["team", "assignee", "handover", "status", "updated_at"])
        _event(
            conversation, Event.Kind.TRANSFERRED, actor, reason=reason[:500],
            from_team_id=old_team, to_team_id=conversation.team_id,
            from_agent_id=old_agent, to_agent_id=conversation.assignee_id,
        )
        if note:
            noted = Message.objects.create(
                conversation=conversation, channel_id=conversation.channel_id, direction=Message.Direction.OUTGOING,
                sender_type=Message.Sender.AGENT, sender_user=actor, is_private=True, text=note,
                status=Message.Status.SENT, sent_at=timezone.now(), metadata={"handover": True},
            )
            _publish_message(conversation, noted)
        _sla(conversation)
        _publish_conversation(conversation, "transfer", extra_teams={old_team}, extra_users={old_agent})
        _schedule_distribution(conversation.team_id)
        if old_agent is not None and old_team != conversation.team_id:
            _schedule_distribution(old_team)
    return conversation


# ---------------------------------------------------------------- status, priority, tags


def change_status(
    *, conversation: Conversation, actor: User | None, status: str,
    snoozed_until: datetime | None = None,
) -> Conversation:
    if actor is not None:
        check_can_act(actor, conversation)
    if status not in Status.values:
        raise ValidationError(_("Unknown status."))
    if status == Status.BOT:
        raise ValidationError(_("To give a conversation back to the chatbot, use “Resume the bot”."))
    now = timezone.now()
    if status == Status.SNOOZED and (snoozed_until is None or snoozed_until <= now):
        raise ValidationError(_("Choose a time in the future to snooze until."))
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        old = conversation.status
        if old == status and status != Status.SNOOZED:
            return conversation
        if actor is not None:
            _end_bot(conversation, actor, "status")
        fields = ["status", "snoozed_until", "resolved_at", "waiting_since", "reopened_count", "updated_at"]
        if status in (Status.OPEN, Status.PENDING) and old in (Status.RESOLVED, Status.CLOSED):
            conversation.reopened_count += 1
            conversation.resolved_at = None
            _event(conversation, Event.Kind.REOPENED, actor, previous=old)
        if status == Status.RESOLVED:
            conversation.resolved_at = now
            conversation.waiting_since = None
        if status == Status.CLOSED:
            conversation.resolved_at = conversation.resolved_at or now
            conversation.waiting_since = None
        conversation.status = status
        conversation.snoozed_until = snoozed_until if status == Status.SNOOZED else None
        conversation.save(update_fields=fields)
        _event(conversation, Event.Kind.STATUS_CHANGED, actor, old=old, new=status,
               snoozed_until=snoozed_until.isoformat() if snoozed_until else None)
        if status == Status.RESOLVED or (status == Status.CLOSED and old != Status.RESOLVED):
            _resolved(conversation)
        if status == Status.SNOOZED and snoozed_until is not None:
            queue.enqueue("inbox.wake_snoozed", run_after=snoozed_until, conversation_id=conversation.pk)
        _sla(conversation)
        if status in (Status.RESOLVED, Status.CLOSED, Status.SNOOZED) and conversation.assignee_id is not None:
            _schedule_distribution(conversation.team_id)  # the agent has room again
        _publish_conversation(conversation, "status")
    return conversation


def wake_snoozed(*, conversation_id: int) -> None:
    """When a snooze runs out the conversation is open again (unless someone already changed it)."""
    conversation = Conversation.objects.filter(pk=conversation_id, status=Status.SNOOZED).first()
    if conversation is None or conversation.snoozed_until is None or conversation.snoozed_until > timezone.now():
        return
    change_status(conversation=conversation, actor=None, status=Status.OPEN)


def change_priority(*, conversation: Conversation, actor: User, priority: int) -> Conversation:
    check_can_act(actor, conversation)
    if priority not in Conversation.Priority.values:
        raise ValidationError(_("Unknown priority."))
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        old = conversation.priority
        if old == priority:
            return conversation
        conversation.priority = priority
        conversation.save(update_fields=["priority", "updated_at"])
        _event(conversation, Event.Kind.PRIORITY_CHANGED, actor, old=old, new=priority)
        _sla(conversation)
        _publish_conversation(conversation, "priority")
    return conversation


def normalize_tag(name: str) -> str:
    cleaned = " ".join((name or "").strip().lower().split())
    if not cleaned or len(cleaned) > 50:
        raise ValidationError(_("A tag has 1 to 50 characters."))
    return cleaned


def tag(*, conversation: Conversation, actor: User, name: str) -> Tag:
    check_can_act(actor, conversation)
    cleaned = normalize_tag(name)
    with transaction.atomic():
        found, _created = Tag.objects.get_or_create(name=cleaned)
        if conversation.tags.filter(pk=found.pk).exists():
            return found
        conversation.tags.add(found)
        _event(conversation, Event.Kind.TAGGED, actor, tag=cleaned)
        _publish_conversation(conversation, "tags")
    return found


def untag(*, conversation: Conversation, actor: User, name: str) -> None:
    check_can_act(actor, conversation)
    cleaned = normalize_tag(name)
    with transaction.atomic():
        found = Tag.objects.filter(name=cleaned).first()
        if found is None or not conversation.tags.filter(pk=found.pk).exists():
            return
        conversation.tags.remove(found)
        _event(conversation, Event.Kind.UNTAGGED, actor, tag=cleaned)
        _publish_conversation(conversation, "tags")


# ---------------------------------------------------------------- what else a channel tells us


def _latest_conversation(channel: Channel, external_id: str) -> Conversation | None:
    return (
        Conversation.objects.filter(identity__channel=channel, identity__external_id=external_id)
        .order_by("-id").first()
    )


def record_contact_status(*, channel: Channel, external_id: str, status: str) -> None:
    """Follow, unfollow (block) and unblock: kept on the identity and shown in the timeline."""
    blocked = status == "unfollowed"
    with transaction.atomic():
        identity = identify(channel=channel, external_id=external_id)
        identity.blocked_at = timezone.now() if blocked else None
        identity.save(update_fields=["blocked_at"])
        conversation = _latest_conversation(channel, external_id)
        if conversation is not None:
            kind = Event.Kind.CONTACT_UNFOLLOWED if blocked else Event.Kind.CONTACT_FOLLOWED
            _event(conversation, kind, None, status=status)
            _publish_conversation(conversation, "contact")


def withdraw_message(*, channel: Channel, provider_message_id: str) -> Message | None:
    """The customer took a message back: keep that it happened, drop what it said."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update().select_related("conversation")
            .filter(channel=channel, provider_message_id=provider_message_id).first()
        )
        if message is None or message.metadata.get("withdrawn"):
            return message
        message.text = ""
        message.html = ""
        message.metadata = {**message.metadata, "withdrawn": True, "withdrawn_at": timezone.now().isoformat()}
        message.save(update_fields=["text", "html", "metadata"])
        for attachment in message.attachments.all():
            attachment.file.delete(save=False)
            attachment.delete()
        _event(message.conversation, Event.Kind.MESSAGE_WITHDRAWN, None, message_id=message.pk)
        _publish_status(message)
        from ruamchat.search.actions import reindex_messages

        reindex_messages(message_ids=[message.pk])  # its words leave the global search once this commits
    return message


def record_thread_event(*, channel: Channel, thread_id: str, kind: str, member_ids: list[str]) -> None:
    """A group chat changed (the account joined or left, members came or went): into its timeline."""
    with transaction.atomic():
        conversation = _latest_conversation(channel, thread_id)
        if conversation is None:
            return  # nothing was said in the group yet: there is no conversation to show it in
        _event(conversation, Event.Kind.THREAD_CHANGED, None, change=kind, member_ids=member_ids[:50])
        _publish_conversation(conversation, "thread")


def record_echo(*, channel: Channel, echo: OutgoingEcho) -> Message | None:
    """A message sent from the business's side. Ours: already in the conversation (never shown twice).
    Someone else's (a person in the provider's own inbox): imported as an outgoing agent message."""
    existing = Message.objects.filter(channel=channel, provider_message_id=echo.provider_message_id).first()
    if existing is not None or echo.ours:
        return existing
    now = timezone.now()
    try:
        with transaction.atomic():
            identity = identify(channel=channel, external_id=echo.external_user_id)
            conversation = _current_conversation(identity.pk)
            if conversation is None or conversation.status == Status.CLOSED:
                conversation = Conversation.objects.create(
                    channel=channel, contact=identity.contact, identity=identity, team=channel.default_team)
                _event(conversation, Event.Kind.CREATED, None, channel=channel.kind, team_id=conversation.team_id)
            message = Message.objects.create(
                conversation=conversation, channel=channel, direction=Message.Direction.OUTGOING,
                sender_type=Message.Sender.AGENT, text=echo.text[:MAX_TEXT], status=Message.Status.SENT,
                provider_message_id=echo.provider_message_id, sent_at=echo.sent_at or now,
                metadata={"echo": "outside"},
            )
            for item in echo.attachments:
                Attachment.objects.create(
                    message=message, kind=item.kind, filename=item.filename[:255], content_type=item.content_type,
                    external_url=item.url, data={**item.data, "fetch": item.fetch_ref} if item.fetch_ref else item.data)
            fields = ["last_message_at", "last_message_preview", "waiting_since", "status", "updated_at"]
            _end_bot(conversation, None, "replied_outside")  # a person answered in the provider's own inbox
            if conversation.first_reply_at is None:
                conversation.first_reply_at = now
                fields.append("first_reply_at")
                _event(conversation, Event.Kind.FIRST_REPLY, None, message_id=message.pk, outside=True)
            conversation.waiting_since = None
            conversation.last_message_at = now
            conversation.last_message_preview = preview_of(message.text, [a.kind for a in echo.attachments])
            conversation.save(update_fields=fields)
            _sla(conversation)
            _publish_conversation(conversation, "message")
            _publish_message(conversation, message)
    except IntegrityError:  # the same echo processed concurrently
        return Message.objects.filter(channel=channel, provider_message_id=echo.provider_message_id).first()
    return message


DELIVERY_ORDER = {Message.Status.SENT: 0, Message.Status.DELIVERED: 1, Message.Status.READ: 2}


def record_delivery(
    *, channel: Channel, external_id: str, status: str, watermark: datetime | None, provider_message_ids: list[str]
) -> int:
    """Delivered / read up to a watermark: our messages to this customer move forward, never back."""
    target = Message.Status.READ if status == "read" else Message.Status.DELIVERED
    behind = [s for s, rank in DELIVERY_ORDER.items() if rank < DELIVERY_ORDER[target]]
    reached = Q(provider_message_id__in=provider_message_ids) if provider_message_ids else Q(pk__in=[])
    if watermark is not None:
        reached |= Q(sent_at__lte=watermark)
    with transaction.atomic():
        messages = list(
            Message.objects.select_for_update().select_related("conversation")
            .filter(channel=channel, conversation__identity__external_id=external_id,
                    direction=Message.Direction.OUTGOING, is_private=False, status__in=behind)
            .filter(reached).order_by("-id")[:200]
        )
        for message in messages:
            message.status = target
            message.save(update_fields=["status"])
            _publish_status(message)
    return len(messages)


def record_reaction(*, channel: Channel, provider_message_id: str, reaction: str, removed: bool) -> None:
    with transaction.atomic():
        message = (Message.objects.select_for_update().select_related("conversation")
                   .filter(channel=channel, provider_message_id=provider_message_id).first())
        if message is None:
            return
        reactions = [r for r in message.metadata.get("reactions", []) if r != reaction[:32]]
        if not removed:
            reactions.append(reaction[:32])
        message.metadata = {**message.metadata, "reactions": reactions}
        message.save(update_fields=["metadata"])
        _publish_status(message)


def record_edit(*, channel: Channel, provider_message_id: str, text: str) -> None:
    """The customer edited a message: show the new text, keep the old ones for the record."""
    with transaction.atomic():
        message = (Message.objects.select_for_update().select_related("conversation")
                   .filter(channel=channel, provider_message_id=provider_message_id).first())
        if message is None or message.text == text:
            return
        history = [*message.metadata.get("edits", []), {"text": message.text, "until": timezone.now().isoformat()}]
        message.metadata = {**message.metadata, "edits": history[-20:]}
        message.text = text[:MAX_TEXT]
        message.save(update_fields=["text", "metadata"])
        _publish_status(message)
        from ruamchat.search.actions import reindex_messages

        reindex_messages(message_ids=[message.pk])  # the global search finds the new words once this commits


def record_delivery_failure(*, channel: Channel, provider_message_id: str, reason: str) -> bool:
    """A message we sent was refused after it left (a bounce). False when no such message of ours exists."""
    with transaction.atomic():
        message = (Message.objects.select_for_update().select_related("conversation")
                   .filter(channel=channel, provider_message_id=provider_message_id,
                           direction=Message.Direction.OUTGOING).first())
        if message is None:
            return False
        if message.status == Message.Status.FAILED:
            return True
        message.status = Message.Status.FAILED
        message.error = (reason or _("The message could not be delivered."))[:2000]
        message.save(update_fields=["status", "error"])
        _event(message.conversation, Event.Kind.SEND_FAILED, None, message_id=message.pk, error=message.error,
               after_sending=True)
        _survey_not_delivered(message)
        _publish_status(message)
    return True


def attachments_to_fetch(message: Message) -> list[Attachment]:
    return [a for a in message.attachments.all() if a.data.get("fetch") and not a.file]


def store_fetched_attachment(
    *, attachment_id: int, content: bytes, content_type: str = "", filename: str = ""
) -> None:
    limit = settings.RUAMCHAT["UPLOAD_MAX_BYTES"]
    with transaction.atomic():
        attachment = Attachment.objects.select_for_update().select_related("message__conversation").get(
            pk=attachment_id)
        if attachment.file:
            return
        data = {k: v for k, v in attachment.data.items() if k not in ("fetch", "storage_full")}
        if len(content) > limit:
            # kept as a note, so the agent knows something was sent and why it is not here
            attachment.data = {**data, "too_large": len(content)}
            attachment.size = len(content)
            attachment.save(update_fields=["data", "size"])
        else:
            name = filename or attachment.filename or f"{attachment.kind}-{attachment.pk}"
            # StorageFull goes to the caller (the fetch job notes it and tries again later)
            save_file(attachment.file, name, ContentFile(content))
            attachment.filename = attachment.filename or name
            attachment.content_type = content_type or attachment.content_type
            attachment.size = len(content)
            attachment.data = data
            attachment.save()
        _publish_status(attachment.message)


def note_attachment_storage_full(*, attachment_id: int) -> int:
    """A fetched file could not be stored for lack of room: the agent sees why (and that it is tried again, as
    long as the attachment still has what to fetch). Returns how many times that has happened to it."""
    with transaction.atomic():
        attachment = Attachment.objects.select_for_update().select_related("message__conversation").get(
            pk=attachment_id)
        times = int(attachment.data.get("storage_full") or 0) + 1
        attachment.data = {**attachment.data, "storage_full": times}
        attachment.save(update_fields=["data"])
        _publish_status(attachment.message)
    return times


def mark_attachment_unavailable(*, attachment_id: int, reason: str) -> None:
    with transaction.atomic():
        attachment = Attachment.objects.select_for_update().select_related("message__conversation").get(
            pk=attachment_id)
        attachment.data = {**{k: v for k, v in attachment.data.items() if k != "fetch"}, "unavailable": reason[:500]}
        attachment.save(update_fields=["data"])
        _publish_status(attachment.message)


# ---------------------------------------------------------------- canned responses


def _check_manage_canned(actor: User | None) -> None:
    if actor is not None and not profile_for(actor).sees_everything:
        raise PermissionDenied(_("Only supervisors and administrators manage canned responses."))


def save_canned_response(
    *, actor: User | None, shortcut: str, title: str, text: str, team: Team | None = None,
    canned: CannedResponse | None = None,
) -> CannedResponse:
    _check_manage_canned(actor)
    canned = canned or CannedResponse()
    canned.shortcut = shortcut.strip().lstrip("/")
    canned.title = title.strip()
    canned.text = text.strip()
    canned.team = team
    canned.full_clean()
    canned.save()
    return canned


def delete_canned_response(*, actor: User | None, canned: CannedResponse) -> None:
    _check_manage_canned(actor)
    canned.delete()
