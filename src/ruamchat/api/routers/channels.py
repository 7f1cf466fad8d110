"""Channels (administrators only). Secrets are write-only: stored encrypted, shown back masked."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.responses import Status as WithStatus

from ruamchat.accounts.actions import check_admin
from ruamchat.api.common import caller, found, responses, team_by_id
from ruamchat.api.schemas import Accepted, ChannelIn, ChannelOut, ChannelPatch, ConnectionCheckOut
from ruamchat.connectors import actions
from ruamchat.connectors.models import Channel
from ruamchat.connectors.selectors import all_channels, get_channel

router = Router(tags=["channels"])


def _channel(request: HttpRequest, channel_id: int) -> Channel:
    check_admin(caller(request))
    return found(get_channel(channel_id), _("Channel not found."))


@router.get("/channels", response=responses(list[ChannelOut], errors=(403,)), summary="List channels")
def list_channels(request: HttpRequest) -> list[Channel]:
    check_admin(caller(request))
    return list(all_channels())


@router.get("/channels/{channel_id}", response=responses(ChannelOut), summary="Get a channel")
def get_one(request: HttpRequest, channel_id: int) -> Channel:
    return _channel(request, channel_id)


@router.post("/channels", response=responses(ChannelOut, 201, errors=(400, 403)), summary="Connect a channel")
def create(request: HttpRequest, payload: ChannelIn) -> WithStatus[Channel]:
    check_admin(caller(request))
    team = team_by_id(payload.default_team_id, "default_team_id") if payload.default_team_id is not None else None
    channel = actions.create_channel(
        actor=caller(request), kind=payload.kind.strip(), name=payload.name, default_team=team,
        config=payload.config, secrets=payload.secrets,
    )
    return WithStatus(201, found(get_channel(channel.pk), _("Channel not found.")))


@router.patch("/channels/{channel_id}", response=responses(ChannelOut, errors=(400, 403, 404)),
              summary="Change a channel")
def update(request: HttpRequest, channel_id: int, payload: ChannelPatch) -> Channel:
    channel = _channel(request, channel_id)
    given = payload.model_fields_set
    team = None
    if "default_team_id" in given and payload.default_team_id is not None:
        team = team_by_id(payload.default_team_id, "default_team_id")
    actions.update_channel(
        actor=caller(request), channel=channel, name=payload.name, default_team=team,
        clear_default_team="default_team_id" in given and payload.default_team_id is None,
        config=payload.config, secrets=payload.secrets, is_active=payload.is_active,
    )
    return found(get_channel(channel_id), _("Channel not found."))


@router.post("/channels/{channel_id}/test", response=responses(list[ConnectionCheckOut], errors=(403, 404)),
             summary="Test a channel's connections",
             description="Tries the channel's logins (a mailbox: IMAP and SMTP) and says, step by step and in "
                         "plain words, what works and what does not. Nothing is stored.")
def test_connection(request: HttpRequest, channel_id: int) -> list[ConnectionCheckOut]:
    channel = _channel(request, channel_id)
    return [ConnectionCheckOut(name=c.name, ok=c.ok, message=c.message)
            for c in actions.test_connection(actor=caller(request), channel=channel)]


@router.post("/channels/{channel_id}/fetch", response=responses(Accepted, 202, errors=(400, 403, 404)),
             summary="Fetch new mail now",
             description="For channels that read from the provider (mailboxes): look for new messages at once.")
def fetch_now(request: HttpRequest, channel_id: int) -> WithStatus[Accepted]:
    channel = _channel(request, channel_id)
    actions.fetch_now(actor=caller(request), channel=channel)
    return WithStatus(202, Accepted(detail=_("Fetching new mail now.")))
