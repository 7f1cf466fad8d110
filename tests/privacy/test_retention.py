"""The retention policy: a dry run first, then old resolved conversations lose their content (or go), while the
ones still going and the recent ones are untouched and the report numbers stay."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from ruamchat.connectors.models import InboundEvent
from ruamchat.inbox.models import Attachment, Conversation, Message
from ruamchat.privacy import retention
from ruamchat.privacy.models import AuditRecord, RetentionPolicy
from ruamchat.privacy.redaction import ERASED_PAYLOAD

pytestmark = pytest.mark.django_db

BKK = ZoneInfo("Asia/Bangkok")
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=BKK)
OLD_FILE = b"%PDF-1.4 old-delivery-slip-0042"


def bkk(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=BKK)


@pytest.fixture
def history(website: Any, agent: Any, run_jobs: Callable[[], int]) -> dict[str, Conversation]:
    """Resolved in January 2025 (with a file), closed in February 2025, pending since January 2025, resolved
    last month."""
    from ruamchat.connectors.website.actions import receive_visitor_message
    from ruamchat.inbox.actions import change_status, send_reply
    from ruamchat.reports.actions import catch_up

    made: dict[str, Conversation] = {}

    def story(name: str, moment: datetime, text: str, end: str, *, upload: bool = False) -> None:
        with time_machine.travel(moment, tick=False):
            message = receive_visitor_message(
                channel=website, visitor_token=f"visitor-{name}-aaaaaaaaaaaaaaaaaaaa", client_id=f"client-{name}-01",
                text=text, uploads=[SimpleUploadedFile("ใบส่งของ.pdf", OLD_FILE, "application/pdf")] if upload else [])
            send_reply(conversation=message.conversation, actor=agent, text="รับทราบค่ะ")
            change_status(conversation=message.conversation, actor=agent, status=end)
            run_jobs()
        made[name] = Conversation.objects.get(pk=message.conversation_id)

    story("old", bkk(2025, 1, 10), "ของมาไม่ครบค่ะ ที่อยู่ 12/3 ซอยอารีย์", "resolved", upload=True)
    story("closed", bkk(2025, 2, 1), "ขอยกเลิกคำสั่งซื้อค่ะ", "closed")
    story("pending", bkk(2025, 1, 12), "รอของจากโรงงานค่ะ", "pending")
    story("recent", bkk(2026, 5, 20), "ขอใบกำกับภาษีค่ะ", "resolved")
    with time_machine.travel(NOW, tick=False):
        catch_up()
    return made


@pytest.fixture
def at_now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def admin_client(client: Client, admin_user: Any) -> Client:
    client.force_login(admin_user)
    return client


def _save(client: Client, **values: Any) -> None:
    form = {"months": 12, "action": "anonymise", **values}
    form = {k: v for k, v in form.items() if v is not False}
    response = client.post("/privacy/retention/", form)
    assert response.status_code == 302, response.content.decode()[:2000]


def _texts(conversation: Conversation) -> list[str]:
    return list(Message.objects.filter(conversation=conversation).order_by("pk").values_list("text", flat=True))


def _stored_files() -> list[Path]:
    return [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]


def _figures(page: str) -> dict[str, str]:
    found = {}
    for part in page.split('data-figure="')[1:]:
        key, rest = part.split('"', 1)
        found[key] = rest.split(">", 1)[1].split("<", 1)[0].strip()
    return found


def _sums() -> list[tuple[Any, ...]]:
    from ruamchat.reports.models import DailyStat

    fields = [f.name for f in DailyStat._meta.concrete_fields if f.name != "id"]
    return sorted(DailyStat.objects.values_list(*fields), key=repr)


def test_the_dry_run_counts_what_the_policy_would_touch_and_changes_nothing(
    history: dict[str, Conversation], admin_client: Client, at_now: None, admin_user: Any,
) -> None:
    _save(admin_client)
    admin_user.agent.language = "th"
    admin_user.agent.save(update_fields=["language"])
    before = {name: _texts(c) for name, c in history.items()}
    page = admin_client.get("/privacy/retention/").content.decode()
    figures = _figures(page)
    due = [history["old"], history["closed"]]
    assert figures["conversations"] == "2"
    assert figures["messages"] == str(Message.objects.filter(conversation__in=due).count())
    assert figures["attachments"] == "1" and figures["raw_events"] == "3"
    assert figures["oldest"] == "10 ม.ค. 2568 10:00:00"  # in Thai, Buddhist era
    out = io.StringIO()
    call_command("retention", "--dry-run", stdout=out)
    assert "2 conversations" in out.getvalue() and f"1 files, {len(OLD_FILE)} bytes" in out.getvalue()
    assert {name: _texts(c) for name, c in history.items()} == before
    assert len(_stored_files()) == 1 and ERASED_PAYLOAD not in InboundEvent.objects.values_list("payload", flat=True)
    assert not AuditRecord.objects.exists()


def test_applying_anonymises_old_resolved_conversations_only(
    history: dict[str, Conversation], admin_client: Client, run_jobs: Callable[[], int], at_now: None,
) -> None:
    from ruamchat.reports.actions import catch_up, rebuild_all

    _save(admin_client)
    sums = _sums()
    due_messages = Message.objects.filter(conversation__in=[history["old"], history["closed"]]).count()
    kept = {name: _texts(history[name]) for name in ("pending", "recent")}
    assert admin_client.post("/privacy/retention/", {"what": "run"}).status_code == 400  # not confirmed
    assert not AuditRecord.objects.exists()
    response = admin_client.post("/privacy/retention/", {"what": "run", "confirm": "1"})
    assert response.status_code == 302
    run_jobs()

    for name in ("old", "closed"):
        assert set(_texts(history[name])) == {""}
        conversation = Conversation.objects.get(pk=history[name].pk)
        assert conversation.last_message_preview == "" and conversation.status in ("resolved", "closed")
    assert {name: _texts(history[name]) for name in kept} == kept
    assert _stored_files() == []
    attachment = Attachment.objects.get()
    assert attachment.filename == "" and not attachment.file and attachment.size == len(OLD_FILE)
    payloads = dict(InboundEvent.objects.values_list("provider_event_id", "payload"))
    assert [key for key, payload in payloads.items() if payload != ERASED_PAYLOAD] == ["client-recent-01"]
    record = AuditRecord.objects.get(action="retention")
    assert record.actor.get_username() == "admin" and record.contact_id is None
    assert (record.detail["conversations"], record.detail["messages"], record.detail["attachments"],
            record.detail["raw_events"], record.detail["finished"]) == (2, due_messages, 1, 3, True)
    catch_up()
    rebuild_all()
    assert _sums() == sums

    # nothing is left to do: a second run touches nothing
    assert _figures(admin_client.get("/privacy/retention/").content.decode())["conversations"] == "0"
    second = retention.apply_retention(actor=None)
    assert second.removed.counts() == {"conversations": 0, "messages": 0, "attachments": 0, "bytes": 0,
                                       "raw_events": 0}


def test_deleting_removes_old_conversations_and_keeps_the_daily_numbers(
    history: dict[str, Conversation], admin_client: Client, at_now: None,
) -> None:
    from ruamchat.reports.actions import catch_up
    from ruamchat.reports.models import ConversationFact

    _save(admin_client, action="delete")
    sums = _sums()
    facts = ConversationFact.objects.count()
    run = retention.apply_retention(actor=None)
    assert run.removed.conversations == 2 and run.finished
    assert set(Conversation.objects.values_list("pk", flat=True)) == {history["pending"].pk, history["recent"].pk}
    assert _stored_files() == [] and not Attachment.objects.exists()
    catch_up()
    assert _sums() == sums and ConversationFact.objects.count() == facts
    assert AuditRecord.objects.get(action="retention").actor is None


def test_attachments_only_keeps_the_text(history: dict[str, Conversation], admin_client: Client,
                                         at_now: None) -> None:
    _save(admin_client, attachments_only="on")
    figures = _figures(admin_client.get("/privacy/retention/").content.decode())
    assert figures["conversations"] == "1" and "messages" not in figures
    texts = {name: _texts(c) for name, c in history.items()}
    retention.apply_retention(actor=None)
    assert {name: _texts(c) for name, c in history.items()} == texts
    assert _stored_files() == [] and Attachment.objects.get().filename == ""
    assert retention.apply_retention(actor=None).removed.conversations == 0


def test_the_daily_job_applies_the_policy_only_when_it_is_switched_on(
    history: dict[str, Conversation], admin_client: Client, run_jobs: Callable[[], int], at_now: None,
) -> None:
    from ruamchat.jobs.queue import enqueue

    _save(admin_client)
    enqueue("privacy.retention")
    run_jobs()
    assert _texts(history["old"])[0] != "" and not AuditRecord.objects.exists()
    _save(admin_client, enabled="on")
    assert RetentionPolicy.objects.get().enabled
    enqueue("privacy.retention")
    run_jobs()
    assert set(_texts(history["old"])) == {""} and AuditRecord.objects.filter(action="retention").count() == 1


def test_a_run_that_runs_out_of_time_goes_on_in_the_next_job(
    history: dict[str, Conversation], admin_client: Client, run_jobs: Callable[[], int], at_now: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _save(admin_client)
    monkeypatch.setattr(retention, "BATCH", 1)
    worked = []
    real_batch = retention._batch

    def one_batch(*args: Any, **kwargs: Any) -> Any:
        worked.append(True)
        return real_batch(*args, **kwargs)

    def out_of_time(deadline: float | None) -> bool:  # the time is up right after a batch
        if worked:
            worked.clear()
            return True
        return False

    monkeypatch.setattr(retention, "_batch", one_batch)
    monkeypatch.setattr(retention, "_out_of_time", out_of_time)
    admin_client.post("/privacy/retention/", {"what": "run", "confirm": "1"})
    run_jobs()
    runs = list(AuditRecord.objects.filter(action="retention").order_by("pk").values_list("detail", flat=True))
    assert [r["finished"] for r in runs] == [False, False, True]
    assert sum(r["conversations"] for r in runs) == 2 and sum(r["raw_events"] for r in runs) == 3
    assert set(_texts(history["old"])) == {""} and set(_texts(history["closed"])) == {""}
    assert _texts(history["recent"])[0] == "ขอใบกำกับภาษีค่ะ"


def test_months_are_at_least_one(admin_client: Client) -> None:
    response = admin_client.post("/privacy/retention/", {"months": 0, "action": "anonymise"})
    assert response.status_code == 400 and not RetentionPolicy.objects.exists()
