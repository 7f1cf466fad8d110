"""Writes for order sources: saving one from the admin (the secret header encrypted), and the demo's sample."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from ruamchat.orders import sample
from ruamchat.orders.models import OrderSource


def save_source(*, actor: User | None, source: OrderSource, secret: str = "",
                clear_secret: bool = False) -> OrderSource:
    """Validate and save ``source``. A new ``secret`` replaces the stored header value; a blank one keeps it,
    unless ``clear_secret``. Saving changes updated_at, so answers remembered from before are not used again."""
    if clear_secret:
        source.set_secret("")
    elif secret:
        source.set_secret(secret)
    source.full_clean()
    source.save()
    return source


@transaction.atomic
def ensure_sample_source() -> OrderSource:
    """The built-in sample source of the demo (orders CS-10001 … CS-10999), created once; an existing one is
    left as the administrator set it."""
    existing = OrderSource.objects.select_for_update().filter(kind=OrderSource.Kind.SAMPLE).order_by("id").first()
    if existing is not None:
        return existing
    return OrderSource.objects.create(
        name=_("ChuanShop sample orders"), kind=OrderSource.Kind.SAMPLE, active=True,
        number_pattern=sample.PATTERN, uppercase_numbers=True, mapping=dict(sample.SAMPLE_MAPPING),
        timeout_seconds=5, cache_seconds=120,
    )
