"""Single sign-on: the provider's groups become portal roles. No network: the claims are made up."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation

from lfr_portal.models import AuditEvent, Rank, Role
from lfr_portal.oidc import PortalOIDCBackend, check_role_map, roles_from_claims
from lfr_portal.permissions import user_roles
from tests.factories import UserFactory

ROLE_MAP = {
    "LFR Authorising Officers": "authorising_officer",
    "LFR Watchlist": "watchlist_manager",
    "Information Rights": ["compliance_officer"],
    "LFR Planning": "deployment_planner",
}


def test_mapped_groups_become_roles_and_others_are_ignored():
    claims = {"groups": ["LFR Authorising Officers", "Payroll", "Information Rights"]}

    roles = roles_from_claims(claims, role_map=ROLE_MAP, groups_claim="groups")

    assert roles == {Role.AUTHORISING_OFFICER, Role.COMPLIANCE_OFFICER}


def test_a_groups_claim_sent_as_one_string_is_split():
    claims = {"roles": "LFR-AO,LFR-WL"}
    role_map = {"LFR-AO": "authorising_officer", "LFR-WL": "watchlist_manager"}

    roles = roles_from_claims(claims, role_map=role_map, groups_claim="roles")

    assert roles == {Role.AUTHORISING_OFFICER, Role.WATCHLIST_MANAGER}


def test_no_groups_claim_means_no_roles():
    assert roles_from_claims({"sub": "x"}, role_map=ROLE_MAP, groups_claim="groups") == set()


def test_a_map_naming_a_role_the_portal_lacks_is_refused():
    with pytest.raises(ImproperlyConfigured, match="superuser"):
        check_role_map({"Admins": "superuser"})


@pytest.fixture
def backend(settings):
    settings.LFR_OIDC_ROLE_MAP = ROLE_MAP
    settings.OIDC_RP_CLIENT_ID = "lfr-portal"
    settings.OIDC_RP_CLIENT_SECRET = "not-a-real-secret"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "https://idp.invalid/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = "https://idp.invalid/token"
    settings.OIDC_OP_USER_ENDPOINT = "https://idp.invalid/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = "https://idp.invalid/jwks"
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    return PortalOIDCBackend()


def sign_in(backend, claims, monkeypatch):
    """mozilla-django-oidc's own get-or-create, with the provider's userinfo answer faked."""
    monkeypatch.setattr(backend, "get_userinfo", lambda *args: claims)
    return backend.get_or_create_user("access-token", "id-token", {})


def test_first_sign_in_creates_the_account_with_its_roles(backend, monkeypatch, db):
    claims = {
        "preferred_username": "s.jones",
        "email": "s.jones@force.police.uk",
        "given_name": "Sam",
        "family_name": "Jones",
        "rank": "superintendent",
        "groups": ["LFR Authorising Officers", "Payroll"],
    }

    user = sign_in(backend, claims, monkeypatch)

    assert user.username == "s.jones" and user.email == "s.jones@force.police.uk"
    assert not user.has_usable_password()
    assert user.officer.rank == Rank.SUPERINTENDENT
    assert set(user.groups.values_list("name", flat=True)) == {Role.AUTHORISING_OFFICER}
    row = AuditEvent.objects.get(action="account.created_by_sso")
    assert row.changes["roles"] == {"from": [], "to": ["authorising_officer"]}


def test_later_sign_ins_follow_the_provider_and_keep_other_groups(backend, monkeypatch, db):
    user = UserFactory(username="p.khan", role=Role.AUTHORISING_OFFICER)
    user.groups.add(Group.objects.create(name="newsletter"))

    updated = sign_in(
        backend,
        {"preferred_username": "p.khan", "groups": ["LFR Watchlist", "LFR Planning"]},
        monkeypatch,
    )

    assert updated.pk == user.pk
    assert set(updated.groups.values_list("name", flat=True)) == {
        Role.WATCHLIST_MANAGER,
        Role.DEPLOYMENT_PLANNER,
        "newsletter",
    }
    updated.__dict__.pop("_lfr_roles", None)
    assert user_roles(updated) == {Role.WATCHLIST_MANAGER, Role.DEPLOYMENT_PLANNER}
    row = AuditEvent.objects.get(action="account.updated_by_sso")
    assert row.changes["roles"] == {
        "from": ["authorising_officer"],
        "to": ["deployment_planner", "watchlist_manager"],
    }


def test_an_unchanged_sign_in_writes_no_audit_row(backend, monkeypatch, db):
    claims = {"preferred_username": "a.lee", "groups": ["LFR Planning"]}
    sign_in(backend, claims, monkeypatch)
    sign_in(backend, claims, monkeypatch)

    assert AuditEvent.objects.filter(action__startswith="account.").count() == 1


def test_someone_in_no_mapped_group_is_not_signed_in(backend, monkeypatch, db):
    with pytest.raises(SuspiciousOperation):
        sign_in(backend, {"preferred_username": "x.y", "groups": ["Payroll"]}, monkeypatch)
    assert not AuditEvent.objects.exists()
