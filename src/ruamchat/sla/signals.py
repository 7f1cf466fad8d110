"""A change to calendars or policies in this process applies at once (other processes within seconds)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from ruamchat.sla import selectors
from ruamchat.sla.models import Calendar, OpeningPeriod, SlaPolicy, SpecialDay


def _forget(**_kwargs: Any) -> None:
    selectors.forget()


def connect() -> None:
    for model in (Calendar, OpeningPeriod, SpecialDay, SlaPolicy):
        post_save.connect(_forget, sender=model, dispatch_uid=f"sla-forget-save-{model.__name__}")
        post_delete.connect(_forget, sender=model, dispatch_uid=f"sla-forget-delete-{model.__name__}")
    m2m_changed.connect(_forget, sender=Calendar.teams.through, dispatch_uid="sla-forget-teams")
