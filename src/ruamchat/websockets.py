"""Websocket routes. The widget's socket takes any origin (any site may embed it) and carries no login;
the agent's socket rides on the session cookie, so it is same-origin only."""

from channels.auth import AuthMiddlewareStack
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from ruamchat.connectors.website.consumers import WidgetConsumer
from ruamchat.realtime.consumers import AgentConsumer

widget_websocket_urls = [path("ws/widget/<str:key>/", WidgetConsumer.as_asgi())]
agent_websocket_urls = [
    path("ws/agent/", AllowedHostsOriginValidator(AuthMiddlewareStack(AgentConsumer.as_asgi()))),
]
