"""The legality case on the screens: the draft's "Why here", the authorising officer's
review beside the place's past deployments, the entries' flags and finalising."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from lfr_portal.models import (
    Adjudication,
    AuditEvent,
    Deployment,
    DeploymentStatus,
    Outcome,
    WatchlistEntry,
    WatchlistStatus,
)
from tests import builders
from tests.factories import AlertFactory, DeploymentFactory, EntryFactory
from tests.security.images import jpeg_bytes

pytestmark = pytest.mark.django_db


def url(deployment, suffix=""):
    return f"/deployments/{deployment.public_id}/{suffix}"


def local_input(moment):
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_the_draft_form_asks_why_here_with_its_help(client, planner):
    client.force_login(planner)
    page = client.get("/deployments/new/").content.decode()
    fieldset = page.split("<legend>Why here</legend>")[1].split("</fieldset>")[0]
    for name, words in (
        ("grounds_references", "Intelligence or crime references"),
        ("grounds_crime_figures", "The crime problem, in figures"),
        ("grounds_alternatives", "Alternatives considered"),
        ("why_here_summary", "Why here, for the public"),
    ):
        assert f'name="{name}"' in fieldset and words in fieldset
    assert "published on the public page once the deployment is authorised" in fieldset
    assert 'maxlength="1000"' in fieldset


def test_the_edit_form_saves_the_where_case(client):
    deployment = DeploymentFactory(grounds_references="", why_here_summary="")
    client.force_login(deployment.created_by)
    page = client.get(url(deployment, "edit/"))
    data = {
        k: v for k, v in page.context["form"].initial.items() if v is not None and v is not False
    }
    data.update(grounds_references="IR-2025-0042", why_here_summary="Robberies rose here.")
    response = client.post(url(deployment, "edit/"), data)
    assert response.status_code == 302, response.context["form"].errors
    deployment.refresh_from_db()
    assert deployment.grounds_references == "IR-2025-0042"
    assert deployment.why_here_summary == "Robberies rose here."


def _earlier_here(deployment, title, *, days):
    starts = timezone.now() - timedelta(days=days)
    return DeploymentFactory(
        title=title,
        location_name=deployment.location_name,
        latitude=deployment.latitude + Decimal("0.001"),
        longitude=deployment.longitude,
        starts_at=starts,
        ends_at=starts + timedelta(hours=6),
        status=DeploymentStatus.COMPLETED,
    )


def test_the_review_shows_the_where_case_beside_the_places_past_deployments(client, ao):
    deployment = builders.submitted()
    earlier = _earlier_here(deployment, "Spring operation", days=40)
    AlertFactory(deployment=earlier, adjudication=Adjudication.CONFIRMED, outcome=Outcome.ARREST)
    AlertFactory(deployment=earlier, adjudication=Adjudication.FALSE_ALERT)
    AlertFactory(deployment=earlier, adjudication=Adjudication.FALSE_ALERT)
    client.force_login(ao)
    page = client.get(url(deployment, "review/")).content.decode()
    where = page.split('id="where-case"')[1].split("</section>")[0]
    for text in (
        deployment.grounds_references,
        deployment.grounds_crime_figures,
        deployment.grounds_alternatives,
        deployment.why_here_summary,
    ):
        assert text in where
    history = page.split('id="place-history"')[1].split("</section>")[0]
    row = history.split("Spring operation")[1].split("</tr>")[0]
    cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
    assert cells[0] == "Completed"
    # Alerts, confirmed, false alerts, arrests: as the database holds them.
    assert (
        cells[1:]
        == [
            str(earlier.alerts.count()),
            str(earlier.alerts.filter(adjudication=Adjudication.CONFIRMED).count()),
            str(earlier.alerts.filter(adjudication=Adjudication.FALSE_ALERT).count()),
            str(earlier.alerts.filter(outcome=Outcome.ARREST).count()),
        ]
        == ["3", "1", "2", "1"]
    )
    assert f"{timezone.localtime(earlier.starts_at):%-d %b %Y}" in history


def test_a_first_deployment_here_says_so(client, ao):
    deployment = builders.submitted()
    client.force_login(ao)
    page = client.get(url(deployment, "review/")).content.decode()
    assert "None: this is the first deployment at this place." in page


def test_the_review_refuses_approval_naming_the_missing_part(client, ao):
    deployment = builders.submitted()
    Deployment.objects.filter(pk=deployment.pk).update(grounds_alternatives="")
    client.force_login(ao)
    page = client.get(url(deployment, "review/")).content.decode()
    assert 'data-rule="grounds_alternatives_missing"' in page
    assert "Not recorded" in page.split('id="where-case"')[1].split("</section>")[0]
    response = client.post(url(deployment, "review/"), {"approve": "1", "approve-reason": ""})
    assert response.status_code == 400
    assert "alternatives considered and why they are not enough" in response.content.decode()
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.SUBMITTED


def test_old_entries_are_flagged_on_the_watchlist_and_weighed_at_review(client, ao):
    deployment = builders.submitted()
    entry = deployment.watchlist.entries.first()
    WatchlistEntry.objects.filter(pk=entry.pk).update(
        created_at=timezone.now() - timedelta(days=35)
    )
    client.force_login(ao)
    page = client.get(url(deployment, "watchlist/")).content.decode()
    card = page.split(f'id="entry-{entry.public_id}"')[1].split("</li>")[0]
    assert 'data-flag="entry_old"' in card and "Added 35 days ago" in card
    assert page.count('data-flag="entry_old"') == 1
    review = client.get(url(deployment, "review/")).content.decode()
    warnings = review.split('id="approval-warnings"')[1].split("</div>")[0]
    assert "1 watchlist entry was added more than 28 days ago" in warnings
    # A warning, not a refusal: the approval goes through.
    response = client.post(url(deployment, "review/"), {"approve": "1", "approve-reason": "ok"})
    assert response.status_code == 302
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.APPROVED


def test_a_suspect_entry_without_the_sentence_is_refused_next_to_the_field(client, manager):
    deployment = DeploymentFactory()
    client.force_login(manager)
    response = client.post(
        url(deployment, "watchlist/"),
        {
            "entry-display_name": "Person S",
            "entry-category": "suspect",
            "entry-reason": "Suspected of shoplifting",
            "entry-legal_basis": "PACE",
            "entry-offence_max_sentence_years": "",
            "entry-reference_number": "CRIME/1",
            "entry-image_source": "Custody record",
            "entry-image_date": (timezone.localdate() - timedelta(days=5)).isoformat(),
            "entry-reference_image": SimpleUploadedFile("s.jpg", jpeg_bytes(), "image/jpeg"),
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors["offence_max_sentence_years"]
    assert "maximum custodial sentence" in errors[0]
    assert not WatchlistEntry.objects.exists()


def _finalise(client, deployment, **data):
    return client.post(url(deployment, "watchlist/finalise/"), data)


def test_the_finalise_form_asks_for_the_still_wanted_confirmation(client, manager):
    deployment = builders.submitted()
    client.force_login(manager)
    page = client.get(url(deployment, "watchlist/")).content.decode()
    assert 'name="finalise-still_wanted_as_of"' in page
    assert "I confirm every entry is still wanted, still missing or still a risk" in page
    # Without the tick: refused, nothing recorded.
    response = _finalise(
        client, deployment, **{"finalise-still_wanted_as_of": local_input(timezone.now())}
    )
    assert response.status_code == 400
    assert "Finalising needs your confirmation" in response.content.decode()
    # Checked too long ago: the rule's sentence next to the field.
    response = _finalise(
        client,
        deployment,
        **{
            "finalise-still_wanted_as_of": local_input(timezone.now() - timedelta(hours=30)),
            "finalise-confirm": "on",
        },
    )
    assert response.status_code == 400
    assert "too long ago" in response.context["finalise_form"].errors["still_wanted_as_of"][0]
    deployment.watchlist.refresh_from_db()
    assert deployment.watchlist.status == WatchlistStatus.APPROVED
    assert not AuditEvent.objects.filter(action="watchlist.finalise").exists()
    # Confirmed as of now: finalised and recorded.
    response = _finalise(
        client,
        deployment,
        **{"finalise-still_wanted_as_of": local_input(timezone.now()), "finalise-confirm": "on"},
    )
    assert response.status_code == 302
    deployment.watchlist.refresh_from_db()
    assert deployment.watchlist.status == WatchlistStatus.FINALISED
    assert deployment.watchlist.still_wanted_confirmed_by == manager
    page = client.get(url(deployment, "watchlist/")).content.decode()
    assert "Last confirmed still wanted as of" in page and manager.username in page


@pytest.mark.parametrize("role_fixture", ["operator", "planner", "ao", "field_officer"])
def test_only_a_watchlist_manager_finalises(client, request, role_fixture):
    deployment = builders.submitted()
    client.force_login(request.getfixturevalue(role_fixture))
    before = AuditEvent.objects.count()
    response = _finalise(
        client,
        deployment,
        **{"finalise-still_wanted_as_of": local_input(timezone.now()), "finalise-confirm": "on"},
    )
    assert response.status_code in (302, 400, 404)
    deployment.watchlist.refresh_from_db()
    assert deployment.watchlist.status == WatchlistStatus.APPROVED
    assert AuditEvent.objects.count() == before


def test_a_suspect_entry_shows_its_sentence(client, manager):
    deployment = DeploymentFactory()
    EntryFactory(watchlist=deployment.watchlist, category="suspect", offence_max_sentence_years=99)
    EntryFactory(watchlist=deployment.watchlist, category="suspect", offence_max_sentence_years=7)
    client.force_login(manager)
    page = client.get(url(deployment, "watchlist/")).content.decode()
    assert "(maximum sentence life)" in page and "(maximum sentence 7 years)" in page
