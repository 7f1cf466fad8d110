"""Teams and agents: everyone may list them (to transfer and assign); administrators change them."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.responses import Status as WithStatus

from ruamchat.accounts import actions
from ruamchat.accounts.models import AgentProfile, Team
from ruamchat.accounts.selectors import agents, all_teams, get_agent, get_team
from ruamchat.api.common import caller, found, responses, teams_by_ids
from ruamchat.api.schemas import AgentIn, AgentOut, AgentPatch, TeamIn, TeamOut, TeamPatch

router = Router()


@router.get("/teams", response=responses(list[TeamOut], errors=()), tags=["teams"], summary="List teams")
def list_teams(request: HttpRequest) -> list[Team]:
    return list(all_teams())


@router.post("/teams", response=responses(TeamOut, 201, errors=(400, 403)), tags=["teams"],
             summary="Create a team (administrators)")
def create_team(request: HttpRequest, payload: TeamIn) -> WithStatus[Team]:
    team = actions.create_team(
        actor=caller(request), name=payload.name, kind=payload.kind.value, open_to_all=payload.open_to_all,
        assignment=payload.assignment.value, release_on_offline=payload.release_on_offline,
    )
    return WithStatus(201, team)


@router.patch("/teams/{team_id}", response=responses(TeamOut, errors=(400, 403, 404)), tags=["teams"],
              summary="Change a team (administrators)")
def update_team(request: HttpRequest, team_id: int, payload: TeamPatch) -> Team:
    actions.check_admin(caller(request))
    team = found(get_team(team_id), _("Team not found."))
    return actions.update_team(
        actor=caller(request), team=team, name=payload.name,
        kind=payload.kind.value if payload.kind else None, open_to_all=payload.open_to_all,
        assignment=payload.assignment.value if payload.assignment else None,
        release_on_offline=payload.release_on_offline,
    )


@router.get("/agents", response=responses(list[AgentOut], errors=()), tags=["agents"],
            summary="List active agents")
def list_agents(request: HttpRequest) -> list[AgentProfile]:
    return list(agents().order_by("display_name", "user__username"))


@router.post("/agents", response=responses(AgentOut, 201, errors=(400, 403)), tags=["agents"],
             summary="Create an agent and their login (administrators)")
def create_agent(request: HttpRequest, payload: AgentIn) -> WithStatus[AgentProfile]:
    actions.check_admin(caller(request))  # before looking at the teams, so non-admins learn nothing
    profile = actions.create_agent(
        actor=caller(request), username=payload.username.strip(), password=payload.password,
        display_name=payload.display_name, email=payload.email.strip(), role=payload.role.value,
        teams=teams_by_ids(payload.team_ids), language=payload.language, capacity=payload.capacity,
    )
    return WithStatus(201, found(get_agent(profile.user_id), _("Agent not found.")))


@router.patch("/agents/{agent_id}", response=responses(AgentOut, errors=(400, 403, 404)), tags=["agents"],
              summary="Change an agent (administrators)")
def update_agent(request: HttpRequest, agent_id: int, payload: AgentPatch) -> AgentProfile:
    actions.check_admin(caller(request))
    profile = found(get_agent(agent_id), _("Agent not found."))
    actions.update_agent(
        actor=caller(request), profile=profile, display_name=payload.display_name,
        role=payload.role.value if payload.role else None,
        teams=teams_by_ids(payload.team_ids) if payload.team_ids is not None else None,
        capacity=payload.capacity, language=payload.language,
    )
    return found(get_agent(agent_id), _("Agent not found."))
