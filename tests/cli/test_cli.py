from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ruamchat.accounts.models import ApiToken


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ruamchat.cli", *args], capture_output=True, text=True,
                          timeout=60, check=False)


def test_help_lists_the_commands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("demo", "serve", "worker", "createadmin", "token create"):
        assert command in result.stdout


def test_django_commands_pass_through() -> None:
    result = run_cli("help", "migrate")
    assert result.returncode == 0 and "Updates database schema" in result.stdout


@pytest.mark.django_db
def test_createadmin_and_token_for_scripts(capsys: Any) -> None:
    call_command("createadmin", "--username", "boss", "--password", "a-long-Passphrase-77")
    call_command("token", "create", "--user", "boss")
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert token.startswith("rc_")
    assert ApiToken.objects.get(digest=ApiToken.digest_of(token)).user.username == "boss"
    with pytest.raises(CommandError, match="no active user"):
        call_command("token", "create", "--user", "nobody")


@pytest.mark.django_db
def test_createadmin_refuses_a_weak_password() -> None:
    with pytest.raises(CommandError):
        call_command("createadmin", "--username", "weak", "--password", "123")


@pytest.mark.django_db
def test_demo_data_loads_once_and_keeps_its_data() -> None:
    from ruamchat.demo.history import EXTERNAL_PREFIX
    from ruamchat.demo.seed import HISTORY_CONVERSATIONS, seed_demo
    from ruamchat.inbox.models import Conversation

    assert seed_demo() is True
    count = Conversation.objects.count()
    statuses = set(Conversation.objects.values_list("status", flat=True))
    assert {"open", "pending", "snoozed", "resolved", "closed"} <= statuses
    assert Conversation.objects.filter(team__kind="support").exists()
    # months of history for the reports, besides the hand-made conversations
    history = Conversation.objects.filter(identity__external_id__startswith=EXTERNAL_PREFIX)
    assert history.count() == HISTORY_CONVERSATIONS
    made = Conversation.objects.exclude(identity__external_id__startswith=EXTERNAL_PREFIX)
    line = made.filter(channel__kind="line")
    assert line.count() == 2  # a LINE OA whose conversations look real: Thai text, a sticker, an image
    kinds = set(line.values_list("messages__attachments__kind", flat=True))
    assert {"image", "sticker"} <= kinds
    assert made.filter(channel__kind="messenger").count() == 3
    # the LINE customer ปิยะนุช also wrote on Facebook: her page suggests merging the two, and finds her order
    from ruamchat.contacts.models import Identity
    from ruamchat.contacts.selectors import duplicates
    from ruamchat.inbox.models import Message
    from ruamchat.orders.lookup import detect_order_numbers

    piyanuch = Identity.objects.get(channel__kind="line", external_id__startswith="U4af4").contact
    assert [d.reasons for d in duplicates(piyanuch)] == [("name",)]
    assert piyanuch.attributes["member_level"] == "Gold"
    wrote = Message.objects.filter(conversation__contact=piyanuch, direction="in").values_list("text", flat=True)
    assert [number for text in wrote for number in detect_order_numbers(text)] == ["CS-10017"]
    assert seed_demo() is False
    assert Conversation.objects.count() == count
