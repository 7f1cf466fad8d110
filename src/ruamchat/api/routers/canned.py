"""Canned responses: everyone reads the ones for their teams; supervisors and admins manage them."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router
from ninja.responses import Status as WithStatus

from ruamchat.api.common import caller, found, responses, team_by_id
from ruamchat.api.schemas import CannedIn, CannedOut, CannedPatch
from ruamchat.inbox import actions
from ruamchat.inbox.models import CannedResponse
from ruamchat.inbox.selectors import canned_responses_for, get_canned_response

router = Router(tags=["canned responses"])


def _canned(request: HttpRequest, canned_id: int) -> CannedResponse:
    return found(get_canned_response(caller(request), canned_id), _("Canned response not found."))


@router.get("/canned-responses", response=responses(list[CannedOut], errors=()), summary="List canned responses")
def list_canned(request: HttpRequest, prefix: str = "") -> list[CannedResponse]:
    return list(canned_responses_for(caller(request), prefix.strip().lstrip("/")))


@router.post("/canned-responses", response=responses(CannedOut, 201, errors=(400, 403)),
             summary="Create a canned response (supervisors, administrators)")
def create(request: HttpRequest, payload: CannedIn) -> WithStatus[CannedResponse]:
    team = team_by_id(payload.team_id) if payload.team_id is not None else None
    canned = actions.save_canned_response(
        actor=caller(request), shortcut=payload.shortcut, title=payload.title, text=payload.text, team=team,
    )
    return WithStatus(201, canned)


@router.patch("/canned-responses/{canned_id}", response=responses(CannedOut, errors=(400, 403, 404)),
              summary="Change a canned response (supervisors, administrators)")
def update(request: HttpRequest, canned_id: int, payload: CannedPatch) -> CannedResponse:
    canned = _canned(request, canned_id)
    given = payload.model_fields_set
    team = canned.team
    if "team_id" in given:
        team = team_by_id(payload.team_id) if payload.team_id is not None else None
    return actions.save_canned_response(
        actor=caller(request), canned=canned, team=team,
        shortcut=payload.shortcut if payload.shortcut is not None else canned.shortcut,
        title=payload.title if payload.title is not None else canned.title,
        text=payload.text if payload.text is not None else canned.text,
    )


@router.delete("/canned-responses/{canned_id}", response=responses(None, 204, errors=(403, 404)),
               summary="Delete a canned response (supervisors, administrators)")
def delete(request: HttpRequest, canned_id: int) -> WithStatus[None]:
    actions.delete_canned_response(actor=caller(request), canned=_canned(request, canned_id))
    return WithStatus(204, None)
