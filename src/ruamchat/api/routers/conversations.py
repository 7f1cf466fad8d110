"""Conversations: the queues, one conversation, its messages, and what an agent does with it."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.errors import HttpError
from ninja.responses import Status as WithStatus

from ruamchat.api.common import agent_user_by_id, caller, found, page, responses, team_by_id
from ruamchat.api.schemas import (
    PRIORITY_VALUES,
    AssignIn,
    ConversationFilter,
    ConversationOut,
    ConversationPage,
    MessageIn,
    MessageOut,
    MessagePage,
    PriorityIn,
    StatusIn,
    TagsIn,
    TransferIn,
)
from ruamchat.inbox import actions
from ruamchat.inbox.models import Conversation, Message
from ruamchat.inbox.selectors import (
    QueueFilter,
    get_attachment,
    get_conversation,
    messages_of,
    queue_conversations,
)

router = Router(tags=["conversations"])

_MESSAGE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "text": {"type": "string"},
                        "files": {"type": "array", "items": {"type": "string", "format": "binary"}},
                    },
                }
            },
        },
    }
}


def _conversation(request: HttpRequest, conversation_id: int) -> Conversation:
    return found(get_conversation(caller(request), conversation_id), _("Conversation not found."))


def _fresh(request: HttpRequest, conversation: Conversation) -> Conversation:
    """Re-read after a change; after a transfer the caller may no longer see it, so fall back."""
    return get_conversation(caller(request), conversation.pk) or conversation


def _message_input(request: HttpRequest) -> tuple[str, list[UploadedFile]]:
    """A message's text (JSON or form) and its files (multipart ``files``)."""
    content_type = request.content_type or ""
    if content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            raise HttpError(400, _("The request body is not valid JSON.")) from None
        if not isinstance(data, dict):
            raise HttpError(400, _("The request body must be a JSON object."))
        return MessageIn.model_validate(data).text, []
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return request.POST.get("text", ""), list(request.FILES.getlist("files"))
    raise HttpError(415, _("Send JSON, or multipart/form-data when there are files."))


# ---------------------------------------------------------------- reading


@router.get("/conversations", response=responses(ConversationPage, errors=(400,)),
            summary="List conversations in a queue")
def list_conversations(request: HttpRequest, filters: Query[ConversationFilter]) -> dict[str, Any]:
    flt = QueueFilter(
        queue=filters.queue, status=filters.status,
        priority=PRIORITY_VALUES[filters.priority] if filters.priority else None,
        channel_id=filters.channel, tag=filters.tag.strip().lower(), search=filters.search,
    )
    qs = (
        queue_conversations(caller(request), flt)
        .select_related("contact", "channel", "team", "assignee", "assignee__agent")
        .prefetch_related("tags")
    )
    return page(qs, limit=filters.limit, offset=filters.offset)


@router.get("/conversations/{conversation_id}", response=responses(ConversationOut), summary="Get a conversation")
def get_one(request: HttpRequest, conversation_id: int) -> Conversation:
    return _conversation(request, conversation_id)


@router.get("/conversations/{conversation_id}/messages", response=responses(MessagePage),
            summary="List a conversation's messages, oldest first")
def list_messages(request: HttpRequest, conversation_id: int, after_id: int = 0,
                  limit: int = 100) -> dict[str, Any]:
    conversation = _conversation(request, conversation_id)
    limit = max(1, min(limit, 500))
    items = list(messages_of(conversation, after_id=after_id)[:limit])
    return {"items": items, "next_after_id": items[-1].pk if len(items) == limit else None}


@router.get("/attachments/{attachment_id}", url_name="attachment_download", tags=["messages"],
            summary="Download an attachment")
def download_attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    attachment = found(get_attachment(caller(request), attachment_id), _("Attachment not found."))
    if not attachment.file:
        raise HttpError(404, _("This attachment is kept by the provider: use its URL."))
    return FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.filename or "attachment",
        content_type=attachment.content_type or "application/octet-stream",
    )


# ---------------------------------------------------------------- writing messages


@router.post("/conversations/{conversation_id}/messages", response=responses(MessageOut, 201, errors=(400, 403, 404)),
             openapi_extra=_MESSAGE_BODY, tags=["messages"], summary="Reply to the customer")
def reply(request: HttpRequest, conversation_id: int) -> WithStatus[Message]:
    """Stored as `pending` and sent by the worker; watch `status` become `sent` or `failed`."""
    conversation = _conversation(request, conversation_id)
    text, uploads = _message_input(request)
    message = actions.send_reply(conversation=conversation, actor=caller(request), text=text, uploads=uploads)
    return WithStatus(201, message)


@router.post("/conversations/{conversation_id}/notes", response=responses(MessageOut, 201, errors=(400, 403, 404)),
             openapi_extra=_MESSAGE_BODY, tags=["messages"], summary="Add a private note")
def note(request: HttpRequest, conversation_id: int) -> WithStatus[Message]:
    conversation = _conversation(request, conversation_id)
    text, uploads = _message_input(request)
    message = actions.add_note(conversation=conversation, actor=caller(request), text=text, uploads=uploads)
    return WithStatus(201, message)


@router.post("/conversations/{conversation_id}/messages/{message_id}/retry",
             response=responses(MessageOut, errors=(400, 403, 404)), tags=["messages"],
             summary="Send a failed message again")
def retry(request: HttpRequest, conversation_id: int, message_id: int) -> Message:
    conversation = _conversation(request, conversation_id)
    message = found(messages_of(conversation).filter(pk=message_id).first(), _("Message not found."))
    return actions.retry_send(message=message, actor=caller(request))


# ---------------------------------------------------------------- what agents do


WRITE = responses(ConversationOut, errors=(400, 403, 404))


@router.post("/conversations/{conversation_id}/assign", response=WRITE, summary="Assign to an agent, or unassign")
def assign(request: HttpRequest, conversation_id: int, payload: AssignIn) -> Conversation:
    conversation = _conversation(request, conversation_id)
    assignee = agent_user_by_id(payload.agent_id) if payload.agent_id is not None else None
    return _fresh(request, actions.assign(conversation=conversation, actor=caller(request), assignee=assignee))


@router.post("/conversations/{conversation_id}/claim", response=WRITE, summary="Take it for yourself")
def claim(request: HttpRequest, conversation_id: int) -> Conversation:
    conversation = _conversation(request, conversation_id)
    return _fresh(request, actions.claim(conversation=conversation, actor=caller(request)))


@router.post("/conversations/{conversation_id}/transfer", response=WRITE,
             summary="Hand over to another team and/or agent (reason required)")
def transfer(request: HttpRequest, conversation_id: int, payload: TransferIn) -> Conversation:
    conversation = _conversation(request, conversation_id)
    team = team_by_id(payload.team_id) if payload.team_id is not None else None
    agent = agent_user_by_id(payload.agent_id) if payload.agent_id is not None else None
    return _fresh(request, actions.transfer(
        conversation=conversation, actor=caller(request), reason=payload.reason, team=team, agent=agent,
        note=payload.note,
    ))


@router.post("/conversations/{conversation_id}/status", response=WRITE, summary="Change the status")
def change_status(request: HttpRequest, conversation_id: int, payload: StatusIn) -> Conversation:
    conversation = _conversation(request, conversation_id)
    until = payload.snoozed_until
    if until is not None and timezone.is_naive(until):
        until = timezone.make_aware(until)
    return _fresh(request, actions.change_status(
        conversation=conversation, actor=caller(request), status=payload.status.value, snoozed_until=until,
    ))


@router.post("/conversations/{conversation_id}/priority", response=WRITE, summary="Change the priority")
def change_priority(request: HttpRequest, conversation_id: int, payload: PriorityIn) -> Conversation:
    conversation = _conversation(request, conversation_id)
    number = PRIORITY_VALUES[payload.priority]
    return _fresh(request, actions.change_priority(conversation=conversation, actor=caller(request), priority=number))


@router.post("/conversations/{conversation_id}/tags", response=WRITE, summary="Add and remove tags")
def change_tags(request: HttpRequest, conversation_id: int, payload: TagsIn) -> Conversation:
    conversation = _conversation(request, conversation_id)
    errors = [str(exc.messages[0]) for name in [*payload.add, *payload.remove] if (exc := _tag_error(name))]
    if errors:
        raise ValidationError({"tags": errors})
    for name in payload.add:
        actions.tag(conversation=conversation, actor=caller(request), name=name)
    for name in payload.remove:
        actions.untag(conversation=conversation, actor=caller(request), name=name)
    return _fresh(request, conversation)


def _tag_error(name: str) -> ValidationError | None:
    """Check every name before changing anything, so a bad one does not leave half the tags applied."""
    try:
        actions.normalize_tag(name)
    except ValidationError as exc:
        return exc
    return None
