from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ruamchat.contacts.models import AttributeDefinition


class AttributeDefinitionForm(forms.ModelForm):
    class Meta:
        model = AttributeDefinition
        fields = ("key", "label_th", "label_en", "kind", "choices", "position", "active")

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("kind") == AttributeDefinition.Kind.LIST and not str(data.get("choices") or "").strip():
            raise ValidationError({"choices": _("A list needs at least one choice.")})
        return data


@admin.register(AttributeDefinition)
class AttributeDefinitionAdmin(admin.ModelAdmin):
    form = AttributeDefinitionForm
    list_display = ("key", "label_th", "label_en", "kind", "position", "active")
    list_editable = ("position", "active")
    ordering = ("position", "key")

    def get_readonly_fields(self, request: object, obj: AttributeDefinition | None = None) -> tuple[str, ...]:
        # the values are kept under the key: renaming it would leave them behind
        return ("key",) if obj is not None else ()
