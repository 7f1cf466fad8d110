"""Writes for the chatbot.

How a conversation goes through the bot:

- ``customer_wrote`` runs in the transaction that stores a customer's message (``inbox.actions``). On a
  channel with the bot on, a new one-to-one conversation gets the status ``bot`` (no queue, no SLA clock,
  no automatic assignment) and a ``bot.respond`` job; so does every later message while the bot has it.
- ``respond`` (the job) decides with ``engine.decide`` and answers through ``inbox.actions.send_automatic``
  (never under Meta's human-agent tag; LINE's connector uses the reply token), or hands off with
  ``inbox.actions.hand_over_from_bot`` and tells the customer who will answer and when.
- A person replying, taking, transferring or changing the status ends the bot for that conversation
  (``person_stepped_in``, called by the inbox). Agents may ``pause`` and ``resume`` it per conversation.
- ``sweep_quiet`` resolves conversations whose customer went quiet after an answer.

The bot never answers its own or anyone's outgoing messages, echoes, notes, group chats or automatic mail
(only customers' messages reach ``customer_wrote``), sends at most ``max_messages`` automatic messages per
conversation and hands off when a customer repeats the same message (another bot).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ruamchat.accounts.actions import check_admin
from ruamchat.accounts.selectors import profile_for
from ruamchat.bot import engine, replies, selectors
from ruamchat.bot.models import BotAnswer, BotConversation, BotSettings
from ruamchat.connectors.models import Channel
from ruamchat.core.text import detect_language
from ruamchat.inbox import actions as inbox
from ruamchat.inbox.models import Conversation, Event, Message
from ruamchat.inbox.selectors import is_group_chat
from ruamchat.jobs import queue

logger = logging.getLogger("ruamchat.bot")

Status = Conversation.Status
State = BotConversation.State
Reason = BotConversation.Reason
#: channels where the bot only acknowledges (a conversation by email is not a chat)
ACKNOWLEDGE_ONLY = frozenset({"email"})
QUIET_BATCH = 200


def _language_of(conversation: Conversation, text: str) -> str:
    if any(ch.isalpha() for ch in text):
        return detect_language(text)
    language = (conversation.contact.language or "")[:2].lower()
    return language if language in ("th", "en") else "th"


def _locked(conversation_id: int) -> Conversation | None:
    """The conversation locked for this transaction (its own row only: the team may be missing, and PostgreSQL
    cannot lock the missing side of an outer join)."""
    return (Conversation.objects.select_for_update(of=("self",)).select_related("channel", "contact", "team")
            .filter(pk=conversation_id).first())


# ---------------------------------------------------------------- a customer wrote


def customer_wrote(conversation: Conversation, message: Message, *, created: bool, reopened: bool) -> bool:
    """Called while the customer's message is stored (the conversation is locked, saved by the caller).
    True when the bot has the conversation: it answers in a job after commit."""
    settings = selectors.settings_for(conversation.channel_id)
    if settings is None:
        return False
    kind = conversation.channel.kind
    if created and kind in ACKNOWLEDGE_ONLY:
        if settings.enabled:
            queue.enqueue("bot.acknowledge", conversation_id=conversation.pk, message_id=message.pk)
        elif settings.after_hours:
            queue.enqueue("bot.after_hours", conversation_id=conversation.pk)
        return False
    if created:
        if not settings.enabled:
            if settings.after_hours:
                queue.enqueue("bot.after_hours", conversation_id=conversation.pk)
            return False
        conversation.status = Status.BOT
        BotConversation.objects.create(conversation=conversation, channel_id=conversation.channel_id,
                                       language=_language_of(conversation, message.text))
        queue.enqueue("bot.respond", message_id=message.pk)
        return True
    state = BotConversation.objects.select_for_update().filter(conversation=conversation).first()
    if state is None or kind in ACKNOWLEDGE_ONLY:
        return False
    if conversation.status == Status.BOT and state.state == State.ACTIVE:
        state.quiet_check_at = None  # the customer is here: not quiet
        state.save(update_fields=["quiet_check_at", "updated_at"])
        queue.enqueue("bot.respond", message_id=message.pk)
        return True
    bot_only = state.state == State.RESOLVED and conversation.first_reply_at is None and not state.paused
    if reopened and bot_only and settings.enabled:
        # the customer is back in a conversation only the bot had: the bot answers again
        conversation.status = Status.BOT
        state.state, state.outcome, state.awaiting, state.ended_at, state.quiet_check_at = (
            State.ACTIVE, "", "", None, None)
        state.save(update_fields=["state", "outcome", "awaiting", "ended_at", "quiet_check_at", "updated_at"])
        queue.enqueue("bot.respond", message_id=message.pk)
        return True
    return False


def person_stepped_in(*, conversation: Conversation, actor: User | None) -> None:
    """A person replied to, took, moved or closed a conversation the bot had: the bot stops there."""
    BotConversation.objects.filter(conversation=conversation, state=State.ACTIVE).update(
        state=State.HANDED_OFF, reason=Reason.AGENT, awaiting="", ended_at=timezone.now(), quiet_check_at=None,
        updated_at=timezone.now())


# ---------------------------------------------------------------- answering


def respond(*, message_id: int) -> None:
    """Answer the customer's latest message in a conversation the bot has (run by the worker)."""
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        return
    with transaction.atomic():
        conversation = _locked(message.conversation_id)
        if conversation is None:
            return
        state = BotConversation.objects.select_for_update().filter(conversation=conversation).first()
        if state is None or state.state != State.ACTIVE or state.paused or conversation.status != Status.BOT:
            return  # a person stepped in meanwhile, or an agent paused the bot
        newest = (Message.objects.filter(conversation=conversation, direction=Message.Direction.INCOMING)
                  .order_by("-id").values_list("id", flat=True).first())
        if newest != message.pk:
            return  # the customer wrote again: that message's job answers everything at once
        settings = selectors.settings_or_default(conversation.channel_id)
        text, unanswered = selectors.unanswered_text(conversation)
        language = _language_of(conversation, text) if text else state.language or "th"
        if language != state.language:
            state.language = language
        decision = decide(conversation=conversation, state=state, settings=settings, text=text,
                          unanswered=unanswered, language=language)
        _carry_out(conversation, state, settings, decision, message, language)


def decide(*, conversation: Conversation, state: BotConversation, settings: BotSettings, text: str,
           unanswered: list[Message], language: str) -> engine.Decision:
    """The decision for what the customer wrote since the bot last spoke (reads only)."""
    from ruamchat.routing.actions import tokenize

    if not settings.enabled:
        return engine.Decision(engine.HANDOFF, reason=Reason.PAUSED)
    postback = ""
    for item in reversed(unanswered):
        data = (item.metadata.get("postback") or {}).get("data") if isinstance(item.metadata, dict) else None
        if data:
            postback = str(data)
            break
    if not text and not postback:
        kinds = {a.kind for m in unanswered for a in m.attachments.all()}
        if kinds and kinds != {"sticker"}:
            return engine.Decision(engine.HANDOFF, reason=Reason.NOT_TEXT)
        return engine.Decision(engine.NOTHING)
    recent = selectors.recent_customer_texts(conversation, 3)
    if len(recent) == 3 and recent[0] and len({" ".join(t.split()).lower() for t in recent}) == 1:
        return engine.Decision(engine.HANDOFF, reason=Reason.LOOP)
    # the bot's own buttons say what they mean; anything else (typed words, a menu button of the provider's
    # own) is read for urgency, anger and a request for a person
    signals = selectors.signals_for(text) if text and not engine.parse_postback(postback)[0] else engine.Signals()
    return engine.decide(
        text=text, postback=postback, awaiting=state.awaiting, choices=list(state.choices or []),
        threshold=settings.threshold, signals=signals, tokenize=tokenize,
        search=lambda query: selectors.candidates(query, detect_language(query) if query else language),
        pick=selectors.offered_article,
    )


def _send(conversation: Conversation, state: BotConversation, reply: replies.Reply, kind: str) -> Message | None:
    try:
        sent = inbox.send_automatic(conversation=conversation, text=reply.text, sender_type=Message.Sender.BOT,
                                    cards=reply.cards, quick_replies=reply.quick_replies, metadata={"bot": kind})
    except ValidationError as exc:  # the channel refuses automatic messages now (Meta's 24-hour window …)
        logger.info("bot message to conversation %s not sent: %s", conversation.pk, exc)
        return None
    state.messages_sent += 1
    return sent


def _carry_out(conversation: Conversation, state: BotConversation, settings: BotSettings,
               decision: engine.Decision, question: Message, language: str) -> None:
    now = timezone.now()
    greeting = settings.greeting(language) if not state.greeted else ""
    if decision.helped is not None:
        latest = BotAnswer.objects.filter(conversation=conversation, kind=BotAnswer.Kind.ANSWER).order_by("-id").first()
        if latest is not None and latest.helped is None:
            latest.helped = decision.helped
            latest.save(update_fields=["helped"])
    action = decision.action
    if action in (engine.ANSWER, engine.CHOICES, engine.GREET, engine.RESOLVE) \
            and state.messages_sent + 1 >= settings.max_messages:
        action, decision = engine.HANDOFF, engine.Decision(engine.HANDOFF, reason=Reason.LIMIT)
    if action == engine.NOTHING:
        if state.awaiting and state.quiet_check_at is None:
            state.quiet_check_at = now + timedelta(minutes=settings.quiet_minutes)
        state.save()
        return
    if action == engine.HANDOFF:
        hand_off(conversation=conversation, state=state, settings=settings, reason=decision.reason,
                 language=language, greeting=greeting)
        return
    if action == engine.RESOLVE:
        _send(conversation, state, replies.resolved(language), "resolved")
        inbox.resolve_by_bot(conversation=conversation, outcome=BotConversation.Outcome.CONFIRMED)
        state.state, state.outcome, state.awaiting, state.ended_at = State.RESOLVED, decision.reason, "", now
        state.quiet_check_at = None
        state.save()
        return
    if action == engine.GREET:
        sent = _send(conversation, state, replies.greet(language, greeting=greeting), "greeting")
    else:
        offered = [(candidate, selectors.article_url(candidate)) for candidate in decision.candidates]
        if action == engine.ANSWER:
            reply = replies.answer(offered[0][0], offered[0][1], language, greeting=greeting)
        else:
            reply = replies.choices(offered, language, greeting=greeting)
        sent = _send(conversation, state, reply, action)
        if sent is not None:
            kind = BotAnswer.Kind.ANSWER if action == engine.ANSWER else BotAnswer.Kind.CHOICE
            BotAnswer.objects.bulk_create([
                BotAnswer(conversation=conversation, question=question, reply=sent, article=candidate.article,
                          title=candidate.title[:255], url=url[:1000], kind=kind, confidence=decision.confidence)
                for candidate, url in offered])
            inbox.record_event(conversation_id=conversation.pk, kind=Event.Kind.BOT_ANSWERED, actor=None,
                                   answer=action, confidence=round(decision.confidence, 3),
                                   articles=[{"article_id": c.article_id, "title": c.title} for c, _u in offered])
            state.awaiting = "feedback" if action == engine.ANSWER else "choice"
            state.choices = [c.article_id for c, _u in offered] if action == engine.CHOICES else []
            state.last_answer_at = now
    if sent is None:
        hand_off(conversation=conversation, state=state, settings=settings, reason=Reason.WINDOW,
                 language=language, greeting="", tell=False)
        return
    if greeting:
        state.greeted = True
    if action == engine.GREET:
        state.awaiting = ""
    state.quiet_check_at = now + timedelta(minutes=settings.quiet_minutes)
    state.save()


# ---------------------------------------------------------------- handing off


def _offered(conversation: Conversation) -> list[dict[str, Any]]:
    return [{"article_id": a.article_id, "title": a.title, "url": a.url, "kind": a.kind, "helped": a.helped}
            for a in BotAnswer.objects.filter(conversation=conversation).order_by("id")]


def handoff_reply(conversation: Conversation, settings: BotSettings, language: str,
                  greeting: str = "") -> replies.Reply:
    """"Somchai / the Service team will answer within about 15 minutes" — from the team's business calendar
    and SLA; outside business hours, when the team is back and what to send meanwhile."""
    from ruamchat.sla.selectors import calendar_for_team

    now = timezone.now()
    calendar = calendar_for_team(conversation.team_id)
    open_now = calendar.is_open(now)
    answer_by = conversation.first_response_due_at if conversation.first_reply_at is None \
        else conversation.next_response_due_at
    if answer_by is None and not open_now:
        try:
            answer_by = calendar.next_open(now)
        except ValueError:
            answer_by = None
    if not settings.after_hours:
        open_now = True  # do not speak of business hours
    agent = profile_for(conversation.assignee).name if conversation.assignee is not None else ""
    team = conversation.team.name if conversation.team is not None else ""
    with_team = _("%(agent)s (%(team)s)") % {"agent": agent, "team": team} if agent and team else ""
    return replies.handoff(
        language=language, team=team, agent=with_team or agent, open_now=open_now, answer_by=answer_by, now=now,
        time_zone=calendar.time_zone, greeting=greeting,
        details=replies.after_hours_details(language, settings.after_hours_details(language)),
    )


def hand_off(*, conversation: Conversation, state: BotConversation, settings: BotSettings, reason: str,
             language: str, greeting: str = "", tell: bool = True) -> None:
    """Give the conversation to its team with the bot's transcript (its messages stay in the conversation),
    the articles it offered and why; tell the customer who will answer and when (``tell``)."""
    inbox.hand_over_from_bot(conversation=conversation, reason=reason, articles=_offered(conversation))
    conversation.refresh_from_db(fields=["assignee", "team", "first_response_due_at", "next_response_due_at",
                                         "first_reply_at"])
    if tell and state.messages_sent < settings.max_messages:
        _send(conversation, state, handoff_reply(conversation, settings, language, greeting), "handoff")
    state.state, state.reason, state.awaiting, state.choices = State.HANDED_OFF, reason, "", []
    state.ended_at, state.quiet_check_at = timezone.now(), None
    state.save()


# ---------------------------------------------------------------- email and after hours


def acknowledge(*, conversation_id: int, message_id: int) -> None:
    """Email: one automatic acknowledgement with who answers when and articles that may already help (the
    bot does not converse by email). Sent only where automatic mail is allowed (never to an auto-replier)."""
    with transaction.atomic():
        conversation = _locked(conversation_id)
        message = Message.objects.filter(pk=message_id).first()
        if conversation is None or message is None or conversation.first_reply_at is not None:
            return
        if Message.objects.filter(conversation=conversation, metadata__bot="acknowledgement").exists():
            return
        settings = selectors.settings_or_default(conversation.channel_id)
        if not settings.enabled:
            return
        query = f"{conversation.subject} {message.text}".strip()[:1000]
        language = _language_of(conversation, query)
        found = [c for c in selectors.candidates(query, language) if c.confidence >= settings.threshold] \
            if query else []
        offered = [(candidate, selectors.article_url(candidate)) for candidate in found]
        waiting = handoff_reply(conversation, settings, language).text
        reply = replies.acknowledgement(language=language, number=conversation.number, articles=offered,
                                        handoff_text=waiting)
        try:
            sent = inbox.send_automatic(conversation=conversation, text=reply.text, sender_type=Message.Sender.BOT,
                                        metadata={"bot": "acknowledgement"})
        except ValidationError as exc:
            logger.info("acknowledgement for conversation %s not sent: %s", conversation.pk, exc)
            return
        BotAnswer.objects.bulk_create([
            BotAnswer(conversation=conversation, question=message, reply=sent, article=candidate.article,
                      title=candidate.title[:255], url=url[:1000], kind=BotAnswer.Kind.CHOICE,
                      confidence=candidate.confidence)
            for candidate, url in offered])
        inbox.record_event(conversation_id=conversation.pk, kind=Event.Kind.BOT_ANSWERED, actor=None,
                               answer="acknowledgement",
                               articles=[{"article_id": c.article_id, "title": c.title} for c, _u in offered])


def after_hours(*, conversation_id: int) -> None:
    """With the bot off: a new conversation that starts outside business hours hears when the team is back
    and what to send meanwhile (once)."""
    from ruamchat.sla.selectors import calendar_for_team

    with transaction.atomic():
        conversation = _locked(conversation_id)
        if conversation is None or not conversation.is_active or conversation.first_reply_at is not None:
            return
        settings = selectors.settings_or_default(conversation.channel_id)
        if not settings.after_hours or calendar_for_team(conversation.team_id).is_open(timezone.now()):
            return
        if Message.objects.filter(conversation=conversation, metadata__bot="after_hours").exists():
            return
        first = conversation.messages.filter(direction=Message.Direction.INCOMING).order_by("id").first()
        language = _language_of(conversation, first.text if first is not None else "")
        reply = handoff_reply(conversation, settings, language, settings.greeting(language))
        try:
            inbox.send_automatic(conversation=conversation, text=reply.text, sender_type=Message.Sender.BOT,
                                 metadata={"bot": "after_hours"})
        except ValidationError as exc:
            logger.info("after-hours message for conversation %s not sent: %s", conversation.pk, exc)


# ---------------------------------------------------------------- quiet customers


def sweep_quiet(now: Any = None) -> int:
    """Resolve conversations whose customer went quiet after the bot spoke (deflected when it had answered)."""
    now = now or timezone.now()
    due = list(BotConversation.objects.filter(state=State.ACTIVE, quiet_check_at__lte=now)
               .values_list("conversation_id", flat=True)[:QUIET_BATCH])
    done = 0
    for conversation_id in due:
        with transaction.atomic():
            conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
            state = BotConversation.objects.select_for_update().get(conversation_id=conversation_id)
            if state.state != State.ACTIVE or conversation.status != Status.BOT or state.quiet_check_at is None \
                    or state.quiet_check_at > now:
                continue
            outcome = BotConversation.Outcome.QUIET if state.awaiting == "feedback" \
                else BotConversation.Outcome.ABANDONED
            inbox.resolve_by_bot(conversation=conversation, outcome=outcome)
            state.state, state.outcome, state.awaiting = State.RESOLVED, outcome, ""
            state.ended_at, state.quiet_check_at = now, None
            state.save()
            done += 1
    return done


# ---------------------------------------------------------------- agents and administrators


def pause(*, conversation: Conversation, actor: User) -> BotConversation:
    """The bot stops answering this conversation (until resumed); if it had it, the team gets it now."""
    inbox.check_can_act(actor, conversation)
    with transaction.atomic():
        conversation = _locked(conversation.pk) or conversation
        state, _created = BotConversation.objects.select_for_update().get_or_create(
            conversation=conversation, defaults={"channel_id": conversation.channel_id,
                                                 "state": State.HANDED_OFF, "reason": Reason.PAUSED})
        if state.paused:
            return state
        state.paused = True
        if conversation.status == Status.BOT:
            inbox.hand_over_from_bot(conversation=conversation, reason=Reason.PAUSED, articles=_offered(conversation))
            state.state, state.reason, state.awaiting, state.ended_at = State.HANDED_OFF, Reason.PAUSED, "", \
                timezone.now()
            state.quiet_check_at = None
        state.save()
        inbox.record_event(conversation_id=conversation.pk, kind=Event.Kind.BOT_PAUSED, actor=actor)
    return state


def resume(*, conversation: Conversation, actor: User) -> BotConversation:
    """Give the conversation back to the bot: it answers the customer's next message."""
    inbox.check_can_act(actor, conversation)
    settings = selectors.settings_or_default(conversation.channel_id)
    channel = Channel.objects.get(pk=conversation.channel_id)
    if not settings.enabled or channel.kind in ACKNOWLEDGE_ONLY:
        raise ValidationError(_("The chatbot is not on for this channel."))
    if is_group_chat(conversation):
        raise ValidationError(_("The chatbot does not answer in group chats."))
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if conversation.status == Status.CLOSED:
            raise ValidationError(_("A closed conversation cannot be given back to the chatbot."))
        state, _created = BotConversation.objects.select_for_update().get_or_create(
            conversation=conversation, defaults={"channel_id": conversation.channel_id})
        state.paused = False
        state.state, state.reason, state.outcome, state.awaiting, state.choices = State.ACTIVE, "", "", "", []
        state.messages_sent, state.ended_at, state.quiet_check_at = 0, None, None
        state.save()
        inbox.give_to_bot(conversation=conversation, actor=actor)
    return state


SETTINGS_FIELDS = ("enabled", "greeting_th", "greeting_en", "after_hours", "after_hours_details_th",
                   "after_hours_details_en", "threshold", "max_messages", "quiet_minutes")


def save_settings(*, actor: User | None, channel: Channel, **values: Any) -> BotSettings:
    """An administrator changes the bot's settings for a channel (unknown names are refused)."""
    check_admin(actor)
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown settings: %(names)s") % {"names": ", ".join(sorted(unknown))})
    settings = selectors.settings_or_default(channel.pk)
    for name, value in values.items():
        if value is not None:
            setattr(settings, name, value.strip() if isinstance(value, str) else value)
    settings.full_clean(exclude=["channel"])
    settings.save()
    return settings
