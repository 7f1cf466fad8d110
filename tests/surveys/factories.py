"""Invitations as ``deliver`` leaves them once sent, for tests of the survey pages and the closed loop."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from ruamchat.contacts.models import Contact, Identity
from ruamchat.surveys.actions import new_token
from ruamchat.surveys.models import Invitation, Response, Survey


def restore_default_surveys() -> None:
    """The surveys of data migration 0002, made again when a test with a real database before this one (a
    browser test: the database is emptied after each) removed them. Does nothing when they are there."""
    from importlib import import_module

    from django.apps import apps

    import_module("ruamchat.surveys.migrations.0002_default_surveys").create(apps, None)


def _default_survey(kind: str) -> Survey:
    restore_default_surveys()
    return Survey.objects.get(kind=kind)


def customer(channel: Any, *, name: str = "คุณมาลี", language: str = "th",
             external_id: str = "visitor-survey-aaaaaaaaaaaaaaaaaaaa") -> tuple[Contact, Identity]:
    """A contact with an account on ``channel`` and no conversation (a campaign's contact)."""
    contact = Contact.objects.create(name=name, language=language)
    identity = Identity.objects.create(contact=contact, channel=channel, external_id=external_id, display_name=name)
    return contact, identity


def sent_invitation(contact: Contact, kind: str = "nps", *, language: str | None = None,
                    conversation: Any = None, identity: Identity | None = None, channel: Any = None,
                    expires_in: timedelta = timedelta(days=30), status: str = Invitation.Status.SENT) -> Invitation:
    """An invitation of the default ``kind`` survey (data migration 0002) sent to ``contact`` just now, with its
    personal token. About ``conversation`` when given (its identity, channel and team are the invitation's);
    else campaign-less, reaching the contact through ``identity`` / ``channel`` when given (the closed loop
    needs both to open a follow-up). ``status="scheduled"``: not sent yet (no sent_at, no expiry)."""
    survey = Survey.objects.filter(kind=kind).first() or _default_survey(kind)
    now = timezone.now()
    sent = status != Invitation.Status.SCHEDULED
    if conversation is not None:
        identity = identity or conversation.identity
        channel = channel or conversation.channel
    return Invitation.objects.create(
        survey=survey, kind=survey.kind, contact=contact, identity=identity,
        channel=channel if channel is not None else (identity.channel if identity is not None else None),
        conversation=conversation, team_id=conversation.team_id if conversation is not None else None,
        token=new_token(), language=language or (contact.language if contact.language in ("th", "en") else "th"),
        status=status, send_at=now, sent_at=now if sent else None, expires_at=now + expires_in if sent else None)


def answered(kind: str, score: int, *, at: datetime | None = None, team: Any = None, agent: Any = None,
             channel: Any = None, comment: str = "", sentiment: str = "", topics: tuple[str, ...] = (),
             category: str = "") -> Response:
    """An invitation sent ten minutes before ``at`` (default: an hour ago) and its answer, as ``deliver`` and
    ``answer_on_page`` leave them, about ``team`` / ``agent`` / ``channel``."""
    survey = Survey.objects.get(kind=kind)
    at = at or timezone.now() - timedelta(hours=1)
    contact = Contact.objects.create(name=f"ลูกค้า {kind} {score}")
    invitation = Invitation.objects.create(
        survey=survey, kind=kind, contact=contact, token=new_token(), send_at=at - timedelta(minutes=10),
        status=Invitation.Status.SENT, sent_at=at - timedelta(minutes=10), team=team, agent=agent, channel=channel,
        category=category, answered_at=at)
    return Response.objects.create(
        invitation=invitation, survey=survey, kind=kind, score=score, comment=comment, sentiment=sentiment,
        topics=list(topics), via=Response.Via.PAGE, contact=contact, team=team, agent=agent, channel=channel,
        category=category, answered_at=at)
