"""Administration of teams and agents. Saves go through the accounts actions, like everywhere else."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ruamchat.accounts import actions
from ruamchat.accounts.models import AgentProfile, ApiToken, SecurityPolicy, Team, TwoFactor


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "open_to_all", "assignment")
    list_filter = ("kind", "open_to_all", "assignment")
    search_fields = ("name",)
    fields = ("name", "kind", "open_to_all", "assignment", "release_on_offline")

    def save_model(self, request: HttpRequest, obj: Team, form: Any, change: bool) -> None:
        actor = request.user if isinstance(request.user, User) else None
        if change:
            actions.update_team(actor=actor, team=obj, name=obj.name, kind=obj.kind, open_to_all=obj.open_to_all,
                                assignment=obj.assignment, release_on_offline=obj.release_on_offline)
        else:
            created = actions.create_team(actor=actor, name=obj.name, kind=obj.kind, open_to_all=obj.open_to_all,
                                          assignment=obj.assignment, release_on_offline=obj.release_on_offline)
            obj.pk = created.pk


class AgentProfileInline(admin.StackedInline):
    model = AgentProfile
    can_delete = False
    fields = ("display_name", "role", "teams", "capacity", "language")
    filter_horizontal = ("teams",)


admin.site.unregister(User)


@admin.register(User)
class AgentUserAdmin(UserAdmin):
    """Django's user admin with the agent profile (role, teams, language) on the same page."""

    inlines = [AgentProfileInline]
    list_display = ("username", "email", "agent_role", "is_active")

    @admin.display(description=AgentProfile._meta.get_field("role").verbose_name)
    def agent_role(self, obj: User) -> str:
        profile = AgentProfile.objects.filter(user=obj).first()
        return profile.get_role_display() if profile else "-"

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        for profile in AgentProfile.objects.filter(user=form.instance):
            # keep Django's staff/superuser flags in step with the agent role, as the actions do
            actions.update_agent(actor=None, profile=profile, role=profile.role)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created with `ruamchat token create`; here they can only be seen and revoked."""

    list_display = ("prefix", "user", "name", "scope", "created_at", "last_used_at", "revoked_at")
    list_filter = ("scope",)
    readonly_fields = ("prefix", "user", "name", "scope", "created_at", "last_used_at", "revoked_at")
    exclude = ("digest",)
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        actor = request.user if isinstance(request.user, User) else None
        for token in queryset:
            actions.revoke_api_token(token=token, actor=actor, request=request)


@admin.register(SecurityPolicy)
class SecurityPolicyAdmin(admin.ModelAdmin):
    """One row: the organisation's sign-in rules."""

    fields = ("require_two_factor_for_admins",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not SecurityPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TwoFactor)
class TwoFactorAdmin(admin.ModelAdmin):
    """Who uses an authenticator app; an administrator can turn it off for someone who lost their phone."""

    list_display = ("user", "created_at")
    fields = ("user", "created_at")
    readonly_fields = ("user", "created_at")
    actions = ["turn_off"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description=_("Turn two-factor sign-in off (lost phone)"))
    def turn_off(self, request: HttpRequest, queryset: Any) -> None:
        from ruamchat.accounts import two_factor

        actor = request.user if isinstance(request.user, User) else None
        for found in queryset.select_related("user"):
            two_factor.disable(user=found.user, request=request, actor=actor)
