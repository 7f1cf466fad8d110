"""Only administrators see or act on personal data; the audit log says who did what, newest first."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from ruamchat.privacy.actions import record_access
from ruamchat.privacy.models import AuditRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact_id(visitor_says: Callable[..., Any]) -> int:
    return int(visitor_says("สวัสดีค่ะ").conversation.contact_id)


def _pages(contact_id: int) -> list[tuple[str, str]]:
    return [("get", f"/privacy/contacts/{contact_id}/erase"), ("post", f"/privacy/contacts/{contact_id}/erase"),
            ("post", f"/privacy/contacts/{contact_id}/export"), ("get", "/privacy/retention/"),
            ("post", "/privacy/retention/"), ("get", "/privacy/audit/")]


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_agents_and_supervisors_are_refused(client: Client, make_agent: Callable[..., Any], contact_id: int,
                                            role: str) -> None:
    client.force_login(make_agent(role=role, username=f"a-{role}"))
    for method, url in _pages(contact_id):
        response = getattr(client, method)(url, {"confirm": str(contact_id)} if method == "post" else {})
        assert response.status_code == 403, url
    assert not AuditRecord.objects.exists()


def test_strangers_are_sent_to_the_login_page(client: Client, contact_id: int) -> None:
    for method, url in _pages(contact_id):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith("/login"), url


def test_the_audit_log_shows_who_did_what_newest_first_filtered_and_paged(
    client: Client, admin_user: Any, agent: Any, contact_id: int,
) -> None:
    with time_machine.travel(timezone.now() - timedelta(days=400), tick=False):
        record_access(actor=agent, action="viewed", contact_id=contact_id)
    record_access(actor=admin_user, action="exported", contact_id=contact_id, detail={"conversations": 2})
    record_access(actor=agent, action="viewed", contact_id=contact_id + 1)
    for _ in range(55):
        record_access(actor=agent, action="viewed", contact_id=777)
    client.force_login(make_thai(admin_user))

    page = client.get("/privacy/audit/", {"contact": contact_id}).content.decode()
    rows = page.split('data-record="')[1:]
    assert [r.split('data-action="')[1].split('"')[0] for r in rows] == ["exported", "viewed"]
    assert "2 conversations" in rows[0] or "2 การสนทนา" in rows[0]
    old = timezone.localtime(timezone.now() - timedelta(days=400))
    assert str(old.year + 543) in rows[1]  # Thai dates in the Buddhist era

    exported = client.get("/privacy/audit/", {"action": "exported"}).content.decode()
    assert exported.count('data-record="') == 1
    first = client.get("/privacy/audit/").content.decode()
    assert first.count('data-record="') == 50 and 'rel="next"' in first
    second = client.get("/privacy/audit/", {"page": 2}).content.decode()
    assert second.count('data-record="') == 8 and 'rel="prev"' in second
    assert f"#{contact_id}" in second  # the oldest records come last


def make_thai(user: Any) -> Any:
    user.agent.language = "th"
    user.agent.save(update_fields=["language"])
    return user


def test_the_django_admin_shows_the_audit_log_read_only(client: Client, admin_user: Any, contact_id: int) -> None:
    record = record_access(actor=admin_user, action="viewed", contact_id=contact_id)
    client.force_login(admin_user)
    assert client.get("/django-admin/privacy/auditrecord/").status_code == 200
    assert client.get("/django-admin/privacy/auditrecord/add/").status_code == 403
    assert client.post(f"/django-admin/privacy/auditrecord/{record.pk}/delete/", {"post": "yes"}).status_code == 403
    detail = client.get(f"/django-admin/privacy/auditrecord/{record.pk}/change/").content.decode()
    assert 'name="_save"' not in detail
    assert AuditRecord.objects.filter(pk=record.pk).exists()


def test_an_audit_record_cannot_be_changed(admin_user: Any, contact_id: int) -> None:
    record = record_access(actor=admin_user, action="viewed", contact_id=contact_id)
    record.action = "erased"
    with pytest.raises(ValueError, match="append-only"):
        record.save()
