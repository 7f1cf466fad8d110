"""Survey fixtures: CSAT switched on for channels, a conversation answered and resolved by an agent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def csat_on(db: None) -> Callable[..., Any]:
    """``csat_on(*channels, **fields)``: ask CSAT on these channels (the default survey, as an admin sets it)."""
    from ruamchat.surveys.models import Survey

    def switch_on(*channels: Any, **fields: Any) -> Any:
        survey = Survey.objects.get(kind="csat")
        for name, value in fields.items():
            setattr(survey, name, value)
        survey.save()
        survey.channels.add(*channels)
        return survey

    return switch_on


@pytest.fixture
def answer_and_resolve(run_jobs: Callable[[], int]) -> Callable[..., Any]:
    """``answer_and_resolve(conversation, agent, text=…)``: the agent replies, resolves, and the jobs run (the
    reply is delivered, the survey goes out)."""
    from ruamchat.inbox.actions import change_status, send_reply

    def act(conversation: Any, agent: Any, text: str = "เรียบร้อยแล้วค่ะ ขอบคุณค่ะ") -> Any:
        send_reply(conversation=conversation, actor=agent, text=text)
        run_jobs()
        change_status(conversation=conversation, actor=agent, status="resolved")
        run_jobs()
        conversation.refresh_from_db()
        return conversation

    return act


def invitation_of(conversation: Any, kind: str = "csat") -> Any:
    from ruamchat.surveys.models import Invitation

    return Invitation.objects.get(conversation=conversation, kind=kind)


@pytest.fixture
def default_surveys(db: None) -> None:
    """The surveys every installation starts with (its data migration), made again when an earlier test with a
    real database (a live server's) has emptied the tables: request it before ``csat_on`` in such tests."""
    from tests.surveys.factories import restore_default_surveys

    restore_default_surveys()


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings: Any) -> None:
    """The survey pages count requests per address in Django's cache: every test starts with none counted.
    A cache of its own per test rather than ``cache.clear()``, which on Redis would empty the database the
    parallel test processes share."""
    import uuid

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": f"surveys-test-{uuid.uuid4().hex}"}}
