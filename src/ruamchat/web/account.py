"""Signing in (throttled), the agent's own account page (password, signed-in sessions, API tokens), and
password reset by email."""

from __future__ import annotations

import math
import time
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from ruamchat.accounts import sessions, throttle, two_factor
from ruamchat.accounts.actions import create_api_token, revoke_api_token
from ruamchat.accounts.models import ApiToken, UserSession
from ruamchat.privacy.actions import client_address, record_access
from ruamchat.privacy.models import AuditRecord


def _wait_message(seconds: int) -> str:
    minutes = max(math.ceil(seconds / 60), 1)
    return ngettext(
        "Too many failed sign-ins. For your security, try again in %(minutes)d minute, or ask an administrator.",
        "Too many failed sign-ins. For your security, try again in %(minutes)d minutes, or ask an administrator.",
        minutes,
    ) % {"minutes": minutes}


class ThrottledAuthenticationForm(AuthenticationForm):
    """Refuses to even check the password once an account or an address has failed too often (same message
    whichever it was, and whether or not the account exists)."""

    def clean(self) -> dict[str, Any]:
        username = str(self.data.get("username") or "")[:150]
        address = client_address(self.request)
        wait = throttle.refused_for(username, address)
        if wait:
            record_access(actor=None, action=AuditRecord.Action.SIGN_IN_BLOCKED, contact_id=None,
                          request=self.request, detail={"username": username})
            raise ValidationError(_wait_message(wait), code="throttled")
        return super().clean()


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True
    authentication_form = ThrottledAuthenticationForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["reset_by_email"] = settings.PASSWORD_RESET_BY_EMAIL
        return context

    def form_valid(self, form: Any) -> HttpResponse:
        user = form.get_user()
        if two_factor.enabled_for(user):
            # the password was right; the session is not signed in until the second step
            self.request.session[PENDING] = {"user": user.pk, "backend": user.backend, "at": time.time(),
                                             "next": self.get_success_url()}
            return redirect("web:login_code")
        response = super().form_valid(form)
        record_access(actor=user, action=AuditRecord.Action.SIGNED_IN, contact_id=None,
                      request=self.request, detail={"user_agent": self.request.headers.get("User-Agent", "")[:300]})
        return response


#: the session key of a sign-in waiting for its second step, and how long it may wait
PENDING = "rc_2fa_pending"
PENDING_SECONDS = 300


class CodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Code from your authenticator app, or a recovery code"),
                           max_length=20, strip=True)


def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the authenticator app (or a recovery code)."""
    pending = request.session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        messages.error(request, _("Sign in again: the code was not entered in time."))
        return redirect("web:login")
    user = User.objects.filter(pk=int(pending.get("user") or 0), is_active=True).first()
    if user is None:
        request.session.pop(PENDING, None)
        return redirect("web:login")
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        address = client_address(request)
        wait = throttle.refused_for(user.get_username(), address)
        if wait:
            record_access(actor=None, action=AuditRecord.Action.SIGN_IN_BLOCKED, contact_id=None, request=request,
                          detail={"username": user.get_username(), "second_step": True})
            error = _wait_message(wait)
        elif two_factor.verify(user=user, code=form.cleaned_data["code"]):
            del request.session[PENDING]
            login(request, user, backend=str(pending.get("backend") or settings.AUTHENTICATION_BACKENDS[0]))
            record_access(actor=user, action=AuditRecord.Action.SIGNED_IN, contact_id=None, request=request,
                          detail={"user_agent": request.headers.get("User-Agent", "")[:300], "two_factor": True})
            target = str(pending.get("next") or "")
            if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
                target = settings.LOGIN_REDIRECT_URL
            return redirect(target)
        else:
            throttle.failed(user.get_username(), address)
            record_access(actor=None, action=AuditRecord.Action.SIGN_IN_FAILED, contact_id=None, request=request,
                          detail={"username": user.get_username(), "second_step": True})
            error = _("That code is not right (or was used already). Try the newest code from the app.")
    return render(request, "web/login_code.html", {"form": form, "error": error}, status=200)


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    context: dict[str, Any] = {"enabled": two_factor.enabled_for(user), "required": two_factor.required_for(user)}
    if context["enabled"]:
        if request.method == "POST" and request.POST.get("action") == "disable":
            if two_factor.required_by_policy(user):
                messages.error(request, _("Administrators must keep two-factor sign-in on (the sign-in policy)."))
            elif user.check_password(request.POST.get("password", "")):
                two_factor.disable(user=user, request=request)
                messages.success(request, _("Two-factor sign-in is off."))
                return redirect("web:account")
            else:
                messages.error(request, _("That password is not right."))
        context["codes_left"] = two_factor.recovery_codes_left(user)
        return render(request, "web/two_factor.html", context)
    secret = request.session.get("rc_2fa_setup")
    if not isinstance(secret, str) or request.method == "GET":
        secret = two_factor.new_secret()
        request.session["rc_2fa_setup"] = secret
    if request.method == "POST":
        codes = two_factor.enable(user=user, secret=secret, code=request.POST.get("code", ""), request=request)
        if codes is not None:
            request.session.pop("rc_2fa_setup", None)
            response = render(request, "web/two_factor.html", {"enabled": True, "recovery_codes": codes,
                                                                "codes_left": len(codes)})
            response["Cache-Control"] = "no-store"
            return response
        context["error"] = _("That code is not right. Check the phone's clock and type the newest code.")
    context.update(two_factor.provisioning(user, secret))
    return render(request, "web/two_factor.html", context)


# --------------------------------------------------------------------------- the account page


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("What the token is for"), max_length=100)
    scope = forms.ChoiceField(label=gettext_lazy("It may"), choices=ApiToken.Scope.choices,
                              initial=ApiToken.Scope.READ, widget=forms.RadioSelect)


def _browser(user_agent: str) -> str:
    """A short, readable name for a browser from its User-Agent (shown beside each session)."""
    agent = user_agent or ""
    for needle, name in (("Edg/", "Edge"), ("OPR/", "Opera"), ("SamsungBrowser", "Samsung Internet"),
                         ("Line/", "LINE"), ("Chrome/", "Chrome"), ("Firefox/", "Firefox"), ("Safari/", "Safari")):
        if needle in agent:
            browser = name
            break
    else:
        browser = _("Unknown browser")
    for needle, system in (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
                           ("Mac OS X", "macOS"), ("Linux", "Linux")):
        if needle in agent:
            return f"{browser} · {system}"
    return browser


@login_required
def account(request: HttpRequest, new_token: str | None = None) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    current = request.session.session_key or ""
    rows = [
        {"session": found, "current": found.session_key == current, "browser": _browser(found.user_agent)}
        for found in UserSession.objects.filter(user=user)
    ]
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at")
    return render(request, "web/account.html", {
        "sessions": rows, "tokens": tokens, "token_form": TokenForm(), "new_token": new_token,
        "idle_minutes": settings.RUAMCHAT["SESSION_IDLE_MINUTES"], "two_factor_on": two_factor.enabled_for(user),
    })


@login_required
@require_POST
def end_session(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    found = get_object_or_404(UserSession, pk=pk, user=user)  # someone else's session: 404, as if there were none
    if found.session_key == request.session.session_key:
        logout(request)
        return redirect("web:login")
    sessions.end_session(actor=user, found=found, request=request)
    messages.success(request, _("That session is signed out."))
    return redirect("web:account")


@login_required
@require_POST
def end_other_sessions(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    ended = sessions.end_other_sessions(actor=user, request=request)
    messages.success(request, ngettext("%(count)d other session signed out.", "%(count)d other sessions signed out.",
                                       ended) % {"count": ended})
    return redirect("web:account")


@login_required
@require_POST
def create_token(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the token a name and choose what it may do."))
        return redirect("web:account")
    raw = create_api_token(user=user, name=form.cleaned_data["name"], scope=form.cleaned_data["scope"],
                           actor=user, request=request)
    # shown once, in this answer (never in a URL, a session or a log)
    response = account(request, new_token=raw)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    token = get_object_or_404(ApiToken, pk=pk, user=user, revoked_at__isnull=True)
    revoke_api_token(token=token, actor=user, request=request)
    messages.success(request, _("The token is revoked: scripts using it are refused from now on."))
    return redirect("web:account")


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/password_change.html"
    success_url = reverse_lazy("web:account")

    def form_valid(self, form: Any) -> HttpResponse:
        before = self.request.session.session_key or ""
        response = super().form_valid(form)  # keeps this browser signed in, under a new session key
        user = self.request.user
        assert isinstance(user, User)
        UserSession.objects.filter(user=user, session_key=before).update(
            session_key=self.request.session.session_key or before)
        record_access(actor=user, action=AuditRecord.Action.PASSWORD_CHANGED, contact_id=None, request=self.request)
        for found in UserSession.objects.filter(user=user).exclude(session_key=self.request.session.session_key or ""):
            sessions.end_session(actor=user, found=found, request=self.request)
        messages.success(self.request, _("Your password is changed. You are signed out everywhere else."))
        return response


# --------------------------------------------------------------------------- password reset by email


class ThrottledPasswordResetForm(PasswordResetForm):
    request: HttpRequest | None = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if throttle.reset_mail_refused(client_address(self.request)):
            raise ValidationError(_("Too many reset requests from here. Try again in a quarter of an hour."),
                                  code="throttled")
        return cleaned


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "web/password_reset.html"
    form_class = ThrottledPasswordResetForm
    email_template_name = "web/password_reset_email.txt"
    subject_template_name = "web/password_reset_subject.txt"
    success_url = reverse_lazy("web:password_reset_done")

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        form.request = self.request
        return form

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["reset_by_email"] = settings.PASSWORD_RESET_BY_EMAIL
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.PASSWORD_RESET_BY_EMAIL:
            return self.get(request, *args, **kwargs)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        # the links must point at the address people use, not at whatever Host this request came with
        self.extra_email_context = {"public_url": settings.RUAMCHAT_PUBLIC_URL}
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "web/password_reset_confirm.html"
    success_url = reverse_lazy("web:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.user
        record_access(actor=user, action=AuditRecord.Action.PASSWORD_RESET, contact_id=None, request=self.request)
        # whoever knew the old password is signed out everywhere (Django's session check would also refuse them)
        for found in UserSession.objects.filter(user=user):
            sessions.end_session(actor=user, found=found, request=self.request)
        return response
