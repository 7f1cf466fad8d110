from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.utils import timezone

from ruamchat.accounts.models import AgentProfile, ApiToken, Team

AnyUser = User | AnonymousUser


def profile_for(user: AnyUser) -> AgentProfile:
    """The user's agent profile; a Django superuser without one acts as an administrator."""
    if isinstance(user, User):
        try:
            return user.agent
        except AgentProfile.DoesNotExist:
            role = AgentProfile.Role.ADMIN if user.is_superuser else AgentProfile.Role.AGENT
            return AgentProfile(user=user, role=role)
    return AgentProfile(role=AgentProfile.Role.AGENT)


def team_ids_of(user: AnyUser) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(Team.objects.filter(members__user_id=user.pk).values_list("id", flat=True))


def visible_team_ids(user: AnyUser) -> set[int]:
    """The teams whose conversations an agent sees: their own and those opened to all, in one query."""
    if not user.is_authenticated:
        return set()
    return set(
        Team.objects.filter(Q(members__user_id=user.pk) | Q(open_to_all=True)).values_list("id", flat=True)
    )


def teams_for(user: AnyUser) -> QuerySet[Team]:
    if not user.is_authenticated:
        return Team.objects.none()
    return Team.objects.filter(members__user_id=user.pk).order_by("name")


def open_team_ids() -> set[int]:
    return set(Team.objects.filter(open_to_all=True).values_list("id", flat=True))


def agents() -> QuerySet[AgentProfile]:
    return AgentProfile.objects.select_related("user").prefetch_related("teams").filter(user__is_active=True)


# ---------------------------------------------------------------- for the REST API


def active_api_token(raw: str) -> ApiToken | None:
    """The unrevoked token of an active user whose digest matches ``raw``."""
    if not raw:
        return None
    return (
        ApiToken.objects.select_related("user")
        .filter(digest=ApiToken.digest_of(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )


def all_teams() -> QuerySet[Team]:
    return Team.objects.order_by("name")


def get_team(team_id: int) -> Team | None:
    return Team.objects.filter(pk=team_id).first()


def get_agent(user_id: int) -> AgentProfile | None:
    """An agent by the id of their login (the id the API and conversations use for agents)."""
    return (
        AgentProfile.objects.select_related("user").prefetch_related("teams").filter(user_id=user_id).first()
    )


# ---------------------------------------------------------------- for the agent web UI


def agent_names(user_ids: set[int]) -> dict[int, str]:
    """Display names of agents by their login id, in one query (deactivated agents included)."""
    ids = {i for i in user_ids if i}
    if not ids:
        return {}
    return {p.user_id: p.name for p in AgentProfile.objects.select_related("user").filter(user_id__in=ids)}


#: an agent counts as online while their browser's heartbeat is younger than this
ONLINE_WITHIN = timedelta(seconds=90)


def online_agents() -> QuerySet[AgentProfile]:
    """Agents connected now (a heartbeat within ONLINE_WITHIN)."""
    return AgentProfile.objects.filter(
        presence=AgentProfile.Presence.ONLINE, last_seen_at__gte=timezone.now() - ONLINE_WITHIN,
        user__is_active=True,
    )
