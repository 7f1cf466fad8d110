"""The UI's own assets are served by the app (no CDN)."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/static/ruamchat/app.css", "/static/ruamchat/app.js",
                                  "/static/django_htmx/htmx-2.min.js"])
def test_asset_is_served(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
    assert len(body) > 1000
