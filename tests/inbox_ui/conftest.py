from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def outsider(make_agent: Any, support_team: Any) -> Any:
    """An agent of another (closed) team: must see nothing of the service team's conversations."""
    return make_agent(teams=[support_team], username="outsider")


@pytest.fixture
def agent_client(client: Client, agent: Any) -> Client:
    client.force_login(agent)
    return client
