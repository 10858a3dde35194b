"""Staff sign-in: passwords with brute-force limits, TOTP two-factor, magic links, sessions.

1. `authenticate_staff` counts failures per (client address, account) and per client
   address; past a limit it refuses before checking the password, so guessing costs the
   attacker the same whether the password was right or not. A stranger elsewhere cannot lock
   the owner out: an account's failures from everywhere together only matter past
   FAILURES_PER_ACCOUNT, and then the password alone is not enough (the second factor, or an
   email link, still signs in). See docs/decisions.md, "Sign-in limits".
2. An account with a confirmed two-factor device is not signed in by its password alone: the
   session holds a "half signed-in" marker until `verify_code` accepts a fresh code, or one
   of the account's single-use recovery codes (hanji.studio.recovery). Wrong codes of either
   kind are limited per half sign-in, per account and per client address.
3. `sign_in` is the one way into a staff session: it notes in the session which factors were
   proven, and `SecondFactorMiddleware` signs out any session of a two-factor account that
   did not pass its second factor, whatever made it (the Django admin's own login form, a
   future view, a test's force_login).
4. Every sign-in records a StaffSession; `end_session` deletes the session from the session
   store itself, so a revoked browser is signed out on its next request.
"""

from __future__ import annotations

import time
from datetime import timedelta
from importlib import import_module

import pyotp
from django.conf import settings
from django.contrib.auth import SESSION_KEY, authenticate, get_user_model, login
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hanji.core import ratelimit
from hanji.core.tokens import BadToken, make_token, read_token
from hanji.studio import recovery
from hanji.studio.models import StaffSession, TwoFactorDevice

FAILURES_PER_PAIR = 10  # wrong passwords for one account from one address, per window
FAILURES_PER_CLIENT = 30  # wrong passwords from one address, any accounts
FAILURES_PER_ACCOUNT = 100  # from everywhere; past it the password alone is not enough
FAILURE_WINDOW = 15 * 60
CODE_TRIES = 5  # wrong two-factor codes per half sign-in
CODE_TRIES_PER_ACCOUNT = 10  # across every half sign-in, per window
CODE_TRIES_PER_CLIENT = 20
MAGIC_LINK_MAX_AGE = 15 * 60
MAGIC_LINK = "staff-sign-in"
FACTORS = "hanji_factors"  # in the session: [user id, factors proven]


class SignInRefused(Exception):
    """Why a sign-in did not happen, in words for the person."""


def _account_key(email: str) -> str:
    return email.strip().lower()


def find_user(email: str):
    User = get_user_model()
    email = email.strip()
    return (
        User.objects.filter(username__iexact=email, is_active=True).first()
        or User.objects.filter(email__iexact=email, is_active=True).order_by("id").first()
    )


def _too_many(scope: str, ident: str, limit: int) -> bool:
    return ratelimit.hits(scope, ident, FAILURE_WINDOW) >= limit


def _count(scope: str, ident: str) -> None:
    ratelimit.allow(scope, ident, limit=10**6, period=FAILURE_WINDOW)


def authenticate_staff(request, email: str, password: str):
    """The account for `email` and `password`, or SignInRefused (wrong, or too many tries)."""
    ip = ratelimit.client_ip(request)
    account = _account_key(email)
    pair = f"{ip} {account}"
    if _too_many("staff-login-pair", pair, FAILURES_PER_PAIR) or _too_many(
        "staff-login-ip", ip, FAILURES_PER_CLIENT
    ):
        raise SignInRefused(
            _("Too many failed sign-ins. Wait a quarter of an hour, or sign in with an email link.")
        )
    user = find_user(email)
    if user is not None:
        user = authenticate(request, username=user.get_username(), password=password)
    if user is None:
        for scope, ident in (
            ("staff-login-pair", pair),
            ("staff-login-ip", ip),
            ("staff-login-account", account),
        ):
            _count(scope, ident)
        raise SignInRefused(_("The email or password is not right."))
    if _too_many("staff-login-account", account, FAILURES_PER_ACCOUNT) and (
        confirmed_device(user) is None
    ):
        # Guessed at from many addresses: the right password is not proof enough now, and a
        # wait would lock the owner out too. The email link (or a second factor) still works.
        raise SignInRefused(
            _(
                "This account's password was tried too many times from elsewhere. Sign in "
                "with an email link this time."
            )
        )
    ratelimit.reset("staff-login-pair", pair, FAILURE_WINDOW)
    return user


def sign_in(request, user, *, second_factor: bool) -> None:
    """The one way into a staff session: Django's login, the factors proven, the record."""
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    request.session[FACTORS] = [str(user.pk), 2 if second_factor else 1]
    record_session(request, user)


def session_passes(session, user_id) -> bool:
    """False for a session of a two-factor account that did not pass its second factor."""
    factors = session.get(FACTORS)
    if isinstance(factors, list) and factors == [str(user_id), 2]:
        return True
    return not TwoFactorDevice.objects.filter(user_id=user_id, confirmed_at__isnull=False).exists()


class SecondFactorMiddleware:
    """Signs out every session that may not act for its account (see `session_passes`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        user_id = session.get(SESSION_KEY) if session is not None else None
        if user_id is not None and not session_passes(session, user_id):
            from django.contrib.auth import logout

            logout(request)
        return self.get_response(request)


# --- two-factor -------------------------------------------------------------------------------


def confirmed_device(user) -> TwoFactorDevice | None:
    return TwoFactorDevice.objects.filter(user=user, confirmed_at__isnull=False).first()


def start_two_factor(user) -> TwoFactorDevice:
    """A new, unconfirmed device (replacing an unconfirmed one); sign-in is unchanged until
    `confirm_two_factor` accepts its first code."""
    device, _created = TwoFactorDevice.objects.get_or_create(
        user=user, defaults={"secret": pyotp.random_base32()}
    )
    if device.confirmed_at is None and not _created:
        device.secret = pyotp.random_base32()
        device.save(update_fields=["secret"])
    return device


def provisioning_uri(device: TwoFactorDevice) -> str:
    return pyotp.TOTP(device.secret).provisioning_uri(
        name=device.user.get_username(), issuer_name="Hanji"
    )


def qr_svg(uri: str) -> str:
    """The QR code as inline SVG, made here (the secret never leaves the server)."""
    import io

    import segno

    out = io.BytesIO()
    # omitsize: no width and height but a viewBox, so the code scales to the box the page
    # gives it; with a fixed width the CSS cut off two of the three finder squares.
    segno.make(uri, error="m").save(
        out, kind="svg", scale=5, xmldecl=False, svgns=True, omitsize=True
    )
    return out.getvalue().decode()


def _accept(device: TwoFactorDevice, code: str) -> bool:
    """True for a right code not used before; one step of clock drift either way."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return False
    totp = pyotp.TOTP(device.secret)
    now = int(time.time())
    for drift in (0, -1, 1):
        step = now // 30 + drift
        if step > device.last_step and totp.at(step * 30) == code:
            # One conditional UPDATE: two requests with the same code cannot both pass.
            return bool(
                TwoFactorDevice.objects.filter(pk=device.pk, last_step__lt=step).update(
                    last_step=step
                )
            )
    return False


def confirm_two_factor(user, code: str) -> bool:
    device = TwoFactorDevice.objects.filter(user=user).first()
    if device is None or not _accept(device, code):
        return False
    device.confirmed_at = timezone.now()
    device.save(update_fields=["confirmed_at"])
    return True


def verify_code(request, user, code: str, attempt_key: str) -> bool:
    """A two-factor code at sign-in. Wrong codes are limited per half sign-in (CODE_TRIES),
    per account and per client address across half sign-ins: a right password does not buy
    a new budget of guesses."""
    ip = ratelimit.client_ip(request)
    limits = (
        ("staff-2fa", attempt_key, CODE_TRIES),
        ("staff-2fa-account", str(user.pk), CODE_TRIES_PER_ACCOUNT),
        ("staff-2fa-ip", ip, CODE_TRIES_PER_CLIENT),
    )
    if any(_too_many(scope, ident, limit) for scope, ident, limit in limits):
        raise SignInRefused(
            _("Too many wrong codes. Wait a quarter of an hour, then sign in again.")
        )
    if second_factor_passes(user, code):
        return True
    for scope, ident, _limit in limits:
        _count(scope, ident)
    return False


def second_factor_passes(user, code: str) -> bool:
    """A right code from the authenticator app, or an unused recovery code (then spent)."""
    device = confirmed_device(user)
    if device is None:
        return False
    if recovery.looks_like_code(code):
        return recovery.use_code(user, code)
    return _accept(device, code)


def disable_two_factor(user, code: str) -> bool:
    if not second_factor_passes(user, code):
        return False
    TwoFactorDevice.objects.filter(user=user).delete()
    recovery.forget_codes(user)
    return True


# --- magic links ------------------------------------------------------------------------------


def magic_link_token(user) -> str:
    # The last sign-in time is in the token: once the link is used it changes, so the link
    # works once.
    stamp = user.last_login.isoformat() if user.last_login else ""
    return make_token(MAGIC_LINK, None, [user.pk, stamp])


def read_magic_link(token: str, *, use: bool = False):
    """The account a sign-in link is for. `use=True` spends the link: one conditional UPDATE
    moves the account's last sign-in stamp, so the link cannot be used twice, even while the
    second factor is still asked for (two requests at once: one wins)."""
    try:
        user_id, stamp = read_token(MAGIC_LINK, None, token, max_age=MAGIC_LINK_MAX_AGE)
    except (BadToken, ValueError, TypeError):
        raise SignInRefused(
            _("This sign-in link is not valid any more. Ask for a new one.")
        ) from None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    current = user.last_login.isoformat() if user and user.last_login else ""
    if user is None or current != stamp:
        raise SignInRefused(_("This sign-in link is not valid any more. Ask for a new one."))
    if use:
        rows = get_user_model().objects.filter(pk=user.pk)
        rows = rows.filter(last_login=user.last_login) if stamp else rows.filter(last_login=None)
        if not rows.update(last_login=timezone.now()):
            raise SignInRefused(_("This sign-in link is not valid any more. Ask for a new one."))
    return user


def send_magic_link(request, email: str, link_for) -> None:
    """Email a sign-in link when the address belongs to an account; the caller answers the
    same either way. Limited per address and per client, so nobody can flood an inbox."""
    from django.core.mail import EmailMessage

    from hanji.core.emailkinds import message_id_for

    ip = ratelimit.client_ip(request)
    if not ratelimit.allow("staff-link-ip", ip, limit=10, period=3600):
        return
    user = find_user(email)
    if user is None or not ratelimit.once("staff-link", str(user.pk), period=60):
        return
    url = link_for(magic_link_token(user))
    body = _(
        "Someone asked to sign in to the Hanji studio with this address.\n\n"
        "Sign in: %(url)s\n\nThe link works once, for 15 minutes. If it was not you, ignore "
        "this email."
    ) % {"url": url}
    EmailMessage(
        _("Your sign-in link for the Hanji studio"),
        body,
        settings.DEFAULT_FROM_EMAIL,
        [user.email or user.get_username()],
        headers={"Message-ID": message_id_for("studio-sign-in")},
    ).send(using="transactional")


# --- sessions ---------------------------------------------------------------------------------


def record_session(request, user) -> None:
    key = request.session.session_key
    if not key:
        request.session.save()
        key = request.session.session_key
    StaffSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "ip": ratelimit.client_ip(request)
            if ratelimit.client_ip(request) != "unknown"
            else None,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
            "last_seen_at": timezone.now(),
        },
    )


def touch_session(request) -> None:
    """Note that this session is in use, at most once a minute (a cheap conditional UPDATE)."""
    key = request.session.session_key
    if not key:
        return
    now = timezone.now()
    StaffSession.objects.filter(
        session_key=key, last_seen_at__lt=now - timedelta(minutes=1)
    ).update(last_seen_at=now)


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


@transaction.atomic
def end_session(user, session_id: int) -> bool:
    """Sign out one browser of `user` (never someone else's)."""
    row = StaffSession.objects.filter(user=user, pk=session_id).first()
    if row is None:
        return False
    _session_store()(session_key=row.session_key).delete()
    row.delete()
    return True


def end_other_sessions(user, current_key: str | None) -> int:
    ended = 0
    for row in StaffSession.objects.filter(user=user).exclude(session_key=current_key or ""):
        ended += end_session(user, row.pk)
    return ended


def forget_session(session_key: str | None) -> None:
    if session_key:
        StaffSession.objects.filter(session_key=session_key).delete()
