from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from ruamchat.accounts.selectors import profile_for


def ruamchat(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    profile = profile_for(user) if user is not None and user.is_authenticated else None
    return {"agent_profile": profile}
