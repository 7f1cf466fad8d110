"""Suggested duplicates: the same email, the same phone however typed, the same name on another channel."""

from __future__ import annotations

from typing import Any

import pytest

from ruamchat.contacts.models import Contact
from ruamchat.contacts.phones import phone_key
from ruamchat.contacts.selectors import duplicates
from tests.contacts.conftest import person

pytestmark = pytest.mark.django_db


def suggested(contact: Contact) -> dict[int, tuple[str, ...]]:
    return {d.contact.pk: d.reasons for d in duplicates(contact)}


@pytest.mark.parametrize(("typed", "key"), [
    ("081-234-5678", "+66812345678"), ("+66 81 234 5678", "+66812345678"), ("๐๘๑ ๒๓๔ ๕๖๗๘", "+66812345678"),
    ("(02) 123 4567", "+6621234567"), ("+1 415 555 2671", "+14155552671"), ("โทรมาได้เลย", ""), ("12", ""),
])
def test_phone_numbers_compare_however_they_were_typed(typed: str, key: str) -> None:
    assert phone_key(typed) == key


def test_the_same_email_is_suggested_also_as_an_email_account(line: Any, mailbox: Any, messenger: Any) -> None:
    on_line = person(line, "U" + "1" * 32, name="Nok", email="Nok.S@Example.com")
    by_mail = person(mailbox, "nok.s@example.com", name="")
    same_field = person(messenger, "psid-1", name="", email="nok.s@example.com")
    stranger = person(messenger, "psid-2", name="Pim", email="pim@example.com")
    found = suggested(on_line)
    assert found[by_mail.pk] == ("email",) and found[same_field.pk] == ("email",)
    assert stranger.pk not in found


def test_the_same_phone_is_suggested(line: Any, messenger: Any) -> None:
    on_line = person(line, "U" + "2" * 32, name="ลูกค้า A", phone="0812345678")
    on_facebook = person(messenger, "psid-3", name="ลูกค้า B", phone="+66 81-234-5678")
    assert suggested(on_line) == {on_facebook.pk: ("phone",)}


def test_the_same_name_counts_only_on_another_channel(line: Any, messenger: Any) -> None:
    on_line = person(line, "U" + "3" * 32, name="Somchai Jaidee")
    on_facebook = person(messenger, "psid-4", name="somchai jaidee")  # the same name, in other letters' case
    namesake_on_line = person(line, "U" + "4" * 32, name="Somchai Jaidee")  # two LINE accounts: two people
    found = suggested(on_line)
    assert found == {on_facebook.pk: ("name",)}
    assert namesake_on_line.pk not in found


def test_the_strongest_reasons_come_first_and_all_reasons_are_given(line: Any, messenger: Any, mailbox: Any) -> None:
    contact = person(line, "U" + "5" * 32, name="Dao Rungroj", email="dao@example.com", phone="0899999999")
    by_name = person(messenger, "psid-5", name="Dao Rungroj")
    by_everything = person(mailbox, "dao@example.com", name="Dao Rungroj", phone="089 999 9999")
    found = duplicates(contact)
    assert [d.contact.pk for d in found] == [by_everything.pk, by_name.pk]
    assert found[0].reasons == ("email", "phone", "name")


def test_merged_and_erased_customers_are_never_suggested(line: Any, messenger: Any, mailbox: Any) -> None:
    from django.utils import timezone

    contact = person(line, "U" + "6" * 32, email="same@example.com")
    merged = person(messenger, "psid-6", email="same@example.com")
    erased = person(mailbox, "someone@example.com", email="same@example.com")
    Contact.objects.filter(pk=merged.pk).update(merged_into=contact)
    Contact.objects.filter(pk=erased.pk).update(erased_at=timezone.now())
    assert suggested(contact) == {}
