"""The engagement officer's phone and the operator's "send for engagement", through the
pages: who may see what, what each stage asks, that nothing is cached, and that images
reach the street only while the engagement is open and only to officers assigned."""

import json
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from lfr_portal.models import (
    AlertHold,
    AuditEvent,
    Engagement,
    EngagementOutcome,
    EngagementResult,
    Role,
)
from lfr_portal.permissions import grant_field_officer
from lfr_portal.services.engagements import (
    alert_send_for_engagement,
    engagement_acknowledge,
    engagement_result_record,
)
from tests import builders
from tests.factories import AlertFactory, user_with_role

pytestmark = pytest.mark.django_db

PHONE = "/field/engagements/"
FEED = "/field/engagements/feed.json"
JSON = {"HTTP_ACCEPT": "application/json"}


def no_store(response):
    return "no-store" in response.get("Cache-Control", "")


@pytest.fixture
def deployment(operator, field_officer):
    deployment = builders.live(operator)
    grant_field_officer(field_officer, deployment)
    return deployment


@pytest.fixture
def alert(deployment):
    alert = AlertFactory(deployment=deployment, entry__display_name="Casey Wanted")
    alert.crop.save("crop.jpg", ContentFile(b"\xff\xd8crop"), save=True)
    alert.entry.reference_image.save("ref.jpg", ContentFile(b"\xff\xd8ref"), save=True)
    alert.entry.response = "arrest_on_warrant"
    alert.entry.save(update_fields=["response"])
    return alert


@pytest.fixture
def sent(alert, operator):
    return alert_send_for_engagement(actor=operator, alert=alert)


@pytest.fixture
def taken(sent, field_officer):
    return engagement_acknowledge(actor=field_officer, engagement=sent)


@pytest.fixture
def found(taken, field_officer):
    return engagement_result_record(
        actor=field_officer,
        engagement=taken,
        result=EngagementResult.CONFIRMED_PERSON,
        engaged_at=timezone.now(),
        stop_minutes=4,
        identity_check="document",
    )


def url(engagement, action=""):
    return f"/field/engagements/{engagement.public_id}/{action}"


def field(engagement, name):
    return f"{engagement.public_id}-{name}"


# --- The phone page and its feed ----------------------------------------------------------


def test_the_phone_shows_a_sent_alert_with_its_response_and_nothing_is_cached(
    client, sent, field_officer
):
    client.force_login(field_officer)
    page = client.get(PHONE)
    assert page.status_code == 200 and no_store(page)
    html = page.content.decode()
    assert "Casey Wanted" in html
    assert "Arrest on warrant" in html
    assert "Acknowledge" in html
    assert f"/images/alerts/{sent.alert.public_id}.jpg" in html
    assert "serviceWorker" not in html

    feed = client.get(FEED)
    assert feed.status_code == 200 and no_store(feed)
    body = feed.json()
    assert [e["id"] for e in body["engagements"]] == [str(sent.public_id)]
    assert body["engagements"][0]["stage"] == "dispatched"
    # URLs to the guarded media view only: no image bytes in the JSON.
    assert "base64" not in feed.content.decode()
    assert "\\xff\\xd8" not in feed.content.decode()


def test_the_phone_lists_newest_first(client, deployment, operator, field_officer):
    first = alert_send_for_engagement(actor=operator, alert=AlertFactory(deployment=deployment))
    second = alert_send_for_engagement(actor=operator, alert=AlertFactory(deployment=deployment))
    client.force_login(field_officer)
    ids = [e["id"] for e in client.get(FEED).json()["engagements"]]
    assert ids == [str(second.public_id), str(first.public_id)]


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.AUTHORISING_OFFICER, Role.DEPLOYMENT_PLANNER])
def test_only_field_officers_have_the_phone(client, sent, role):
    client.force_login(user_with_role(role))
    assert client.get(PHONE).status_code == 404
    assert client.get(FEED).status_code == 404


def test_an_officer_of_another_deployment_sees_nothing_of_it(client, sent):
    other = user_with_role(Role.FIELD_OFFICER)
    grant_field_officer(other, builders.live(user_with_role(Role.OPERATOR)))
    client.force_login(other)
    assert client.get(FEED).json()["engagements"] == []
    assert client.get(f"/images/alerts/{sent.alert.public_id}.jpg").status_code == 404
    assert client.get(f"/images/entries/{sent.alert.entry.public_id}.jpg").status_code == 404
    assert client.post(url(sent, "acknowledge/")).status_code == 404
    sent.refresh_from_db()
    assert sent.officer is None


# --- Images only while the engagement is open ---------------------------------------------


def test_images_reach_the_assigned_officer_only_while_the_engagement_is_open(
    client, alert, operator, field_officer
):
    client.force_login(field_officer)
    crop = f"/images/alerts/{alert.public_id}.jpg"
    reference = f"/images/entries/{alert.entry.public_id}.jpg"
    # Not sent yet: nothing.
    assert client.get(crop).status_code == 404
    assert client.get(reference).status_code == 404
    engagement = alert_send_for_engagement(actor=operator, alert=alert)
    for path in (crop, reference):
        response = client.get(path)
        assert response.status_code == 200 and no_store(response)
    engagement_acknowledge(actor=field_officer, engagement=engagement)
    engagement_result_record(
        actor=field_officer,
        engagement=engagement,
        result=EngagementResult.NOT_LOCATED,
    )
    # Closed: the images stop.
    assert client.get(crop).status_code == 404
    assert client.get(reference).status_code == 404


def test_images_stop_once_the_deployment_stops(client, sent, operator, field_officer):
    from lfr_portal.services.deployment_lifecycle import deployment_stop

    client.force_login(field_officer)
    crop = f"/images/alerts/{sent.alert.public_id}.jpg"
    assert client.get(crop).status_code == 200
    deployment_stop(actor=operator, deployment=sent.alert.deployment, reason="Done for today")
    assert client.get(crop).status_code == 404


# --- Acknowledge, result, outcome ---------------------------------------------------------


def test_acknowledging_takes_it_on_the_record(client, sent, field_officer):
    client.force_login(field_officer)
    response = client.post(url(sent, "acknowledge/"), **JSON)
    assert response.status_code == 200 and no_store(response)
    assert response.json()["stage"] == "result"
    sent.refresh_from_db()
    assert sent.officer == field_officer and sent.acknowledged_at is not None
    assert AuditEvent.objects.filter(action="engagement.acknowledge").count() == 1


def test_a_second_officer_cannot_take_one_already_taken(client, taken, deployment):
    other = user_with_role(Role.FIELD_OFFICER)
    grant_field_officer(other, deployment)
    client.force_login(other)
    assert client.post(url(taken, "acknowledge/"), **JSON).status_code == 400
    taken.refresh_from_db()
    assert taken.officer != other


def test_the_result_cannot_come_before_acknowledging(client, sent, field_officer):
    client.force_login(field_officer)
    response = client.post(url(sent, "result/"), {field(sent, "result"): "not_located"}, **JSON)
    assert response.status_code == 400
    sent.refresh_from_db()
    assert sent.result == ""


def test_not_the_person_needs_every_answer_then_shows_the_explanation(client, taken, field_officer):
    client.force_login(field_officer)
    partial = {
        field(taken, "result"): "not_the_person",
        field(taken, "stop_minutes"): "6",
        field(taken, "identity_check"): "document",
    }
    response = client.post(url(taken, "result/"), partial)
    assert response.status_code == 400
    taken.refresh_from_db()
    assert taken.result == ""
    complete = {
        **partial,
        field(taken, "held_minutes"): "6",
        field(taken, "explanation_given"): "yes",
        field(taken, "complaints_route_given"): "no",
    }
    response = client.post(url(taken, "result/"), complete)
    assert response.status_code == 302
    assert response["Location"] == url(taken, "explanation/")
    taken.refresh_from_db()
    assert taken.result == EngagementResult.NOT_THE_PERSON
    assert (taken.held_minutes, taken.explanation_given, taken.complaints_route_given) == (
        6,
        True,
        False,
    )
    assert AuditEvent.objects.filter(action="engagement.result").count() == 1

    page = client.get(url(taken, "explanation/"))
    assert page.status_code == 200 and no_store(page)
    html = page.content.decode()
    assert "You are not the person the police are looking for" in html
    assert "Independent Office for Police Conduct" in html
    assert "subject access request" in html
    # Nothing biometric, and not the name of the person who was sought.
    assert "Casey Wanted" not in html
    assert "/images/" not in html
    assert str(taken.alert.score) not in html


def test_the_explanation_is_only_for_a_misidentified_person(client, found, field_officer):
    client.force_login(field_officer)
    assert client.get(url(found, "explanation/")).status_code == 404


def test_only_the_officer_who_has_it_records_the_result(client, taken, deployment):
    other = user_with_role(Role.FIELD_OFFICER)
    grant_field_officer(other, deployment)
    client.force_login(other)
    response = client.post(url(taken, "result/"), {field(taken, "result"): "not_located"})
    assert response.status_code == 400
    taken.refresh_from_db()
    assert taken.result == ""


def arrest(engagement, **extra):
    return {
        field(engagement, "outcome"): "arrest",
        field(engagement, "arrest_category"): "wanted_by_courts",
        field(engagement, "custody_reference"): "CUST/123",
        **{field(engagement, k): v for k, v in extra.items()},
    }


def test_an_arrest_makes_the_officer_choose_a_hold_or_a_reason(client, found, field_officer):
    client.force_login(field_officer)
    response = client.post(url(found, "outcome/"), arrest(found), **JSON)
    assert response.status_code == 400
    assert "evidence hold" in response.json()["html"]
    found.refresh_from_db()
    assert found.outcome == ""
    # Choosing a hold but giving no date is refused by the rules.
    response = client.post(url(found, "outcome/"), arrest(found, hold="hold"), **JSON)
    assert response.status_code == 400
    found.refresh_from_db()
    assert found.outcome == "" and not AlertHold.objects.exists()


def test_an_arrest_with_a_review_date_places_the_hold(client, found, field_officer):
    client.force_login(field_officer)
    review = (timezone.localdate() + timedelta(days=90)).isoformat()
    response = client.post(
        url(found, "outcome/"),
        arrest(found, hold="hold", hold_review_by=review, no_hold_reason="ignored"),
    )
    assert response.status_code == 302
    found.refresh_from_db()
    assert found.outcome == EngagementOutcome.ARREST
    assert found.no_hold_reason == ""
    hold = AlertHold.objects.get(alert=found.alert)
    assert hold.custody_reference == "CUST/123"
    assert hold.review_by.isoformat() == review
    assert AuditEvent.objects.filter(action="engagement.outcome").count() == 1
    # Closed: off the phone, and its images with it.
    assert client.get(FEED).json()["engagements"] == []
    assert client.get(f"/images/alerts/{found.alert.public_id}.jpg").status_code == 404


def test_an_arrest_without_a_hold_records_why(client, found, field_officer):
    client.force_login(field_officer)
    response = client.post(
        url(found, "outcome/"),
        arrest(found, hold="no_hold", no_hold_reason="Charged on other evidence"),
    )
    assert response.status_code == 302
    found.refresh_from_db()
    assert found.no_hold_reason == "Charged on other evidence"
    assert not AlertHold.objects.exists()


def test_the_outcome_waits_for_a_confirmed_person(client, taken, field_officer):
    client.force_login(field_officer)
    response = client.post(
        url(taken, "outcome/"), {field(taken, "outcome"): "words_of_advice"}, **JSON
    )
    assert response.status_code == 400
    taken.refresh_from_db()
    assert taken.outcome == ""


# --- The operator's side ------------------------------------------------------------------


def send_url(alert):
    return f"/alerts/{alert.public_id}/send-for-engagement/"


def test_sending_for_engagement_is_confirmed_first(client, alert, operator):
    client.force_login(operator)
    response = client.post(send_url(alert))
    assert response.status_code == 200
    assert "Confirm: send for engagement" in response.content.decode()
    response = client.post(send_url(alert), **JSON)
    assert response.status_code == 400 and response.json()["confirm"] == "send"
    assert not Engagement.objects.exists()
    response = client.post(send_url(alert), {"confirm": "send"}, **JSON)
    assert response.status_code == 200
    engagement = Engagement.objects.get(alert=alert)
    assert engagement.dispatched_by == operator
    assert AuditEvent.objects.filter(action="alert.send_for_engagement").count() == 1


def test_an_operator_of_another_deployment_cannot_send_it(client, alert):
    other = user_with_role(Role.OPERATOR)
    builders.live(other)
    client.force_login(other)
    assert client.post(send_url(alert), {"confirm": "send"}).status_code == 404
    assert not Engagement.objects.exists()


def test_a_field_officer_cannot_send_it(client, alert, field_officer):
    client.force_login(field_officer)
    assert client.post(send_url(alert), {"confirm": "send"}).status_code == 404
    assert not Engagement.objects.exists()


def test_an_alert_already_decided_is_not_sent_again(client, sent, operator):
    client.force_login(operator)
    response = client.post(send_url(sent.alert), {"confirm": "send"}, **JSON)
    assert response.status_code in (400, 404)
    assert Engagement.objects.count() == 1


def test_the_operator_sees_who_has_it_and_when(client, taken, operator, field_officer):
    field_officer.first_name, field_officer.last_name = "Jo", "Street"
    field_officer.save(update_fields=["first_name", "last_name"])
    client.force_login(operator)
    deployment = taken.alert.deployment
    html = client.get(f"/deployments/{deployment.public_id}/operate/").content.decode()
    assert "Sent for engagement" in html
    assert "Jo Street" in html
    feed = client.get(f"/deployments/{deployment.public_id}/operate/feed.json").json()
    (row,) = feed["sent"]
    assert row["officer"] == "Jo Street"
    assert row["acknowledged_at"] == timezone.localtime(taken.acknowledged_at).strftime("%H:%M:%S")
    assert row["stage"] == "Acknowledged by a field officer"
    assert json.dumps(feed).count("send-for-engagement") == 0  # the alert left the queue


def test_the_notification_link_takes_the_officer_to_the_card(client, taken, field_officer):
    client.force_login(field_officer)
    response = client.get(url(taken))
    assert response.status_code == 302
    assert response["Location"] == f"{PHONE}#eng-{taken.public_id}"


def test_the_engagement_page_for_the_authorising_officer(client, taken, ao):
    client.force_login(ao)
    response = client.get(url(taken))
    assert response.status_code == 200 and no_store(response)
    assert "Acknowledged by a field officer" in response.content.decode()
    assert "/images/" not in response.content.decode()


# --- Nothing kept on the device, and lists that do not grow in queries -------------------


def test_the_phone_script_keeps_nothing_on_the_device():
    from pathlib import Path

    script = (Path(__file__).resolve().parents[2] / "static/js/engagement.js").read_text()
    for keeps in ("serviceWorker", "localStorage", "sessionStorage", "indexedDB", "caches."):
        assert keeps not in script
    assert 'cache: "no-store"' in script


def test_the_navigation_offers_the_phone_page_to_field_officers(client, field_officer, operator):
    client.force_login(field_officer)
    assert 'href="/field/engagements/"' in client.get("/dashboard/").content.decode()
    client.force_login(operator)
    assert 'href="/field/engagements/"' not in client.get("/dashboard/").content.decode()


def count_queries(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)  # the first request after signing in also loads the session
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_feeds_do_not_grow_in_queries_with_more_engagements(
    client, sent, deployment, operator, field_officer
):
    operate_feed = f"/deployments/{deployment.public_id}/operate/feed.json"
    client.force_login(field_officer)
    phone_one = count_queries(client, FEED)
    client.force_login(operator)
    operator_one = count_queries(client, operate_feed)
    for _ in range(3):
        alert_send_for_engagement(actor=operator, alert=AlertFactory(deployment=deployment))
    client.force_login(field_officer)
    assert len(client.get(FEED).json()["engagements"]) == 4
    assert count_queries(client, FEED) == phone_one
    client.force_login(operator)
    assert count_queries(client, operate_feed) == operator_one


def test_not_engaged_needs_a_reason_and_records_it(client, taken, field_officer):
    client.force_login(field_officer)
    response = client.post(url(taken, "result/"), {field(taken, "result"): "not_engaged"})
    assert response.status_code == 400
    taken.refresh_from_db()
    assert taken.result == ""
    response = client.post(
        url(taken, "result/"),
        {
            field(taken, "result"): "not_engaged",
            field(taken, "not_engaged_reason"): "Lost in crowd",
        },
    )
    assert response.status_code == 302 and response["Location"] == PHONE
    taken.refresh_from_db()
    assert (taken.result, taken.not_engaged_reason) == ("not_engaged", "Lost in crowd")


def test_without_script_the_page_says_the_hold_must_be_chosen(client, found, field_officer):
    client.force_login(field_officer)
    response = client.post(url(found, "outcome/"), arrest(found))
    assert response.status_code == 400 and no_store(response)
    html = response.content.decode()
    assert "place an evidence hold with a review date, or record why none is needed" in html
    found.refresh_from_db()
    assert found.outcome == ""


def test_the_deployment_page_counts_what_engagement_found(client, found, field_officer, operator):
    client.force_login(field_officer)
    client.post(url(found, "outcome/"), arrest(found, hold="no_hold", no_hold_reason="Bailed"))
    client.force_login(operator)
    page = client.get(f"/deployments/{found.alert.deployment.public_id}/")
    assert page.status_code == 200
    rows = dict(page.context["engagement_rows"])
    assert rows["Alerts sent for engagement"] == 1
    assert rows["Confirmed the person after engagement"] == 1
    assert rows["Confirmed not the person (misidentified)"] == 0
    assert rows["Arrests"] == 1
    assert "After the alert: what engagement found" in page.content.decode()
