"""Sign-in pages: log-in, lockout, one-time password enrolment and verification."""

from base64 import b32encode
from binascii import unhexlify

import django_otp
import segno
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from ..errors import GovernanceError
from ..selectors.accounts import recovery_codes_left, totp_device_for
from ..services import accounts as account_services

ENROL_KEY_SESSION = "lfr_otp_enrol_key"


class PortalLoginView(LoginView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["sso_enabled"] = settings.LFR_OIDC_ENABLED
        context["sso_label"] = settings.LFR_OIDC_LABEL
        context["sso_failed"] = "sso" in self.request.GET
        return context


def locked_out(request, original_response=None, credentials=None):
    """What axes shows a locked-out account (AXES_LOCKOUT_CALLABLE)."""
    context = {
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(
        request,
        "registration/locked_out.html",
        context,
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


class OneTimePasswordForm(forms.Form):
    token = forms.CharField(
        label="Code",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )


def _next_url(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _signed_in_with(request, device):
    # A new session key once the second factor is in: a session fixed before it is useless.
    request.session.cycle_key()
    django_otp.login(request, device)


def _grouped(secret):
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@sensitive_post_parameters("token")
@login_required
def otp_enrol(request):
    if totp_device_for(request.user):
        return redirect("otp-verify")
    key = request.session.get(ENROL_KEY_SESSION)
    if not key:
        # Kept in the session, not the database, until a code from the app confirms it.
        key = request.session[ENROL_KEY_SESSION] = random_hex(20)
    form = OneTimePasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = account_services.otp_enrol_confirm(
                user=request.user, key=key, token=form.cleaned_data["token"]
            )
        except GovernanceError as exc:
            form.add_error("token" if exc.field == "token" else None, exc.message)
        else:
            request.session.pop(ENROL_KEY_SESSION, None)
            _signed_in_with(request, device)
            # Shown in this response only; a reload does not show them again.
            return render(
                request,
                "accounts/recovery_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
    config_url = TOTPDevice(user=request.user, key=key).config_url
    qr = segno.make(config_url, error="m").svg_inline(
        scale=4, border=2, title="QR code to scan with your authenticator app"
    )
    return render(
        request,
        "accounts/otp_enrol.html",
        {
            "form": form,
            "qr_svg": mark_safe(qr),  # noqa: S308 (segno's own SVG, no user input in markup)
            "secret": _grouped(b32encode(unhexlify(key)).decode()),
            "next": _next_url(request),
        },
    )


@never_cache
@sensitive_post_parameters("token")
@login_required
def otp_verify(request):
    if not totp_device_for(request.user):
        return redirect("otp-enrol")
    form = OneTimePasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = account_services.otp_verify(
                user=request.user, token=form.cleaned_data["token"]
            )
        except GovernanceError as exc:
            form.add_error("token" if exc.field == "token" else None, exc.message)
        else:
            _signed_in_with(request, device)
            return redirect(_next_url(request))
    return render(
        request,
        "accounts/otp_verify.html",
        {
            "form": form,
            "next": _next_url(request),
            "recovery_codes_left": recovery_codes_left(request.user),
        },
    )
