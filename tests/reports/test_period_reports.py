"""The annual report and the quarterly oversight pack, generated from the demo data: every
figure on the page, in the CSV and in the PDF checked against counts made here straight
from the database; the public version suppresses small counts of people; each staff
generation is audited and every other role is refused.
"""

import csv
import io
import re
from collections import Counter
from datetime import timedelta
from html import unescape

import pytest
from django.db.models import Q, Sum
from django.utils import timezone

from lfr_portal.models import (
    AccuracySuspension,
    Adjudication,
    Alert,
    AuditEvent,
    Complaint,
    Deployment,
    Engagement,
    EngagementResult,
    Outcome,
    PostDeploymentReview,
    WatchlistEntry,
    WatchlistReferenceRecord,
)
from lfr_portal.selectors.period_figures import report_quarter, report_year
from tests.reports.conftest import pdf_text

pytestmark = pytest.mark.django_db
R = EngagementResult


def n(value):
    return f"{value:,}"


def expected_year(year):
    """Each figure counted here straight from the database, as the page should print it."""
    first, last = report_year(year).start, report_year(year).last_day
    deployments = Deployment.objects.filter(
        went_live_at__isnull=False, starts_at__date__gte=first, starts_at__date__lte=last
    )
    alerts = Alert.objects.filter(deployment__in=deployments)
    engagements = Engagement.objects.filter(alert__deployment__in=deployments)
    results = Counter(engagements.values_list("result", flat=True))
    arrests = engagements.filter(outcome="arrest")
    categories = Counter(arrests.values_list("arrest_category", flat=True))
    later = Counter(arrests.values_list("later_outcome", flat=True))
    misidentified = list(
        engagements.filter(result=R.NOT_THE_PERSON).values_list("held_minutes", "stop_minutes")
    )
    destroyed = WatchlistReferenceRecord.objects.filter(deployment__in=deployments)
    composition = Counter(destroyed.values_list("category", flat=True))
    kept = WatchlistEntry.objects.filter(
        watchlist__deployment__in=deployments, status="approved"
    ).exclude(watchlist__status="destroyed")
    composition.update(kept.values_list("category", flat=True))
    complaints = Complaint.objects.filter(received_on__year=year)
    reviews = PostDeploymentReview.objects.filter(deployment__in=deployments)
    engaged = engagements.filter(result__in=[R.CONFIRMED_PERSON, R.NOT_THE_PERSON])
    return {
        "deployments:Deployments that went live": n(deployments.count()),
        "deployments:Use: Crime hotspot": n(deployments.filter(use_case="crime_hotspot").count()),
        "deployments:Use: Event": n(deployments.filter(use_case="event").count()),
        "deployments:Stopped early": n(deployments.filter(stopped_early=True).count()),
        "deployments:Suspensions": n(
            AccuracySuspension.objects.filter(deployment__in=deployments).count()
        ),
        "alerts:Faces processed": n(deployments.aggregate(s=Sum("faces_processed"))["s"]),
        "alerts:Alerts": n(alerts.count()),
        "alerts:Confirmed matches (by the operator)": n(
            alerts.filter(adjudication=Adjudication.CONFIRMED).count()
        ),
        "alerts:False alerts (by the operator)": n(
            alerts.filter(adjudication=Adjudication.FALSE_ALERT).count()
        ),
        "alerts:Not resolved": n(alerts.filter(adjudication=Adjudication.UNRESOLVED).count()),
        "arrests:Arrests recorded on alerts": n(alerts.filter(outcome=Outcome.ARREST).count()),
        "arrests:Arrests after engagement": n(arrests.count()),
        "arrests:Arrests: Wanted by the courts": n(categories["wanted_by_courts"]),
        "arrests:Arrests: Suspected of an offence": n(categories["suspected_offence"]),
        "arrests:Later outcome: Charged": n(later["charged"]),
        "arrests:Later outcome: Cautioned": n(later["cautioned"]),
        "arrests:Later outcome: Released (no charge yet, or on bail)": n(later["released"]),
        "false_alerts:Alerts sent for engagement": n(engagements.count()),
        "false_alerts:Confirmed the person after engagement": n(results[R.CONFIRMED_PERSON]),
        "false_alerts:Confirmed not the person (misidentified)": n(results[R.NOT_THE_PERSON]),
        "false_alerts:Not located": n(results[R.NOT_LOCATED]),
        "false_alerts:Not engaged": n(results[R.NOT_ENGAGED]),
        "false_alerts:Misidentified: not detained": n(sum(h == 0 for h, _ in misidentified)),
        "false_alerts:Misidentified: engaged under 5 minutes": n(
            sum(h > 0 and s < 5 for h, s in misidentified)
        ),
        "false_alerts:Misidentified: engaged 5 minutes or longer": n(
            sum(h > 0 and s >= 5 for h, s in misidentified)
        ),
        "watchlists:Entries: Wanted by police or courts": n(composition["wanted"]),
        "watchlists:Entries: Suspected of an offence": n(composition["suspect"]),
        "watchlists:Entries in all": n(sum(composition.values())),
        "watchlists:Entries of people under 18": n(
            WatchlistEntry.objects.filter(
                watchlist__deployment__in=deployments, status="approved", under_18=True
            ).count()
        ),
        "watchlists:Alerts on an entry of a person under 18": n(
            alerts.filter(entry__under_18=True).count()
        ),
        "people_engaged:Sex: Male": n(engaged.filter(perceived_sex="male").count()),
        "people_engaged:Ethnicity: Black": n(engaged.filter(perceived_ethnicity="black").count()),
        "complaints:Complaints received": n(complaints.count()),
        "complaints:About: Misidentified or wrongly stopped": n(
            complaints.filter(category="misidentification").count()
        ),
        "complaints:Outcome: Upheld": n(complaints.filter(outcome="upheld").count()),
        "complaints:Outcome: Open": n(complaints.filter(outcome="").count()),
        "reviews:Signed off": n(reviews.filter(status="signed_off").count()),
        "reviews:Overdue": n(reviews.filter(status="open", due_by__lt=timezone.now()).count()),
    }


def page_figures(html):
    """{"section:label": shown value} from the report's figure tables."""
    return {
        unescape(key): unescape(value.strip())
        for key, value in re.findall(r'data-figure="([^"]+)">([^<]*)<', html)
    }


def csv_figures(body):
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["section", "figure", "value"]
    return {(section, figure): value for section, figure, value in rows[1:]}


def test_the_year_has_figures_worth_checking(demo_year):
    expected = expected_year(demo_year)
    for key in (
        "deployments:Deployments that went live",
        "alerts:Alerts",
        "false_alerts:Alerts sent for engagement",
        "false_alerts:Confirmed not the person (misidentified)",
        "arrests:Arrests after engagement",
        "watchlists:Entries in all",
        "watchlists:Alerts on an entry of a person under 18",
        "complaints:Complaints received",
        "reviews:Overdue",
    ):
        assert expected[key] != "0", key


def test_the_annual_report_page_shows_the_database_figures(client, compliance, demo_year):
    client.force_login(compliance)
    response = client.get(f"/reports/annual/{demo_year}/")
    assert response.status_code == 200
    html = response.content.decode()
    shown = page_figures(html)
    expected = expected_year(demo_year)
    assert {key: shown.get(key) for key in expected} == expected
    assert f"Live facial recognition: annual report, {demo_year}" in html
    # Charts drawn on the server and embedded; data: images allowed on this page only.
    assert html.count('src="data:image/png;base64,') >= 4
    assert "data:" in response["Content-Security-Policy"]


def test_the_csv_and_the_pdf_carry_the_same_figures(client, ao, demo_year):
    client.force_login(ao)
    expected = expected_year(demo_year)
    body = client.get(f"/reports/annual/{demo_year}.csv").content.decode()
    table = {figure: value for (_, figure), value in csv_figures(body).items()}
    for key, shown in expected.items():
        assert table[key.split(":", 1)[1]] == shown.replace(",", ""), key
    pdf = client.get(f"/reports/annual/{demo_year}.pdf").content
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Faces processed and alerts" in text and "False alerts and how they were handled" in text
    for key in (
        "alerts:Faces processed",
        "alerts:Alerts",
        "deployments:Deployments that went live",
        "arrests:Arrests after engagement",
        "complaints:Complaints received",
    ):
        assert f"({expected[key]})" in text, key
    assert b"/Subtype /Image" in pdf  # the charts


def test_each_staff_generation_is_audited_and_the_public_one_is_not(client, compliance, demo_year):
    client.force_login(compliance)
    before = AuditEvent.objects.count()
    for suffix, fmt in (("/", "html"), (".csv", "csv"), (".pdf", "pdf")):
        client.get(f"/reports/annual/{demo_year}{suffix}")
        event = AuditEvent.objects.latest("seq")
        assert event.action == "report.annual" and event.actor == compliance
        assert event.changes["format"] == fmt and event.changes["year"] == demo_year
    client.get(f"/reports/oversight/{demo_year}/q1/")
    assert AuditEvent.objects.latest("seq").action == "report.oversight_pack"
    assert AuditEvent.objects.count() == before + 4
    client.logout()
    client.get(f"/transparency/annual/{demo_year}/")
    client.get(f"/transparency/annual/{demo_year}.csv")
    assert AuditEvent.objects.count() == before + 4


def test_the_public_version_suppresses_small_counts_of_people(client, demo_year, settings):
    settings.LFR_PUBLIC_SUPPRESS_BELOW = 3
    expected = expected_year(demo_year)
    html = client.get(f"/transparency/annual/{demo_year}/").content.decode()
    shown = page_figures(html)
    # Deployments, faces and alerts are published per deployment already: exact.
    for key in (
        "alerts:Faces processed",
        "alerts:Alerts",
        "deployments:Deployments that went live",
    ):
        assert shown[key] == expected[key]
    # Exactly one alert on an under-18 entry: never published as a number.
    assert expected["watchlists:Alerts on an entry of a person under 18"] == "1"
    assert shown["watchlists:Alerts on an entry of a person under 18"] == "fewer than 3"
    assert shown["complaints:Outcome: Upheld"] == "fewer than 3"
    data = client.get(f"/transparency/annual/{demo_year}.json").json()
    assert data["watchlists"]["under_18_appearances"] == "fewer than 3"
    assert data["alerts"]["alerts"] == int(expected["alerts:Alerts"].replace(",", ""))
    body = client.get(f"/transparency/annual/{demo_year}.csv").content.decode()
    row = csv_figures(body)[
        ("Watchlist composition and under-18s", "Alerts on an entry of a person under 18")
    ]
    assert row == "fewer than 3"
    assert "Signage at the north exit" not in html  # no review findings in public


def test_the_transparency_page_links_to_the_public_report(client, demo_year):
    page = client.get("/transparency/").content.decode()
    assert 'href="/transparency/annual/"' in page
    response = client.get("/transparency/annual/")
    assert response.status_code == 302 and "/transparency/annual/" in response["Location"]


def test_the_staff_api_answers_the_exact_figures(client, compliance, demo_year):
    client.force_login(compliance)
    data = client.get(f"/api/reports/annual/?year={demo_year}").json()
    expected = expected_year(demo_year)
    assert data["watchlists"]["under_18_appearances"] == 1
    assert n(data["alerts"]["false_alerts"]) == expected["alerts:False alerts (by the operator)"]
    assert (
        n(data["engagement"]["confirmed_false"])
        == (expected["false_alerts:Confirmed not the person (misidentified)"])
    )
    assert data["eu"] is None
    assert client.get("/api/reports/annual/?year=1999").status_code == 400


def test_eu_mode_titles_it_as_the_eu_annual_figures(client, compliance, demo_year, settings):
    settings.LFR_EU_AI_ACT_MODE = True
    client.force_login(compliance)
    html = client.get(f"/reports/annual/{demo_year}/").content.decode()
    assert f"annual report and EU AI Act annual figures, {demo_year}" in html
    shown = page_figures(html)
    start, end = report_year(demo_year).bounds()
    period = Deployment.objects.filter(starts_at__gte=start, starts_at__lt=end)
    requested = period.filter(eu_authorisation_requested_at__isnull=False)
    assert shown["eu:Authorisations requested"] == n(requested.count()) == "3"
    assert shown["eu:Granted"] == n(requested.filter(eu_authorisation_decision="granted").count())
    assert shown["eu:Refused"] == "1" and shown["eu:Awaiting a decision"] == "1"
    assert shown["eu:Used in urgency before the decision"] == "1"
    purpose = "eu:Purpose: Locating a suspect of a serious offence (Art. 5(1)(h)(iii))"
    assert shown[purpose] == "2"


def test_the_oversight_pack_lists_each_deployment_with_its_figures(client, ao, demo_year):
    client.force_login(ao)
    response = client.get(f"/reports/oversight/{demo_year}/q1/")
    assert response.status_code == 200
    html = unescape(response.content.decode())
    start, end = report_quarter(demo_year, 1).bounds()
    deployments = Deployment.objects.filter(
        went_live_at__isnull=False, starts_at__gte=start, starts_at__lt=end
    )
    assert deployments.exists()
    table = html.split("Deployments of the quarter")[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
    assert len(rows) == deployments.count()
    for deployment, row in zip(deployments.order_by("starts_at", "pk"), rows, strict=True):
        cells = dict(re.findall(r'data-label="([^"]+)">([^<]*)<', row))
        assert cells["Deployment"] == f"{deployment.title} ({deployment.borough})"
        assert cells["Alerts"] == str(deployment.alerts.count())
        false = deployment.alerts.filter(adjudication=Adjudication.FALSE_ALERT)
        assert cells["False alerts"] == str(false.count())
        assert cells["Faces processed"] == n(deployment.faces_processed)
        misidentified = Engagement.objects.filter(
            alert__deployment=deployment, result=R.NOT_THE_PERSON
        )
        assert cells["Misidentified"] == str(misidentified.count())
        assert cells["Complaints"] == str(deployment.complaints.count())
        flagged = deployment.alerts.filter(overdue_flag__isnull=False).count()
        assert cells["Overdue alerts"] == str(flagged)  # none of the demo's is pending
    overdue = Alert.objects.filter(deployment__in=deployments).filter(
        Q(overdue_flag__isnull=False)
        | Q(adjudication="pending", captured_at__lte=timezone.now() - timedelta(minutes=10))
    )
    section = html.split("Alerts overdue for adjudication")[1].split("<h2")[0]
    assert overdue.exists() and section.count("<tr>") - 1 == overdue.count()
    misidentified = Engagement.objects.filter(
        alert__deployment__in=deployments, result=R.NOT_THE_PERSON
    ).count()
    section = html.split("Misidentifications (engaged, not the person)")[1].split("<h2")[0]
    assert section.count("<tr>") - 1 == misidentified
    for complaint in Complaint.objects.filter(
        received_on__gte=start.date(), received_on__lt=end.date()
    ):
        assert complaint.reference in html
    assert "CMP/OUTSIDE/001" not in html
    assert "Signage at the north exit was late going up." in html  # review findings
    assert "Overdue" in html and "Six false alerts in 4,000 faces." in html
    assert html.count('src="data:image/png;base64,') == 4
    pdf = client.get(f"/reports/oversight/{demo_year}/q1.pdf").content
    text = pdf_text(pdf)
    assert "Deployments of the quarter" in text and "Post-deployment reviews" in text
    assert "CMP/" in text
    # The lists run across landscape pages; the figures and the charts stay portrait.
    assert b"/MediaBox [ 0 0 841.8898 595.2756 ]" in pdf
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in pdf


def test_generation_is_bounded_whatever_the_year_holds(client, compliance, demo_year):
    client.force_login(compliance)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as annual:
        client.get(f"/reports/annual/{demo_year}.csv")
    with CaptureQueriesContext(connection) as pack:
        client.get(f"/reports/oversight/{demo_year}/q1/")
    # A fixed handful of aggregate queries, not one per deployment or alert.
    assert len(annual) <= 30, len(annual)
    assert len(pack) <= 40, len(pack)


@pytest.mark.parametrize("role", ["planner", "manager", "operator", "field_officer"])
@pytest.mark.parametrize(
    "path",
    [
        "/reports/",
        "/reports/annual/{year}/",
        "/reports/annual/{year}.pdf",
        "/reports/annual/{year}.csv",
        "/reports/oversight/{year}/q1/",
        "/reports/oversight/{year}/q1.pdf",
        "/api/reports/annual/",
    ],
)
def test_other_roles_are_refused(client, request, role, path):
    year = timezone.localdate().year
    client.force_login(request.getfixturevalue(role))
    before = AuditEvent.objects.count()
    response = client.get(path.format(year=year))
    assert response.status_code in (403, 404)
    assert AuditEvent.objects.count() == before


def test_anonymous_visitors_are_sent_to_log_in(client):
    year = timezone.localdate().year
    response = client.get(f"/reports/annual/{year}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get(f"/reports/oversight/{year}/q2.pdf").status_code == 302


def test_unknown_years_and_quarters_are_not_found(client, compliance):
    client.force_login(compliance)
    year = timezone.localdate().year
    assert client.get(f"/reports/annual/{year + 2}/").status_code == 404
    assert client.get("/reports/annual/1999/").status_code == 404
    assert client.get(f"/reports/oversight/{year}/q5/").status_code == 404
    assert client.get(f"/transparency/annual/{year + 2}/").status_code == 404
