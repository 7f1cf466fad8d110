"""Customer-experience surveys: what is asked (CSAT, NPS, CES), to whom and when, the answers, and the
follow-up an unhappy answer opens.

- ``Survey``: the questions of one survey, in Thai and English. One CSAT survey asks after conversations;
  NPS and CES surveys go out by ``Trigger`` (after a conversation is resolved) or by ``Campaign`` (to a
  segment of contacts).
- ``Invitation``: one survey offered to one contact, with its personal unguessable token; skipped ones are
  kept with the reason (opted out, surveyed recently, …) so they can be counted.
- ``Response``: the answer (score, comment, sentiment, topics), with the team, agent, channel and category it
  is about copied in, so the numbers need no joins.
- ``FollowUp``: the conversation a detractor or an unhappy CSAT opened for the team, and how it ended.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Survey(models.Model):
    class Kind(models.TextChoices):
        CSAT = "csat", _("Customer satisfaction (CSAT)")
        NPS = "nps", _("Net Promoter Score (NPS)")
        CES = "ces", _("Customer effort (CES)")

    #: the scale of each kind: CSAT 1–5, NPS 0–10, CES 1–7 (the metrics are defined on these scales)
    SCALES = {Kind.CSAT: (1, 5), Kind.NPS: (0, 10), Kind.CES: (1, 7)}

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=120)
    active = models.BooleanField(_("active"), default=True)
    question_th = models.CharField(_("question (Thai)"), max_length=300)
    question_en = models.CharField(_("question (English)"), max_length=300)
    low_label_th = models.CharField(_("label of the lowest score (Thai)"), max_length=60, blank=True)
    low_label_en = models.CharField(_("label of the lowest score (English)"), max_length=60, blank=True)
    high_label_th = models.CharField(_("label of the highest score (Thai)"), max_length=60, blank=True)
    high_label_en = models.CharField(_("label of the highest score (English)"), max_length=60, blank=True)
    followup_th = models.CharField(_("follow-up question (Thai)"), max_length=300, blank=True,
                                   help_text=_("Asked after the score, for an optional comment. Empty: no comment."))
    followup_en = models.CharField(_("follow-up question (English)"), max_length=300, blank=True)
    thanks_th = models.CharField(_("thank-you message (Thai)"), max_length=300, blank=True)
    thanks_en = models.CharField(_("thank-you message (English)"), max_length=300, blank=True)
    quiet_days = models.PositiveSmallIntegerField(
        _("quiet period (days)"), default=30, validators=[MaxValueValidator(730)],
        help_text=_("A contact who was sent a survey of this kind within this many days is skipped. "
                    "0: no quiet period."))
    expires_days = models.PositiveSmallIntegerField(
        _("answers accepted for (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)])
    follow_up_team = models.ForeignKey(
        "accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("follow-up team"),
        help_text=_("Where an unhappy answer opens a follow-up conversation. Empty: the first Service team."))
    # CSAT only: where and when it is asked
    channels = models.ManyToManyField(
        "connectors.Channel", blank=True, related_name="+", verbose_name=_("ask on these channels"),
        help_text=_("CSAT: the channels whose resolved conversations are asked."))
    skip_teams = models.ManyToManyField("accounts.Team", blank=True, related_name="+",
                                        verbose_name=_("do not ask for these teams"))
    skip_tags = models.ManyToManyField("inbox.Tag", blank=True, related_name="+",
                                       verbose_name=_("do not ask for conversations with these tags"))
    delay_minutes = models.PositiveIntegerField(
        _("ask after (minutes)"), default=0, validators=[MaxValueValidator(7 * 24 * 60)],
        help_text=_("CSAT: minutes after the conversation is resolved. A conversation reopened meanwhile is "
                    "asked when it is resolved again."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        constraints = [
            models.UniqueConstraint(fields=["kind"], condition=Q(kind="csat"), name="survey_one_csat"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scale(self) -> tuple[int, int]:
        return self.SCALES[Survey.Kind(self.kind)]

    def text(self, field: str, language: str) -> str:
        """A question text in ``language`` (English or Thai), falling back to the other one."""
        first, second = ("en", "th") if language == "en" else ("th", "en")
        return (getattr(self, f"{field}_{first}") or getattr(self, f"{field}_{second}") or "").strip()


class Trigger(models.Model):
    """Send a survey when a conversation is resolved: "NPS 7 days after a support case", "CES right after"."""

    class TeamKind(models.TextChoices):
        ANY = "", _("Any team")
        SERVICE = "service", _("Customer service")
        SUPPORT = "support", _("Customer support")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="triggers", verbose_name=_("survey"))
    active = models.BooleanField(_("active"), default=True)
    team_kind = models.CharField(_("when a conversation of this kind of team is resolved"), max_length=16,
                                 choices=TeamKind.choices, blank=True, default="")
    channels = models.ManyToManyField("connectors.Channel", blank=True, related_name="+",
                                      verbose_name=_("only on these channels"),
                                      help_text=_("Empty: every channel."))
    delay_minutes = models.PositiveIntegerField(
        _("send after (minutes)"), default=0, validators=[MaxValueValidator(90 * 24 * 60)],
        help_text=_("0: right after. 10080: seven days after."))

    class Meta:
        verbose_name = _("survey trigger")
        verbose_name_plural = _("survey triggers")

    def __str__(self) -> str:
        return f"{self.survey} +{self.delay_minutes}m"


class Campaign(models.Model):
    """A survey sent to a segment of contacts by email or LINE, each with a personal link."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        DONE = "done", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("survey"))
    name = models.CharField(_("name"), max_length=120)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    line_channel = models.ForeignKey(
        "connectors.Channel", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        limit_choices_to={"kind": "line"}, verbose_name=_("send by LINE from"),
        help_text=_("Contacts who are friends of this LINE account get the invitation there."))
    email_channel = models.ForeignKey(
        "connectors.Channel", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        limit_choices_to={"kind": "email"}, verbose_name=_("send by email from"),
        help_text=_("The others, when they have an email address, get it by email from this mailbox."))
    # the segment: every condition that is set must hold
    segment_channels = models.ManyToManyField(
        "connectors.Channel", blank=True, related_name="+", verbose_name=_("contacts who wrote on these channels"))
    segment_tags = models.ManyToManyField(
        "inbox.Tag", blank=True, related_name="+", verbose_name=_("contacts with a conversation tagged"))
    last_contact_after = models.DateField(_("last contact on or after"), null=True, blank=True)
    last_contact_before = models.DateField(_("last contact on or before"), null=True, blank=True)
    had_support_case = models.BooleanField(_("only contacts who had a support case"), default=False)
    attribute_name = models.CharField(_("custom attribute"), max_length=64, blank=True)
    attribute_value = models.CharField(_("custom attribute value"), max_length=200, blank=True)
    scheduled_at = models.DateTimeField(_("send at"), null=True, blank=True,
                                        help_text=_("Empty: as soon as it is started."))
    per_minute = models.PositiveIntegerField(_("invitations per minute"), default=60,
                                             validators=[MinValueValidator(1), MaxValueValidator(6000)])
    reminder_days = models.PositiveSmallIntegerField(
        _("remind after (days)"), default=3, validators=[MaxValueValidator(60)],
        help_text=_("One reminder to those who have not answered. 0: no reminder."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("survey campaign")
        verbose_name_plural = _("survey campaigns")

    def __str__(self) -> str:
        return self.name


class Invitation(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Could not be sent")
        SKIPPED = "skipped", _("Skipped")

    class Skip(models.TextChoices):
        OPTED_OUT = "opted_out", _("Opted out of surveys")
        QUIET = "quiet", _("Surveyed recently")
        WINDOW = "window", _("The channel does not allow it now")
        RULE = "rule", _("Not asked by rule")
        NO_ADDRESS = "no_address", _("No way to reach the contact")
        REOPENED = "reopened", _("The conversation is no longer resolved")
        CANCELLED = "cancelled", _("The campaign was cancelled")
        INACTIVE = "inactive", _("The survey is switched off")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitations")
    kind = models.CharField(max_length=8, choices=Survey.Kind.choices)
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="survey_invitations")
    identity = models.ForeignKey("contacts.Identity", on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+")
    #: the channel it goes out on
    channel = models.ForeignKey("connectors.Channel", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    #: the conversation it is about (CSAT, triggers); none for campaigns
    conversation = models.ForeignKey("inbox.Conversation", on_delete=models.CASCADE, null=True, blank=True,
                                     related_name="survey_invitations")
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, null=True, blank=True,
                                 related_name="invitations")
    trigger = models.ForeignKey(Trigger, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    token = models.CharField(max_length=64, unique=True)
    language = models.CharField(max_length=8, default="th")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    skip_reason = models.CharField(max_length=16, choices=Skip.choices, blank=True)
    error = models.CharField(max_length=500, blank=True)
    send_at = models.DateTimeField(db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    #: when the first answer came (the response rate counts these without reading the answers)
    answered_at = models.DateTimeField(null=True, blank=True)
    #: the message that carried it, when it went into the conversation (its delivery status is the invitation's)
    message = models.ForeignKey("inbox.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    #: in a chat: what the customer's next message answers ("score", "comment", or "")
    awaiting = models.CharField(max_length=8, blank=True)
    awaiting_until = models.DateTimeField(null=True, blank=True)
    # what the answer will be about, copied when it is sent (the conversation may move on afterwards)
    team = models.ForeignKey("accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    category = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        constraints = [
            # once per conversation episode for each survey, once per contact for each campaign
            models.UniqueConstraint(fields=["survey", "conversation"], condition=Q(conversation__isnull=False),
                                    name="invitation_once_per_conversation"),
            models.UniqueConstraint(fields=["campaign", "contact"], condition=Q(campaign__isnull=False),
                                    name="invitation_once_per_campaign"),
        ]
        indexes = [
            models.Index(fields=["contact", "kind", "sent_at"], name="invitation_quiet"),
            models.Index(fields=["kind", "sent_at"], name="invitation_sent"),
            models.Index(fields=["status", "sent_at"], name="invitation_delivered"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.contact_id}:{self.status}"


class Response(models.Model):
    class Sentiment(models.TextChoices):
        POSITIVE = "positive", _("Positive")
        NEUTRAL = "neutral", _("Neutral")
        NEGATIVE = "negative", _("Negative")

    class Via(models.TextChoices):
        CHAT = "chat", _("In the chat")
        PAGE = "page", _("On the survey page")

    invitation = models.OneToOneField(Invitation, on_delete=models.CASCADE, related_name="response")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    kind = models.CharField(max_length=8, choices=Survey.Kind.choices)
    score = models.SmallIntegerField()
    comment = models.TextField(blank=True)
    sentiment = models.CharField(max_length=8, choices=Sentiment.choices, blank=True)
    sentiment_score = models.FloatField(null=True, blank=True)
    #: keys of the comment topics that matched
    topics = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=8, blank=True)
    via = models.CharField(max_length=8, choices=Via.choices)
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey("inbox.Conversation", on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    team = models.ForeignKey("accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    channel = models.ForeignKey("connectors.Channel", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    category = models.CharField(max_length=32, blank=True)
    answered_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-answered_at"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [models.Index(fields=["kind", "answered_at"], name="response_kind_time")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.score}"

    @property
    def unhappy(self) -> bool:
        """Opens the closed loop: an NPS detractor (0–6) or a CSAT of 1–2."""
        return (self.kind == Survey.Kind.NPS and self.score <= 6) or (self.kind == Survey.Kind.CSAT and self.score <= 2)


class Topic(models.Model):
    """A topic comments are tagged with when they contain one of its keywords (segmented words, not substrings)."""

    key = models.SlugField(_("key"), max_length=40, unique=True)
    name_th = models.CharField(_("name (Thai)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    keywords = models.TextField(_("keywords"), help_text=_("One word or phrase per line, Thai or English."))
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("comment topic")
        verbose_name_plural = _("comment topics")

    def __str__(self) -> str:
        return self.name_en or self.key

    def name(self, language: str) -> str:
        return (self.name_en if language == "en" else self.name_th) or self.key


class FollowUp(models.Model):
    """The closed loop: a conversation opened for the team because of an unhappy answer."""

    class Outcome(models.TextChoices):
        RECOVERED = "recovered", _("Problem solved, customer satisfied")
        RESOLVED = "resolved", _("Problem solved")
        NOT_RECOVERED = "not_recovered", _("Customer still unhappy")
        UNREACHABLE = "unreachable", _("Could not reach the customer")

    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="follow_up")
    conversation = models.ForeignKey("inbox.Conversation", on_delete=models.CASCADE, related_name="follow_ups")
    #: the conversation the answer was about (none for a campaign answer)
    about = models.ForeignKey("inbox.Conversation", on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    team = models.ForeignKey("accounts.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    #: the first reply a person sent the customer after the follow-up opened
    first_contact_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                  related_name="+")

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return f"follow-up:{self.conversation_id}"
