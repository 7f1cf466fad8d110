"""Accounts against guessing and theft: Argon2 hashes and a password policy, sign-in throttling per account and per
address, sessions that expire and can be ended (their websockets too), password reset by email, scoped and
revocable API tokens, and the audit log of all of it."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from ruamchat import settings as production_settings
from ruamchat.accounts import sessions as session_guard
from ruamchat.accounts.models import ApiToken, UserSession
from ruamchat.privacy.models import AuditRecord

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def _english_and_fresh_counts(settings: Any) -> None:
    from django.core.cache import cache

    settings.LANGUAGE_CODE = "en"
    cache.clear()  # throttle counts from another test must not leak in


def sign_in(client: Client, username: str, password: str = PASSWORD, address: str = "203.0.113.7") -> Any:
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address,
                       HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0) Chrome/131.0 Safari/537.36")


def signed_in(client: Client) -> bool:
    return client.get("/account/").status_code == 200


def actions_recorded() -> list[str]:
    return list(AuditRecord.objects.order_by("id").values_list("action", flat=True))


# --------------------------------------------------------------------------- passwords


def test_passwords_are_hashed_with_argon2id_and_older_hashes_are_upgraded_at_sign_in(
    settings: Any, make_agent: Any
) -> None:
    settings.PASSWORD_HASHERS = production_settings.PASSWORD_HASHERS
    user = make_agent(username="nok")
    assert user.password.startswith("argon2$argon2id$")

    # a password stored by an older hasher (from before, or imported) is re-hashed with Argon2 when it is used
    from django.contrib.auth.hashers import make_password

    User.objects.filter(pk=user.pk).update(password=make_password(PASSWORD, hasher="pbkdf2_sha256"))
    assert sign_in(Client(), "nok").status_code == 302
    assert User.objects.get(pk=user.pk).password.startswith("argon2$argon2id$")


def test_a_weak_new_password_is_refused_with_the_reason(make_agent: Any) -> None:
    user = make_agent(username="nok")
    User.objects.filter(pk=user.pk).update(email="thammasat@shop.example")
    client = Client()
    sign_in(client, "nok")
    for weak, reason in (("short9", "too short"), ("1234567890", "too common"), ("password1234", "too common"),
                         ("8374619250", "entirely numeric"), ("thammasat1", "too similar")):
        response = client.post("/account/password/", {"old_password": PASSWORD, "new_password1": weak,
                                                      "new_password2": weak})
        assert response.status_code == 200
        assert reason in response.content.decode(), weak
    assert User.objects.get(username="nok").check_password(PASSWORD)


def test_changing_the_password_keeps_this_browser_and_signs_out_every_other(make_agent: Any) -> None:
    make_agent(username="nok")
    here, there = Client(), Client()
    sign_in(here, "nok")
    sign_in(there, "nok", address="198.51.100.4")
    response = here.post("/account/password/", {"old_password": PASSWORD, "new_password1": "ขนมครก-ร้อนๆ-2569",
                                                "new_password2": "ขนมครก-ร้อนๆ-2569"}, follow=True)
    assert "Your password is changed" in response.content.decode()
    assert signed_in(here) and not signed_in(there)
    assert UserSession.objects.filter(user__username="nok").count() == 1
    assert AuditRecord.Action.PASSWORD_CHANGED in actions_recorded()


# --------------------------------------------------------------------------- throttling


def test_five_wrong_passwords_lock_the_account_for_a_while_even_against_the_right_one(make_agent: Any) -> None:
    make_agent(username="nok")
    make_agent(username="dao")
    client = Client()
    for _ in range(5):
        response = sign_in(client, "nok", "wrong-password-1")
        assert "Please enter a correct username and password" in response.content.decode()
    refused = sign_in(client, "nok")  # the right password now: still refused, and said why
    assert refused.status_code == 200
    page = refused.content.decode()
    assert re.search(r"Too many failed sign-ins\. For your security, try again in 1[45] minutes", page)
    assert not signed_in(client)
    # another account from the same address is not affected
    assert sign_in(client, "dao").status_code == 302
    records = AuditRecord.objects.filter(action=AuditRecord.Action.SIGN_IN_FAILED)
    assert records.count() == 5
    assert {r.address for r in records} == {"203.0.113.7"} and records[0].detail == {"username": "nok"}
    assert AuditRecord.objects.filter(action=AuditRecord.Action.SIGN_IN_BLOCKED, detail__username="nok").exists()
    assert AuditRecord.objects.filter(action=AuditRecord.Action.SIGNED_IN, actor_name="dao").exists()


def test_an_account_that_does_not_exist_is_locked_the_same_way(db: None) -> None:
    client = Client()
    for _ in range(5):
        sign_in(client, "nobody-here", "guess-123456")
    assert "Too many failed sign-ins" in sign_in(client, "nobody-here", "guess-123456").content.decode()


def test_many_failures_from_one_address_lock_that_address_only(make_agent: Any) -> None:
    make_agent(username="nok")
    client = Client()
    for n in range(30):  # a password spray: a few tries on each of many names
        sign_in(client, f"user{n // 3}", "Summer2026!", address="192.0.2.66")
    assert "Too many failed sign-ins" in sign_in(client, "nok", address="192.0.2.66").content.decode()
    assert sign_in(Client(), "nok", address="192.0.2.99").status_code == 302  # from elsewhere: fine


def test_a_right_password_clears_the_accounts_count(make_agent: Any) -> None:
    make_agent(username="nok")
    client = Client()
    for _ in range(4):
        sign_in(client, "nok", "wrong-password-1")
    assert sign_in(client, "nok").status_code == 302
    client.post("/logout/")
    for _ in range(4):
        sign_in(client, "nok", "wrong-password-1")
    assert sign_in(client, "nok").status_code == 302


def test_the_throttle_lets_people_in_when_the_cache_is_down(make_agent: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.cache import cache

    def down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    make_agent(username="nok")
    for name in ("get_many", "add", "incr", "set", "delete_many"):
        monkeypatch.setattr(cache, name, down)
    client = Client()
    assert "correct username" in sign_in(client, "nok", "wrong-password-1").content.decode()
    assert sign_in(client, "nok").status_code == 302


# --------------------------------------------------------------------------- sessions


def test_the_account_page_lists_sessions_and_one_can_be_signed_out(make_agent: Any) -> None:
    make_agent(username="nok")
    here, phone = Client(), Client()
    sign_in(here, "nok")
    phone.post("/login/", {"username": "nok", "password": PASSWORD}, REMOTE_ADDR="198.51.100.4",
               HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Safari/604.1")
    page = here.get("/account/").content.decode()
    assert "Chrome · Windows" in page and "Safari · iPhone" in page and "198.51.100.4" in page
    assert "This browser" in page
    other = UserSession.objects.get(address="198.51.100.4")
    response = here.post(f"/account/sessions/{other.pk}/end", follow=True)
    assert "That session is signed out" in response.content.decode()
    assert not signed_in(phone) and signed_in(here)
    assert phone.get("/inbox/").status_code == 302  # to the sign-in page
    ended = AuditRecord.objects.get(action=AuditRecord.Action.SESSION_ENDED)
    assert ended.actor_name == "nok" and ended.detail["session_address"] == "198.51.100.4"


def test_sign_out_everywhere_else(make_agent: Any) -> None:
    make_agent(username="nok")
    clients = [Client() for _ in range(3)]
    for n, client in enumerate(clients):
        sign_in(client, "nok", address=f"198.51.100.{n + 1}")
    response = clients[0].post("/account/sessions/end-others", follow=True)
    assert "2 other sessions signed out" in response.content.decode()
    assert [signed_in(c) for c in clients] == [True, False, False]


def test_nobody_can_see_or_end_someone_elses_session(make_agent: Any) -> None:
    make_agent(username="nok")
    make_agent(username="dao")
    nok, dao = Client(), Client()
    sign_in(nok, "nok")
    sign_in(dao, "dao", address="198.51.100.9")
    theirs = UserSession.objects.get(user__username="dao")
    assert "198.51.100.9" not in nok.get("/account/").content.decode()
    assert nok.post(f"/account/sessions/{theirs.pk}/end").status_code == 404
    assert signed_in(dao)


def test_an_idle_session_ends_and_so_does_an_old_one(make_agent: Any, settings: Any) -> None:
    make_agent(username="nok")
    idle, old = Client(), Client()
    sign_in(idle, "nok")
    sign_in(old, "nok", address="198.51.100.5")
    for client, key, age in ((idle, session_guard.SEEN, settings.RUAMCHAT["SESSION_IDLE_MINUTES"] * 60 + 5),
                             (old, session_guard.STARTED, settings.SESSION_COOKIE_AGE + 5)):
        session = client.session
        session[key] = time.time() - age
        session.save()
    for client in (idle, old):
        response = client.get("/inbox/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")
        assert client.get("/api/v1/conversations").status_code == 401
    assert [r["detail"]["reason"] for r in AuditRecord.objects.filter(action="signed_out").values("detail")] == [
        "expired", "expired"]


def test_a_used_session_stays_and_records_when_it_was_last_used(make_agent: Any) -> None:
    make_agent(username="nok")
    client = Client()
    sign_in(client, "nok")
    session = client.session
    session[session_guard.SEEN] = time.time() - 120  # two minutes ago: well inside the idle limit
    session.save()
    UserSession.objects.update(last_seen_at="2026-01-01T00:00:00Z")
    assert client.get("/inbox/").status_code == 200
    assert UserSession.objects.get().last_seen_at.year == 2026 and UserSession.objects.get().last_seen_at.month > 1


@pytest.mark.django_db(transaction=True)
async def test_ending_a_session_closes_its_open_websocket(make_agent: Any, settings: Any) -> None:
    from ruamchat.asgi import application

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    await database_sync_to_async(make_agent)(username="nok")
    phone, here = Client(), Client()
    await database_sync_to_async(sign_in)(phone, "nok", PASSWORD, "198.51.100.4")
    await database_sync_to_async(sign_in)(here, "nok")
    cookie = f"sessionid={phone.cookies['sessionid'].value}".encode()
    socket = WebsocketCommunicator(application, "/ws/agent/", headers=[
        (b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"cookie", cookie)])
    assert (await socket.connect())[0]
    assert await socket.receive_json_from() == {"type": "ready"}

    phones = await database_sync_to_async(UserSession.objects.get)(address="198.51.100.4")
    await database_sync_to_async(here.post)(f"/account/sessions/{phones.pk}/end")
    output = await socket.receive_output(timeout=5)
    assert output == {"type": "websocket.close", "code": 4401, "reason": ""} or (
        output["type"] == "websocket.close" and output["code"] == 4401)
    # and it cannot come back with the ended session
    again = WebsocketCommunicator(application, "/ws/agent/", headers=[
        (b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"cookie", cookie)])
    connected, code = await again.connect()
    assert not connected and code == 4401


# --------------------------------------------------------------------------- password reset


@pytest.fixture
def mail_out(settings: Any, smtp_sink: Any) -> Any:
    settings.PASSWORD_RESET_BY_EMAIL = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = smtp_sink.host, smtp_sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.DEFAULT_FROM_EMAIL = "ruamchat <no-reply@shop.example>"
    settings.RUAMCHAT_PUBLIC_URL = "https://help.shop.example"
    return smtp_sink


def test_password_reset_by_email_end_to_end(make_agent: Any, mail_out: Any) -> None:
    user = make_agent(username="nok")
    User.objects.filter(pk=user.pk).update(email="nok@shop.example")
    stolen = Client()
    sign_in(stolen, "nok", address="198.51.100.66")

    visitor = Client()
    assert 'href="/password-reset/"' in visitor.get("/login/").content.decode()
    response = visitor.post("/password-reset/", {"email": "NOK@shop.example"}, follow=True)
    assert "Check your email" in response.content.decode()
    mail_out.wait_for(1)
    message = mail_out.messages[0].message()
    assert message["To"] == "nok@shop.example" and "new password" in message["Subject"]
    link = re.search(r"https://help\.shop\.example(/password-reset/\S+/\S+/)", message.get_content()).group(1)

    form = visitor.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    done = visitor.post(form.redirect_chain[-1][0] if form.redirect_chain else link,
                        {"new_password1": "ข้าวเหนียว-มะม่วง-77", "new_password2": "ข้าวเหนียว-มะม่วง-77"}, follow=True)
    assert "Your new password is saved" in done.content.decode()
    assert sign_in(Client(), "nok", "ข้าวเหนียว-มะม่วง-77").status_code == 302
    assert not signed_in(stolen)  # whoever had the old password is out
    assert "does not work any more" in visitor.get(link, follow=True).content.decode()  # used once only
    assert AuditRecord.Action.PASSWORD_RESET in actions_recorded()


def test_a_reset_for_an_unknown_address_looks_the_same_and_sends_nothing(db: None, mail_out: Any) -> None:
    response = Client().post("/password-reset/", {"email": "stranger@example.com"}, follow=True)
    assert "Check your email" in response.content.decode()
    assert mail_out.messages == []


def test_reset_requests_are_throttled_per_address(make_agent: Any, mail_out: Any) -> None:
    client = Client()
    for _ in range(5):
        client.post("/password-reset/", {"email": "x@example.com"}, REMOTE_ADDR="192.0.2.50")
    response = client.post("/password-reset/", {"email": "x@example.com"}, REMOTE_ADDR="192.0.2.50")
    assert "Too many reset requests" in response.content.decode()


def test_without_mail_set_up_the_page_says_to_ask_an_administrator(db: None, settings: Any) -> None:
    settings.PASSWORD_RESET_BY_EMAIL = False
    page = Client().get("/password-reset/").content.decode()
    assert "Ask an administrator to set a new password" in page and 'name="email"' not in page


# --------------------------------------------------------------------------- API tokens


def test_a_read_only_token_reads_but_every_change_is_refused(make_agent: Any, team: Any, conversation: Any) -> None:
    from ruamchat.accounts.actions import create_api_token

    user = make_agent(teams=[team], username="nok")
    raw = create_api_token(user=user, name="dashboard", scope="read")
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    assert api.get(f"/api/v1/conversations/{conversation.pk}").status_code == 200
    refused = api.post(f"/api/v1/conversations/{conversation.pk}/messages", {"text": "สวัสดีค่ะ"},
                       content_type="application/json")
    assert refused.status_code == 403 and "may only read" in refused.json()["detail"]
    assert conversation.messages.count() == 1


def test_tokens_are_made_shown_once_and_revoked_on_the_account_page(make_agent: Any, team: Any) -> None:
    make_agent(teams=[team], username="nok")
    client = Client()
    sign_in(client, "nok")
    created = client.post("/account/tokens/", {"name": "รายงานประจำวัน", "scope": "full"})
    raw = re.search(r'<code class="token-value">(rc_[\w-]+)</code>', created.content.decode()).group(1)
    assert created["Cache-Control"] == "no-store"
    api = Client(headers={"Authorization": f"Bearer {raw}"})
    assert api.get("/api/v1/conversations").status_code == 200
    page = client.get("/account/").content.decode()
    assert raw not in page and raw[:10] in page and "รายงานประจำวัน" in page  # never shown again

    token = ApiToken.objects.get()
    client.post(f"/account/tokens/{token.pk}/revoke")
    assert api.get("/api/v1/conversations").status_code == 401
    assert [r.detail.get("created", r.detail.get("revoked")) for r in
            AuditRecord.objects.filter(action=AuditRecord.Action.TOKEN).order_by("id")] == [raw[:10], raw[:10]]


def test_nobody_revokes_someone_elses_token(make_agent: Any) -> None:
    from ruamchat.accounts.actions import create_api_token

    theirs = create_api_token(user=make_agent(username="dao"), name="x")
    make_agent(username="nok")
    client = Client()
    sign_in(client, "nok")
    assert client.post(f"/account/tokens/{ApiToken.objects.get().pk}/revoke").status_code == 404
    assert Client(headers={"Authorization": f"Bearer {theirs}"}).get("/api/v1/conversations").status_code == 200


def test_the_token_command_makes_read_only_tokens_and_revokes_by_prefix(make_agent: Any, capsys: Any) -> None:
    make_agent(username="nok")
    call_command("token", "create", "--user", "nok", "--scope", "read", "--name", "bi")
    raw = capsys.readouterr().out.strip()
    assert ApiToken.objects.get().scope == "read"
    call_command("token", "revoke", raw[:12])
    assert "revoked 1 token(s)" in capsys.readouterr().out
    assert Client(headers={"Authorization": f"Bearer {raw}"}).get("/api/v1/conversations").status_code == 401
