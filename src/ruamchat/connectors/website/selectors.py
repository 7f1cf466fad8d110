from __future__ import annotations

from django.db.models import Q

from ruamchat.accounts.models import AgentProfile
from ruamchat.accounts.selectors import online_agents
from ruamchat.connectors.models import Channel
from ruamchat.connectors.website.connector import visitor_external_id
from ruamchat.inbox.models import Attachment, Message


def website_channel(key: str) -> Channel | None:
    return Channel.objects.filter(key=key, kind="website", is_active=True).select_related("default_team").first()


def agents_online(channel: Channel) -> bool:
    """Someone who could answer is connected now (a heartbeat in the last 90 seconds)."""
    qs = online_agents()
    if channel.default_team_id:
        qs = qs.filter(
            Q(teams=channel.default_team_id) | Q(role__in=[AgentProfile.Role.ADMIN, AgentProfile.Role.SUPERVISOR])
        )
    return qs.exists()


def visitor_messages(channel: Channel, visitor_token: str, after_id: int = 0, limit: int = 200) -> list[Message]:
    """The visitor's public history in this channel, across their conversations, oldest first."""
    qs = (
        Message.objects.filter(
            channel=channel, conversation__identity__external_id=visitor_external_id(visitor_token),
            is_private=False, id__gt=after_id,
        )
        .select_related("sender_user", "sender_user__agent")
        .prefetch_related("attachments")
        .order_by("-id")[:limit]
    )
    return list(reversed(list(qs)))


def visitor_attachment(attachment_id: int) -> Attachment | None:
    """A stored file of a public message: what a signed widget link may serve (never a private note's)."""
    return (
        Attachment.objects.filter(pk=attachment_id, message__is_private=False, message__channel__kind="website")
        .exclude(file="")
        .first()
    )
