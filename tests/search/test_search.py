"""The global search as agents use it: Thai words inside sentences, typed without tone marks, English word
forms, every word, who may see what, private notes, contacts by name, phone and email, conversation numbers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone

from ruamchat.search.selectors import search


def message_ids(user: Any, query: str) -> list[int]:
    return [hit.message.pk for hit in search(user, query).messages]


def test_a_thai_word_in_the_middle_of_a_sentence_is_found(visitor_says: Callable[..., Any], supervisor: Any,
                                                          index: Callable[[], Any]) -> None:
    wrong = visitor_says("ได้รับของแล้วแต่สีไม่ตรงปก")
    visitor_says("ขอบคุณค่ะ สุขสันต์วันเกิด", visitor="visitor-other-aaaaaaaaaaaaa")
    index()

    assert message_ids(supervisor, "สี") == [wrong.pk]  # not "สุขสันต์": a word, not a letter
    assert message_ids(supervisor, "ตรงปก") == [wrong.pk]
    snippet = search(supervisor, "สี").messages[0].snippet
    assert snippet == "ได้รับของแล้วแต่<mark>สี</mark>ไม่ตรงปก"
    assert "<mark>ตรงปก</mark>" in search(supervisor, "ตรงปก").messages[0].snippet


def test_typing_without_tone_marks_finds_the_word(visitor_says: Callable[..., Any], supervisor: Any,
                                                  index: Callable[[], Any]) -> None:
    message = visitor_says("อยากผ่อนชำระค่าสินค้าได้ไหมคะ")
    index()

    assert message_ids(supervisor, "ผอน") == [message.pk]
    assert message_ids(supervisor, "ผ่อน") == [message.pk]
    assert "<mark>ผ่อนชำระ</mark>" in search(supervisor, "ผอนชำระ").messages[0].snippet


def test_english_words_are_found_in_other_forms(visitor_says: Callable[..., Any], supervisor: Any,
                                                index: Callable[[], Any]) -> None:
    refund = visitor_says("I was REFUNDED twice for order 4412, please check")
    visitor_says("Where is my parcel?", visitor="visitor-other-aaaaaaaaaaaaa")
    index()

    assert message_ids(supervisor, "refunds") == [refund.pk]
    assert message_ids(supervisor, "refund ") == [refund.pk]
    assert message_ids(supervisor, "refu") == [refund.pk]  # still typing: the start of a word
    assert message_ids(supervisor, "refu ") == []  # a finished word is a whole word
    assert message_ids(supervisor, "4412") == [refund.pk]
    assert "<mark>REFUNDED</mark>" in search(supervisor, "refunds").messages[0].snippet


def test_every_word_must_be_in_the_message(visitor_says: Callable[..., Any], supervisor: Any,
                                           index: Callable[[], Any]) -> None:
    both = visitor_says("เสื้อสีแดงไซส์ M หมดหรือยังคะ")
    visitor_says("มีเสื้อสีดำไหม", visitor="visitor-black-aaaaaaaaaaaaa")
    visitor_says("กระเป๋าสีแดงราคาเท่าไร", visitor="visitor-bag-aaaaaaaaaaaaaaa")
    index()

    assert message_ids(supervisor, "เสื้อ แดง") == [both.pk]
    assert len(message_ids(supervisor, "เสื้อ")) == 2
    assert message_ids(supervisor, "เสื้อ แดง กางเกง") == []
    assert search(supervisor, "เสื้อ แดง กางเกง").empty


def test_newest_messages_come_first(visitor_says: Callable[..., Any], supervisor: Any,
                                    index: Callable[[], Any]) -> None:
    first = visitor_says("พัสดุยังไม่มาเลยค่ะ")
    second = visitor_says("พัสดุมาแล้วค่ะ ขอบคุณ", visitor="visitor-later-aaaaaaaaaaaaa")
    index()

    assert message_ids(supervisor, "พัสดุ") == [second.pk, first.pk]


def test_an_agent_sees_only_messages_and_customers_of_conversations_they_can_see(
        visitor_says: Callable[..., Any], agent: Any, other_agent: Any, supervisor: Any, other_website: Any,
        index: Callable[[], Any]) -> None:
    from ruamchat.contacts.actions import update_contact

    ours = visitor_says("สั่งรองเท้าผ้าใบไปสองคู่")  # the website's team: agent's
    theirs = visitor_says("รองเท้าผ้าใบขายส่งราคาเท่าไร", visitor="visitor-wholesale-aaaaaaa", channel=other_website)
    update_contact(contact=ours.conversation.contact, name="วันเพ็ญ ศรีสุข")
    update_contact(contact=theirs.conversation.contact, name="วันดี ศรีสุข", phone="089-111-2222",
                   email="wandee@example.com")
    index()

    assert message_ids(agent, "รองเท้า") == [ours.pk]
    assert message_ids(other_agent, "รองเท้า") == [theirs.pk]
    assert message_ids(supervisor, "รองเท้า") == [theirs.pk, ours.pk]

    assert [c.pk for c in search(agent, "ศรีสุข").contacts] == [ours.conversation.contact_id]
    assert {c.pk for c in search(supervisor, "ศรีสุข").contacts} == {ours.conversation.contact_id,
                                                                   theirs.conversation.contact_id}
    # nor by number, phone or email
    assert search(agent, f"#{theirs.conversation_id}").conversations == []
    assert search(agent, "0891112222").contacts == []
    assert search(agent, "wandee@example.com").contacts == []
    assert [c.pk for c in search(supervisor, f"#{theirs.conversation_id}").conversations] == [
        theirs.conversation_id]


def test_private_notes_are_found_and_marked(conversation: Any, agent: Any, other_agent: Any,
                                            index: Callable[[], Any]) -> None:
    from ruamchat.inbox.actions import add_note

    note = add_note(conversation=conversation, actor=agent, text="ลูกค้าคนนี้ขอเคลมประกันครั้งที่สามแล้ว")
    index()

    hits = search(agent, "เคลม").messages
    assert [hit.message.pk for hit in hits] == [note.pk]
    assert hits[0].message.is_private
    assert search(other_agent, "เคลม").messages == []


def test_contacts_are_found_by_a_word_of_their_thai_name_and_by_channel_name(
        visitor_says: Callable[..., Any], supervisor: Any, index: Callable[[], Any]) -> None:
    from ruamchat.contacts.actions import update_contact
    from ruamchat.contacts.models import Identity

    message = visitor_says("สวัสดีค่ะ")
    contact = update_contact(contact=message.conversation.contact, name="สมหญิง แก้วใส")
    Identity.objects.filter(contact=contact).update(display_name="Ploy Somying")
    index()

    for query in ("แก้วใส", "สมหญิง", "แกวใส", "ploy", "Somy"):
        assert [c.pk for c in search(supervisor, query).contacts] == [contact.pk], query


def test_phone_numbers_in_any_format_and_email_addresses_find_the_contact(
        visitor_says: Callable[..., Any], supervisor: Any, index: Callable[[], Any]) -> None:
    from ruamchat.contacts.actions import update_contact

    message = visitor_says("ขอเปลี่ยนที่อยู่จัดส่งค่ะ")
    contact = update_contact(contact=message.conversation.contact, name="Nok", phone="081-234-5678",
                             email="Nok.Shop@Example.com")
    visitor_says("hello", visitor="visitor-other-aaaaaaaaaaaaa")
    index()

    for query in ("081-234-5678", "0812345678", "+66812345678", "+66 81 234 5678", "081 234 5678",
                  "nok.shop@example.com", "NOK.SHOP@EXAMPLE.COM"):
        results = search(supervisor, query)
        assert [c.pk for c in results.contacts] == [contact.pk], query
        # and the customer's conversations, to open one at once
        assert [c.pk for c in results.conversations] == [message.conversation_id], query
    assert search(supervisor, "081-999-9999").contacts == []


def test_a_conversation_number_finds_the_conversation(visitor_says: Callable[..., Any], supervisor: Any,
                                                      index: Callable[[], Any]) -> None:
    message = visitor_says("ติดตามพัสดุให้หน่อยค่ะ")
    index()
    number = message.conversation_id

    for query in (f"#{number}", str(number), f"# {number}"):
        assert [c.pk for c in search(supervisor, query).conversations] == [number], query
    assert search(supervisor, f"#{number + 100}").conversations == []


def test_merged_away_and_erased_customers_are_not_shown(visitor_says: Callable[..., Any], supervisor: Any,
                                                        index: Callable[[], Any]) -> None:
    from ruamchat.contacts.actions import update_contact
    from ruamchat.contacts.models import Contact

    kept = update_contact(contact=visitor_says("สวัสดี").conversation.contact, name="ประภาส มั่นคง",
                          email="praphas@example.com")
    merged = update_contact(contact=visitor_says("สวัสดี", visitor="visitor-dup-aaaaaaaaaaaaaaa").conversation.contact,
                            name="ประภาส มั่นคง")
    erased = update_contact(contact=visitor_says("สวัสดี", visitor="visitor-gone-aaaaaaaaaaaaaa").conversation.contact,
                            name="ประภาส มั่นคง", email="gone@example.com")
    index()
    assert len(search(supervisor, "มั่นคง").contacts) == 3

    Contact.objects.filter(pk=merged.pk).update(merged_into=kept)
    Contact.objects.filter(pk=erased.pk).update(erased_at=timezone.now())
    # hidden at once (the search checks the contact), before the index has caught up
    assert [c.pk for c in search(supervisor, "มั่นคง").contacts] == [kept.pk]
    assert search(supervisor, "gone@example.com").contacts == []


def test_one_letter_and_common_words_ask_for_more(supervisor: Any, index: Callable[[], Any]) -> None:
    assert search(supervisor, "ก").too_short
    assert search(supervisor, "a").too_short
    assert search(supervisor, "ครับ").too_short  # a particle, in every other message
    assert not search(supervisor, "7").too_short  # conversation 7


def test_what_the_customer_wrote_is_escaped_in_the_snippet(visitor_says: Callable[..., Any], supervisor: Any,
                                                           index: Callable[[], Any]) -> None:
    visitor_says('<script>alert("x")</script> coupon <b>code</b>')
    index()

    snippet = search(supervisor, "coupon").messages[0].snippet
    assert "<script>" not in snippet and "<b>" not in snippet
    assert "&lt;script&gt;" in snippet
    assert "<mark>coupon</mark>" in snippet


def test_a_long_message_shows_the_passage_around_the_word(visitor_says: Callable[..., Any], supervisor: Any,
                                                          index: Callable[[], Any]) -> None:
    visitor_says("ข้อความยาวมาก " * 30 + "กล่องบุบ " + "ขอบคุณมากค่ะ " * 30)
    index()

    snippet = search(supervisor, "บุบ").messages[0].snippet
    assert "<mark>บุบ</mark>" in snippet
    assert snippet.startswith("… ") and snippet.endswith(" …")
    assert len(snippet) < 260


def test_an_agent_gets_the_newest_visible_messages_among_many_they_cannot_see(
        visitor_says: Callable[..., Any], agent: Any, supervisor: Any, other_website: Any,
        index: Callable[[], Any], monkeypatch: Any) -> None:
    from ruamchat.search import backends

    ours = [visitor_says(f"พัดลมตัวที่ {n} เสียงดัง", visitor=f"visitor-ours-{n}-aaaaaaaaaaaaa") for n in range(3)]
    theirs = [visitor_says(f"พัดลมขายส่ง {n}", visitor=f"visitor-theirs-{n:02d}-aaaaaaaaaaa", channel=other_website)
              for n in range(30)]
    index()
    # PostgreSQL: a word with more matches than the probe, one with fewer, one its statistics call common
    for probe, common in ((5, 10 ** 9), (1000, 10 ** 9), (1000, 0)):
        monkeypatch.setattr(backends, "PROBE", probe)
        monkeypatch.setattr(backends, "COMMON", common)
        found = search(agent, "พัดลม", limit=2)
        assert [hit.message.pk for hit in found.messages] == [ours[2].pk, ours[1].pk], probe
        assert found.more_messages
        assert [hit.message.pk for hit in search(agent, "พัดลม", limit=5).messages] == [m.pk for m in ours[::-1]]
        assert not search(agent, "พัดลม", limit=5).more_messages
        assert [hit.message.pk for hit in search(supervisor, "พัดลม", limit=3).messages] == [
            m.pk for m in theirs[:-4:-1]]
