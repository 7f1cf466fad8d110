"""The agent's websocket: subscribed to the groups of what this agent may see.

Every socket also watches its own subscriptions (``WatchedConsumer``): the channel layer's group memberships live
in Redis, and a Redis restart (without persistence) forgets them while the socket stays open — the browser would
hear nothing more and not know it. So each socket sends itself a probe through a group of its own every
``PROBE_INTERVAL`` seconds; a probe that has not come back by the next tick, or a channel-layer call that fails,
closes the socket with ``RECONNECT_CODE``, and the browser reconnects and fetches what it missed (app.js and the
widget catch up on every open)."""

from __future__ import annotations

import asyncio
import logging
import random
import secrets
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from redis.exceptions import RedisError

from ruamchat.accounts.actions import set_presence
from ruamchat.accounts.models import AgentProfile
from ruamchat.accounts.selectors import open_team_ids, profile_for, team_ids_of
from ruamchat.accounts.sessions import key_digest
from ruamchat.realtime import events as rt

logger = logging.getLogger("ruamchat.realtime")

#: seconds between two checks of a socket's subscriptions: at most about two of these pass between a lost
#: subscription and the browser reconnecting. Each check costs a handful of Redis commands per socket.
PROBE_INTERVAL = 10.0
#: every this many checks a socket also joins its groups again (cheap insurance: it keeps memberships fresh and
#: restores delivery where a probe could not notice a loss, e.g. one shard of a sharded Redis restarting)
REJOIN_EVERY = 6
#: the close code for "you are not signed in (any more)": the agent's page goes to the sign-in page
SIGNED_OUT_CODE = 4401
#: the close code for "reconnect, please" (1012: service restart); every close makes our browsers reconnect
RECONNECT_CODE = 1012
#: the longest a socket's opening (its checks in the database, joining its groups) may take: past it the socket
#: is closed and the browser tries again, rather than waiting on a handshake that never ends
CONNECT_TIMEOUT = 15.0
#: what a broken channel layer raises (Redis gone, refused, timed out, reset: redis-py wraps them all), and our own
#: time limit on a layer call (a Redis that accepts connections but does not answer must not hang a socket)
LAYER_ERRORS = (RedisError, TimeoutError)


def _groups_for(user: Any) -> list[str]:
    groups = [rt.user_group(user.pk)]
    if profile_for(user).sees_everything:
        groups.append(rt.SUPERVISORS_GROUP)
    else:
        groups += [rt.team_group(t) for t in sorted(team_ids_of(user) | open_team_ids())]
    return groups


class WatchedConsumer(AsyncJsonWebsocketConsumer):
    """A websocket whose channel-layer groups are checked while it is open; it closes itself (the browser then
    reconnects and catches up) when they no longer work. Subclasses call ``subscribe`` before ``accept``."""

    subscribed: list[str]
    _probe_group = ""
    _awaited: str | None = None
    _watch: asyncio.Task[None] | None = None
    #: handling a message now: a probe waits behind it (a slow first request must not look like a lost probe)
    _busy = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        except LAYER_ERRORS as exc:
            # the channel layer broke under the socket (Redis restarting): close it so the browser comes back
            logger.warning("websocket %s closed: the channel layer failed (%s)", scope.get("path"), exc)
            await self._close_for_reconnect()
        finally:
            self._stop_watching()

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT):
                await super().websocket_connect(message)
        except TimeoutError:
            # (the database thread or the channel layer is stuck or very slow: say so, and let the browser retry)
            logger.warning("websocket %s: opening took longer than %.0f s; closed so the browser tries again",
                           self.scope.get("path"), CONNECT_TIMEOUT)
            await self._close_for_reconnect()

    async def subscribe(self, groups: list[str]) -> None:
        """Join ``groups`` and the socket's own probe group, and start watching them."""
        self.subscribed = list(groups)
        self._probe_group = f"probe.{secrets.token_hex(8)}"
        async with asyncio.timeout(PROBE_INTERVAL):
            for group in [*self.subscribed, self._probe_group]:
                await self.channel_layer.group_add(group, self.channel_name)
        self._watch = asyncio.create_task(self._watch_subscriptions())

    async def unsubscribe(self) -> None:
        self._stop_watching()
        try:
            async with asyncio.timeout(PROBE_INTERVAL):
                for group in [*getattr(self, "subscribed", []), *([self._probe_group] if self._probe_group else [])]:
                    await self.channel_layer.group_discard(group, self.channel_name)
        except LAYER_ERRORS as exc:
            # Redis is away: the stale memberships expire there by themselves
            logger.info("could not leave the groups of a closed websocket: %s", exc)

    def _stop_watching(self) -> None:
        if self._watch is not None and self._watch is not asyncio.current_task():
            self._watch.cancel()
        self._watch = None

    async def _watch_subscriptions(self) -> None:
        # sockets that opened together (everyone reconnecting after a restart) spread their checks out
        await asyncio.sleep(PROBE_INTERVAL * random.uniform(0.5, 1.0))
        rounds = 0
        while True:
            if self._awaited is not None and self._busy:
                await asyncio.sleep(PROBE_INTERVAL)  # the probe may be queued behind what the socket is doing
                continue
            if self._awaited is not None:
                logger.info("websocket %s: its probe did not come back; closing it so the browser reconnects",
                            self.scope.get("path"))
                break
            self._awaited = secrets.token_hex(8)
            try:
                # The probe group is joined once, at connect, and never again: if Redis forgot it, the probe is
                # lost and the next tick closes the socket. (After a day its membership expires in Redis, and the
                # socket is renewed that way.)
                async with asyncio.timeout(PROBE_INTERVAL):
                    await self.channel_layer.group_send(self._probe_group,
                                                        {"type": "realtime.probe", "token": self._awaited})
                    rounds += 1
                    if rounds % REJOIN_EVERY == 0:
                        for group in self.subscribed:
                            await self.channel_layer.group_add(group, self.channel_name)
            except LAYER_ERRORS as exc:
                logger.info("websocket %s: channel layer failed (%s); closing it", self.scope.get("path"), exc)
                break
            await asyncio.sleep(PROBE_INTERVAL)
        self._watch = None
        await self._close_for_reconnect()

    async def _close_for_reconnect(self) -> None:
        try:
            await self.close(code=RECONNECT_CODE)
        except Exception as exc:  # the connection is already gone
            logger.debug("closing a websocket that is already closed: %s", exc)

    async def dispatch(self, message: dict[str, Any]) -> None:
        if message.get("type") == "realtime.probe":
            # answered here, without the database-connection housekeeping every other message gets first (it
            # waits for the shared database thread, which may be busy: a probe must not look lost because of it)
            if message.get("token") == self._awaited:
                self._awaited = None
            return
        self._busy += 1
        try:
            await super().dispatch(message)
        finally:
            self._busy -= 1


class AgentConsumer(WatchedConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=SIGNED_OUT_CODE)
            return
        self.user = user
        await self.subscribe(await database_sync_to_async(_groups_for)(user))
        await self.accept()
        await database_sync_to_async(set_presence)(user=user, presence=AgentProfile.Presence.ONLINE)
        await self.send_json({"type": "ready"})

    async def disconnect(self, code: int) -> None:
        await self.unsubscribe()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            # the heartbeat keeps the agent counted as online for the website widget
            await database_sync_to_async(set_presence)(user=self.user, presence=AgentProfile.Presence.ONLINE)
            await self.send_json({"type": "pong"})

    async def ruamchat_event(self, event: dict[str, Any]) -> None:
        if event["event"] == "session.ended":
            # one of this agent's sessions was ended: if it is this socket's, the browser is told to sign in again
            session = self.scope.get("session")
            key = getattr(session, "session_key", None)
            if key and event["payload"].get("session") == key_digest(key):
                await self.close(code=SIGNED_OUT_CODE)
            return
        await self.send_json({"type": "event", "event": event["event"], "payload": event["payload"]})
