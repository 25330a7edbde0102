"""The engagement API: the whole life through HTTP, and each refusal's answer."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lfr_portal.models import AlertHold, AuditEvent, DeploymentStatus, Engagement, Role
from lfr_portal.permissions import can_engage, grant_field_officer, grant_operator
from tests.api.endpoints import make_engagement
from tests.factories import AlertFactory, DeploymentFactory, user_with_role

pytestmark = pytest.mark.django_db

E = "/api/engagements"


def _post(api, user, url, body=None):
    api.force_authenticate(user)
    return api.post(url, body or {}, format="json")


def _get(api, user, url, **params):
    api.force_authenticate(user)
    return api.get(url, params)


def test_the_alerts_life_through_the_api(api, roles):
    alert = AlertFactory()
    grant_operator(roles.operator, alert.deployment)
    grant_field_officer(roles.field_officer, alert.deployment)
    officer = roles.field_officer

    sent = _post(api, roles.operator, f"/api/alerts/{alert.public_id}/send-for-engagement/")
    assert sent.status_code == 201, sent.content
    body = sent.json()
    assert (body["stage"], body["alert"], body["officer"]) == ("sent", str(alert.public_id), None)
    url = f"{E}/{body['public_id']}"

    taken = _post(api, officer, f"{url}/acknowledge/")
    assert (taken.status_code, taken.json()["stage"]) == (200, "acknowledged")
    assert taken.json()["officer"] == officer.username

    missing = _post(api, officer, f"{url}/result/", {"result": "confirmed_person"})
    assert missing.status_code == 400 and missing.json()["field"] == "engaged_at"
    found = _post(
        api,
        officer,
        f"{url}/result/",
        {
            "result": "confirmed_person",
            "engaged_at": timezone.now().isoformat(),
            "stop_minutes": 3,
            "identity_check": "document",
        },
    )
    assert (found.status_code, found.json()["stage"]) == (200, "result_recorded")

    no_hold = _post(
        api,
        officer,
        f"{url}/outcome/",
        {"outcome": "arrest", "arrest_category": "wanted_by_courts", "custody_reference": "C/1"},
    )
    assert no_hold.status_code == 400
    assert no_hold.json() | {"detail": ""} == {
        "detail": "",
        "rule": "hold_required",
        "field": "hold_review_by",
    }
    review_by = (timezone.localdate() + timedelta(days=60)).isoformat()
    arrested = _post(
        api,
        officer,
        f"{url}/outcome/",
        {
            "outcome": "arrest",
            "arrest_category": "wanted_by_courts",
            "custody_reference": "C/1",
            "hold_review_by": review_by,
        },
    )
    assert (arrested.status_code, arrested.json()["stage"]) == (200, "outcome_recorded")
    assert AlertHold.objects.get(alert=alert).custody_reference == "C/1"

    later = _post(api, roles.compliance, f"{url}/later-outcome/", {"later_outcome": "cautioned"})
    assert (later.status_code, later.json()["stage"]) == (200, "closed")
    assert later.json()["later_outcome"] == "cautioned"
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "alert.send_for_engagement",
        "engagement.acknowledge",
        "engagement.result",
        "engagement.outcome",
        "alert.hold_place",
        "engagement.later_outcome",
    } <= actions


def test_wrong_state_answers_409_and_changes_nothing(api, roles):
    engagement = make_engagement(roles)
    url = f"{E}/{engagement.public_id}"
    before = AuditEvent.objects.count()

    early = _post(api, roles.field_officer, f"{url}/result/", {"result": "not_located"})
    outcome = _post(api, roles.field_officer, f"{url}/outcome/", {"outcome": "safeguarding"})
    later = _post(api, roles.ao, f"{url}/later-outcome/", {"later_outcome": "charged"})
    again = _post(
        api, roles.operator, f"/api/alerts/{engagement.alert.public_id}/send-for-engagement/"
    )

    assert [r.status_code for r in (early, outcome, later, again)] == [409, 409, 409, 409]
    assert AuditEvent.objects.count() == before
    engagement.refresh_from_db()
    assert (engagement.officer, engagement.result, engagement.outcome) == (None, "", "")


def test_wrong_deployment_answers_404_and_wrong_role_403(api, roles):
    engagement = make_engagement(roles)
    url = f"{E}/{engagement.public_id}"
    elsewhere = DeploymentFactory(status=DeploymentStatus.LIVE)
    other_officer = user_with_role(Role.FIELD_OFFICER)
    other_operator = user_with_role(Role.OPERATOR)
    grant_field_officer(other_officer, elsewhere)
    grant_operator(other_operator, elsewhere)

    assert _post(api, other_officer, f"{url}/acknowledge/").status_code == 404
    assert _get(api, other_officer, f"{url}/").status_code == 404
    assert _get(api, other_operator, f"{url}/").status_code == 404
    sent = _post(
        api, other_operator, f"/api/alerts/{engagement.alert.public_id}/send-for-engagement/"
    )
    assert sent.status_code == 404
    # The operator sees it but may not take it: the role refuses before anything is read.
    assert _post(api, roles.operator, f"{url}/acknowledge/").status_code == 403
    assert _get(api, roles.planner, f"{url}/").status_code == 403
    engagement.refresh_from_db()
    assert engagement.officer is None


def test_a_colleague_on_the_same_deployment_cannot_record_anothers_engagement(api, roles):
    engagement = make_engagement(roles, officer=roles.field_officer, acknowledged_at=timezone.now())
    colleague = user_with_role(Role.FIELD_OFFICER)
    grant_field_officer(colleague, engagement.alert.deployment)
    url = f"{E}/{engagement.public_id}"

    taken = _post(api, colleague, f"{url}/acknowledge/")
    result = _post(api, colleague, f"{url}/result/", {"result": "not_located"})

    assert (taken.status_code, result.status_code) == (409, 403)


def test_the_list_is_filtered_by_deployment_and_visibility(api, roles):
    first = make_engagement(roles)
    second = make_engagement(roles)
    hidden = Engagement.objects.create(
        alert=AlertFactory(), dispatched_by=roles.operator, dispatched_at=timezone.now()
    )

    every = _get(api, roles.field_officer, f"{E}/")
    one = _get(api, roles.field_officer, f"{E}/", deployment=str(first.alert.deployment.public_id))
    compliance = _get(api, roles.compliance, f"{E}/")

    def ids(response):
        assert response.status_code == 200, response.content
        return {row["public_id"] for row in response.json()["results"]}

    assert ids(every) == {str(first.public_id), str(second.public_id)}
    assert ids(one) == {str(first.public_id)}
    assert str(hidden.public_id) in ids(compliance)


def test_field_officers_are_assigned_and_removed_through_the_api(api, roles):
    deployment = DeploymentFactory(created_by=roles.planner)
    url = f"/api/deployments/{deployment.public_id}/field-officers/"

    not_an_officer = _post(api, roles.planner, url, {"officer": roles.operator.username})
    assigned = _post(api, roles.planner, url, {"officer": roles.field_officer.username})
    other_planner = _post(
        api, user_with_role(Role.DEPLOYMENT_PLANNER), url, {"officer": roles.field_officer.username}
    )

    assert (not_an_officer.status_code, not_an_officer.json()["field"]) == (400, "officer")
    assert assigned.status_code == 204
    assert other_planner.status_code == 403
    assert can_engage(roles.field_officer, deployment)

    remove = f"{url}remove/"
    removed = _post(api, roles.ao, remove, {"officer": roles.field_officer.username})
    again = _post(api, roles.ao, remove, {"officer": roles.field_officer.username})
    nobody = _post(api, roles.ao, remove, {"officer": "no-such-user"})

    assert (removed.status_code, again.status_code, nobody.status_code) == (204, 400, 400)
    assert again.json()["field"] == "officer"
    fresh = type(roles.field_officer).objects.get(pk=roles.field_officer.pk)
    assert not can_engage(fresh, deployment)


@pytest.mark.parametrize("role", ["field_officer", "compliance"])
def test_a_page_of_engagements_costs_what_one_costs(api, roles, role):
    user = getattr(roles, role)

    def count():
        api.force_authenticate(get_user_model().objects.get(pk=user.pk))
        with CaptureQueriesContext(connection) as queries:
            response = api.get(f"{E}/")
        assert response.status_code == 200, response.content
        return len(queries), response.json()["count"]

    make_engagement(roles)
    count()  # warms process-wide caches (content types, permissions)
    one, _ = count()
    for _ in range(9):
        make_engagement(roles)
    many, rows = count()
    assert rows == 10 and many == one
