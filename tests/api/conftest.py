"""Clients that call the API as a script would: a bearer token per user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client


@pytest.fixture
def agent_api(client_for: Callable[[Any], Client], agent: Any) -> Client:
    return client_for(agent)


@pytest.fixture
def admin_api(client_for: Callable[[Any], Client], admin_user: Any) -> Client:
    return client_for(admin_user)


@pytest.fixture
def other_team_conversation(support_team: Any, visitor_says: Callable[..., Any]) -> Any:
    """A conversation of the support team, on its own website channel."""
    from ruamchat.connectors.actions import create_channel

    channel = create_channel(actor=None, kind="website", name="ซัพพอร์ต", default_team=support_team)
    return visitor_says("ของที่ได้รับเสียหายค่ะ", visitor="visitor-token-support-000000", channel=channel).conversation
