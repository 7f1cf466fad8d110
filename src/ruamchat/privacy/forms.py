"""Forms of the personal-data pages: the erasure confirmation and the retention policy."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ruamchat.contacts.models import Contact
from ruamchat.privacy.models import RetentionPolicy


class EraseForm(forms.Form):
    confirm = forms.CharField(label=_("Type the customer's number to confirm"), max_length=20)
    force = forms.BooleanField(label=_("Resolve the conversations still going, then erase"), required=False)

    def __init__(self, *args: Any, contact: Contact, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.contact = contact

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"].strip().lstrip("#").strip()
        if typed != str(self.contact.pk):
            raise forms.ValidationError(_("That is not this customer's number (%(id)s).") % {"id": self.contact.pk})
        return typed


class RetentionForm(forms.ModelForm):
    class Meta:
        model = RetentionPolicy
        fields = ("enabled", "months", "action", "attachments_only")
        widgets = {"action": forms.RadioSelect}


class RunRetentionForm(forms.Form):
    confirm = forms.BooleanField(label=_("I have read the report above: apply the policy to it now"))
