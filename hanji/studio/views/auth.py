"""Signing in and out of the studio, two-factor, and the account's signed-in sessions."""

from __future__ import annotations

import secrets
import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from hanji.core import ratelimit
from hanji.core.params import parse_int
from hanji.studio import accounts, password, recovery
from hanji.studio.models import StaffSession, TwoFactorDevice
from hanji.studio.views.base import studio_view

PENDING = "studio_2fa_pending"  # (user id, started, next, attempt) while the code is asked for
PENDING_SECONDS = 300


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("studio:dashboard")


def _finish(request: HttpRequest, user, target: str) -> HttpResponse:
    """Password (or link) accepted: sign in, or ask for the second factor first."""
    if accounts.confirmed_device(user) is not None:
        request.session.cycle_key()
        # The attempt names this half sign-in alone (its budget of codes): two in the same
        # second once shared one.
        request.session[PENDING] = [user.pk, int(time.time()), target, secrets.token_hex(8)]
        return redirect("studio:login_code")
    accounts.sign_in(request, user, second_factor=False)
    return redirect(target)


@sensitive_post_parameters("password")
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(_next(request))
    error = ""
    email = request.POST.get("username", "").strip()
    if request.method == "POST":
        try:
            user = accounts.authenticate_staff(request, email, request.POST.get("password", ""))
        except accounts.SignInRefused as refused:
            error = str(refused)
        else:
            return _finish(request, user, _next(request))
    return render(
        request,
        "studio/login.html",
        {
            "error": error,
            "email": email,
            "next": _next(request),
            # The link to sign-ups only where they are open (else it leads to a 404).
            "signups_open": settings.HANJI_ALLOW_SIGNUPS,
        },
        status=400 if error else 200,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in_code(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING)
    if not pending or len(pending) < 4 or time.time() - pending[1] > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return redirect("studio:login")
    user = get_user_model().objects.filter(pk=pending[0], is_active=True).first()
    if user is None:
        return redirect("studio:login")
    error = ""
    if request.method == "POST":
        try:
            ok = accounts.verify_code(
                request, user, request.POST.get("code", ""), f"{user.pk}:{pending[3]}"
            )
        except accounts.SignInRefused as refused:
            request.session.pop(PENDING, None)
            messages.error(request, str(refused))
            return redirect("studio:login")
        if ok:
            request.session.pop(PENDING, None)
            accounts.sign_in(request, user, second_factor=True)
            if recovery.looks_like_code(request.POST.get("code", "")):
                recovery.tell_code_used(
                    user,
                    ratelimit.client_ip(request),
                    request.build_absolute_uri(reverse("studio:login_link")),
                )
                left = recovery.remaining(user)
                messages.warning(
                    request,
                    ngettext(
                        "You signed in with a recovery code; %(count)d is left. Make new ones "
                        "on your account page if your authenticator app is lost.",
                        "You signed in with a recovery code; %(count)d are left. Make new ones "
                        "on your account page if your authenticator app is lost.",
                        left,
                    )
                    % {"count": left},
                )
            return redirect(pending[2])
        error = _("That code is not right. Use the code your authenticator app shows now.")
    # The message stands under the field that was used (the recovery form opens again).
    used_recovery = bool(error) and request.POST.get("form") == "recovery"
    return render(
        request,
        "studio/login_code.html",
        {"error": error, "recovery": used_recovery},
        status=400 if error else 200,
    )


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in_link(request: HttpRequest) -> HttpResponse:
    """Ask for a sign-in link by email; the answer is the same whether the account exists."""
    if request.method == "POST":
        accounts.send_magic_link(
            request,
            request.POST.get("email", ""),
            lambda token: request.build_absolute_uri(
                reverse("studio:login_link_use", args=[token])
            ),
        )
        return render(request, "studio/login_link.html", {"sent": True})
    return render(request, "studio/login_link.html", {"sent": False})


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in_link_use(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners open links); POST spends the link and signs in (or
    asks for the second factor)."""
    try:
        user = accounts.read_magic_link(token, use=request.method == "POST")
    except accounts.SignInRefused as refused:
        return render(request, "studio/login_link_use.html", {"error": str(refused)}, status=400)
    if request.method == "POST":
        if request.user.is_authenticated:
            logout(request)
        return _finish(request, user, reverse("studio:dashboard"))
    return render(request, "studio/login_link_use.html", {"email": user.get_username()})


@never_cache
def admin_sign_in(request: HttpRequest) -> HttpResponse:
    """The Django admin's sign-in page: the studio's own, with its limits and second factor
    (the admin's form would check the password alone). A signed-in account that is not
    staff is told so rather than sent round in a circle."""
    if request.user.is_authenticated:
        return render(request, "studio/forbidden.html", status=403)
    target = request.GET.get("next", "")
    if not target.startswith("/admin/"):
        target = reverse("admin:index")
    return redirect(f"{reverse('studio:login')}?{urlencode({'next': target})}")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    accounts.forget_session(request.session.session_key)
    logout(request)
    return redirect("studio:login")


# --- the account page -------------------------------------------------------------------------


@studio_view
@require_http_methods(["GET", "HEAD", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    user = request.user
    action = request.POST.get("action", "")
    if action == "end-session":
        try:
            ended = accounts.end_session(user, parse_int(request.POST.get("session")))
        except ValueError:
            ended = False
        if ended:
            messages.success(request, _("That browser is signed out."))
        return redirect("studio:account")
    if action == "end-others":
        count = accounts.end_other_sessions(user, request.session.session_key)
        messages.success(request, _("Signed out of %(count)d other browsers.") % {"count": count})
        return redirect("studio:account")
    if action == "2fa-start":
        accounts.start_two_factor(user)
        return redirect("studio:account")
    if action == "2fa-confirm":
        if accounts.confirm_two_factor(user, request.POST.get("code", "")):
            # This browser just proved the second factor; every other one is signed out.
            request.session[accounts.FACTORS] = [str(user.pk), 2]
            messages.success(request, _("Two-factor sign-in is on."))
            # Shown on this answer only, never again (no redirect that could show them twice).
            return _account_page(request, new_codes=recovery.make_codes(user))
        messages.error(request, _("That code is not right. Try the code shown now."))
        return redirect("studio:account")
    if action == "recovery-codes":
        if accounts.second_factor_passes(user, request.POST.get("code", "")):
            messages.success(
                request, _("New recovery codes are made; the old ones no longer work.")
            )
            return _account_page(request, new_codes=recovery.make_codes(user))
        messages.error(request, _("That code is not right. Try the code shown now."))
        return redirect("studio:account")
    if action == "password":
        return _change_password(request)
    if action == "2fa-disable":
        if accounts.disable_two_factor(user, request.POST.get("code", "")):
            messages.success(request, _("Two-factor sign-in is off."))
        else:
            messages.error(request, _("That code is not right. Try the code shown now."))
        return redirect("studio:account")
    return _account_page(request)


def _change_password(request: HttpRequest) -> HttpResponse:
    try:
        form, ended = password.change_password(request, request.POST)
    except accounts.SignInRefused as refused:
        messages.error(request, str(refused))
        return redirect("studio:account")
    if form.errors:
        return _account_page(request, password_form=form, status=400)
    messages.success(
        request,
        _("Your password is changed. Signed out of %(count)d other browsers.") % {"count": ended},
    )
    return redirect("studio:account")


def _account_page(request: HttpRequest, status: int = 200, **extra) -> HttpResponse:
    user = request.user
    device = TwoFactorDevice.objects.filter(user=user).first()
    setup = None
    if device is not None and device.confirmed_at is None:
        uri = accounts.provisioning_uri(device)
        setup = {"secret": device.secret, "qr": accounts.qr_svg(uri)}
    context = {
        "sessions": StaffSession.objects.filter(user=user),
        "current_key": request.session.session_key,
        "two_factor_on": device is not None and device.confirmed_at is not None,
        "setup": setup,
        "recovery_left": recovery.remaining(user),
        "password_form": password.password_form(user),
        **extra,
    }
    return render(request, "studio/account.html", context, status=status)
