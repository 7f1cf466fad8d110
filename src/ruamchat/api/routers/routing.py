"""Routing rules (administrators): ordered conditions → actions applied to every new conversation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.responses import Status as WithStatus

from ruamchat.accounts.actions import check_admin
from ruamchat.api.common import caller, found, responses
from ruamchat.routing import actions
from ruamchat.routing.models import RoutingRule
from ruamchat.routing.rules import ACTION_TYPES, CONDITION_FIELDS

router = Router(tags=["routing rules"])

_CONDITIONS = "; ".join(f"`{f}`: {', '.join(ops)}" for f, ops in CONDITION_FIELDS.items())


class RuleOut(Schema):
    id: int
    name: str
    position: int
    is_active: bool
    match_any: bool
    stop: bool
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]


class RuleIn(Schema):
    name: str = Field(max_length=120)
    position: int | None = Field(None, description="Lower runs first; default: after the last rule.")
    is_active: bool = True
    match_any: bool = Field(False, description="Any condition is enough (default: all must hold).")
    stop: bool = Field(False, description="When the rule applies, later rules are not looked at.")
    conditions: list[dict[str, Any]] = Field(
        [], description=f'Each `{{"field", "op", "value"}}`. Fields and tests: {_CONDITIONS}.')
    actions: list[dict[str, Any]] = Field(
        description=f'Each `{{"type", "value"}}`; types: {", ".join(ACTION_TYPES)} (team and agent by id).')


class RulePatch(Schema):
    name: str | None = Field(None, max_length=120)
    position: int | None = None
    is_active: bool | None = None
    match_any: bool | None = None
    stop: bool | None = None
    conditions: list[dict[str, Any]] | None = None
    actions: list[dict[str, Any]] | None = None


def _rule(request: HttpRequest, rule_id: int) -> RoutingRule:
    check_admin(caller(request))
    return found(RoutingRule.objects.filter(pk=rule_id).first(), _("Routing rule not found."))


@router.get("/routing-rules", response=responses(list[RuleOut], errors=(403,)), summary="List routing rules in order")
def list_rules(request: HttpRequest) -> list[RoutingRule]:
    check_admin(caller(request))
    return list(RoutingRule.objects.order_by("position", "id"))


@router.post("/routing-rules", response=responses(RuleOut, 201, errors=(400, 403)), summary="Add a routing rule")
def create(request: HttpRequest, payload: RuleIn) -> WithStatus[RoutingRule]:
    rule = actions.create_rule(actor=caller(request), **payload.model_dump())
    return WithStatus(201, rule)


@router.patch("/routing-rules/{rule_id}", response=responses(RuleOut, errors=(400, 403, 404)),
              summary="Change a routing rule")
def update(request: HttpRequest, rule_id: int, payload: RulePatch) -> RoutingRule:
    rule = _rule(request, rule_id)
    return actions.update_rule(actor=caller(request), rule=rule, **payload.model_dump(exclude_unset=True))


@router.delete("/routing-rules/{rule_id}", response=responses(None, 204, errors=(403, 404)),
               summary="Delete a routing rule")
def delete(request: HttpRequest, rule_id: int) -> WithStatus[None]:
    actions.delete_rule(actor=caller(request), rule=_rule(request, rule_id))
    return WithStatus(204, None)
