from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from ruamchat.accounts.models import AgentProfile, Team

AnyUser = AbstractBaseUser | AnonymousUser


def profile_for(user: AnyUser) -> AgentProfile:
    """The user's agent profile; a Django superuser without one acts as an administrator."""
    try:
        return user.agent  # type: ignore[union-attr]
    except (AgentProfile.DoesNotExist, AttributeError):
        role = AgentProfile.Role.ADMIN if getattr(user, "is_superuser", False) else AgentProfile.Role.AGENT
        return AgentProfile(user=user if user.is_authenticated else None, role=role)  # type: ignore[misc]


def team_ids_of(user: AnyUser) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(Team.objects.filter(members__user=user).values_list("id", flat=True))


def teams_for(user: AnyUser) -> QuerySet[Team]:
    return Team.objects.filter(members__user=user).order_by("name")


def open_team_ids() -> set[int]:
    return set(Team.objects.filter(open_to_all=True).values_list("id", flat=True))


def agents() -> QuerySet[AgentProfile]:
    return AgentProfile.objects.select_related("user").prefetch_related("teams").filter(user__is_active=True)
