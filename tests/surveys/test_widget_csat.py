"""What the website widget learns of a CSAT question: enough to show it as stars (its kind and scale, the step
of the follow-up), never the invitation or its personal link."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ruamchat.connectors.website.actions import receive_visitor_message
from ruamchat.connectors.website.connector import serialize_for_visitor
from ruamchat.inbox.models import Message
from tests.surveys.conftest import invitation_of


@pytest.mark.django_db
def test_the_csat_question_reaches_the_widget_with_its_kind_and_scale_only(
    conversation: Any, agent: Any, website: Any, csat_on: Callable[..., Any], answer_and_resolve: Callable[..., Any],
    run_jobs: Callable[[], int],
) -> None:
    csat_on(website)
    answer_and_resolve(conversation, agent)
    invitation = invitation_of(conversation)
    assert invitation.status == "sent"

    shown = serialize_for_visitor(invitation.message)
    assert shown["survey"] == {"kind": "csat", "scale": [1, 5]}  # no invitation id, nothing else
    assert [reply["data"] for reply in shown["quick_replies"]] == [
        f"survey:{invitation.pk}:{score}" for score in (5, 4, 3, 2, 1)]
    assert invitation.token not in json.dumps(shown, ensure_ascii=False)
    assert "metadata" not in shown

    # the visitor presses 4: the follow-up question says which step it is, still without the invitation
    receive_visitor_message(channel=website, visitor_token="visitor-token-aaaaaaaaaaaaaaaa",
                            client_id="star-press-0004", text="4", postback=f"survey:{invitation.pk}:4")
    run_jobs()
    followup = Message.objects.filter(conversation=conversation, metadata__survey__step="followup").get()
    shown = serialize_for_visitor(followup)
    assert shown["survey"] == {"kind": "csat", "step": "followup"}
    assert [reply["data"] for reply in shown["quick_replies"]] == [f"survey:{invitation.pk}:skip"]


@pytest.mark.django_db
def test_survey_details_are_cleaned_before_the_browser_sees_them(conversation: Any) -> None:
    def shown(survey: Any) -> Any:
        message = Message.objects.create(
            conversation=conversation, channel_id=conversation.channel_id, direction=Message.Direction.OUTGOING,
            sender_type=Message.Sender.SYSTEM, status=Message.Status.SENT, text="คุณพอใจไหมคะ",
            metadata={"survey": survey})
        return serialize_for_visitor(message).get("survey")

    assert shown({"invitation": 7, "kind": "csat", "scale": [1, 5], "token": "secret", "step": "followup",
                  "contact": 3}) == {"kind": "csat", "scale": [1, 5], "step": "followup"}
    assert shown({"kind": "nps", "scale": [0, 10]}) == {"kind": "nps", "scale": [0, 10]}
    assert shown({"kind": "csat", "scale": ["1", "5"], "step": "<script>"}) == {"kind": "csat"}
    assert shown({"kind": "csat", "scale": [5, 1]}) == {"kind": "csat"}
    assert shown({"kind": "csat", "scale": [True, 5]}) == {"kind": "csat"}
    assert shown({"kind": "csat", "scale": [1, 5, 7]}) == {"kind": "csat"}
    assert shown({"kind": "poll"}) is None
    assert shown("csat") is None


@pytest.mark.django_db
def test_the_widget_gets_its_star_labels_in_the_visitors_language(website: Any) -> None:
    def strings(lang: str) -> dict[str, str]:
        page = Client().get(f"/widget/{website.key}/frame?lang={lang}")
        assert page.status_code == 200
        marker = '<script id="rc-config" type="application/json">'
        body = page.content.decode()
        config = json.loads(body.split(marker, 1)[1].split("</script>", 1)[0])
        return dict(config["strings"])

    english = strings("en")
    assert english["starOf"] == "%(score)s of %(max)s stars"
    assert english["rateStars"] == "Rate us from 1 to 5 stars"
    thai = strings("th")
    assert "%(score)s" in thai["starOf"] and "%(max)s" in thai["starOf"]  # the widget fills them in
