"""Who a campaign reaches: each segment condition alone and together, and the pace of its invitations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from ruamchat.connectors.actions import create_channel
from ruamchat.contacts.actions import identify
from ruamchat.contacts.models import Contact
from ruamchat.inbox.actions import tag
from ruamchat.inbox.models import Conversation
from ruamchat.surveys import actions, selectors
from ruamchat.surveys.models import Campaign, Invitation, Survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(website: Any, team: Any, support_team: Any, agent: Any,
           visitor_says: Callable[..., Any]) -> dict[str, Contact]:
    line = create_channel(actor=None, kind="line", name="LINE", default_team=team,
                          config={}, secrets={"channel_secret": "s", "access_token": "t"})
    web = visitor_says("สวัสดีค่ะ", visitor="visitor-token-web0000000000000").conversation
    tag(conversation=web, actor=agent, name="vip")
    support = visitor_says("เปิดไม่ติด", visitor="visitor-token-sup0000000000000").conversation
    Conversation.objects.filter(pk=support.pk).update(team=support_team)
    on_line = identify(channel=line, external_id="U" + "3" * 32, name="ไลน์").contact
    Contact.objects.filter(pk=on_line.pk).update(last_seen_at=timezone.now() - timedelta(days=40),
                                                 attributes={"tier": "gold"})
    return {"web": web.contact, "support": support.contact, "line": on_line, "line_channel": line}


def _campaign(**fields: Any) -> Campaign:
    tags = fields.pop("tags", [])
    channels = fields.pop("channels", [])
    campaign = Campaign.objects.create(survey=Survey.objects.get(kind="nps"), name="test", **fields)
    campaign.segment_tags.set(tags)
    campaign.segment_channels.set(channels)
    return campaign


def _who(campaign: Campaign) -> set[int]:
    return set(selectors.segment(campaign).values_list("pk", flat=True))


def test_each_condition(people: dict[str, Any], website: Any) -> None:
    from ruamchat.inbox.models import Tag

    web, support, line = people["web"].pk, people["support"].pk, people["line"].pk
    assert _who(_campaign()) == {web, support, line}
    assert _who(_campaign(channels=[people["line_channel"]])) == {line}
    assert _who(_campaign(channels=[website])) == {web, support}
    assert _who(_campaign(tags=[Tag.objects.get(name="vip")])) == {web}
    assert _who(_campaign(had_support_case=True)) == {support}
    assert _who(_campaign(attribute_name="tier", attribute_value="gold")) == {line}
    today = timezone.localdate()
    assert _who(_campaign(last_contact_before=today - timedelta(days=30))) == {line}
    assert _who(_campaign(last_contact_after=today - timedelta(days=7))) == {web, support}
    assert _who(_campaign(channels=[website], had_support_case=True)) == {support}
    assert _who(_campaign(last_contact_after=date(2000, 1, 1), last_contact_before=date(2000, 1, 2))) == set()


def test_an_attribute_name_that_is_not_a_plain_name_is_refused(people: dict[str, Any]) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        actions.check_campaign(_campaign(attribute_name="tier__contains", line_channel=people["line_channel"]))


def test_invitations_are_spaced_by_the_rate(people: dict[str, Any], supervisor: Any, website: Any,
                                            run_jobs: Callable[[], int]) -> None:
    campaign = _campaign(channels=[website], line_channel=people["line_channel"], per_minute=1)
    actions.start_campaign(campaign=campaign, actor=supervisor)
    actions.run_campaign(campaign_id=campaign.pk)
    times = sorted(Invitation.objects.filter(campaign=campaign).values_list("send_at", flat=True))
    assert len(times) == 2 and times[1] - times[0] == timedelta(minutes=1)
