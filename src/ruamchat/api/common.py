"""Small helpers the routers share: the caller, pages, and ids that must exist."""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _

from ruamchat.accounts.models import Team
from ruamchat.accounts.selectors import get_agent, get_team
from ruamchat.api.schemas import ErrorOut, ValidationErrorOut

M = TypeVar("M", bound=Model)



def responses(schema: Any, status: int = 200, *, errors: tuple[int, ...] = (403, 404)) -> dict[int, Any]:
    """The response map of an operation: its result, 401 always, and the errors it can give."""
    result: dict[int, Any] = {status: schema, 401: ErrorOut}
    for code in errors:
        result[code] = ValidationErrorOut if code == 400 else ErrorOut
    return result


def caller(request: HttpRequest) -> User:
    """The authenticated user (set by BearerTokenAuth or SessionCsrfAuth)."""
    return request.auth  # type: ignore[attr-defined]


def page(qs: QuerySet[M], *, limit: int, offset: int) -> dict[str, Any]:
    count = qs.count()
    items = list(qs[offset : offset + limit])
    return {
        "items": items,
        "count": count,
        "limit": limit,
        "offset": offset,
        "next_offset": offset + limit if offset + limit < count else None,
    }


def found(obj: M | None, message: str) -> M:
    """The object, or a 404 that does not say whether it exists for someone else."""
    if obj is None:
        raise Http404(message)
    return obj


def team_by_id(team_id: int, field: str = "team_id") -> Team:
    team = get_team(team_id)
    if team is None:
        raise ValidationError({field: _("There is no team with the id %(id)s.") % {"id": team_id}})
    return team


def teams_by_ids(team_ids: list[int], field: str = "team_ids") -> list[Team]:
    return [team_by_id(team_id, field) for team_id in dict.fromkeys(team_ids)]


def agent_user_by_id(user_id: int, field: str = "agent_id") -> User:
    profile = get_agent(user_id)
    if profile is None or not profile.user.is_active:
        raise ValidationError({field: _("There is no active agent with the id %(id)s.") % {"id": user_id}})
    return profile.user
