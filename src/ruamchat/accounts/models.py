"""Teams, the agents in them, API tokens, and the sessions agents are signed in with."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Team(models.Model):
    class Kind(models.TextChoices):
        SERVICE = "service", _("Customer service")
        SUPPORT = "support", _("Customer support")

    class Assignment(models.TextChoices):
        MANUAL = "manual", _("Manual: agents claim from the queue")
        ROUND_ROBIN = "round_robin", _("Round-robin among online agents")
        LEAST_BUSY = "least_busy", _("Least busy online agent")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SERVICE)
    open_to_all = models.BooleanField(
        _("visible to all agents"),
        default=False,
        help_text=_("When on, every agent can see this team's conversations, not only its members."),
    )
    assignment = models.CharField(
        _("assignment"), max_length=16, choices=Assignment.choices, default=Assignment.MANUAL,
        help_text=_("How new conversations reach an agent. Agents below their capacity and online get them; "
                    "the rest wait in the team's unassigned queue and are handed out as capacity frees."),
    )
    release_on_offline = models.BooleanField(
        _("release conversations when an agent goes offline"), default=False,
        help_text=_("An agent who goes offline gives their open conversations back to the team's queue."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class AgentProfile(models.Model):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        SUPERVISOR = "supervisor", _("Supervisor")
        AGENT = "agent", _("Agent")

    class Presence(models.TextChoices):
        ONLINE = "online", _("Online")
        AWAY = "away", _("Away")
        OFFLINE = "offline", _("Offline")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent")
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.AGENT)
    teams = models.ManyToManyField(Team, related_name="members", blank=True, verbose_name=_("teams"))
    capacity = models.PositiveIntegerField(_("capacity"), default=10)
    presence = models.CharField(_("presence"), max_length=16, choices=Presence.choices, default=Presence.OFFLINE)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="th")
    last_seen_at = models.DateTimeField(null=True, blank=True)
    #: when a conversation was last handed to this agent automatically (round-robin order)
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.user.get_full_name() or self.user.get_username()

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN

    @property
    def sees_everything(self) -> bool:
        return self.role in (self.Role.ADMIN, self.Role.SUPERVISOR)


class ApiToken(models.Model):
    """A bearer token for scripts. Only a SHA-256 digest is stored; the token is shown once."""

    class Scope(models.TextChoices):
        READ = "read", _("Read only")
        FULL = "full", _("Read and write")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, blank=True)
    #: what the token may do, within what its user may do: a read-only token is refused every change (403)
    scope = models.CharField(_("scope"), max_length=8, choices=Scope.choices, default=Scope.FULL)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @staticmethod
    def digest_of(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()


class UserSession(models.Model):
    """A signed-in browser: shown to its user (and ended from there), and to administrators. The session itself
    lives in Django's session store; this row says whose it is, from where, and when it was last used."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="browser_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-last_seen_at"]
        verbose_name = _("signed-in session")
        verbose_name_plural = _("signed-in sessions")

    def __str__(self) -> str:
        return f"{self.user} {self.address or '-'}"


class TwoFactor(models.Model):
    """A user's authenticator app (TOTP, RFC 6238). The shared secret is encrypted at rest like channel secrets;
    recovery codes are kept as digests only."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="two_factor")
    secret_encrypted = models.TextField()
    #: the time step of the last code accepted: a code is good once (a code seen over a shoulder is spent)
    last_step = models.BigIntegerField(default=0)
    recovery_digests = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("two-factor sign-in")
        verbose_name_plural = _("two-factor sign-ins")

    def __str__(self) -> str:
        return str(self.user)


class SecurityPolicy(models.Model):
    """The organisation's sign-in rules (one row, edited by administrators in the admin)."""

    require_two_factor_for_admins = models.BooleanField(
        _("require two-factor sign-in for administrators"), default=False,
        help_text=_("Administrators without an authenticator app are sent to set one up before anything else."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sign-in policy")
        verbose_name_plural = _("sign-in policy")

    def __str__(self) -> str:
        return str(_("Sign-in policy"))
