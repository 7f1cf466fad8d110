from __future__ import annotations

from typing import Any

import pytest

from ruamchat.connectors.models import Channel
from ruamchat.contacts.models import Contact, Identity


@pytest.fixture
def line(team: Any) -> Channel:
    return Channel.objects.create(kind="line", name="LINE @chuanshop", default_team=team)


@pytest.fixture
def messenger(team: Any) -> Channel:
    return Channel.objects.create(kind="messenger", name="Facebook ชวนช้อป", default_team=team)


@pytest.fixture
def mailbox(team: Any) -> Channel:
    return Channel.objects.create(kind="email", name="support@chuanshop.example", default_team=team)


def person(channel: Channel, external_id: str, *, name: str = "", email: str = "", phone: str = "") -> Contact:
    """A contact with one account on ``channel``, as the channel's first message leaves it."""
    from ruamchat.contacts.phones import phone_key

    contact = Contact.objects.create(name=name, email=email, phone=phone, phone_key=phone_key(phone))
    Identity.objects.create(contact=contact, channel=channel, external_id=external_id, display_name=name)
    return contact
