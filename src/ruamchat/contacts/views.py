"""The customer's page: every identity and conversation, the profile the team keeps, consent, duplicates and
merges. Views parse input, call a selector or an action, and answer; every write comes back to the page."""

from __future__ import annotations

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ruamchat.accounts.selectors import profile_for
from ruamchat.contacts import actions, selectors
from ruamchat.contacts.models import Consent, Contact, ContactNote, Merge
from ruamchat.inbox.models import Conversation, Tag
from ruamchat.inbox.selectors import visible_contacts, visible_conversations
from ruamchat.inbox.views import _user, agent_required

CONVERSATIONS_SHOWN = 50


def _contact(request: HttpRequest, pk: int) -> Contact:
    """The contact if the user may see it (404 otherwise: a stranger learns nothing, not even that it exists)."""
    contact = visible_contacts(_user(request), include_merged=True).filter(pk=pk).first()
    if contact is None:
        raise Http404
    return contact


def _back(contact: Contact, anchor: str = "") -> HttpResponse:
    return redirect(reverse("contacts:detail", args=[contact.pk]) + (f"#{anchor}" if anchor else ""))


def _errors(request: HttpRequest, exc: ValidationError) -> None:
    flash.error(request, " ".join(exc.messages))


@require_GET
@agent_required
def index(request: HttpRequest) -> HttpResponse:
    """The newest customers, optionally with one tag (finding one customer is the global search's job)."""
    user = _user(request)
    tag = request.GET.get("tag", "").strip()
    qs = visible_contacts(user).prefetch_related("identities__channel", "tags")
    if tag:
        qs = qs.filter(tags__name=tag)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "contacts/index.html", {
        "page": page, "tag": tag, "tags": Tag.objects.filter(contacts__isnull=False).distinct().order_by("name"),
    })


@require_GET
@agent_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    contact = _contact(request, pk)
    if contact.merged_into_id:
        flash.info(request, _("Customer #%(source)s was merged into this customer.") % {"source": contact.pk})
        return redirect(reverse("contacts:detail", args=[contact.merged_into_id]))
    actions.record_profile_view(actor=user, contact=contact, request=request)
    profile = profile_for(user)
    visible_ids = set(visible_conversations(user).filter(contact=contact).values_list("pk", flat=True))
    conversations = list(Conversation.objects.filter(contact=contact).select_related("channel", "team", "assignee")
                         .order_by("-created_at")[:CONVERSATIONS_SHOWN])
    latest_visible = next((c for c in conversations if c.pk in visible_ids), None)
    return render(request, "contacts/detail.html", {
        "contact": contact,
        "identities": list(contact.identities.select_related("channel").order_by("created_at")),
        "lifetime": selectors.lifetime(contact),
        "attributes": selectors.attribute_rows(contact, request.LANGUAGE_CODE),
        "notes": selectors.notes(contact),
        "consents": selectors.consent_states(contact),
        "consent_history": selectors.consent_history(contact),
        "conversations": [(c, c.pk in visible_ids) for c in conversations],
        "conversation_count": Conversation.objects.filter(contact=contact).count(),
        "latest_visible": latest_visible,
        "duplicates": selectors.duplicates(contact) if not contact.erased_at else [],
        "merges": selectors.merges(contact),
        "can_merge": profile.sees_everything, "is_admin": profile.is_admin,
        "purposes": Consent.Purpose.choices,
        "can_edit": not contact.erased_at,
    })


@require_POST
@agent_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact(request, pk)
    try:
        actions.edit_profile(actor=_user(request), contact=contact, request=request,
                             **{field: request.POST.get(field, "") for field in ("name", "email", "phone", "language")})
    except ValidationError as exc:
        _errors(request, exc)
    else:
        flash.success(request, _("The customer's details are saved."))
    return _back(contact, "profile")


@require_POST
@agent_required
def attributes(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact(request, pk)
    values = {key.removeprefix("attr-"): str(request.POST.get(key, "")) for key in request.POST
              if key.startswith("attr-")}
    try:
        actions.set_attributes(actor=_user(request), contact=contact, values=values)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        flash.success(request, _("The customer's attributes are saved."))
    return _back(contact, "attributes")


@require_POST
@agent_required
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact(request, pk)
    try:
        actions.add_note(actor=_user(request), contact=contact, text=request.POST.get("text", ""))
    except ValidationError as exc:
        _errors(request, exc)
    return _back(contact, "notes")


@require_POST
@agent_required
def note_delete(request: HttpRequest, pk: int, note_id: int) -> HttpResponse:
    contact = _contact(request, pk)
    note = get_object_or_404(ContactNote, pk=note_id, contact=contact)
    try:
        actions.delete_note(actor=_user(request), note=note)
    except ValidationError as exc:
        _errors(request, exc)
    return _back(contact, "notes")


@require_POST
@agent_required
def tag_add(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact(request, pk)
    try:
        actions.add_contact_tag(actor=_user(request), contact=contact, name=request.POST.get("name", ""))
    except ValidationError as exc:
        _errors(request, exc)
    return _back(contact, "tags")


@require_POST
@agent_required
def tag_remove(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact(request, pk)
    actions.remove_contact_tag(actor=_user(request), contact=contact, name=request.POST.get("name", ""))
    return _back(contact, "tags")


@require_POST
@agent_required
def consent(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact(request, pk)
    granted = request.POST.get("granted")
    try:
        if granted not in ("yes", "no"):
            raise ValidationError(_("Say whether the customer agreed or refused."))
        actions.record_consent_by_agent(actor=_user(request), contact=contact, purpose=request.POST.get("purpose", ""),
                                        granted=granted == "yes", note=request.POST.get("note", ""), request=request)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        flash.success(request, _("The customer's choice is recorded."))
    return _back(contact, "consent")


@agent_required
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: what merging ``other`` into this customer would move; POST: merge."""
    user = _user(request)
    if not profile_for(user).sees_everything:
        raise PermissionDenied(_("Only supervisors and administrators merge customers."))
    target = _contact(request, pk)
    try:
        other = int(request.POST.get("other") or request.GET.get("other") or 0)
    except ValueError:
        other = 0
    source = visible_contacts(user).filter(pk=other).first()
    if source is None:
        flash.error(request, _("There is no customer #%(id)s to merge.") % {"id": other or "?"})
        return _back(target, "duplicates")
    if request.method == "POST":
        try:
            actions.merge_contacts(actor=user, target=target, source=source, request=request)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            flash.success(request, _("Customer #%(source)s is merged into this customer. You can undo it below.")
                          % {"source": source.pk})
        return _back(target, "merges")
    if request.method != "GET":
        return HttpResponse(status=405)
    return render(request, "contacts/merge.html", {
        "target": target, "source": source, "preview": selectors.merge_preview(source),
        "target_identities": list(target.identities.select_related("channel")),
    })


@require_POST
@agent_required
def undo_merge(request: HttpRequest, pk: int, merge_id: int) -> HttpResponse:
    contact = _contact(request, pk)
    record = get_object_or_404(Merge, pk=merge_id, target=contact)
    try:
        actions.undo_merge(actor=_user(request), merge=record, request=request)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        flash.success(request, _("The merge is undone: customer #%(source)s is separate again.")
                      % {"source": record.source_id})
    return _back(contact, "merges")
