"""The chatbot: its settings per channel, its part in each conversation, and the articles it offered.

The bot answers customers from the public knowledge base while no person is involved, and hands the
conversation to its team the moment it cannot help (see ``actions``). While it answers, the conversation's
status is ``bot``: not in any team's queue and no SLA clock running.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class BotSettings(models.Model):
    """How the bot behaves on one channel. A channel without a row has the bot off."""

    channel = models.OneToOneField("connectors.Channel", on_delete=models.CASCADE, related_name="bot_settings",
                                   verbose_name=_("channel"))
    enabled = models.BooleanField(
        _("answer from the knowledge base"), default=False,
        help_text=_("The bot answers new conversations from the public knowledge base and hands them to the team "
                    "when it cannot help. On email it only sends one acknowledgement with suggested articles."))
    greeting_th = models.TextField(_("greeting (Thai)"), blank=True,
                                   help_text=_("Sent at the start of a new conversation. Empty: no greeting."))
    greeting_en = models.TextField(_("greeting (English)"), blank=True)
    after_hours = models.BooleanField(
        _("outside business hours, say when the team will answer"), default=True,
        help_text=_("Computed from the business calendar of the channel's team. Also when the bot is off."))
    after_hours_details_th = models.TextField(
        _("what to ask for outside business hours (Thai)"), blank=True,
        help_text=_("For example: your order number and phone number. Empty: the default question."))
    after_hours_details_en = models.TextField(_("what to ask for outside business hours (English)"), blank=True)
    threshold = models.FloatField(
        _("confidence threshold"), default=0.2, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text=_("0 to 1: how well the best article must match the question before the bot offers it. "
                    "Higher: fewer wrong answers, more hand-offs."))
    max_messages = models.PositiveSmallIntegerField(
        _("most automatic messages per conversation"), default=6,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_("After this many the bot hands the conversation to a person (never loops with another bot)."))
    quiet_minutes = models.PositiveIntegerField(
        _("resolve after the customer is quiet for (minutes)"), default=60,
        validators=[MinValueValidator(5), MaxValueValidator(7 * 24 * 60)],
        help_text=_("After an answer the customer did not reply to, the bot resolves the conversation."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("chatbot settings")
        verbose_name_plural = _("chatbot settings")

    def __str__(self) -> str:
        return str(self.channel)

    def greeting(self, language: str) -> str:
        return (self.greeting_en if language == "en" else self.greeting_th).strip()

    def after_hours_details(self, language: str) -> str:
        return (self.after_hours_details_en if language == "en" else self.after_hours_details_th).strip()


class BotConversation(models.Model):
    """The bot's part in one conversation: whether it still answers, why it stopped, what it offered."""

    class State(models.TextChoices):
        ACTIVE = "active", _("Answering")
        HANDED_OFF = "handed_off", _("Handed to a person")
        RESOLVED = "resolved", _("Resolved by the bot")

    class Reason(models.TextChoices):
        LOW_CONFIDENCE = "low_confidence", _("No article answers it")
        DECLINED = "declined", _("The answer did not help")
        PERSON = "person", _("Asked for a person")
        URGENT = "urgent", _("Urgent")
        ANGRY = "angry", _("Angry customer")
        LIMIT = "limit", _("Too many automatic messages")
        LOOP = "loop", _("Repeated message (another bot?)")
        NOT_TEXT = "not_text", _("Sent something other than text")
        WINDOW = "window", _("The channel refuses automatic messages now")
        AGENT = "agent", _("An agent stepped in")
        PAUSED = "paused", _("An agent paused the bot")

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed", _("The customer said the answer helped")
        QUIET = "quiet", _("The customer went quiet after an answer")
        ABANDONED = "abandoned", _("The customer left without a question")

    conversation = models.OneToOneField("inbox.Conversation", on_delete=models.CASCADE, related_name="bot")
    channel = models.ForeignKey("connectors.Channel", on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=16, choices=State.choices, default=State.ACTIVE)
    reason = models.CharField(max_length=20, choices=Reason.choices, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    #: an agent paused the bot here: it does not answer this conversation until resumed
    paused = models.BooleanField(default=False)
    language = models.CharField(max_length=8, blank=True)
    messages_sent = models.PositiveSmallIntegerField(default=0)
    #: what the bot's last message asked: "" (nothing), "feedback" (did it help?) or "choice" (which article?)
    awaiting = models.CharField(max_length=16, blank=True)
    #: the articles offered last as choices, in order (ids), for "1" / "2" / "3" answers
    choices = models.JSONField(default=list, blank=True)
    greeted = models.BooleanField(default=False)
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    last_answer_at = models.DateTimeField(null=True, blank=True)
    #: the sweep resolves a conversation whose customer went quiet after an answer when this time comes
    quiet_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("chatbot conversation")
        verbose_name_plural = _("chatbot conversations")
        indexes = [models.Index(fields=["channel", "started_at"], name="bot_conv_channel_started")]

    def __str__(self) -> str:
        return f"bot:{self.conversation_id}:{self.state}"


class BotAnswer(models.Model):
    """An article the bot offered (as the answer, or as one of several choices) and whether it helped."""

    class Kind(models.TextChoices):
        ANSWER = "answer", _("Answer")
        CHOICE = "choice", _("Choice")

    conversation = models.ForeignKey("inbox.Conversation", on_delete=models.CASCADE, related_name="bot_answers")
    question = models.ForeignKey("inbox.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reply = models.ForeignKey("inbox.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    article = models.ForeignKey("kb.Article", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    title = models.CharField(max_length=255)
    url = models.CharField(max_length=1000, blank=True)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.ANSWER)
    confidence = models.FloatField(default=0.0)
    #: the customer's answer to "did this answer your question?": None until they say
    helped = models.BooleanField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("article offered by the bot")
        verbose_name_plural = _("articles offered by the bot")

    def __str__(self) -> str:
        return self.title
