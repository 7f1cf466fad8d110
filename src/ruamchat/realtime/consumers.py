"""The agent's websocket: subscribed to the groups of what this agent may see."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from ruamchat.accounts.actions import set_presence
from ruamchat.accounts.models import AgentProfile
from ruamchat.accounts.selectors import open_team_ids, profile_for, team_ids_of
from ruamchat.realtime import events as rt


def _groups_for(user: Any) -> list[str]:
    groups = [rt.user_group(user.pk)]
    if profile_for(user).sees_everything:
        groups.append(rt.SUPERVISORS_GROUP)
    else:
        groups += [rt.team_group(t) for t in sorted(team_ids_of(user) | open_team_ids())]
    return groups


class AgentConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: list[str]

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.user = user
        self.groups_joined = await database_sync_to_async(_groups_for)(user)
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await database_sync_to_async(set_presence)(user=user, presence=AgentProfile.Presence.ONLINE)
        await self.send_json({"type": "ready"})

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            # the heartbeat keeps the agent counted as online for the website widget
            await database_sync_to_async(set_presence)(user=self.user, presence=AgentProfile.Presence.ONLINE)
            await self.send_json({"type": "pong"})

    async def ruamchat_event(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "event", "event": event["event"], "payload": event["payload"]})
