"""What agents see: the order panel beside a conversation (numbers the customer wrote, looked up) and the
order number an agent types, against the local shop API."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ruamchat.inbox.models import Conversation, Message
from tests.orders.shop import Shop
from tests.pages import element_text, login, text_of

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _panel(client: Client, conversation: Any, **headers: str) -> str:
    response = client.get(f"/orders/panel?conversation={conversation.pk}", headers=headers or HTMX)
    assert response.status_code == 200
    return response.content.decode()


def _card(page: str, number: str) -> str:
    match = re.search(rf'<article class="order-card[^"]*" data-number="{re.escape(number)}"[^>]*>(.*?)</article>',
                      page, re.S)
    assert match, f"no card for {number}"
    return text_of(match.group(1))


def test_the_panel_shows_the_order_the_customer_asked_about(agent: Any, conversation: Any, visitor_says: Any,
                                                            source: Any) -> None:
    visitor_says("เช็คออเดอร์ CS-10023 ให้หน่อยค่ะ")
    page = _panel(login(agent), conversation)
    card = _card(page, "CS-10023")
    assert "Shipped" in card
    assert "2 × เสื้อยืดคอกลม 199.00" in card and "1 × กางเกงยีนส์ขากระบอก 590.00" in card
    assert "TH12345678901 · Kerry Express" in card
    assert "Total 1,028.00" in card
    assert "Ordered 20 Nov." in card and "10:15 Shipped 21 Nov." in card  # 03:15 UTC, shown in Bangkok time
    assert 'datetime="2026-11-20T10:15:00+07:00" title="20 Nov. 2026 10:15:00"' in page
    assert "<html" not in page  # a fragment for htmx to swap in


def test_without_the_secret_header_the_panel_says_the_shop_refused(agent: Any, conversation: Any,
                                                                   visitor_says: Any,
                                                                   make_source: Callable[..., Any]) -> None:
    make_source(secret="")
    visitor_says("CS-10023 ค่ะ")
    card = _card(_panel(login(agent), conversation), "CS-10023")
    assert "The order system refused the request (status 401)" in card
    assert "secret header may be missing or wrong" in card


def test_a_slow_shop_is_shown_as_a_timeout_without_holding_the_panel_up(agent: Any, conversation: Any,
                                                                        visitor_says: Any, source: Any) -> None:
    visitor_says("ออเดอร์ CS-70001, CS-70002 และ CS-70003 ค่ะ")
    started = time.monotonic()
    page = _panel(login(agent), conversation)
    elapsed = time.monotonic() - started
    for number in ("CS-70001", "CS-70002", "CS-70003"):
        assert _card(page, number).endswith("The order system did not answer within 1 second.")
    assert elapsed < 2.5, elapsed  # looked up side by side: one by one would take at least 3 s


def test_each_failure_reads_plainly_in_the_panel(agent: Any, conversation: Any, visitor_says: Any,
                                                 source: Any) -> None:
    visitor_says("CS-40400 CS-50000")
    visitor_says("CS-60000 CS-80000")
    page = _panel(login(agent), conversation)
    assert _card(page, "CS-40400").endswith("There is no order CS-40400 in ChuanShop API.")
    assert "answered with an error (status 500)" in _card(page, "CS-50000")
    assert "could not be read: it is not JSON" in _card(page, "CS-60000")
    assert "closed the connection without answering" in _card(page, "CS-80000")


def test_opening_the_panel_again_uses_the_remembered_answers(agent: Any, conversation: Any, visitor_says: Any,
                                                             source: Any, shop: Shop) -> None:
    visitor_says("CS-10023 กับ CS-40400 ค่ะ")
    client = login(agent)
    first = _panel(client, conversation)
    again = _panel(client, conversation)
    assert "answer from the last few minutes" not in _card(first, "CS-10023")
    assert "answer from the last few minutes" in _card(again, "CS-10023")
    assert shop.asked("CS-10023") == 1 and shop.asked("CS-40400") == 1


def test_only_the_newest_five_numbers_are_looked_up_and_agents_own_words_are_not(
        agent: Any, conversation: Any, visitor_says: Any, source: Any, shop: Shop) -> None:
    for number in range(10001, 10008):
        visitor_says(f"ออเดอร์ CS-{number} ค่ะ")
    Message.objects.create(conversation=conversation, channel=conversation.channel, direction="out",
                           sender_type="agent", sender_user=agent, text="ลองเช็ค CS-19999 ให้นะคะ")
    page = _panel(login(agent), conversation)
    shown = re.findall(r'data-number="([^"]+)"', page)
    assert shown == ["CS-10007", "CS-10006", "CS-10005", "CS-10004", "CS-10003"]
    assert shop.asked("CS-10001") == 0 and shop.asked("CS-10002") == 0 and shop.asked("CS-19999") == 0
    assert "Only the 5 newest order numbers are looked up." in text_of(page)


def test_numbers_from_the_contacts_other_conversations_are_shown_with_a_link(
        agent: Any, team: Any, conversation: Any, source: Any) -> None:
    earlier = Conversation.objects.create(channel=conversation.channel, contact=conversation.contact, team=team,
                                          status="resolved")
    Message.objects.create(conversation=earlier, channel=earlier.channel, direction="in", sender_type="contact",
                           text="ได้ของ CS-12345 แล้วแต่ไซส์ผิดค่ะ")
    page = _panel(login(agent), conversation)
    card = _card(page, "CS-12345")
    assert f"in conversation #{earlier.pk}" in card and "Shipped" in card
    assert f'href="/inbox/c/{earlier.pk}/"' in page


def test_an_agent_who_cannot_see_the_conversation_gets_404(make_agent: Any, support_team: Any,
                                                           conversation: Any, visitor_says: Any,
                                                           source: Any, shop: Shop) -> None:
    visitor_says("CS-10023")
    outsider = login(make_agent(teams=[support_team]))
    assert outsider.get(f"/orders/panel?conversation={conversation.pk}").status_code == 404
    assert outsider.get(f"/orders/lookup?conversation={conversation.pk}&number=CS-10023").status_code == 404
    assert outsider.get(f"/orders/panel?contact={conversation.contact_id}").status_code == 404
    assert outsider.get("/orders/panel?conversation=999999").status_code == 404
    assert shop.asked("CS-10023") == 0


def test_signed_out_visitors_are_sent_to_the_login_page(client: Client, conversation: Any) -> None:
    response = client.get(f"/orders/panel?conversation={conversation.pk}")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_contact_page_panel_reads_every_conversation_the_agent_can_see(agent: Any, conversation: Any,
                                                                          visitor_says: Any, source: Any) -> None:
    visitor_says("CS-10023")
    response = login(agent).get(f"/orders/panel?contact={conversation.contact_id}", headers=HTMX)
    assert response.status_code == 200 and "Kerry Express" in _card(response.content.decode(), "CS-10023")


def test_an_agent_types_a_number_and_htmx_swaps_in_the_result(agent: Any, conversation: Any,
                                                              source: Any) -> None:
    client = login(agent)
    response = client.get(f"/orders/lookup?conversation={conversation.pk}&number=CS-๑๐๐๒๓", headers=HTMX)
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="orders-typed-result"')
    assert "Kerry Express" in _card(fragment, "CS-10023")
    empty = client.get(f"/orders/lookup?conversation={conversation.pk}&number=+", headers=HTMX)
    assert empty.status_code == 422 and "Type an order number." in element_text(empty.content.decode(),
                                                                                 "orders-typed-error")


def test_without_javascript_the_lookup_form_gives_a_whole_page(agent: Any, conversation: Any,
                                                                source: Any) -> None:
    client = login(agent)
    panel = client.get(f"/orders/panel?conversation={conversation.pk}").content.decode()
    assert "<html" in panel and 'action="/orders/lookup"' in panel and 'name="conversation"' in panel
    page = client.get(f"/orders/lookup?conversation={conversation.pk}&number=CS-40400").content.decode()
    assert "<html" in page and 'id="orders-number"' in page  # the form again, to look up another
    assert "There is no order CS-40400 in ChuanShop API." in text_of(page)
    assert f'href="/inbox/c/{conversation.pk}/"' in page


def test_without_an_order_source_the_panel_says_how_to_set_one_up(agent: Any, conversation: Any) -> None:
    page = _panel(login(agent), conversation)
    assert "No order system is set up." in element_text(page, "orders-no-source")
