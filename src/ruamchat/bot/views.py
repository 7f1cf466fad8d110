"""The chatbot for people: its numbers per channel (supervisors, administrators) and pausing or resuming it
in a conversation (agents). Views parse input, call a selector or an action, and answer."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ruamchat.accounts.selectors import profile_for
from ruamchat.bot import actions, selectors
from ruamchat.bot.models import BotConversation
from ruamchat.inbox.views import _conversation_or_404, _user, agent_required

PERIODS = (7, 30, 90)


@require_GET
@agent_required
def overview(request: HttpRequest) -> HttpResponse:
    profile = profile_for(_user(request))
    if not profile.sees_everything:
        raise PermissionDenied(_("Only supervisors and administrators can see the chatbot's numbers."))
    try:
        days = int(request.GET.get("days") or 30)
    except ValueError:
        days = 30
    days = days if days in PERIODS else 30
    until = timezone.now()
    since = until - timedelta(days=days)
    return render(request, "bot/overview.html", {
        "rows": selectors.channel_rows(since=since, until=until),
        "total": selectors.metrics(since=since, until=until), "days": days, "periods": PERIODS,
        "reasons": dict(BotConversation.Reason.choices), "is_admin": profile.is_admin,
    })


def _back(pk: int) -> HttpResponse:
    return redirect(reverse("inbox:conversation", args=[pk]))


@require_POST
@agent_required
def pause(request: HttpRequest, pk: int) -> HttpResponse:
    actions.pause(conversation=_conversation_or_404(_user(request), pk), actor=_user(request))
    flash.success(request, _("The chatbot is paused for this conversation."))
    return _back(pk)


@require_POST
@agent_required
def resume(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        actions.resume(conversation=_conversation_or_404(_user(request), pk), actor=_user(request))
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    else:
        flash.success(request, _("The chatbot answers this conversation again."))
    return _back(pk)
