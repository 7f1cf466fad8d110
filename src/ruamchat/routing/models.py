"""Routing rules: ordered conditions → actions applied to every new conversation."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RoutingRule(models.Model):
    """One rule. ``conditions`` is a list of ``{"field", "op", "value"}`` (all must hold, or any with
    ``match_any``); ``actions`` a list of ``{"type", "value"}``. See ``routing.rules`` for the vocabulary."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveIntegerField(_("order"), default=0, db_index=True)
    is_active = models.BooleanField(_("active"), default=True)
    match_any = models.BooleanField(_("any condition is enough"), default=False)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    actions = models.JSONField(_("actions"), default=list)
    stop = models.BooleanField(_("stop after this rule"), default=False,
                               help_text=_("When the rule applies, later rules are not looked at."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return self.name
