"""The surveys for people: the numbers by team, agent, channel and category, comments with their sentiment
and topics, follow-ups and campaigns (supervisors, administrators); closing a follow-up (agents who may work
on the conversation). Views parse input, call a selector or an action, and answer."""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from ruamchat.accounts.selectors import profile_for
from ruamchat.inbox.selectors import can_view
from ruamchat.inbox.views import _user, agent_required
from ruamchat.surveys import actions, selectors
from ruamchat.surveys.models import Campaign, FollowUp, Response, Survey

PERIODS = (7, 30, 90, 365)
GROUP_LABELS = {"team": gettext_lazy("Team"), "agent": gettext_lazy("Agent"), "channel": gettext_lazy("Channel"),
                "category": gettext_lazy("Category"), "week": gettext_lazy("Week"), "month": gettext_lazy("Month")}


def _supervisor(request: HttpRequest) -> None:
    if not profile_for(_user(request)).sees_everything:
        raise PermissionDenied(_("Only supervisors and administrators can see the survey results."))


@require_GET
@agent_required
def overview(request: HttpRequest) -> HttpResponse:
    _supervisor(request)
    try:
        days = int(request.GET.get("days") or 30)
    except ValueError:
        days = 30
    days = days if days in PERIODS else 30
    group = request.GET.get("group", "team")
    group = group if group in GROUP_LABELS else "team"
    sentiment = request.GET.get("sentiment", "")
    sentiment = sentiment if sentiment in Response.Sentiment.values else ""
    since, until = selectors.period(days)
    filters = selectors.Filters(since=since, until=until)
    rows = selectors.figures(filters, group)
    labels = selectors.group_labels(group, [row.key for row in rows])
    for row in rows:
        row.label = labels.get(row.key) or _("(none)")
    campaigns = list(Campaign.objects.select_related("survey").order_by("-created_at")[:20])
    counts = selectors.campaign_counts([c.pk for c in campaigns])
    topic_names = {t.key: t.name(request.LANGUAGE_CODE) for t in selectors.topics()}
    return render(request, "surveys/overview.html", {
        "days": days, "periods": PERIODS, "group": group, "groups": GROUP_LABELS, "sentiment": sentiment,
        "total": selectors.total_of(rows), "rows": rows,
        "comments": selectors.comments(filters, sentiment=sentiment, limit=30), "topic_names": topic_names,
        "follow_ups": selectors.follow_ups(limit=20), "follow_up_figures": selectors.follow_up_figures(since, until),
        "outcomes": dict(FollowUp.Outcome.choices), "sentiments": Response.Sentiment.choices,
        "campaigns": [(c, counts.get(c.pk, {})) for c in campaigns],
        "is_admin": profile_for(_user(request)).is_admin, "kinds": dict(Survey.Kind.choices),
    })


@require_POST
@agent_required
def close_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    follow_up = get_object_or_404(FollowUp.objects.select_related("conversation"), pk=pk)
    if not can_view(_user(request), follow_up.conversation):
        raise Http404
    try:
        actions.close_follow_up(follow_up=follow_up, actor=_user(request), outcome=request.POST.get("outcome", ""))
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    else:
        flash.success(request, _("The follow-up is closed."))
    return redirect(reverse("inbox:conversation", args=[follow_up.conversation_id]))


def _campaign_action(request: HttpRequest, pk: int, start: bool) -> HttpResponse:
    _supervisor(request)
    campaign = get_object_or_404(Campaign.objects.select_related("survey"), pk=pk)
    try:
        if start:
            actions.start_campaign(campaign=campaign, actor=_user(request))
        else:
            actions.cancel_campaign(campaign=campaign, actor=_user(request))
    except ValidationError as exc:
        flash.error(request, " ".join(exc.messages))
    else:
        flash.success(request, _("The campaign is scheduled.") if start else _("The campaign is cancelled."))
    return redirect(reverse("surveys_staff:overview") + "#campaigns")


@require_POST
@agent_required
def start_campaign(request: HttpRequest, pk: int) -> HttpResponse:
    return _campaign_action(request, pk, True)


@require_POST
@agent_required
def cancel_campaign(request: HttpRequest, pk: int) -> HttpResponse:
    return _campaign_action(request, pk, False)
