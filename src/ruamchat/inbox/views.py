"""The agent inbox pages. Each view parses input, calls a selector or an action, and renders.

Every POST works twice: from htmx it answers with the partial that changed (the header and side panel,
or the composer), from a plain form it redirects back to the page. A ValidationError from an action is
shown next to the control it came from (status 422, which htmx is configured to swap).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, push_url, trigger_client_event

from ruamchat.accounts.models import AgentProfile
from ruamchat.accounts.selectors import agent_names, agents, all_teams, open_team_ids, teams_for
from ruamchat.inbox import actions
from ruamchat.inbox.forms import (
    STATUS_FILTERS,
    AssignForm,
    NoInputForm,
    PriorityForm,
    QueueFilterForm,
    ReplyForm,
    StatusForm,
    TagForm,
    TransferForm,
)
from ruamchat.inbox.models import Conversation, Message
from ruamchat.inbox.selectors import (
    COUNT_CAP,
    PAGE_SIZE,
    QueueFilter,
    canned_responses_for,
    contact_history,
    earlier_conversations,
    get_attachment,
    get_conversation,
    messages_of,
    queue_counts,
    queue_rows,
    reply_window,
    timeline_of,
    visible_conversations,
)
from ruamchat.web.templatetags.ruamchat_ui import priority_class, query, rc_waiting, rc_when, sla_class, sla_label
from ruamchat.web.timeline import describe

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MAX_FILES = 10
# Shown inline (in an <img>); everything else is downloaded. Never SVG or HTML: they can carry script.
INLINE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}

View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def agent_required(view: View) -> View:
    """Like login_required, but an htmx request is sent to the login page as a whole-page redirect."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            if _is_htmx(request):
                return HttpResponseClientRedirect(f"{reverse(settings.LOGIN_URL)}?next={reverse('inbox:home')}")
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _user(request: HttpRequest) -> User:
    """The signed-in user (views are wrapped in ``agent_required``)."""
    if not request.user.is_authenticated:
        raise Http404
    return cast("User", request.user)


def _int(raw: str | None) -> int:
    try:
        return max(0, int(raw or 0))
    except ValueError:
        return 0


def _conversation_or_404(user: User, pk: int) -> Conversation:
    conversation = get_conversation(user, pk)
    if conversation is None:
        raise Http404(_("Conversation not found."))
    return conversation


# ---------------------------------------------------------------- the queue column


@dataclass(frozen=True)
class QueueLink:
    key: str
    label: str
    count: int


def handover_text(handover: dict[str, Any] | None) -> str:
    """Why the conversation was handed over: the agent's words, or the bot's reason in the reader's language."""
    handover = handover or {}
    reason = str(handover.get("reason", ""))
    if handover.get("kind") == "bot":
        from ruamchat.bot.models import BotConversation

        label = dict(BotConversation.Reason.choices).get(reason, reason)
        return _("Bot: %(reason)s") % {"reason": label}
    if handover.get("kind") == "follow_up":
        survey, _sep, score = reason.partition(":")
        text = _("Follow-up: %(survey)s %(score)s") % {"survey": survey.upper(), "score": score}
        comment = str(handover.get("comment") or "")
        return f"{text} — “{comment}”" if comment else text
    return reason


@dataclass(frozen=True)
class QueueRow:
    """One line of the queue, worked out in Python: the template only prints (it runs 25 times a page)."""

    pk: int
    href: str
    contact_name: str
    preview: str
    waiting: str  # "Waiting 5 minutes" when the customer waits on us, else ""
    when: str  # the last message's time, when nobody is waiting
    priority: str  # css class: urgent | high | normal | low
    priority_label: str
    handover: str  # the hand-over reason, until the receiving team answers
    sla: str  # "" | breached | at_risk | ok
    sla_label: str  # "SLA breached" / "due 14:30"
    status: str
    status_label: str
    tags: list[str]
    channel_name: str
    assignee_name: str

    @classmethod
    def of(cls, c: Conversation, href: str, assignee_name: str) -> QueueRow:
        return cls(
            pk=c.pk, href=href, contact_name=c.contact.display_name, preview=c.last_message_preview,
            waiting=rc_waiting(c.waiting_since), when="" if c.waiting_since else rc_when(c.last_message_at),
            priority=priority_class(c.priority), priority_label=str(c.get_priority_display()),
            sla=sla_class(c.sla_state), sla_label=sla_label(c.sla_state, c.sla_due_at),
            handover=handover_text(c.handover),
            status=c.status, status_label=str(c.get_status_display()), tags=[t.name for t in c.tags.all()],
            channel_name=c.channel.name, assignee_name=assignee_name,
        )


def _filter_params(flt: QueueFilter) -> dict[str, Any]:
    return {
        "queue": flt.queue, "status": flt.status, "priority": flt.priority, "channel": flt.channel_id,
        "tag": flt.tag, "q": flt.search, "page": flt.page if flt.page > 1 else None,
    }


def _queue_context(request: HttpRequest, user: User, current_id: int | None) -> dict[str, Any]:
    form = QueueFilterForm(request.GET)
    flt = form.to_filter()
    teams = list(teams_for(user))
    visible = visible_conversations(user)
    counts = queue_counts(user, teams, status=flt.status, visible=visible)
    queues = [QueueLink("mine", _("Mine"), counts["mine"]),
              QueueLink("unassigned", _("Unassigned"), counts["unassigned"])]
    queues += [QueueLink(f"team:{t.pk}", t.name, counts[f"team:{t.pk}"]) for t in teams]
    if "all" in counts:
        queues.append(QueueLink("all", _("All"), counts["all"]))
    conversations = queue_rows(user, flt, visible=visible)
    has_next = len(conversations) > PAGE_SIZE
    conversations = conversations[:PAGE_SIZE]
    names = agent_names({c.assignee_id for c in conversations if c.assignee_id})
    prefix, row_query = reverse("inbox:home") + "c/", query(_filter_params(flt))
    rows = [QueueRow.of(c, f"{prefix}{c.pk}/{row_query}", names.get(c.assignee_id or 0, "")) for c in conversations]
    page_url = reverse("inbox:conversation", args=[current_id]) if current_id else reverse("inbox:home")
    return {
        "queues": queues, "rows": rows, "params": _filter_params(flt), "current_id": current_id,
        "filter_form": form, "status_filters": STATUS_FILTERS, "priorities": Conversation.Priority.choices,
        "channels": form.fields["channel"].queryset, "page_url": page_url,  # type: ignore[attr-defined]
        "queue_label": next((q.label for q in queues if q.key == flt.queue), _("Queue")),
        "count_cap": COUNT_CAP, "unassigned_label": _("Unassigned"),
        "page": flt.page, "next_page": flt.page + 1 if has_next else None,
        "previous_page": flt.page - 1 if flt.page > 1 else None,
    }


@require_GET
@agent_required
def home(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    return render(request, "inbox/inbox.html", _queue_context(request, user, None))


@require_GET
@agent_required
def queue_list(request: HttpRequest) -> HttpResponse:
    """The list alone (and, through htmx, the queue counts out of band): refreshed live and by filters."""
    user = _user(request)
    current_id = _int(request.GET.get("current")) or None
    context = _queue_context(request, user, current_id)
    response = render(request, "inbox/queue_list_response.html", {**context, "oob": _is_htmx(request)})
    if _is_htmx(request) and request.GET.get("push") == "1":
        push_url(response, context["page_url"] + query(context["params"]))
    return response


# ---------------------------------------------------------------- a conversation


@dataclass(frozen=True)
class HistoryItem:
    kind: str  # "divider" or "message"
    message: Message


def _history_items(history: list[Message], previous_conversation_id: int) -> list[HistoryItem]:
    """Messages with a divider wherever the conversation (episode, channel) changes."""
    items: list[HistoryItem] = []
    previous = previous_conversation_id
    for message in history:
        if message.conversation_id != previous:
            items.append(HistoryItem("divider", message))
            previous = message.conversation_id
        items.append(HistoryItem("message", message))
    return items


def _assignable_agents(conversation: Conversation, all_agents: list[AgentProfile]) -> list[AgentProfile]:
    """The agents ``inbox.selectors.can_be_assigned`` would accept, without a query per agent."""
    team_id = conversation.team_id
    team_open = team_id is not None and team_id in open_team_ids()
    return [
        p for p in all_agents
        if p.sees_everything or team_open or (team_id is not None and any(t.pk == team_id for t in p.teams.all()))
    ]


def _state_context(
    user: User, conversation: Conversation, *, errors: dict[str, list[str]] | None = None,
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What the header and the side panel (controls, customer, timeline) need."""
    earlier = list(earlier_conversations(conversation))
    visible_ids = set(
        visible_conversations(user).filter(pk__in=[c.pk for c in earlier]).values_list("pk", flat=True)
    )
    all_agents = list(agents())
    names = {p.user_id: p.name for p in all_agents}
    if conversation.assignee_id and conversation.assignee_id not in names:
        names.update(agent_names({conversation.assignee_id}))
    timeline = describe(timeline_of(conversation))
    from ruamchat.bot.selectors import panel_for
    from ruamchat.contacts.selectors import customer_panel
    from ruamchat.surveys.models import FollowUp
    from ruamchat.surveys.selectors import for_conversation

    return {
        "conversation": conversation,
        "bot": panel_for(conversation),
        "surveys": for_conversation(conversation),
        "follow_up_outcomes": FollowUp.Outcome.choices,
        "contact": conversation.contact,
        "customer": customer_panel(conversation.contact, get_language() or "th"),
        "assignee_name": names.get(conversation.assignee_id or 0, ""),
        "assignable_agents": _assignable_agents(conversation, all_agents),
        "all_agents": all_agents,
        "teams": list(all_teams()),
        "priorities": Conversation.Priority.choices,
        "identities": conversation.contact.identities.select_related("channel").order_by("id"),
        "earlier": [(c, c.pk in visible_ids) for c in earlier],
        "timeline": timeline,
        # changes whenever anything shown here changes: the browser skips a refresh that would change nothing
        "version": f"{conversation.updated_at.timestamp()}-{timeline[-1].id if timeline else 0}",
        "is_mine": conversation.assignee_id == user.pk,
        "errors": errors or {},
        "values": values or {},
    }


def _conversation_page(
    request: HttpRequest, user: User, conversation: Conversation, *, status: int = 200,
    errors: dict[str, list[str]] | None = None, values: dict[str, Any] | None = None,
    composer: dict[str, Any] | None = None,
) -> HttpResponse:
    history = contact_history(user, conversation)
    context = {
        **_queue_context(request, user, conversation.pk),
        **_state_context(user, conversation, errors=errors, values=values),
        "items": _history_items(history, 0),
        "composer": composer or {},
        "window": reply_window(conversation),
    }
    return render(request, "inbox/inbox.html", context, status=status)


@require_GET
@agent_required
def conversation_page(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    return _conversation_page(request, user, _conversation_or_404(user, pk))


@require_GET
@agent_required
def conversation_state(request: HttpRequest, pk: int) -> HttpResponse:
    """The header and (out of band) the side panel, for live refresh."""
    user = _user(request)
    conversation = _conversation_or_404(user, pk)
    params = _filter_params(QueueFilterForm(request.GET).to_filter())
    context = {**_state_context(user, conversation), "oob": _is_htmx(request), "params": params}
    return render(request, "inbox/state.html", context)


@require_GET
@agent_required
def conversation_messages(request: HttpRequest, pk: int) -> HttpResponse:
    """Messages after ``after`` (new ones, with dividers) plus the messages listed in ``ids`` (status changes).

    ``prev`` is the conversation of the last message the page shows, so a divider is drawn only where the
    conversation changes."""
    user = _user(request)
    conversation = _conversation_or_404(user, pk)
    after = _int(request.GET.get("after"))
    ids = [int(i) for i in request.GET.get("ids", "").split(",")[:50] if i.strip().isdigit()]
    new = contact_history(user, conversation, after_id=after)
    new_ids = {m.pk for m in new}
    updated = [m for m in messages_of(conversation).filter(pk__in=ids) if m.pk not in new_ids] if ids else []
    items = [HistoryItem("message", m) for m in updated]
    items += _history_items(new, _int(request.GET.get("prev")) if after else 0)
    return render(request, "inbox/messages_response.html",
                  {"items": items, "contact": conversation.contact, "conversation": conversation})


@require_GET
@agent_required
def canned_lookup(request: HttpRequest) -> HttpResponse:
    """Canned responses whose shortcut starts with (or title contains) ``q``, for the "/" menu."""
    user = _user(request)
    prefix = request.GET.get("q", "").strip().lstrip("/")[:50]
    matches = list(canned_responses_for(user, prefix)[:8])
    return render(request, "inbox/canned.html", {"matches": matches, "prefix": prefix})


@require_GET
@agent_required
def attachment_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = _user(request)
    attachment = get_attachment(user, pk)
    if attachment is None or not attachment.file:
        raise Http404(_("File not found."))
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("File not found.")) from None
    content_type = (attachment.content_type or "application/octet-stream").lower()
    inline = content_type in INLINE_TYPES
    response = FileResponse(
        handle, as_attachment=not inline, filename=attachment.filename or "file", content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


# ---------------------------------------------------------------- writing


def _errors_of(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def _form_errors(form: Any) -> ValidationError:
    return ValidationError([str(e) for errors in form.errors.values() for e in errors])


@require_POST
@agent_required
def reply(request: HttpRequest, pk: int) -> HttpResponse:
    """Send a reply to the customer, or add a private note. Files may come with either."""
    user = _user(request)
    conversation = _conversation_or_404(user, pk)
    form = ReplyForm(request.POST)
    form.is_valid()
    text = form.cleaned_data.get("text", "")
    private = bool(form.cleaned_data.get("private"))
    uploads = request.FILES.getlist("files")
    try:
        if len(uploads) > MAX_FILES:
            raise ValidationError(_("Attach at most %(max)s files at once.") % {"max": MAX_FILES})
        if private:
            actions.add_note(conversation=conversation, actor=user, text=text, uploads=uploads)
        else:
            actions.send_reply(conversation=conversation, actor=user, text=text, uploads=uploads)
    except ValidationError as exc:
        composer = {"errors": _errors_of(exc), "text": text, "private": private}
        if _is_htmx(request):
            return render(request, "inbox/composer.html", {"conversation": conversation, "composer": composer,
                                                           "window": reply_window(conversation)},
                          status=422)
        return _conversation_page(request, user, conversation, status=422, composer=composer)
    if _is_htmx(request):
        response = render(request, "inbox/composer.html",
                          {"conversation": conversation, "composer": {"private": private},
                           "window": reply_window(conversation)})
        return trigger_client_event(response, "rc:changed", {"conversation_id": conversation.pk})
    return redirect(reverse("inbox:conversation", args=[pk]) + "#composer")


def _control(
    request: HttpRequest, pk: int, control: str, form_class: type[Any],
    perform: Callable[[User, Conversation, dict[str, Any]], object],
) -> HttpResponse:
    """Run one conversation control (assign, transfer, status …) and answer with the refreshed state."""
    user = _user(request)
    conversation = _conversation_or_404(user, pk)
    form = form_class(request.POST)
    try:
        if not form.is_valid():
            raise _form_errors(form)
        perform(user, conversation, form.cleaned_data)
    except ValidationError as exc:
        errors = {control: _errors_of(exc)}
        values = {control: request.POST}
        if _is_htmx(request):
            context = {**_state_context(user, conversation, errors=errors, values=values), "oob": True}
            return render(request, "inbox/state.html", context, status=422)
        return _conversation_page(request, user, conversation, status=422, errors=errors, values=values)
    refreshed = get_conversation(user, pk)
    if refreshed is None:
        # e.g. transferred to a team this agent is not in: the conversation has left their sight
        flash.success(request, _("Done. Conversation #%(number)s is no longer in your queues.") % {"number": pk})
        if _is_htmx(request):
            return HttpResponseClientRedirect(reverse("inbox:home"))
        return redirect("inbox:home")
    if _is_htmx(request):
        response = render(request, "inbox/state.html", {**_state_context(user, refreshed), "oob": True})
        return trigger_client_event(response, "rc:changed", {"conversation_id": pk})
    return redirect("inbox:conversation", pk=pk)


@require_POST
@agent_required
def claim(request: HttpRequest, pk: int) -> HttpResponse:
    return _control(request, pk, "claim", NoInputForm,
                    lambda user, c, data: actions.claim(conversation=c, actor=user))


@require_POST
@agent_required
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    return _control(request, pk, "assign", AssignForm,
                    lambda user, c, data: actions.assign(conversation=c, actor=user, assignee=data["agent"]))


@require_POST
@agent_required
def transfer(request: HttpRequest, pk: int) -> HttpResponse:
    return _control(
        request, pk, "transfer", TransferForm,
        lambda user, c, data: actions.transfer(
            conversation=c, actor=user, reason=data["reason"], team=data["team"], agent=data["agent"],
            note=data.get("note") or "",
        ),
    )


@require_POST
@agent_required
def priority(request: HttpRequest, pk: int) -> HttpResponse:
    return _control(request, pk, "priority", PriorityForm,
                    lambda user, c, data: actions.change_priority(conversation=c, actor=user,
                                                                  priority=data["priority"]))


@require_POST
@agent_required
def status(request: HttpRequest, pk: int) -> HttpResponse:
    control = "snooze" if request.POST.get("control") == "snooze" else "status"
    return _control(
        request, pk, control, StatusForm,
        lambda user, c, data: actions.change_status(
            conversation=c, actor=user, status=data["status"], snoozed_until=data.get("snoozed_until")
        ),
    )


@require_POST
@agent_required
def tag_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _control(request, pk, "tags", TagForm,
                    lambda user, c, data: actions.tag(conversation=c, actor=user, name=data["name"]))


@require_POST
@agent_required
def tag_remove(request: HttpRequest, pk: int) -> HttpResponse:
    return _control(request, pk, "tags", TagForm,
                    lambda user, c, data: actions.untag(conversation=c, actor=user, name=data["name"]))


@require_POST
@agent_required
def retry(request: HttpRequest, pk: int, message_id: int) -> HttpResponse:
    """Send a failed message again."""
    user = _user(request)
    conversation = _conversation_or_404(user, pk)
    message = messages_of(conversation).filter(pk=message_id).first()
    if message is None:
        raise Http404(_("Message not found."))
    error = ""
    try:
        message = actions.retry_send(message=message, actor=user)
    except ValidationError as exc:
        error = " ".join(_errors_of(exc))
    if _is_htmx(request):
        message = messages_of(conversation).get(pk=message_id)
        context = {"item": HistoryItem("message", message), "contact": conversation.contact, "retry_error": error}
        return render(request, "inbox/message.html", context, status=422 if error else 200)
    if error:
        flash.error(request, error)
    return redirect(reverse("inbox:conversation", args=[pk]) + f"#message-{message_id}")
