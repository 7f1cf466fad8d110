"""Reads for the chatbot: its settings, its candidates from the knowledge base, and its numbers."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q
from django.utils.html import strip_tags

from ruamchat.bot.engine import Candidate, Signals
from ruamchat.bot.models import BotAnswer, BotConversation, BotSettings
from ruamchat.inbox.models import Conversation, Message
from ruamchat.kb import selectors as kb
from ruamchat.kb.models import Article


def signals_for(text: str) -> Signals:
    """What triage reads in a customer's words: urgent (safety, fraud, legal), angry, asks for a person."""
    from ruamchat.routing.actions import triage_engine

    suggestion = triage_engine().suggest(text)
    return Signals(urgent=suggestion.priority == 0, angry=suggestion.angry, wants_person=suggestion.wants_person)


def settings_for(channel_id: int) -> BotSettings | None:
    return BotSettings.objects.filter(channel_id=channel_id).first()


def settings_or_default(channel_id: int) -> BotSettings:
    """The channel's settings, or the defaults (unsaved, bot off) when none were saved."""
    return settings_for(channel_id) or BotSettings(channel_id=channel_id)


def _candidate(hit: Any) -> Candidate:
    return Candidate(article_id=hit.article_id, title=hit.article.title,
                     snippet=html.unescape(strip_tags(hit.snippet_html)) or hit.article.summary,
                     score=hit.score, confidence=hit.confidence, article=hit.article)


def candidates(query: str, language: str, limit: int = 3) -> list[Candidate]:
    """The best public, published articles for ``query`` in ``language`` (what a customer may read)."""
    return [_candidate(hit) for hit in kb.search(None, query, language=language, limit=limit).hits]


def offered_article(article_id: int) -> Candidate | None:
    """An article the bot offered, if it is still public and published."""
    article = Article.objects.filter(pk=article_id, status=Article.Status.PUBLISHED,
                                     visibility=Article.Visibility.PUBLIC).first()
    if article is None:
        return None
    from ruamchat.kb.markdown import plain_text

    return Candidate(article_id=article.pk, title=article.title,
                     snippet=article.summary or plain_text(article.body)[:600], score=0.0, confidence=1.0,
                     article=article)


def article_url(candidate: Candidate) -> str:
    return kb.article_url(candidate.article) if candidate.article is not None else ""


def unanswered_text(conversation: Conversation, *, limit: int = 5) -> tuple[str, list[Message]]:
    """What the customer wrote since anyone (the bot or a person) last wrote to them, oldest first."""
    last_out = (Message.objects.filter(conversation=conversation, direction=Message.Direction.OUTGOING,
                                       is_private=False).order_by("-id").values_list("id", flat=True).first())
    qs = Message.objects.filter(conversation=conversation, direction=Message.Direction.INCOMING)
    if last_out is not None:
        qs = qs.filter(id__gt=last_out)
    messages = list(reversed(list(qs.order_by("-id")[:limit])))
    return " ".join(m.text for m in messages if m.text).strip(), messages


def recent_customer_texts(conversation: Conversation, limit: int = 3) -> list[str]:
    return list(Message.objects.filter(conversation=conversation, direction=Message.Direction.INCOMING)
                .order_by("-id").values_list("text", flat=True)[:limit])


def answers_in(conversation: Conversation) -> list[BotAnswer]:
    return list(BotAnswer.objects.filter(conversation=conversation).select_related("article"))


# -- numbers ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BotMetrics:
    """The bot's work in a period (conversations counted by when the bot started on them)."""

    conversations: int = 0  # conversations the bot took
    answered: int = 0  # … in which it offered at least one article
    deflected: int = 0  # … it resolved with nobody else involved (the customer said yes, or went quiet)
    handed_off: int = 0
    active: int = 0  # still with the bot
    reasons: dict[str, int] = field(default_factory=dict)  # hand-offs by reason
    outcomes: dict[str, int] = field(default_factory=dict)  # resolutions by outcome
    feedback_yes: int = 0  # "did this answer your question?" answers (in the period, by when the article was offered)
    feedback_no: int = 0

    @property
    def deflection_rate(self) -> float | None:
        return self.deflected / self.conversations if self.conversations else None

    @property
    def handoff_rate(self) -> float | None:
        return self.handed_off / self.conversations if self.conversations else None

    @property
    def yes_rate(self) -> float | None:
        answered = self.feedback_yes + self.feedback_no
        return self.feedback_yes / answered if answered else None


def metrics(*, since: datetime, until: datetime, channel_id: int | None = None) -> BotMetrics:
    """Deflection (conversations closed by the bot without a person), hand-off rate and reasons, and the
    "did this help" yes rate. A conversation counts once, by its current bot state."""
    qs = BotConversation.objects.filter(started_at__gte=since, started_at__lt=until)
    answers = BotAnswer.objects.filter(created_at__gte=since, created_at__lt=until, conversation__bot__isnull=False)
    if channel_id is not None:
        qs = qs.filter(channel_id=channel_id)
        answers = answers.filter(conversation__channel_id=channel_id)
    State = BotConversation.State
    deflected_filter = Q(state=State.RESOLVED, conversation__first_reply_at__isnull=True,
                         outcome__in=[BotConversation.Outcome.CONFIRMED, BotConversation.Outcome.QUIET])
    totals = qs.aggregate(
        conversations=Count("id"),
        deflected=Count("id", filter=deflected_filter),
        handed_off=Count("id", filter=Q(state=State.HANDED_OFF)),
        active=Count("id", filter=Q(state=State.ACTIVE)),
    )
    answered = (BotAnswer.objects.filter(conversation__bot__in=qs).values("conversation_id").distinct().count())
    reasons = dict(qs.filter(state=State.HANDED_OFF).values_list("reason").annotate(n=Count("id"))
                   .values_list("reason", "n"))
    outcomes = dict(qs.filter(state=State.RESOLVED).values_list("outcome").annotate(n=Count("id"))
                    .values_list("outcome", "n"))
    feedback = answers.aggregate(yes=Count("id", filter=Q(helped=True)), no=Count("id", filter=Q(helped=False)))
    return BotMetrics(
        conversations=totals["conversations"], answered=answered, deflected=totals["deflected"],
        handed_off=totals["handed_off"], active=totals["active"], reasons=reasons, outcomes=outcomes,
        feedback_yes=feedback["yes"], feedback_no=feedback["no"],
    )


@dataclass(frozen=True)
class Panel:
    """What an agent sees of the bot in a conversation's side panel."""

    state: BotConversation | None
    answers: list[BotAnswer]
    enabled: bool  # the channel has the bot on (so it can be resumed here)

    @property
    def active(self) -> bool:
        return self.state is not None and self.state.state == BotConversation.State.ACTIVE and not self.state.paused


def panel_for(conversation: Conversation) -> Panel | None:
    """None when the bot has nothing to do with this conversation's channel."""
    state = BotConversation.objects.filter(conversation=conversation).first()
    settings = settings_for(conversation.channel_id)
    enabled = bool(settings and settings.enabled and conversation.channel.kind != "email")
    if state is None and not enabled:
        return None
    return Panel(state=state, answers=answers_in(conversation) if state is not None else [], enabled=enabled)


def channel_rows(*, since: datetime, until: datetime) -> list[dict[str, Any]]:
    """Per active channel: the channel, its kind as people read it, its bot settings (or None) and its numbers."""
    from django.utils.translation import gettext as _

    from ruamchat.connectors import registry
    from ruamchat.connectors.models import Channel

    saved = {s.channel_id: s for s in BotSettings.objects.all()}
    return [
        {"channel": channel, "settings": saved.get(channel.pk),
         "kind": _(registry.get(channel.kind).label) if channel.kind in registry.kinds() else channel.kind,
         "metrics": metrics(since=since, until=until, channel_id=channel.pk)}
        for channel in Channel.objects.filter(is_active=True).order_by("name")
    ]
