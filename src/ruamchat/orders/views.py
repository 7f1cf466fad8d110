"""The order panel (conversation side panel, contact page) and an agent's own lookup. Views parse input, call
a selector or the lookup, and answer: the panel's fragment to htmx, a whole page otherwise (no JavaScript)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from ruamchat.contacts.models import Contact
from ruamchat.inbox.models import Conversation
from ruamchat.inbox.selectors import get_conversation, get_visible_contact
from ruamchat.inbox.views import _is_htmx, _user, agent_required
from ruamchat.orders import selectors
from ruamchat.orders.lookup import clean_number, lookup
from ruamchat.orders.patterns import MAX_NUMBER_LENGTH


def _id(raw: str | None) -> int:
    try:
        return int(raw or 0)
    except ValueError:
        return 0


def _target(request: HttpRequest) -> tuple[Conversation | None, Contact]:
    """The conversation (or, on the contact page, the contact) the panel is for: 404 unless the user sees it."""
    user = _user(request)
    if request.GET.get("conversation"):
        conversation = get_conversation(user, _id(request.GET.get("conversation")))
        if conversation is None:
            raise Http404(_("Conversation not found."))
        return conversation, conversation.contact
    contact = get_visible_contact(user, _id(request.GET.get("contact")))
    if contact is None:
        raise Http404(_("Contact not found."))
    return None, contact


def _render(request: HttpRequest, fragment: str, context: dict[str, object], status: int = 200) -> HttpResponse:
    if _is_htmx(request):
        return render(request, fragment, context, status=status)
    return render(request, "orders/page.html", {**context, "fragment": fragment}, status=status)


@require_GET
@agent_required
def panel(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    conversation, contact = _target(request)
    if conversation is not None:
        mentions = selectors.mentions_in_conversation(user, conversation)
    else:
        mentions = selectors.mentions_of_contact(user, contact)
    return _render(request, "orders/panel.html", {
        "conversation": conversation, "contact": contact, "found": selectors.looked_up(mentions),
        "has_sources": selectors.has_sources(), "max_numbers": selectors.MAX_NUMBERS,
    })


@require_GET
@agent_required
def lookup_typed(request: HttpRequest) -> HttpResponse:
    conversation, contact = _target(request)
    typed = request.GET.get("number", "")
    number = clean_number(typed)
    context: dict[str, object] = {"conversation": conversation, "contact": contact, "number": typed.strip()}
    if not number:
        context["error"] = _("Type an order number.")
    elif len(typed.strip()) > MAX_NUMBER_LENGTH:
        context["error"] = _("An order number has at most %(max)d characters.") % {"max": MAX_NUMBER_LENGTH}
    else:
        context["typed"] = lookup(number)
    return _render(request, "orders/typed.html", context, status=422 if "error" in context else 200)
