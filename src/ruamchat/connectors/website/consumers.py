"""The visitor's websocket: messages in (acknowledged once stored), agent replies out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from ruamchat.connectors.models import Channel
from ruamchat.connectors.website import actions, selectors
from ruamchat.connectors.website.connector import serialize_for_visitor, visitor_external_id
from ruamchat.realtime import events as rt
from ruamchat.realtime.consumers import WatchedConsumer

MAX_FRAME_BYTES = 64 * 1024
T = TypeVar("T")


class WidgetConsumer(WatchedConsumer):
    """Watched like the agent's socket: when its subscription is lost (Redis restarted) it closes, and the widget
    reconnects and says hello with the last message it knows, getting what it missed."""

    channel_obj: Channel
    visitor_token: str
    language: str

    async def connect(self) -> None:
        key = self.scope["url_route"]["kwargs"]["key"]
        query = parse_qs(self.scope.get("query_string", b"").decode())
        token = (query.get("visitor") or [""])[0]
        self.language = (query.get("lang") or ["th"])[0] if (query.get("lang") or ["th"])[0] in ("th", "en") else "th"
        channel = await database_sync_to_async(selectors.website_channel)(key)
        if channel is None or not actions.VISITOR_TOKEN.match(token):
            await self.close(code=4404)
            return
        self.channel_obj = channel
        self.visitor_token = token
        await self.subscribe([rt.visitor_group(channel.pk, visitor_external_id(token))])
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.unsubscribe()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        if text_data is None or len(text_data.encode()) > MAX_FRAME_BYTES:
            await self.send_error("", "too_large", self._t("Your message is too long."))
            return
        try:
            await super().receive(text_data=text_data, **kwargs)
        except ValueError:
            await self.send_error("", "malformed", self._t("The message could not be read."))

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict):
            await self.send_error("", "malformed", self._t("The message could not be read."))
            return
        kind = content.get("type")
        if kind == "hello":
            await self.hello(content)
        elif kind == "message":
            await self.visitor_message(content)
        elif kind == "identify":
            await self.identify(content)
        else:
            await self.send_error("", "unknown_type", self._t("The message could not be read."))

    async def hello(self, content: dict[str, Any]) -> None:
        try:
            after = max(int(content.get("last_id") or 0), 0)
        except (TypeError, ValueError):
            after = 0
        history, online = await database_sync_to_async(self._history_and_presence)(after)
        await self.send_json({"type": "history", "messages": history, "agents_online": online})

    def _history_and_presence(self, after: int) -> tuple[list[dict[str, Any]], bool]:
        messages = selectors.visitor_messages(self.channel_obj, self.visitor_token, after_id=after)
        return [serialize_for_visitor(m) for m in messages], selectors.agents_online(self.channel_obj)

    async def visitor_message(self, content: dict[str, Any]) -> None:
        client_id = str(content.get("client_id") or "")[:80]
        text = content.get("text")
        if not isinstance(text, str):
            await self.send_error(client_id, "malformed", self._t("The message could not be read."))
            return
        try:
            message = await database_sync_to_async(self._in_language(actions.receive_visitor_message))(
                channel=self.channel_obj, visitor_token=self.visitor_token, client_id=client_id, text=text,
                language=self.language, page_url=str(content.get("page_url") or ""),
                postback=content.get("postback", ""),  # checked by the action: a string or refused
            )
        except ValidationError as exc:
            await self.send_error(client_id, "invalid", " ".join(self._t_list(exc.messages)))
            return
        await self.send_json({"type": "ack", "client_id": client_id, "id": message.pk})

    async def identify(self, content: dict[str, Any]) -> None:
        try:
            await database_sync_to_async(self._in_language(actions.identify_visitor))(
                channel=self.channel_obj, visitor_token=self.visitor_token,
                name=str(content.get("name") or ""), email=str(content.get("email") or ""),
            )
        except ValidationError as exc:
            await self.send_error("", "invalid", " ".join(self._t_list(exc.messages)))
            return
        await self.send_json({"type": "identified"})

    async def ruamchat_event(self, event: dict[str, Any]) -> None:
        if event["event"] == "widget.message":
            await self.send_json({"type": "message", "message": event["payload"]["message"]})
        elif event["event"] == "widget.agents":
            await self.send_json({"type": "agents", "online": event["payload"]["online"]})

    async def send_error(self, client_id: str, code: str, message: str) -> None:
        await self.send_json({"type": "error", "client_id": client_id, "code": code, "message": message})

    def _in_language(self, action: Callable[..., T]) -> Callable[..., T]:
        """Run an action in the visitor's language, so its validation messages are in it too."""

        def run(*args: Any, **kwargs: Any) -> T:
            with translation.override(self.language):
                return action(*args, **kwargs)

        return run

    def _t(self, text: str) -> str:
        with translation.override(self.language):
            return _(text)

    def _t_list(self, messages: list[str]) -> list[str]:
        return [str(m) for m in messages]
