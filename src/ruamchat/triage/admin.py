from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.models import User
from django.http import HttpRequest

from ruamchat.triage import actions
from ruamchat.triage.models import TriageKeyword


class TriageKeywordForm(forms.ModelForm):
    rule = forms.ChoiceField(choices=())

    class Meta:
        model = TriageKeyword
        fields = ("rule", "keyword")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [(r, r) for r in actions.known_rules()]  # type: ignore[attr-defined]
        self.fields["rule"].label = TriageKeyword._meta.get_field("rule").verbose_name
        self.fields["rule"].help_text = TriageKeyword._meta.get_field("rule").help_text


@admin.register(TriageKeyword)
class TriageKeywordAdmin(admin.ModelAdmin):
    form = TriageKeywordForm
    list_display = ("keyword", "rule", "created_at")
    list_filter = ("rule",)
    search_fields = ("keyword",)

    def save_model(self, request: HttpRequest, obj: TriageKeyword, form: Any, change: bool) -> None:
        actor = request.user if isinstance(request.user, User) else None
        if change and obj.pk:
            actions.remove_keyword(actor=actor, keyword=TriageKeyword.objects.get(pk=obj.pk))
        created = actions.add_keyword(actor=actor, rule=obj.rule, keyword=obj.keyword)
        obj.pk = created.pk

    def delete_model(self, request: HttpRequest, obj: TriageKeyword) -> None:
        actions.remove_keyword(actor=request.user if isinstance(request.user, User) else None, keyword=obj)
