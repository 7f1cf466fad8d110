"""Writes for teams, agents and API tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from ruamchat.accounts.models import AgentProfile, ApiToken, Team
from ruamchat.accounts.selectors import profile_for
from ruamchat.realtime import events as rt


def check_admin(actor: User | None) -> None:
    if actor is not None and not profile_for(actor).is_admin:
        raise PermissionDenied(_("Only administrators can change this."))


def create_team(*, actor: User | None, name: str, kind: str, open_to_all: bool = False,
                assignment: str = Team.Assignment.MANUAL, release_on_offline: bool = False) -> Team:
    check_admin(actor)
    team = Team(name=name.strip(), kind=kind, open_to_all=open_to_all, assignment=assignment,
                release_on_offline=release_on_offline)
    team.full_clean()
    team.save()
    return team


def update_team(
    *, actor: User | None, team: Team, name: str | None = None, kind: str | None = None,
    open_to_all: bool | None = None, assignment: str | None = None, release_on_offline: bool | None = None,
) -> Team:
    check_admin(actor)
    if name is not None:
        team.name = name.strip()
    if kind is not None:
        team.kind = kind
    if open_to_all is not None:
        team.open_to_all = open_to_all
    if assignment is not None:
        team.assignment = assignment
    if release_on_offline is not None:
        team.release_on_offline = release_on_offline
    team.full_clean()
    team.save()
    return team


@transaction.atomic
def create_agent(
    *,
    actor: User | None,
    username: str,
    password: str | None,
    display_name: str = "",
    email: str = "",
    role: str = AgentProfile.Role.AGENT,
    teams: list[Team] | None = None,
    language: str = "th",
    capacity: int = 10,
) -> AgentProfile:
    """Create a login and its agent profile. ``actor=None`` is the command line (trusted)."""
    check_admin(actor)
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": _("This user name is taken.")})
    user = User(username=username, email=email, is_staff=role == AgentProfile.Role.ADMIN)
    user.is_superuser = role == AgentProfile.Role.ADMIN
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    profile = AgentProfile(user=user, display_name=display_name, role=role, language=language, capacity=capacity)
    profile.full_clean(exclude=["user"])
    profile.save()
    if teams:
        profile.teams.set(teams)
    return profile


def update_agent(
    *,
    actor: User | None,
    profile: AgentProfile,
    display_name: str | None = None,
    role: str | None = None,
    teams: list[Team] | None = None,
    capacity: int | None = None,
    language: str | None = None,
) -> AgentProfile:
    check_admin(actor)
    if display_name is not None:
        profile.display_name = display_name
    if role is not None:
        profile.role = role
    if capacity is not None:
        profile.capacity = capacity
    if language is not None:
        profile.language = language
    profile.full_clean(exclude=["user"])
    with transaction.atomic():
        # only what an administrator edits: presence and heartbeat belong to the agent's own sessions
        profile.save(update_fields=["display_name", "role", "capacity", "language"])
        if teams is not None:
            profile.teams.set(teams)
        if role is not None:
            User.objects.filter(pk=profile.user_id).update(
                is_staff=role == AgentProfile.Role.ADMIN, is_superuser=role == AgentProfile.Role.ADMIN
            )
    return profile


def set_language(*, user: User, language: str) -> None:
    profile = profile_for(user)
    if profile.pk is None:
        return
    profile.language = language
    profile.full_clean(exclude=["user"])
    profile.save(update_fields=["language"])


def set_presence(*, user: User, presence: str) -> None:
    profile = profile_for(user)
    if profile.pk is None:
        return
    was = AgentProfile.objects.filter(pk=profile.pk).values_list("presence", flat=True).first()
    AgentProfile.objects.filter(pk=profile.pk).update(presence=presence, last_seen_at=timezone.now())
    profile.presence = presence
    if was == presence:
        return  # the heartbeat: nothing changed that anyone needs to hear about
    # to the supervisors only (the wallboard): the agents' own pages have no use for it
    rt.publish([rt.SUPERVISORS_GROUP], "presence.changed", {"user_id": user.pk, "presence": presence})
    if presence == AgentProfile.Presence.ONLINE:
        from ruamchat.routing.actions import schedule_distribution

        with transaction.atomic():
            for team_id in profile.teams.values_list("pk", flat=True):
                schedule_distribution(team_id)  # an agent with room came online: hand out what waits
    elif was == AgentProfile.Presence.ONLINE:
        from ruamchat.inbox.actions import release_conversations

        release_conversations(user_id=user.pk, reason=presence)


def create_api_token(*, user: User, name: str = "", scope: str = ApiToken.Scope.FULL,
                     actor: User | None = None, request: HttpRequest | None = None) -> str:
    """Create a token and return it in full; only its digest is kept. ``actor`` (who made it, when not a
    command-line administrator) goes to the audit log."""
    from ruamchat.privacy.actions import record_access
    from ruamchat.privacy.models import AuditRecord

    if scope not in ApiToken.Scope.values:
        raise ValidationError({"scope": _("Choose read only or read and write.")})
    raw = "rc_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name[:100], scope=scope, prefix=raw[:10],
                                        digest=ApiToken.digest_of(raw))
        record_access(actor=actor, action=AuditRecord.Action.TOKEN, contact_id=None, request=request,
                      detail={"created": token.prefix, "user": user.get_username(), "scope": scope, "name": name})
    return raw


def revoke_api_token(*, token: ApiToken, actor: User | None = None, request: HttpRequest | None = None) -> None:
    from ruamchat.privacy.actions import record_access
    from ruamchat.privacy.models import AuditRecord

    with transaction.atomic():
        if ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now()):
            record_access(actor=actor, action=AuditRecord.Action.TOKEN, contact_id=None, request=request,
                          detail={"revoked": token.prefix, "user": token.user.get_username()})


def mark_api_token_used(*, token: ApiToken) -> None:
    """Record when a token was last used, at most once a minute so busy scripts do not write every call."""
    now = timezone.now()
    if token.last_used_at is not None and token.last_used_at > now - timedelta(minutes=1):
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
