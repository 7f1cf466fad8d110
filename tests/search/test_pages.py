"""The search page, its as-you-type fragment, and the box in every staff page's top bar."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.test import Client
from django.urls import reverse

from tests.pages import element_text, login, text_of


def test_the_search_box_is_in_the_top_bar_of_the_inbox(agent: Any) -> None:
    page = login(agent).get("/inbox/").content.decode()

    box = re.search(r'<form class="global-search"[^>]*action="/search/"[^>]*>(.*?)</form>', page, re.S)
    assert box, "no search form in the top bar"
    assert 'id="global-search-q"' in box.group(1) and 'name="q"' in box.group(1)
    assert 'aria-keyshortcuts="/"' in box.group(1)
    assert 'hx-get="/search/results/"' in box.group(1)
    tools = page.index('class="topbar-tools"')
    assert tools < page.index('id="global-search-q"') < page.index('id="connection-status"')


def test_the_page_groups_customers_conversations_and_messages(
        visitor_says: Callable[..., Any], agent: Any, index: Callable[[], Any]) -> None:
    from ruamchat.contacts.actions import update_contact

    message = visitor_says("ได้รับของแล้วแต่สีไม่ตรงปก")
    contact = update_contact(contact=message.conversation.contact, name="สีดา ใจงาม")
    index()

    response = login(agent).get("/search/", {"q": "สี"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" in page
    customers = re.search(r'data-group="contacts".*?</section>', page, re.S)
    messages = re.search(r'data-group="messages".*?</section>', page, re.S)
    assert customers and messages
    assert f'href="{reverse("contacts:detail", args=[contact.pk])}"' in customers.group()
    assert f'href="/contacts/{contact.pk}/"' in customers.group()
    assert f'href="/inbox/c/{message.conversation_id}/#message-{message.pk}"' in messages.group()
    assert "ได้รับของแล้วแต่<mark>สี</mark>ไม่ตรงปก" in messages.group()
    assert "Messages" in text_of(messages.group()) and "Customers" in text_of(customers.group())

    page = login(agent).get("/search/", {"q": f"#{message.conversation_id}"}).content.decode()
    conversations = re.search(r'data-group="conversations".*?</section>', page, re.S)
    assert conversations and f'href="/inbox/c/{message.conversation_id}/"' in conversations.group()


def test_as_you_type_the_fragment_comes_alone_and_keeps_the_address(
        visitor_says: Callable[..., Any], agent: Any, index: Callable[[], Any]) -> None:
    message = visitor_says("กล่องบุบมาก")
    index()
    client = login(agent)

    response = client.get("/search/results/", {"q": "บุบ"}, headers={"HX-Request": "true"})
    fragment = response.content.decode()
    assert "<html" not in fragment and "<mark>บุบ</mark>" in fragment
    assert response["HX-Replace-Url"] == "/search/?q=%E0%B8%9A%E0%B8%B8%E0%B8%9A"

    compact = client.get("/search/results/", {"q": "บุบ", "compact": "1"}, headers={"HX-Request": "true"})
    text = compact.content.decode()
    assert f'data-message-id="{message.pk}"' in text
    assert 'href="/search/?q=%E0%B8%9A%E0%B8%B8%E0%B8%9A"' in text  # all results, on the page
    assert "HX-Replace-Url" not in compact
    assert client.get("/search/results/", {"q": " ", "compact": "1"}).content == b""


def test_the_page_works_without_javascript_and_says_what_to_type(agent: Any) -> None:
    client = login(agent)
    empty = client.get("/search/").content.decode()
    assert "conversation number such as #123" in element_text(empty, "search-results")
    assert 'id="search-page-q"' in empty

    short = client.get("/search/", {"q": "ก"}).content.decode()
    assert "Type at least two letters" in element_text(short, "search-results")
    common = client.get("/search/", {"q": "ครับ"}).content.decode()
    assert "too common" in element_text(common, "search-results")
    nothing = client.get("/search/", {"q": "ไม่มีคำนี้แน่นอนzzqx"}).content.decode()
    assert "Nothing found" in element_text(nothing, "search-results")


def test_the_page_speaks_thai(visitor_says: Callable[..., Any], make_agent: Callable[..., Any], team: Any,
                              index: Callable[[], Any]) -> None:
    thai_agent = make_agent(teams=[team], language="th")
    visitor_says("สีไม่ตรงปก")
    index()
    page = login(thai_agent).get("/search/", {"q": "สี"}).content.decode()
    assert 'lang="th"' in page
    messages = re.search(r'data-group="messages".*?</section>', page, re.S)
    assert messages and "ข้อความ ล่าสุดก่อน" in text_of(messages.group())  # "Messages newest first"
    assert "<h1>ค้นหา</h1>" in page


def test_private_notes_are_labelled_on_the_page(conversation: Any, agent: Any, index: Callable[[], Any]) -> None:
    from ruamchat.inbox.actions import add_note

    add_note(conversation=conversation, actor=agent, text="ลูกค้าขอเคลมประกัน")
    index()
    page = login(agent).get("/search/", {"q": "เคลม"}).content.decode()
    messages = re.search(r'data-group="messages".*?</section>', page, re.S)
    assert messages and "Private note" in text_of(messages.group())


def test_signed_out_visitors_are_sent_to_sign_in(db: None) -> None:
    response = Client().get("/search/", {"q": "สี"})
    assert response.status_code == 302 and "/login/" in response["Location"]
    response = Client().get("/search/results/", {"q": "สี"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "HX-Redirect" in response
