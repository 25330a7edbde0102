"""One-time passwords: who must give one, enrolment by QR code, sign-in, recovery codes."""

import pytest
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from lfr_portal.models import AuditEvent, Role
from lfr_portal.views.accounts import ENROL_KEY_SESSION
from tests.accounts.conftest import code_not_accepted, code_now, log_in
from tests.factories import user_with_role

pytestmark = pytest.mark.usefixtures("otp_on")

ENROL = "/accounts/otp/enrol/"
VERIFY = "/accounts/otp/verify/"
SECOND_FACTOR_ROLES = [Role.AUTHORISING_OFFICER, Role.WATCHLIST_MANAGER, Role.COMPLIANCE_OFFICER]
OTHER_ROLES = [Role.DEPLOYMENT_PLANNER, Role.OPERATOR, Role.FIELD_OFFICER]


def app_for(user):
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


@pytest.mark.parametrize("role", SECOND_FACTOR_ROLES)
def test_these_roles_are_held_at_enrolment_on_pages_and_the_api(client, db, role):
    client.force_login(user_with_role(role))

    page = client.get("/dashboard/")
    assert page.status_code == 302
    assert page["Location"] == f"{ENROL}?next=%2Fdashboard%2F"

    api = client.get("/api/deployments/")
    assert api.status_code == 403
    assert api.json()["rule"] == "second_factor_required"


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_go_straight_in(client, db, role):
    client.force_login(user_with_role(role))

    assert client.get("/dashboard/").status_code == 200
    assert client.get("/api/deployments/").status_code == 200


def test_nobody_is_held_when_the_setting_is_off(client, ao, settings):
    settings.LFR_OTP_REQUIRED = False
    client.force_login(ao)
    assert client.get("/dashboard/").status_code == 200


def test_password_log_in_leads_to_enrolment(client, compliance):
    response = log_in(client, compliance.username)
    assert response["Location"] == "/dashboard/"
    assert client.get("/dashboard/")["Location"].startswith(ENROL)


def test_enrolment_shows_a_qr_code_and_the_key_then_confirms_with_a_code(client, ao):
    client.force_login(ao)

    page = client.get(f"{ENROL}?next=/schedule/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in html and "QR code to scan with your authenticator app" in html
    key = client.session[ENROL_KEY_SESSION]
    secret = page.context["secret"]
    config_url = TOTPDevice(user=ao, key=key).config_url
    assert f"secret={secret.replace(' ', '')}&" in config_url
    assert not TOTPDevice.objects.filter(user=ao).exists()  # nothing stored until confirmed

    wrong = client.post(ENROL, {"token": code_not_accepted(key), "next": "/schedule/"})
    assert wrong.status_code == 200
    assert "That code does not match" in wrong.content.decode()
    failed = AuditEvent.objects.get(action="account.otp_failed")
    assert failed.changes == {"stage": "enrolment"}

    done = client.post(ENROL, {"token": code_now(key), "next": "/schedule/"})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert set(StaticToken.objects.filter(device__user=ao).values_list("token", flat=True)) == set(
        codes
    )
    assert 'href="/schedule/"' in done.content.decode()
    enrolled = AuditEvent.objects.get(action="account.otp_enrolled")
    assert enrolled.actor_username == ao.username
    assert enrolled.changes == {"device": "Authenticator app", "recovery_codes_issued": 10}
    # Confirming the code verified this session.
    assert client.get("/dashboard/").status_code == 200
    assert client.get(ENROL)["Location"] == VERIFY


def test_sign_in_with_the_app(client, manager):
    device = app_for(manager)
    client.force_login(manager)

    held = client.get("/schedule/")
    assert held["Location"] == f"{VERIFY}?next=%2Fschedule%2F"
    session_before = client.session.session_key

    response = client.post(VERIFY, {"token": code_now(device.key), "next": "/schedule/"})

    assert response.status_code == 302 and response["Location"] == "/schedule/"
    assert client.session.session_key != session_before
    assert client.get("/schedule/").status_code == 200
    assert client.get("/api/deployments/").status_code == 200


def test_a_wrong_code_is_audited_and_throttles_the_next(client, manager):
    device = app_for(manager)
    client.force_login(manager)

    wrong = client.post(VERIFY, {"token": code_not_accepted(device.key)})
    assert "That code is not right" in wrong.content.decode()
    row = AuditEvent.objects.get(action="account.otp_failed")
    assert row.changes == {"stage": "sign-in", "kind": "totp"}

    # django-otp's back-off: the next try within a second is refused unchecked, and not audited.
    again = client.post(VERIFY, {"token": code_now(device.key)})
    assert "Too many wrong codes" in again.content.decode()
    assert AuditEvent.objects.filter(action="account.otp_failed").count() == 1
    assert client.get("/dashboard/").status_code == 302


def test_a_recovery_code_works_once(client, ao):
    app_for(ao)
    codes = StaticDevice.objects.create(user=ao, name="Recovery codes")
    codes.token_set.create(token="abcd2345")
    codes.token_set.create(token="efgh6723")
    client.force_login(ao)

    # Typed as printed, with a space and capitals.
    used = client.post(VERIFY, {"token": "ABCD 2345", "next": "/dashboard/"})
    assert used.status_code == 302
    row = AuditEvent.objects.get(action="account.recovery_code_used")
    assert row.changes == {"recovery_codes_left": 1}
    assert client.get("/dashboard/").status_code == 200

    client.logout()
    client.force_login(ao)
    reused = client.post(VERIFY, {"token": "abcd2345"})
    assert reused.status_code == 200
    assert "not one of your recovery codes" in reused.content.decode()
    assert client.get("/dashboard/").status_code == 302
    assert list(codes.token_set.values_list("token", flat=True)) == ["efgh6723"]


def test_api_tokens_of_these_roles_are_refused(client, ao, planner):
    refused = client.get(
        "/api/deployments/", HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=ao).key}"
    )
    assert refused.status_code == 403
    assert "tokens are for service accounts" in refused.json()["detail"]

    service = client.get(
        "/api/deployments/", HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=planner).key}"
    )
    assert service.status_code == 200


def test_superusers_need_a_second_factor_too(admin_client):
    assert admin_client.get("/admin/")["Location"].startswith(ENROL)


def test_a_lost_phone_reset_is_audited_and_leads_to_enrolment_again(client, ao, admin_user):
    from django.core.management import call_command

    app_for(ao)
    call_command(
        "account_otp_reset", ao.username, "--reason", "phone lost", "--by", admin_user.username
    )

    row = AuditEvent.objects.get(action="account.otp_reset")
    assert row.actor_username == admin_user.username and row.reason == "phone lost"
    client.force_login(ao)
    assert client.get("/dashboard/")["Location"].startswith(ENROL)
