"""Reads for channels."""

from __future__ import annotations

from django.db.models import QuerySet

from ruamchat.connectors.models import Channel


def all_channels() -> QuerySet[Channel]:
    return Channel.objects.select_related("default_team").order_by("name", "id")


def get_channel(channel_id: int) -> Channel | None:
    return all_channels().filter(pk=channel_id).first()
