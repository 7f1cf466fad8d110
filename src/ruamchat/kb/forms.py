"""Forms of the knowledge-base editor (validation of input; the actions do the writing)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ruamchat.kb.models import LANGUAGES, Article, Category, validate_slug


class ArticleForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    slug = forms.CharField(label=_("Address"), max_length=200, required=False, validators=[validate_slug],
                           help_text=_("Leave empty to make one from the title. Thai is kept readable."))
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.order_by("position", "id"))
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES)
    status = forms.ChoiceField(label=_("Status"), choices=Article.Status.choices)
    visibility = forms.ChoiceField(label=_("Who can read it"), choices=Article.Visibility.choices)
    summary = forms.CharField(label=_("Summary"), max_length=300, required=False)
    keywords = forms.CharField(label=_("Search keywords"), max_length=300, required=False,
                               help_text=_("Other words customers use for this topic, separated by commas."))
    body = forms.CharField(label=_("Text (Markdown)"), required=False, widget=forms.Textarea(attrs={"rows": 18}))
    note = forms.CharField(label=_("What changed (for the history)"), max_length=200, required=False)


class CategoryForm(forms.Form):
    name_th = forms.CharField(label=_("Name (Thai)"), max_length=120)
    name_en = forms.CharField(label=_("Name (English)"), max_length=120, required=False)
    description_th = forms.CharField(label=_("Description (Thai)"), max_length=300, required=False)
    description_en = forms.CharField(label=_("Description (English)"), max_length=300, required=False)
    slug_th = forms.CharField(label=_("Address (Thai)"), max_length=120, required=False, validators=[validate_slug])
    slug_en = forms.CharField(label=_("Address (English)"), max_length=120, required=False,
                              validators=[validate_slug])
    icon = forms.CharField(label=_("Icon"), max_length=8, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Knowledge-base export (.json)"))
