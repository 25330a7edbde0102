"""What engagement found, counted per deployment and per period: exact in the internal
PDF record, with small counts published as "fewer than N" on the transparency page, its
JSON and the totals, so nobody can be singled out."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from lfr_portal.models import (
    Adjudication,
    DeploymentStatus,
    Engagement,
    EngagementOutcome,
    EngagementResult,
    LaterOutcome,
)
from lfr_portal.selectors import engagement_figures as figures
from lfr_portal.selectors.reports import deployment_record
from tests.factories import AlertFactory, UserFactory
from tests.transparency.conftest import public_deployment

pytestmark = pytest.mark.django_db
R = EngagementResult


def engaged(deployment, result="", **fields):
    alert = AlertFactory(deployment=deployment, adjudication=Adjudication.CONFIRMED)
    return Engagement.objects.create(
        alert=alert,
        dispatched_by=UserFactory(),
        dispatched_at=timezone.now(),
        result=result,
        **fields,
    )


def arrest(deployment, category, later=""):
    return engaged(
        deployment,
        R.CONFIRMED_PERSON,
        stop_minutes=12,
        outcome=EngagementOutcome.ARREST,
        arrest_category=category,
        custody_reference="CU/1",
        later_outcome=later,
    )


def misidentified(deployment, held, stop):
    return engaged(deployment, R.NOT_THE_PERSON, held_minutes=held, stop_minutes=stop)


@pytest.fixture
def busy():
    """A deployment with 12 engagements: 9 confirmed true, 3 misidentified."""
    deployment = public_deployment()
    for _ in range(5):
        arrest(deployment, "wanted_by_courts", later=LaterOutcome.CHARGED)
    arrest(deployment, "suspected_offence", later=LaterOutcome.CAUTIONED)
    for _ in range(3):
        engaged(
            deployment,
            R.CONFIRMED_PERSON,
            stop_minutes=3,
            outcome=EngagementOutcome.WORDS_OF_ADVICE,
        )
    misidentified(deployment, held=0, stop=2)
    misidentified(deployment, held=2, stop=3)
    misidentified(deployment, held=9, stop=9)
    engaged(deployment)  # dispatched, nothing recorded yet
    return deployment


def test_the_exact_figures_count_people_by_what_engagement_found(busy):
    found = figures.deployment_engagement_figures(busy)
    assert found.engagements == 13
    assert (found.confirmed_true, found.confirmed_false) == (9, 3)
    assert found.arrests == 6
    assert found.arrests_by_category == {
        "wanted_by_courts": 5,
        "suspected_offence": 1,
        "multi_agency": 0,
        "other": 0,
    }
    assert (found.charged, found.cautioned) == (5, 1)
    assert found.misidentified_not_detained == 1
    assert found.misidentified_under_5_minutes == 1
    assert found.misidentified_longer == 1


def test_another_deployment_and_an_unpublished_one_are_not_counted(busy):
    other = public_deployment(status=DeploymentStatus.SUBMITTED)  # not public
    arrest(other, "other")
    assert figures.deployment_engagement_figures(busy).arrests == 6
    period = figures.public_engagement_figures()
    assert period.arrests == 6 and period.arrests_by_category["other"] == 0


def test_small_counts_are_published_as_fewer_than_n_never_the_number(busy, settings):
    settings.LFR_PUBLIC_SUPPRESS_BELOW = 3
    published = figures.suppressed(figures.public_engagement_figures(public_id=busy.public_id))
    assert published["engagements"] == 13 and published["arrests"] == 6
    assert published["confirmed_false"] == 3  # not fewer than 3: published
    assert published["cautioned"] == "fewer than 3"
    assert published["misidentified_longer"] == "fewer than 3"
    assert published["arrests_by_category"] == {
        "wanted_by_courts": 5,
        "suspected_offence": "fewer than 3",
        "multi_agency": 0,
        "other": 0,
    }
    settings.LFR_PUBLIC_SUPPRESS_BELOW = 10
    assert figures.suppress(9) == "fewer than 10" and figures.suppress(10) == 10


def test_the_public_page_json_and_totals_show_the_suppressed_figures(client, busy, settings):
    settings.LFR_PUBLIC_SUPPRESS_BELOW = 3
    page = client.get(reverse("transparency-deployment", args=[busy.public_id]))
    html = page.content.decode()
    assert "After the alert: what engagement found" in html
    assert "Misidentified: engaged 5 minutes or longer</dt><dd>fewer than 3" in html
    assert "Arrests that led to a charge</dt><dd>5</dd>" in html
    detail = client.get(reverse("transparency-deployment-json", args=[busy.public_id])).json()
    assert detail["engagement"]["cautioned"] == "fewer than 3"
    assert detail["engagement"]["charged"] == 5
    totals = client.get(reverse("transparency-totals-json")).json()
    assert totals["engagement"]["arrests_by_category"]["suspected_offence"] == "fewer than 3"
    assert totals["engagement"]["confirmed_true"] == 9
    index = client.get(reverse("transparency")).content.decode()
    assert "Confirmed not the person (misidentified)</dt><dd>3</dd>" in index


def test_a_period_filter_counts_only_the_deployments_in_it(client, busy):
    earlier = public_deployment(starts_at=timezone.now() - timedelta(days=40))
    arrest(earlier, "multi_agency")
    day = (timezone.now() - timedelta(days=41)).date().isoformat()
    to = (timezone.now() - timedelta(days=30)).date().isoformat()
    totals = client.get(reverse("transparency-totals-json"), {"from": day, "to": to}).json()
    assert totals["engagement"]["engagements"] == "fewer than 3"
    assert figures.public_engagement_figures().arrests == 7


def test_the_pdf_record_holds_the_exact_figures(busy):
    from lfr_portal.services.reports import deployment_report_pdf
    from tests.views.test_deployment_report import _text

    record = deployment_record(busy)
    assert record.engagement == figures.deployment_engagement_figures(busy)
    rows = dict(figures.figure_rows(record.engagement.as_dict()))
    assert rows["Arrests that led to a caution"] == 1  # internal: exact
    text = _text(deployment_report_pdf(busy))
    assert "After the alert: what engagement found" in text
    assert "Arrests that led to a caution" in text and "fewer than" not in text


def test_the_published_figures_match_their_openapi_schema(client, busy, settings):
    import json

    import jsonschema
    from drf_spectacular.generators import SchemaGenerator

    settings.LFR_PUBLIC_SUPPRESS_BELOW = 3
    document = json.loads(
        json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str)
    )
    schema = {**document["components"]["schemas"]["EngagementFigures"]}
    schema["components"] = document["components"]
    totals = client.get(reverse("transparency-totals-json")).json()["engagement"]
    jsonschema.validate(totals, schema)
    assert "fewer than 3" in json.dumps(totals)  # the string form was validated too
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**totals, "charged": "about 4"}, schema)


def test_each_deployment_row_of_the_open_data_carries_its_suppressed_figures(
    client, busy, settings
):
    import csv
    import io

    settings.LFR_PUBLIC_SUPPRESS_BELOW = 4
    quiet = public_deployment(starts_at=timezone.now() - timedelta(days=5))
    misidentified(quiet, held=0, stop=1)
    records = {r["id"]: r for r in client.get(reverse("transparency-json")).json()["deployments"]}
    assert records[str(busy.public_id)]["engagements"] == 13
    assert records[str(busy.public_id)]["confirmed_after_engagement"] == 9
    assert records[str(busy.public_id)]["misidentified_after_engagement"] == "fewer than 4"
    assert records[str(quiet.public_id)]["engagements"] == "fewer than 4"
    assert records[str(quiet.public_id)]["confirmed_after_engagement"] == 0
    rows = {
        r["id"]: r
        for r in csv.DictReader(
            io.StringIO(client.get(reverse("transparency-csv")).content.decode())
        )
    }
    assert rows[str(quiet.public_id)]["misidentified_after_engagement"] == "fewer than 4"
    assert rows[str(busy.public_id)]["engagements"] == "13"
