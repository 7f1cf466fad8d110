"""Two-factor sign-in with an authenticator app: set up by scanning (or typing) the key and confirming a code,
then every sign-in needs a fresh code or a recovery code; administrators can be required to use it."""

from __future__ import annotations

import re
import time
from typing import Any

import pyotp
import pytest
from django.test import Client

from ruamchat.accounts.models import SecurityPolicy, TwoFactor
from ruamchat.privacy.models import AuditRecord

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    from django.core.cache import cache

    settings.LANGUAGE_CODE = "en"
    cache.clear()


def sign_in(client: Client, username: str) -> Any:
    return client.post("/login/", {"username": username, "password": PASSWORD})


def set_up(client: Client) -> tuple[str, list[str]]:
    """Through the set-up page, as a person would: read the key, type the app's code; returns the key and the
    recovery codes shown."""
    page = client.get("/account/two-factor/").content.decode()
    assert 'src="data:image/svg+xml' in page  # the QR code, drawn by the server
    key = re.search(r'<code id="two-factor-key">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    done = client.post("/account/two-factor/", {"code": pyotp.TOTP(key).now()})
    codes = re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", done.content.decode())
    assert done["Cache-Control"] == "no-store" and len(codes) == 10
    return key, codes


@pytest.fixture
def nok_with_app(make_agent: Any) -> tuple[Client, str, list[str]]:
    """Nok has set up the app and signed out; the returned client has just typed the password again (the second
    step is next). Returns the client, the app's key and the recovery codes."""
    make_agent(username="nok")
    client = Client()
    sign_in(client, "nok")
    key, codes = set_up(client)
    client.post("/logout/")
    sign_in(client, "nok")
    return client, key, codes


def code_at(key: str, offset_steps: int) -> str:
    return pyotp.TOTP(key).at(time.time() + 30 * offset_steps)


def test_setting_up_then_every_sign_in_needs_a_fresh_code(make_agent: Any) -> None:
    make_agent(username="nok")
    client = Client()
    sign_in(client, "nok")
    key, _codes = set_up(client)
    assert "Signing in needs a code" in client.get("/account/").content.decode()
    client.post("/logout/")

    after_password = sign_in(client, "nok")
    assert after_password["Location"] == "/login/code/"
    assert client.get("/inbox/").status_code == 302  # not signed in yet: the password alone is not enough
    wrong = client.post("/login/code/", {"code": "000000"})
    assert "That code is not right" in wrong.content.decode()
    code = code_at(key, 1)  # a code for the next step (its own step is newer than the one used at set-up)
    assert client.post("/login/code/", {"code": code})["Location"] == "/inbox/"
    assert client.get("/inbox/").status_code == 200
    signed = AuditRecord.objects.filter(action=AuditRecord.Action.SIGNED_IN).order_by("id").last()
    assert signed is not None and signed.detail["two_factor"] is True

    # the same code cannot be used again, even by someone who saw it a moment ago
    other = Client()
    sign_in(other, "nok")
    assert "That code is not right" in other.post("/login/code/", {"code": code}).content.decode()
    assert other.get("/inbox/").status_code == 302


def test_a_recovery_code_signs_in_once(nok_with_app: tuple[Client, str, list[str]]) -> None:
    client, _key, codes = nok_with_app
    assert client.post("/login/code/", {"code": codes[3].upper()})["Location"] == "/inbox/"
    client.post("/logout/")
    sign_in(client, "nok")
    assert "That code is not right" in client.post("/login/code/", {"code": codes[3]}).content.decode()
    assert len(TwoFactor.objects.get().recovery_digests) == 9
    assert codes[3] not in str(TwoFactor.objects.get().recovery_digests)  # only digests are kept


def test_guessing_codes_is_throttled_like_passwords(nok_with_app: tuple[Client, str, list[str]]) -> None:
    client, key, _codes = nok_with_app
    for guess in ("111111", "222222", "333333", "444444", "555555"):
        client.post("/login/code/", {"code": guess})
    refused = client.post("/login/code/", {"code": code_at(key, 1)})
    assert "Too many failed sign-ins" in refused.content.decode()
    assert client.get("/inbox/").status_code == 302


def test_the_secret_is_encrypted_at_rest(make_agent: Any) -> None:
    make_agent(username="nok")
    client = Client()
    sign_in(client, "nok")
    key, _codes = set_up(client)
    assert key not in TwoFactor.objects.get().secret_encrypted


def test_turning_it_off_needs_the_password(make_agent: Any) -> None:
    make_agent(username="nok")
    client = Client()
    sign_in(client, "nok")
    set_up(client)
    client.post("/account/two-factor/", {"action": "disable", "password": "not-my-password"})
    assert TwoFactor.objects.exists()
    client.post("/account/two-factor/", {"action": "disable", "password": PASSWORD})
    assert not TwoFactor.objects.exists()
    assert [r.detail["enabled"] for r in AuditRecord.objects.filter(action="two_factor").order_by("id")] == [
        True, False]


def test_when_the_policy_requires_it_an_administrator_must_set_it_up_first(make_agent: Any) -> None:
    SecurityPolicy.objects.create(require_two_factor_for_admins=True)
    make_agent(username="boss", role="admin")
    make_agent(username="nok")
    admin = Client()
    sign_in(admin, "boss")
    assert admin.get("/inbox/")["Location"] == "/account/two-factor/"
    assert admin.get("/django-admin/")["Location"] == "/account/two-factor/"
    assert admin.get("/api/v1/conversations").status_code == 403
    assert "requires two-factor sign-in of administrators" in admin.get("/account/two-factor/").content.decode()
    set_up(admin)
    assert admin.get("/inbox/").status_code == 200
    # and cannot turn it off while the policy stands
    admin.post("/account/two-factor/", {"action": "disable", "password": PASSWORD})
    assert TwoFactor.objects.filter(user__username="boss").exists()
    # agents are not affected
    agent = Client()
    sign_in(agent, "nok")
    assert agent.get("/inbox/").status_code == 200


def test_a_pending_second_step_expires(nok_with_app: tuple[Client, str, list[str]],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from ruamchat.web import account

    client, key, _codes = nok_with_app
    monkeypatch.setattr(account, "PENDING_SECONDS", -1)
    response = client.post("/login/code/", {"code": code_at(key, 1)})
    assert response["Location"] == "/login/" and client.get("/inbox/").status_code == 302
