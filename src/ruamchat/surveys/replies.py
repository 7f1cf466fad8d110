"""What the customer reads: the survey question on each channel, the follow-up question and the thanks in the
chat, and the campaign notice. Call inside ``translation.override(invitation.language)``; the survey's own
texts (editable per language) come from the ``Survey``, the rest from the translation catalogue."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language, pgettext, pgettext_lazy
from django.utils.translation import gettext as _

from ruamchat.connectors.base import Notice
from ruamchat.surveys import selectors
from ruamchat.surveys.models import Invitation, Survey

#: chat channels that show buttons (quick replies; stars in the website chat) and read typed scores
CHAT_KINDS = frozenset({"line", "messenger", "instagram", "website"})

#: the chat buttons' words: short, as LINE and Messenger cut button labels at 20 characters
CSAT_LABELS = {
    5: ("😍", pgettext_lazy("CSAT button", "Very happy")),
    4: ("🙂", pgettext_lazy("CSAT button", "Happy")),
    3: ("😐", pgettext_lazy("CSAT button", "Okay")),
    2: ("🙁", pgettext_lazy("CSAT button", "Unhappy")),
    1: ("😠", pgettext_lazy("CSAT button", "Very unhappy")),
}


@dataclass(frozen=True)
class Content:
    text: str
    cards: list[dict[str, Any]] = field(default_factory=list)
    quick_replies: list[dict[str, str]] = field(default_factory=list)
    #: asked in the chat: the customer answers with a button or by typing
    chat: bool = False


def _language() -> str:
    return "en" if (get_language() or "").startswith("en") else "th"


def csat_label(score: int) -> str:
    emoji, label = CSAT_LABELS[score]
    return f"{score} {emoji} {label}"


def invitation(invitation: Invitation, channel_kind: str) -> Content:
    """The survey as a message in its conversation."""
    survey = invitation.survey
    language = _language()
    question = survey.text("question", language)
    number = invitation.conversation_id
    if survey.kind == Survey.Kind.CSAT and channel_kind in CHAT_KINDS:
        return Content(
            text=question,
            quick_replies=[{"label": csat_label(score), "data": f"survey:{invitation.pk}:{score}"}
                           for score in range(5, 0, -1)],
            chat=True,
        )
    if survey.kind == Survey.Kind.CSAT:  # email: one link per answer, each opens the page with it chosen
        lines = [question, ""]
        lines += [f"{csat_label(score)}: {selectors.link(invitation, score=score)}" for score in range(5, 0, -1)]
        lines += ["", _("Conversation #%(number)s") % {"number": number}]
        return Content(text="\n".join(lines))
    link = selectors.link(invitation)
    if channel_kind in ("line", "website"):
        return Content(text=question, cards=[{"title": survey.name, "text": _("It takes less than a minute."),
                                              "url": link, "link_label": pgettext("survey button", "Answer")}])
    return Content(text=_("%(question)s\n\nAnswer here (less than a minute): %(link)s") % {
        "question": question, "link": link})


def followup(invitation: Invitation) -> Content:
    """After a score in the chat: the survey's "why?" question, with a way to skip it."""
    text = invitation.survey.text("followup", _language())
    text = _("Thank you! %(question)s\nType it here, or press “No, thanks”.") % {"question": text}
    return Content(text=text,
                   quick_replies=[{"label": _("No, thanks"), "data": f"survey:{invitation.pk}:skip"}])


def thanks(invitation: Invitation) -> Content:
    text = invitation.survey.text("thanks", _language()) or _("Thank you for your feedback.")
    return Content(text=text)


def notice(invitation: Invitation, *, address: str, reminder: bool) -> Notice:
    """A campaign's invitation (or its one reminder) to the contact, outside any conversation."""
    survey = invitation.survey
    language = _language()
    question = survey.text("question", language)
    name = invitation.contact.name or ""
    greeting = _("Hello %(name)s,") % {"name": name} if name else _("Hello,")
    intro = _("A reminder: we would still love to hear from you.") if reminder else \
        _("We would love to hear how we are doing.")
    text = "\n\n".join([greeting, intro, question])
    subject = (_("Reminder: %(survey)s") if reminder else "%(survey)s") % {"survey": survey.name}
    return Notice(
        to=address, subject=subject, text=text, link=selectors.link(invitation),
        link_label=pgettext("survey button", "Answer"),
        unsubscribe=selectors.link(invitation, step="opt-out"),
        key=f"{invitation.token}:{'reminder' if reminder else 'invitation'}", language=language)
