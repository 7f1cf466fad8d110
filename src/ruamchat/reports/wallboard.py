"""The live wallboard: for each team, right now, how many customers wait in its queue and for how long, who
is there to answer, and how many SLAs are at risk or already breached.

Two queries whatever the size of the data: one aggregate over the active conversations grouped by team (an
index-only scan of ``conv_team_queue2`` or ``conv_assignee_queue2`` on PostgreSQL: status, team, sla_state,
waiting_since and assignee are all in each) and one over the teams' members. The page reads it every time
something changes: at 1M conversations, 80k of them active, 35–55 ms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ruamchat.accounts.models import AgentProfile, Team
from ruamchat.accounts.selectors import ONLINE_WITHIN, profile_for
from ruamchat.inbox.models import Conversation
from ruamchat.inbox.selectors import ACTIVE_STATUSES
from ruamchat.sla.actions import AT_RISK, BREACHED

AnyUser = User | AnonymousUser
Status = Conversation.Status


@dataclass(frozen=True)
class TeamBoard:
    """One team's row of the wallboard (``team_id`` None: conversations that belong to no team)."""

    team_id: int | None
    name: str
    kind: str  # Team.Kind value, "" for no team
    #: open and nobody assigned: the team's unassigned queue in the inbox
    waiting: int
    #: open and with an agent
    assigned: int
    pending: int
    #: the earliest ``waiting_since`` among the team's open conversations (None: nobody waits)
    oldest_waiting_since: datetime | None
    #: active conversations (open, pending, snoozed) whose nearest SLA clock is at risk / breached
    at_risk: int
    breached: int
    #: members by presence (None for the no-team row: it has no members)
    agents_online: int | None
    agents_away: int | None
    agents_total: int | None
    as_of: datetime

    @property
    def kind_label(self) -> str:
        return str(Team.Kind(self.kind).label) if self.kind in Team.Kind.values else ""

    @property
    def oldest_waiting_seconds(self) -> int | None:
        if self.oldest_waiting_since is None:
            return None
        return max(0, int((self.as_of - self.oldest_waiting_since).total_seconds()))

    @property
    def oldest_waiting_clock(self) -> str:
        """The age as a clock, "4:05" or "1:02:03" (hours go past 24: a TV shows one number, not a sentence)."""
        seconds = self.oldest_waiting_seconds
        return "" if seconds is None else format_age(seconds)


def format_age(seconds: int) -> str:
    """Also done by wallboard.js every second: keep both the same."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def check_can_see(user: AnyUser) -> None:
    if not user.is_authenticated or not profile_for(user).sees_everything:
        raise PermissionDenied(_("Only supervisors and administrators can see the wallboard."))


def snapshot(user: AnyUser, now: datetime | None = None) -> list[TeamBoard]:
    """Every team (by name), then a "no team" row when conversations without a team are active."""
    check_can_see(user)
    now = now or timezone.now()
    open_ = Q(status=Status.OPEN)
    per_team = {
        row["team_id"]: row
        for row in Conversation.objects.filter(status__in=ACTIVE_STATUSES).order_by().values("team_id").annotate(
            waiting=Count("pk", filter=open_ & Q(assignee__isnull=True)),
            assigned=Count("pk", filter=open_ & Q(assignee__isnull=False)),
            pending=Count("pk", filter=Q(status=Status.PENDING)),
            oldest=Min("waiting_since", filter=open_),
            at_risk=Count("pk", filter=Q(sla_state=AT_RISK)),
            breached=Count("pk", filter=Q(sla_state=BREACHED)),
        )
    }
    # counted as the router counts them (accounts.selectors.online_agents): online with a fresh heartbeat
    member = Q(members__user__is_active=True)
    teams = Team.objects.order_by("name").annotate(
        agents_total=Count("members", filter=member, distinct=True),
        agents_online=Count("members", distinct=True, filter=member & Q(
            members__presence=AgentProfile.Presence.ONLINE, members__last_seen_at__gte=now - ONLINE_WITHIN)),
        agents_away=Count("members", filter=member & Q(members__presence=AgentProfile.Presence.AWAY), distinct=True),
    )
    boards = [
        _board(team.pk, team.name, team.kind, per_team.get(team.pk), now,
               (team.agents_online, team.agents_away, team.agents_total))
        for team in teams
    ]
    if per_team.get(None):
        boards.append(_board(None, _("No team"), "", per_team[None], now, (None, None, None)))
    return boards


def _board(team_id: int | None, name: str, kind: str, row: dict[str, Any] | None, now: datetime,
           agents: tuple[int | None, int | None, int | None]) -> TeamBoard:
    row = row or {}
    return TeamBoard(
        team_id=team_id, name=name, kind=kind,
        waiting=row.get("waiting", 0), assigned=row.get("assigned", 0), pending=row.get("pending", 0),
        oldest_waiting_since=row.get("oldest"), at_risk=row.get("at_risk", 0), breached=row.get("breached", 0),
        agents_online=agents[0], agents_away=agents[1], agents_total=agents[2], as_of=now,
    )
