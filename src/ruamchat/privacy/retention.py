"""The retention policy: conversations that ended more than N months ago lose their content, or go.

Each run works in batches of ``BATCH`` conversations, one transaction each, and checks again inside the
transaction that a conversation is still due (an agent may have reopened it meanwhile): a run stopped half-way
(a deploy, the time budget of a background job) leaves finished batches finished and the next run goes on
with what is left. Anonymised conversations are marked (``Redaction``); deleted ones are gone. Raw provider
events older than the cutoff are redacted whatever the policy does to conversations (they may carry the
messages and their files); their rows stay so a webhook delivered again is still recognised. Every run ends
with an audit record "retention" and its counts.

Deleting keeps the numbers the reports already hold: the daily sums are not touched, and the per-conversation
facts stay (ids and measures only), so a later recomputation of a day still counts the deleted conversations.
Survey answers stay (their comments go) and lose their link to the conversation.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from itertools import takewhile

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone

from ruamchat.accounts.actions import check_admin
from ruamchat.connectors.models import InboundEvent
from ruamchat.inbox.models import Attachment, Conversation, Message
from ruamchat.privacy import selectors
from ruamchat.privacy.actions import record_access
from ruamchat.privacy.models import AuditRecord, Redaction, RetentionPolicy
from ruamchat.privacy.redaction import (
    ERASED_PAYLOAD,
    Removed,
    clear_survey_text,
    delete_files,
    redact_conversations,
    remove_attachments,
)
from ruamchat.surveys.models import Invitation

BATCH = 100
EVENT_BATCH = 500
#: a background run stops after this long and queues its continuation (a job's lease is five minutes)
JOB_BUDGET_SECONDS = 120.0


def save_policy(*, actor: User | None, enabled: bool, months: int, action: str, attachments_only: bool
                ) -> RetentionPolicy:
    check_admin(actor)
    rule = selectors.policy()
    rule.enabled, rule.months, rule.action, rule.attachments_only = enabled, months, action, attachments_only
    rule.updated_by = actor
    rule.full_clean()
    rule.save()
    return rule


@dataclass
class RetentionRun:
    rule: RetentionPolicy
    cutoff: datetime
    removed: Removed
    #: False when the time budget ran out first: the rest is for the next run
    finished: bool


def apply_retention(*, actor: User | None = None, now: datetime | None = None, budget_seconds: float | None = None,
                    request: HttpRequest | None = None) -> RetentionRun:
    """Apply the policy as it is saved (switched on or not: the caller decides that) and record the run."""
    check_admin(actor)
    rule, _created = RetentionPolicy.objects.get_or_create(pk=1)
    now = now or timezone.now()
    before = selectors.cutoff(rule, now)
    deadline = time.monotonic() + budget_seconds if budget_seconds is not None else None
    removed = Removed()
    finished = _conversations(rule, before, now, removed, deadline)
    finished = finished and _raw_events(rule, before, removed, deadline)
    RetentionPolicy.objects.filter(pk=rule.pk).update(last_run_at=now)
    record_access(actor=actor, action=AuditRecord.Action.RETENTION, contact_id=None, request=request, detail={
        **removed.counts(), "action": rule.action, "months": rule.months, "attachments_only": rule.attachments_only,
        "cutoff": before.isoformat(), "finished": finished})
    return RetentionRun(rule, before, removed, finished)


def _out_of_time(deadline: float | None) -> bool:
    return deadline is not None and time.monotonic() > deadline


def _conversations(rule: RetentionPolicy, before: datetime, now: datetime, removed: Removed,
                   deadline: float | None) -> bool:
    last = 0
    while True:
        if _out_of_time(deadline):
            return False
        ids = list(selectors.retention_due(rule, before).filter(pk__gt=last).order_by("pk")
                   .values_list("pk", flat=True)[:BATCH])
        if not ids:
            return True
        removed.add(_batch(rule, ids, before, now))
        last = ids[-1]


def _batch(rule: RetentionPolicy, ids: list[int], before: datetime, now: datetime) -> Removed:
    from ruamchat.search.actions import forget_messages

    with transaction.atomic():
        # still due now that they are locked: not reopened, not redacted by someone else meanwhile
        due = list(selectors.retention_due(rule, before).filter(pk__in=ids).select_for_update(of=("self",))
                   .values_list("pk", flat=True))
        if rule.action == RetentionPolicy.Action.DELETE and not rule.attachments_only:
            removed = _delete(due)
        elif rule.action == RetentionPolicy.Action.DELETE:
            removed = remove_attachments(Attachment.objects.filter(message__conversation_id__in=due),
                                         delete_rows=True)
            removed.conversations = len(due)
        else:
            scope = Redaction.Scope.ATTACHMENTS if rule.attachments_only else Redaction.Scope.CONTENT
            removed = redact_conversations(due, scope=scope, reason=Redaction.Reason.RETENTION, now=now)
            if scope == Redaction.Scope.CONTENT:
                forget_messages(message_ids=list(Message.objects.filter(conversation_id__in=due)
                                                 .values_list("pk", flat=True)))
        delete_files(removed.files)
    removed.files = []
    return removed


def _delete(ids: list[int]) -> Removed:
    """Delete the conversations with everything in them; survey answers stay, without comment or conversation."""
    removed = remove_attachments(Attachment.objects.filter(message__conversation_id__in=ids), delete_rows=True)
    removed.conversations = len(ids)
    removed.messages = Message.objects.filter(conversation_id__in=ids).count()
    clear_survey_text(Q(conversation_id__in=ids) | Q(invitation__conversation_id__in=ids),
                      Q(conversation_id__in=ids))
    Invitation.objects.filter(conversation_id__in=ids).update(conversation=None)
    Conversation.objects.filter(pk__in=ids).delete()
    return removed


def _raw_events(rule: RetentionPolicy, before: datetime, removed: Removed, deadline: float | None) -> bool:
    """Redact the raw events received before the cutoff, going on from where the last run stopped (ids grow with
    arrival: the first event young enough ends the run)."""
    cursor = rule.events_done_id
    while True:
        if _out_of_time(deadline):
            return False
        rows = list(InboundEvent.objects.filter(pk__gt=cursor).order_by("pk")
                    .values_list("pk", "received_at")[:EVENT_BATCH])
        old = [pk for pk, _at in takewhile(lambda row: row[1] < before, rows)]
        if old:
            with transaction.atomic():
                removed.raw_events += (InboundEvent.objects.filter(pk__in=old).exclude(payload=ERASED_PAYLOAD)
                                       .update(payload=ERASED_PAYLOAD, error=""))
                cursor = old[-1]
                RetentionPolicy.objects.filter(pk=rule.pk).update(events_done_id=cursor)
        if len(old) < EVENT_BATCH:
            return True


def run_scheduled(*, budget_seconds: float | None = JOB_BUDGET_SECONDS) -> RetentionRun | None:
    """The daily job: nothing while the policy is switched off."""
    if not selectors.policy().enabled:
        return None
    return apply_retention(actor=None, budget_seconds=budget_seconds)


def request_run(*, actor: User) -> None:
    """An administrator applies the policy once now, whether or not it runs every day (in the background: a
    first run may have years of conversations to go through)."""
    from ruamchat.jobs.queue import enqueue

    check_admin(actor)
    with transaction.atomic():
        enqueue("privacy.retention_now", actor_id=actor.pk)
