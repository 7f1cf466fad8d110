"""Keeping the index current: the background catch-up, edits and withdrawals, changed contacts, erasure
(read back from the full-text index itself), the rebuild command."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

from django.core.management import call_command
from django.utils import timezone

from ruamchat.search import actions
from ruamchat.search.models import ContactDocument, MessageDocument, SearchState
from ruamchat.search.selectors import search
from tests.search.conftest import index_vocabulary, indexed_contact_ids, indexed_message_ids


def test_the_background_job_indexes_new_messages(visitor_says: Callable[..., Any], supervisor: Any,
                                                  run_jobs: Callable[[], int]) -> None:
    from ruamchat.jobs.queue import enqueue_due_periodic

    message = visitor_says("กล่องพัสดุเปียกน้ำมาค่ะ")
    assert search(supervisor, "เปียก").messages == []  # receiving a message does not wait for the index

    assert "search.catch_up" in enqueue_due_periodic(timezone.now() + timedelta(minutes=1))
    run_jobs()

    assert [hit.message.pk for hit in search(supervisor, "เปียก").messages] == [message.pk]
    assert indexed_message_ids("เปียก") == {message.pk}


def test_the_catch_up_indexes_each_message_once_and_looks_back_for_late_commits(
        visitor_says: Callable[..., Any], supervisor: Any, index: Callable[[], Any]) -> None:
    first = visitor_says("ยังไม่ได้รับใบกำกับภาษี")
    assert index().messages == 1
    assert index().messages == 0  # nothing new
    second = visitor_says("ขอใบกำกับภาษีด้วย", visitor="visitor-second-aaaaaaaaaaaa")
    # a message that committed after a run whose mark is already past its id (ids are taken before commit)
    MessageDocument.objects.filter(message_id=first.pk).delete()
    SearchState.objects.update(message_id=second.pk)
    assert index().messages == 2
    assert indexed_message_ids("ภาษี") == {first.pk, second.pk}


def test_a_second_catch_up_leaves_while_one_runs(index: Callable[[], Any], db: None) -> None:
    index()
    SearchState.objects.update(busy_until=timezone.now() + timedelta(minutes=1))
    assert index().busy
    SearchState.objects.update(busy_until=timezone.now() - timedelta(seconds=1))  # its process died
    assert not index().busy


def test_an_edited_message_is_found_by_its_new_words_only(
        visitor_says: Callable[..., Any], website: Any, supervisor: Any, index: Callable[[], Any],
        django_capture_on_commit_callbacks: Any) -> None:
    from ruamchat.inbox.actions import record_edit

    message = visitor_says("ขอเปลี่ยนเป็นสีน้ำเงิน")
    index()
    with django_capture_on_commit_callbacks(execute=True):
        record_edit(channel=website, provider_message_id=message.provider_message_id, text="ขอเปลี่ยนเป็นสีชมพู")

    assert search(supervisor, "น้ำเงิน").messages == []
    assert [hit.message.pk for hit in search(supervisor, "ชมพู").messages] == [message.pk]
    assert indexed_message_ids("น้ำเงิน") == set()


def test_a_withdrawn_message_leaves_the_index(
        visitor_says: Callable[..., Any], website: Any, supervisor: Any, index: Callable[[], Any],
        django_capture_on_commit_callbacks: Any) -> None:
    from ruamchat.inbox.actions import withdraw_message

    message = visitor_says("เบอร์บัตรเครดิตของฉันคือ 4111")
    index()
    assert indexed_message_ids("4111") == {message.pk}
    with django_capture_on_commit_callbacks(execute=True):
        withdraw_message(channel=website, provider_message_id=message.provider_message_id)

    assert indexed_message_ids("4111") == set()
    assert not MessageDocument.objects.filter(message_id=message.pk).exists()
    index()  # and the catch-up does not bring it back
    assert indexed_message_ids("4111") == set()


def test_a_failed_reindex_is_left_to_a_job(visitor_says: Callable[..., Any], website: Any, supervisor: Any,
                                           index: Callable[[], Any], run_jobs: Callable[[], int],
                                           django_capture_on_commit_callbacks: Any, monkeypatch: Any) -> None:
    from ruamchat.inbox.actions import record_edit
    from ruamchat.search import index as search_index

    message = visitor_says("ของแตก")
    index()
    real = search_index.replace_messages

    def broken(ids: Any) -> int:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(search_index, "replace_messages", broken)
    with django_capture_on_commit_callbacks(execute=True):
        record_edit(channel=website, provider_message_id=message.provider_message_id, text="ของบุบ")
    assert message.__class__.objects.get(pk=message.pk).text == "ของบุบ"  # the edit itself went through
    monkeypatch.setattr(search_index, "replace_messages", real)
    run_jobs()

    assert [hit.message.pk for hit in search(supervisor, "บุบ").messages] == [message.pk]


def test_forget_messages_leaves_no_trace_in_the_full_text_index(
        visitor_says: Callable[..., Any], supervisor: Any, index: Callable[[], Any]) -> None:
    secret = visitor_says("รหัสผ่านของฉันคือ xylophone42")
    kept = visitor_says("xylophone ราคาเท่าไร", visitor="visitor-kept-aaaaaaaaaaaaaa")
    index()
    assert "xylophone42" in index_vocabulary()

    assert actions.forget_messages(message_ids=[secret.pk]) == 1

    assert indexed_message_ids("xylophone42") == set()
    assert "xylophone42" not in index_vocabulary()
    assert indexed_message_ids("xylophon") == {kept.pk}  # the stem
    assert search(supervisor, "xylophone42").messages == []


def test_forget_contact_removes_the_customer_and_all_their_messages(
        visitor_says: Callable[..., Any], supervisor: Any, index: Callable[[], Any]) -> None:
    from ruamchat.contacts.actions import update_contact
    from ruamchat.contacts.models import Contact

    first = visitor_says("บ้านเลขที่ 99 ซอยมะลิวัลย์")
    visitor_says("โทรหาได้ที่เบอร์นี้", visitor="visitor-token-aaaaaaaaaaaaaaaa")  # same customer
    contact = update_contact(contact=first.conversation.contact, name="Zebediah Thongchai",
                             email="zebediah@example.com", phone="0899990000")
    other = visitor_says("ซอยมะลิวัลย์ไปทางไหน", visitor="visitor-other-aaaaaaaaaaaaa")
    index()
    assert indexed_contact_ids("zebediah") == {contact.pk}

    actions.forget_contact(contact_id=contact.pk)
    Contact.objects.filter(pk=contact.pk).update(name="", email="", phone="", erased_at=timezone.now())

    vocabulary = index_vocabulary()
    for word in ("zebediah", "thongchai", "0899990000", "99", "เบอร์"):
        assert word not in vocabulary, word
    assert indexed_contact_ids("zebediah") == set()
    assert not MessageDocument.objects.filter(conversation__contact=contact).exists()
    assert indexed_message_ids("มะลิ") == {other.pk}
    index()  # the catch-up brings nothing of an erased customer back
    SearchState.objects.update(message_id=0, contact_id=0, contact_cursor=0)
    index()
    assert "zebediah" not in index_vocabulary()
    assert not MessageDocument.objects.filter(conversation__contact=contact).exists()


def test_a_renamed_customer_is_found_by_the_new_name_after_the_catch_up(
        visitor_says: Callable[..., Any], supervisor: Any, index: Callable[[], Any]) -> None:
    from ruamchat.contacts.models import Contact

    contact = visitor_says("สวัสดี").conversation.contact
    index()
    # changed without telling the search (as the contacts app may): the digest differs, the catch-up notices
    Contact.objects.filter(pk=contact.pk).update(name="กาญจนา รุ่งเรือง")
    assert search(supervisor, "กาญจนา").contacts == []
    index()
    assert [c.pk for c in search(supervisor, "กาญจนา").contacts] == [contact.pk]
    before = ContactDocument.objects.get(pk=contact.pk).digest
    assert index().contacts == 0  # unchanged ones are left alone
    assert ContactDocument.objects.get(pk=contact.pk).digest == before


def test_a_customer_who_writes_again_is_reindexed_with_the_name_the_channel_gives(
        website: Any, supervisor: Any, index: Callable[[], Any]) -> None:
    from ruamchat.connectors.website.actions import receive_visitor_message

    receive_visitor_message(channel=website, visitor_token="visitor-named-aaaaaaaaaaaa", client_id="client-a0000001",
                            text="สวัสดี")
    index()
    receive_visitor_message(channel=website, visitor_token="visitor-named-aaaaaaaaaaaa", client_id="client-a0000002",
                            text="ชื่อนะคะ", name="Kanokwan")
    actions.CONTACT_SCAN, scan = 0, actions.CONTACT_SCAN  # not by the round through all contacts
    try:
        index()
    finally:
        actions.CONTACT_SCAN = scan
    assert [c.display_name for c in search(supervisor, "kanokwan").contacts] == ["Kanokwan"]


def test_reindex_contact_at_once(visitor_says: Callable[..., Any], supervisor: Any, index: Callable[[], Any]) -> None:
    from ruamchat.contacts.models import Contact

    contact = visitor_says("สวัสดี").conversation.contact
    index()
    Contact.objects.filter(pk=contact.pk).update(email="fresh@example.com", name="Fresh Name")
    actions.reindex_contact(contact_id=contact.pk)
    assert [c.pk for c in search(supervisor, "fresh").contacts] == [contact.pk]


def test_rebuild_search_command(visitor_says: Callable[..., Any], supervisor: Any, db: None) -> None:
    message = visitor_says("แพ็คของไม่ดี กล่องยุบ")
    out = StringIO()
    call_command("rebuild_search", stdout=out)
    assert "1 messages" in out.getvalue()
    assert [hit.message.pk for hit in search(supervisor, "ยุบ").messages] == [message.pk]
    out = StringIO()
    call_command("rebuild_search", stdout=out)
    assert "0 messages" in out.getvalue()  # nothing changed since
