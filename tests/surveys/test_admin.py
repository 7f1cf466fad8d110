"""Surveys in the admin pages: saves go through the actions, with their checks shown on the form."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from ruamchat.surveys.models import Campaign, Survey, Topic

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client, admin_user: Any) -> Client:
    client.force_login(admin_user)
    return client


def _campaign_form(survey: Survey, **fields: Any) -> dict[str, Any]:
    return {"name": "ไตรมาส 4", "survey": survey.pk, "per_minute": "60", "reminder_days": "3",
            "attribute_name": "", "attribute_value": "", **fields}


def test_a_csat_campaign_or_one_with_nothing_to_send_from_is_refused_on_the_form(
    admin_client: Client, website: Any,
) -> None:
    with translation.override("en"):
        page = admin_client.post("/django-admin/surveys/campaign/add/",
                                 _campaign_form(Survey.objects.get(kind="csat")))
    assert page.status_code == 200  # the form again, with the reasons
    text = page.content.decode()
    assert "campaigns send NPS or CES surveys" in text and "Choose a LINE account, a mailbox" in text
    assert not Campaign.objects.exists()


def test_a_started_campaign_is_read_only(admin_client: Client, admin_user: Any, line_channel_for_admin: Any) -> None:
    from ruamchat.surveys.actions import start_campaign

    page = admin_client.post("/django-admin/surveys/campaign/add/",
                             _campaign_form(Survey.objects.get(kind="nps"), line_channel=line_channel_for_admin.pk))
    assert page.status_code == 302
    campaign = Campaign.objects.get()
    assert campaign.created_by == admin_user and campaign.status == "draft"
    start_campaign(campaign=campaign, actor=admin_user)
    changed = admin_client.post(f"/django-admin/surveys/campaign/{campaign.pk}/change/",
                                _campaign_form(Survey.objects.get(kind="nps"), name="changed"))
    assert changed.status_code == 403
    assert admin_client.get(f"/django-admin/surveys/campaign/{campaign.pk}/change/").status_code == 200  # view
    campaign.refresh_from_db()
    assert campaign.name == "ไตรมาส 4"


def test_topic_keywords_are_kept_one_per_line_without_repeats(admin_client: Client) -> None:
    page = admin_client.post("/django-admin/surveys/topic/add/", {
        "key": "packing", "name_th": "การแพ็ค", "name_en": "Packing", "active": "on",
        "keywords": "กล่องบุบ, แพ็คดี\nbox\n\nBox\nกล่องบุบ"})
    assert page.status_code == 302
    assert Topic.objects.get(key="packing").keywords == "กล่องบุบ\nแพ็คดี\nbox"


@pytest.fixture
def line_channel_for_admin(team: Any) -> Any:
    from ruamchat.connectors.actions import create_channel

    return create_channel(actor=None, kind="line", name="LINE", default_team=team, config={},
                          secrets={"channel_secret": "s", "access_token": "t"})
