"""The bot's words, in the customer's language: answers as cards with "did it help?" buttons, choices, the
greeting, and the hand-off message that says who will answer and when (from the team's business calendar
and SLA). Channel-neutral: ``cards`` and ``quick_replies`` are shown natively where a channel can."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import formats, translation
from django.utils.translation import gettext as _

from ruamchat.bot.engine import Candidate

EXCERPT_CHARS = 280


@dataclass(frozen=True)
class Reply:
    text: str
    cards: list[dict[str, Any]] = field(default_factory=list)
    quick_replies: list[dict[str, str]] = field(default_factory=list)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,.;:") + "…"


def _card(candidate: Candidate, url: str, *, action: dict[str, str] | None = None) -> dict[str, Any]:
    card: dict[str, Any] = {"title": candidate.title, "text": excerpt(candidate.snippet), "url": url,
                            "link_label": _("Read the article")}
    if action:
        card["action"] = action
    return card


def _with_greeting(text: str, greeting: str) -> str:
    return f"{greeting}\n\n{text}" if greeting else text


def answer(candidate: Candidate, url: str, language: str, *, greeting: str = "") -> Reply:
    with translation.override(language):
        return Reply(
            text=_with_greeting(_("This article should answer your question. Did it help?"), greeting),
            cards=[_card(candidate, url)],
            quick_replies=[
                {"label": _("Yes, thanks"), "data": "bot:yes"},
                {"label": _("No"), "data": "bot:no"},
                {"label": _("Talk to a person"), "data": "bot:human"},
            ],
        )


def choices(candidates: list[tuple[Candidate, str]], language: str, *, greeting: str = "") -> Reply:
    with translation.override(language):
        return Reply(
            text=_with_greeting(_("I found a few articles that may help. Which one is closest to your question?"),
                                greeting),
            cards=[_card(candidate, url, action={"label": _("This one"), "data": f"bot:pick:{candidate.article_id}"})
                   for candidate, url in candidates],
            quick_replies=[
                *({"label": str(number), "data": f"bot:pick:{candidate.article_id}"}
                  for number, (candidate, _url) in enumerate(candidates, start=1)),
                {"label": _("None of these"), "data": "bot:none"},
            ],
        )


def greet(language: str, *, greeting: str = "") -> Reply:
    with translation.override(language):
        return Reply(text=_with_greeting(
            _("What would you like to know? Ask about ordering, delivery, payment, returns or your account, "
              "or type “talk to a person”."), greeting))


def resolved(language: str) -> Reply:
    with translation.override(language):
        return Reply(text=_("Glad it helped! Write to us again any time."))


def after_hours_details(language: str, configured: str) -> str:
    with translation.override(language):
        return configured or _("So that we can help you quickly, please tell us your order number (if you have "
                               "one) and how we can reach you.")


def when(moment: datetime, now: datetime, time_zone: str, language: str) -> str:
    """"within about 15 minutes", "today at 16:30", "tomorrow at 09:00", "on Monday 23 November at 09:00"."""
    zone = ZoneInfo(time_zone)
    local, today = moment.astimezone(zone), now.astimezone(zone)
    with translation.override(language):
        left = moment - now
        if left <= timedelta(minutes=1):
            return _("shortly")
        if left <= timedelta(minutes=90):
            minutes = max(5, round(left.total_seconds() / 60 / 5) * 5)
            return _("within about %(minutes)s minutes") % {"minutes": minutes}
        clock = formats.time_format(local, "H:i")
        if local.date() == today.date():
            return _("today at %(time)s") % {"time": clock}
        if local.date() == (today + timedelta(days=1)).date():
            return _("tomorrow at %(time)s") % {"time": clock}
        return _("on %(day)s at %(time)s") % {"day": formats.date_format(local, "l j F"), "time": clock}


def handoff(*, language: str, team: str, agent: str, open_now: bool, answer_by: datetime | None, now: datetime,
            time_zone: str, details: str, greeting: str = "") -> Reply:
    """Who will answer and when; outside business hours, when the team is back and what to send meanwhile."""
    with translation.override(language):
        who = agent or team or _("our team")
        if open_now:
            if answer_by is not None:
                text = _("I have passed your question to %(who)s. Someone will answer %(when)s.") % {
                    "who": who, "when": when(answer_by, now, time_zone, language)}
            else:
                text = _("I have passed your question to %(who)s. Someone will answer shortly.") % {"who": who}
        elif answer_by is not None:
            text = _("Our team is away right now. %(who)s will answer %(when)s.") % {
                "who": who, "when": when(answer_by, now, time_zone, language)}
            text += "\n\n" + details
        else:
            text = _("Our team is away right now; %(who)s will answer as soon as they are back.") % {"who": who}
            text += "\n\n" + details
        return Reply(text=_with_greeting(text, greeting))


def acknowledgement(*, language: str, number: int, articles: list[tuple[Candidate, str]], handoff_text: str) -> Reply:
    """The one automatic email: we have your mail, who answers when, and articles that may already help."""
    with translation.override(language):
        lines = [_("Thank you for writing to us. We have received your message (case #%(number)s).") % {
            "number": number}, handoff_text]
        if articles:
            lines.append(_("While you wait, these articles may already answer your question:"))
            lines.append("\n".join(f"• {candidate.title}\n  {url}" for candidate, url in articles))
        lines.append(_("You do not need to reply to this message; just answer this email if you want to add "
                       "something."))
        return Reply(text="\n\n".join(lines))
