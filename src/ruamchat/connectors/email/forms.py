"""The mailbox settings an administrator fills in: each field is one key of the channel's settings or
secrets. Used by the administration pages; the REST API takes the same keys as JSON."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

SECURITY_CHOICES = [("ssl", _("SSL/TLS")), ("starttls", _("STARTTLS")), ("none", _("None (not encrypted)"))]
AFTER_FETCH_CHOICES = [
    ("seen", _("Mark as read")), ("move", _("Move to a folder")), ("delete", _("Delete")),
    ("leave", _("Leave as it is")),
]


class MailboxSettingsForm(forms.Form):
    address = forms.EmailField(label=_("Email address"), help_text=_("The support address customers write to."))
    display_name = forms.CharField(label=_("Display name"), required=False, max_length=100,
                                   help_text=_("The company name in From, e.g. “Somchai via ร้านของเรา”."))
    imap_host = forms.CharField(label=_("IMAP server"), required=False, max_length=255,
                                help_text=_("Leave empty when mail arrives by `ruamchat ingest-email` or the SMTP "
                                            "receiver."))
    imap_port = forms.IntegerField(label=_("IMAP port"), initial=993, min_value=1, max_value=65535)
    imap_security = forms.ChoiceField(label=_("IMAP security"), choices=SECURITY_CHOICES, initial="ssl")
    imap_user = forms.CharField(label=_("IMAP user name"), required=False, max_length=255)
    imap_password = forms.CharField(label=_("IMAP password"), required=False,
                                    widget=forms.PasswordInput(render_value=False),
                                    help_text=_("Leave blank to keep the stored password."))
    imap_folder = forms.CharField(label=_("Folder to read"), initial="INBOX", max_length=255)
    after_fetch = forms.ChoiceField(label=_("After a mail is fetched"), choices=AFTER_FETCH_CHOICES, initial="seen")
    move_to = forms.CharField(label=_("Move to folder"), required=False, max_length=255)
    use_idle = forms.BooleanField(label=_("Notice new mail at once (IMAP IDLE)"), required=False, initial=True)
    poll_seconds = forms.IntegerField(label=_("Check every (seconds)"), initial=60, min_value=5, max_value=3600)
    smtp_host = forms.CharField(label=_("SMTP server"), max_length=255)
    smtp_port = forms.IntegerField(label=_("SMTP port"), initial=587, min_value=1, max_value=65535)
    smtp_security = forms.ChoiceField(label=_("SMTP security"), choices=SECURITY_CHOICES, initial="starttls")
    smtp_user = forms.CharField(label=_("SMTP user name"), required=False, max_length=255)
    smtp_password = forms.CharField(label=_("SMTP password"), required=False,
                                    widget=forms.PasswordInput(render_value=False),
                                    help_text=_("Leave blank to keep the stored password."))
    tls_verify = forms.BooleanField(label=_("Check the servers' TLS certificates"), required=False, initial=True)
    plus_addressing = forms.BooleanField(
        label=_("A reply address per conversation (support+token@…)"), required=False, initial=False,
        help_text=_("Only when your mail server delivers plus-addressed mail to this mailbox."))
    agent_names = forms.BooleanField(label=_("Show the agent's name in From"), required=False, initial=True)
    automatic_per_hour = forms.IntegerField(
        label=_("Automatic mails per address per hour"), initial=3, min_value=0, max_value=100,
        help_text=_("Bot answers, acknowledgements and surveys; replies by people are never limited."))

    secret_fields = ("imap_password", "smtp_password")
