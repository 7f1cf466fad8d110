"""Every change made in the Django admin (set-up: users, teams, SLA policies, …) is also written to the audit log,
with the address it came from (Django's own admin log has who and what, not from where)."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db.models.signals import post_save
from django.dispatch import receiver

from ruamchat.privacy.actions import record_admin_change


@receiver(post_save, sender=LogEntry)
def _admin_logged(sender: Any, instance: LogEntry, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    verb = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}.get(instance.action_flag, "changed")
    content_type: Any = instance.content_type
    model = content_type.model if content_type is not None else "?"
    actor: Any = instance.user
    record_admin_change(actor=actor, what=f"admin:{model}", object_id=instance.object_id or "",
                        summary=f"{verb}: {instance.object_repr}", changed=[str(instance.get_change_message())[:200]])
