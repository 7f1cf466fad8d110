"""The queue column: who sees which conversations, filters, and what a row shows."""

from __future__ import annotations

from typing import Any

from django.test import Client

from ruamchat.inbox import actions

from .conftest import HTMX


def test_unassigned_queue_lists_the_new_conversation_with_waiting_time(agent_client: Client, conversation: Any) -> None:
    html = agent_client.get("/inbox/?queue=unassigned").content.decode()
    assert f'data-conversation-id="{conversation.pk}"' in html
    assert "สวัสดีค่ะ สั่งของไปเมื่อวานยังไม่ได้รับเลย" in html
    assert "Waiting under a minute" in html
    assert 'id="queue-list"' in html


def test_agent_of_another_team_sees_it_nowhere_and_gets_404(client: Client, conversation: Any, outsider: Any) -> None:
    client.force_login(outsider)
    for queue in ("mine", "unassigned", "all", f"team:{conversation.team_id}"):
        for status in ("open", "any"):
            html = client.get(f"/inbox/list?queue={queue}&status={status}").content.decode()
            assert f'data-conversation-id="{conversation.pk}"' not in html
    assert client.get(f"/inbox/c/{conversation.pk}/").status_code == 404
    assert client.get(f"/inbox/c/{conversation.pk}/messages?after=0").status_code == 404
    assert client.get(f"/inbox/c/{conversation.pk}/state").status_code == 404
    response = client.post(f"/inbox/c/{conversation.pk}/reply", {"text": "hello"})
    assert response.status_code == 404
    assert conversation.messages.count() == 1


def test_supervisor_has_an_all_queue_with_counts(client: Client, supervisor: Any, conversation: Any) -> None:
    client.force_login(supervisor)
    html = client.get("/inbox/?queue=all").content.decode()
    assert "?queue=all" in html
    assert f'data-conversation-id="{conversation.pk}"' in html


def test_my_team_queue_and_count(agent_client: Client, conversation: Any, team: Any) -> None:
    html = agent_client.get(f"/inbox/?queue=team:{team.pk}").content.decode()
    assert team.name in html
    assert f'data-conversation-id="{conversation.pk}"' in html


def test_status_filter(agent_client: Client, agent: Any, conversation: Any) -> None:
    actions.change_status(conversation=conversation, actor=agent, status="resolved")
    open_list = agent_client.get("/inbox/list?queue=unassigned").content.decode()
    assert f'data-conversation-id="{conversation.pk}"' not in open_list
    resolved = agent_client.get("/inbox/list?queue=unassigned&status=resolved").content.decode()
    assert f'data-conversation-id="{conversation.pk}"' in resolved


def test_list_is_ordered_by_priority_then_waiting_time(agent_client: Client, agent: Any, visitor_says: Any) -> None:
    first = visitor_says("first", visitor="visitor-token-1111111111111111").conversation
    second = visitor_says("second", visitor="visitor-token-2222222222222222").conversation
    actions.change_priority(conversation=second, actor=agent, priority=0)
    html = agent_client.get("/inbox/list?queue=unassigned").content.decode()
    assert html.index(f'data-conversation-id="{second.pk}"') < html.index(f'data-conversation-id="{first.pk}"')
    assert "Urgent" in html


def test_search_and_tag_filters(agent_client: Client, agent: Any, visitor_says: Any) -> None:
    refund = visitor_says("refund please", visitor="visitor-token-1111111111111111").conversation
    other = visitor_says("hello", visitor="visitor-token-2222222222222222").conversation
    actions.tag(conversation=refund, actor=agent, name="คืนเงิน")
    html = agent_client.get("/inbox/list?queue=unassigned&tag=คืนเงิน").content.decode()
    assert f'data-conversation-id="{refund.pk}"' in html
    assert f'data-conversation-id="{other.pk}"' not in html
    html = agent_client.get(f"/inbox/list?queue=unassigned&q=%23{other.pk}").content.decode()
    assert f'data-conversation-id="{other.pk}"' in html
    assert f'data-conversation-id="{refund.pk}"' not in html


def test_bad_filter_values_fall_back_to_defaults(agent_client: Client, conversation: Any) -> None:
    response = agent_client.get("/inbox/list?queue=unassigned&status=bogus&priority=x&channel=999")
    assert response.status_code == 200
    assert f'data-conversation-id="{conversation.pk}"' in response.content.decode()


def test_htmx_list_refresh_carries_the_counts_out_of_band(agent_client: Client, conversation: Any) -> None:
    response = agent_client.get("/inbox/list?queue=unassigned&push=1", **HTMX)
    html = response.content.decode()
    assert 'id="queue-nav"' in html and 'hx-swap-oob="true"' in html
    assert response["HX-Push-Url"].startswith("/inbox/?")


def test_user_text_is_escaped_in_the_list_and_the_conversation(agent_client: Client, agent: Any,
                                                               visitor_says: Any) -> None:
    from ruamchat.connectors.website.actions import identify_visitor

    token = "visitor-token-xss-aaaaaaaaaaaaa"
    conversation = visitor_says('<script>alert("x")</script><img src=x onerror=alert(1)>', visitor=token).conversation
    identify_visitor(channel=conversation.channel, visitor_token=token, name="<b onmouseover=alert(2)>Mallory</b>")
    actions.tag(conversation=conversation, actor=agent, name="<script>t</script>")
    for url in ("/inbox/?queue=unassigned", f"/inbox/c/{conversation.pk}/"):
        html = agent_client.get(url).content.decode()
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert "<b onmouseover" not in html
        assert "<script>t</script>" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    html = agent_client.get(f"/inbox/c/{conversation.pk}/").content.decode()
    assert "&lt;b onmouseover=alert(2)&gt;Mallory&lt;/b&gt;" in html


def test_a_long_queue_is_paged_and_every_conversation_is_reachable(
    agent_client: Client, visitor_says: Any
) -> None:
    import re

    created = {visitor_says(f"ลูกค้าคนที่ {n}", visitor=f"visitor-page-{n:04d}-aaaaaaaaaaaa").conversation_id
               for n in range(30)}
    first = agent_client.get("/inbox/?queue=unassigned").content.decode()
    shown = set(map(int, re.findall(r'data-conversation-id="(\d+)"', first)))
    assert len(shown) == 25 and 'rel="next"' in first and 'rel="prev"' not in first
    second = agent_client.get("/inbox/?queue=unassigned&page=2").content.decode()
    rest = set(map(int, re.findall(r'data-conversation-id="(\d+)"', second)))
    assert len(rest) == 5 and 'rel="prev"' in second and 'rel="next"' not in second
    assert shown | rest == created and not shown & rest
    # the queue tabs start a queue from its first page again
    assert "page=2" not in re.search(r'<nav[^>]*queue[^>]*>.*?</nav>', second, re.S).group(0)  # type: ignore[union-attr]
