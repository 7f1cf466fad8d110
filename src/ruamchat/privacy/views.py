"""The personal-data pages, for administrators: export and erase a customer's data, the retention policy, the
audit log. Views parse input, call a selector or an action, and answer."""

from __future__ import annotations

from django.contrib import messages as flash
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ruamchat.accounts.selectors import profile_for
from ruamchat.contacts.models import Contact
from ruamchat.inbox.views import _user, agent_required
from ruamchat.privacy import retention as retention_actions
from ruamchat.privacy import selectors
from ruamchat.privacy.erasure import erase_contact
from ruamchat.privacy.export import export_contact
from ruamchat.privacy.forms import EraseForm, RetentionForm, RunRetentionForm
from ruamchat.privacy.models import AuditRecord

AUDIT_PAGE_SIZE = 50


def _admin(request: HttpRequest) -> User:
    user = _user(request)
    if not profile_for(user).is_admin:
        raise PermissionDenied(_("Only administrators can see and act on customers' personal data."))
    return user


@require_POST
@agent_required
def export(request: HttpRequest, pk: int) -> FileResponse:
    try:
        archive, _exported = export_contact(actor=_admin(request), contact_id=pk, request=request)
    except ValidationError:
        raise Http404 from None
    return FileResponse(archive, as_attachment=True, filename=f"contact-{pk}.zip", content_type="application/zip")


@require_http_methods(["GET", "POST"])
@agent_required
def erase(request: HttpRequest, pk: int) -> HttpResponse:
    user = _admin(request)
    contact = get_object_or_404(Contact, pk=pk)
    form = EraseForm(request.POST if request.method == "POST" else None, contact=contact)
    if form.is_bound and form.is_valid():
        try:
            erase_contact(actor=user, contact_id=pk, force=form.cleaned_data["force"], request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            flash.success(request, _("Customer #%(id)s's personal data was erased.") % {"id": pk})
            return redirect(reverse("contacts:detail", args=[pk]))
    return render(request, "privacy/erase.html", {
        "contact": contact, "preview": selectors.erasure_preview(contact), "form": form,
    }, status=400 if form.is_bound else 200)


@require_http_methods(["GET", "POST"])
@agent_required
def retention(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    rule = selectors.policy()
    form = RetentionForm(instance=rule)
    run_form = RunRetentionForm()
    if request.method == "POST" and request.POST.get("what") == "run":
        run_form = RunRetentionForm(request.POST)
        if run_form.is_valid():
            retention_actions.request_run(actor=user)
            flash.success(request, _("The retention policy is being applied in the background. The audit log shows "
                                     "what it did when it is done."))
            return redirect(reverse("privacy:retention"))
    elif request.method == "POST":
        form = RetentionForm(request.POST, instance=rule)
        if form.is_valid():
            data = form.cleaned_data
            try:
                retention_actions.save_policy(actor=user, enabled=data["enabled"], months=data["months"],
                                              action=data["action"], attachments_only=data["attachments_only"])
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                flash.success(request, _("The retention policy is saved."))
                return redirect(reverse("privacy:retention"))
        rule = selectors.policy()  # the report is of the saved policy, not of the form's unsaved values
    return render(request, "privacy/retention.html", {
        "rule": rule, "form": form, "run_form": run_form, "report": selectors.retention_report(rule),
        "runs": selectors.audit_records(action=AuditRecord.Action.RETENTION)[:10],
    }, status=400 if request.method == "POST" else 200)


@require_GET
@agent_required
def audit(request: HttpRequest) -> HttpResponse:
    _admin(request)
    raw_contact = request.GET.get("contact", "").strip().lstrip("#")
    contact_id = int(raw_contact) if raw_contact.isdigit() and len(raw_contact) < 19 else None
    action = request.GET.get("action", "")
    action = action if action in AuditRecord.Action.values else ""
    page = Paginator(selectors.audit_records(contact_id=contact_id, action=action), AUDIT_PAGE_SIZE).get_page(
        request.GET.get("page"))
    return render(request, "privacy/audit.html", {
        "page": page, "contact": raw_contact if contact_id is not None else "", "action": action,
        "actions": AuditRecord.Action.choices, "bad_contact": bool(raw_contact) and contact_id is None,
        "params": {"contact": contact_id or "", "action": action},
    })
