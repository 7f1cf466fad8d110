"""Keywords administrators add to the built-in triage lists (product names, the business's own words)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TriageKeyword(models.Model):
    rule = models.CharField(_("rule"), max_length=40, help_text=_("Which list the word extends, e.g. safety, "
                                                                   "fraud, legal, late_order, category:refund."))
    keyword = models.CharField(_("word or phrase"), max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rule", "keyword"]
        verbose_name = _("triage keyword")
        verbose_name_plural = _("triage keywords")
        constraints = [models.UniqueConstraint(fields=["rule", "keyword"], name="triage_keyword_unique")]

    def __str__(self) -> str:
        return f"{self.rule}: {self.keyword}"
