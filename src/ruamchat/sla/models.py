"""Business calendars (weekly hours, Thai public holidays, closed and special opening days) and SLA policies
(first response, next response and resolution targets per team and priority)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Calendar(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    name = models.CharField(_("name"), max_length=100, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Bangkok")
    holiday_country = models.CharField(
        _("public holidays of"), max_length=8, blank=True, default="TH",
        help_text=_("Country code whose public holidays close the business (TH: Thai holidays including the Buddhist "
                    "lunar holidays and substitution days). Empty: no public holidays."))
    is_default = models.BooleanField(_("default calendar"), default=False,
                                     help_text=_("Used by teams that have no calendar of their own."))
    teams = models.ManyToManyField("accounts.Team", blank=True, related_name="calendars", verbose_name=_("teams"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self) -> str:
        return self.name


class OpeningPeriod(models.Model):
    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="periods")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Calendar.Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"), help_text=_("Earlier than the opening time: the period ends the next day."))

    class Meta:
        ordering = ["weekday", "opens"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class SpecialDay(models.Model):
    """A closed day the holiday list does not know (a company day off, a bridge holiday), or a day open
    although it would be closed (a Saturday sale), with its hours."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="special_days")
    date = models.DateField(_("date"))
    closed = models.BooleanField(_("closed all day"), default=True)
    opens = models.TimeField(_("opens"), null=True, blank=True)
    closes = models.TimeField(_("closes"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        ordering = ["date", "opens"]
        verbose_name = _("special day")
        verbose_name_plural = _("special days")

    def __str__(self) -> str:
        return f"{self.date}: {self.note or ('closed' if self.closed else 'open')}"

    def clean(self) -> None:
        if not self.closed and (self.opens is None or self.closes is None):
            raise ValidationError(_("An open special day needs its opening and closing time."))


class SlaPolicy(models.Model):
    """Targets for one team and priority (or every priority), in business minutes of the calendar."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="sla_policies",
                             verbose_name=_("team"))
    priority = models.PositiveSmallIntegerField(
        _("priority"), null=True, blank=True,
        choices=[(0, _("Urgent")), (1, _("High")), (2, _("Normal")), (3, _("Low"))],
        help_text=_("Empty: every priority without a policy of its own."))
    calendar = models.ForeignKey(Calendar, on_delete=models.PROTECT, null=True, blank=True,
                                 verbose_name=_("business calendar"),
                                 help_text=_("Empty: the team's calendar, else the default one."))
    first_response_minutes = models.PositiveIntegerField(_("first response within (minutes)"), null=True, blank=True)
    next_response_minutes = models.PositiveIntegerField(_("next response within (minutes)"), null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(_("resolution within (minutes)"), null=True, blank=True)
    warn_percent = models.PositiveSmallIntegerField(
        _("warn when this much of the time is used (%)"), default=80)
    escalate_priority = models.BooleanField(_("on breach: raise the priority"), default=False)
    escalate_to_team = models.ForeignKey("accounts.Team", on_delete=models.SET_NULL, null=True, blank=True,
                                         related_name="+", verbose_name=_("on breach: move to team"))
    escalate_unassign = models.BooleanField(_("on breach: take it from the agent (back to the queue)"),
                                            default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["team", "priority"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [models.UniqueConstraint(fields=["team", "priority"], name="sla_policy_team_priority")]

    def __str__(self) -> str:
        return f"{self.team} / {self.get_priority_display() or '*'}"
