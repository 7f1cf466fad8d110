from __future__ import annotations

from ruamchat.connectors import actions
from ruamchat.jobs.queue import job


def _exhausted(*, error: str, event_id: int) -> None:
    actions.mark_inbound_failed(event_id=event_id, error=error)


@job("connectors.process_inbound", max_attempts=8, on_exhausted=_exhausted)
def process_inbound(*, event_id: int) -> None:
    actions.process_inbound_event(event_id=event_id)


@job("connectors.fetch_attachment", max_attempts=8,
     on_exhausted=lambda *, error, attachment_id: actions.mark_attachment_unavailable(
         attachment_id=attachment_id, reason=error))
def fetch_attachment(*, attachment_id: int) -> None:
    actions.fetch_attachment(attachment_id=attachment_id)


@job("connectors.refresh_profile", max_attempts=3)
def refresh_profile(*, identity_id: int) -> None:
    actions.refresh_profile(identity_id=identity_id)
