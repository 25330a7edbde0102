"""No personal data on any public page or file.

Deployments are built through the services with a distinctive marker in every name
and every piece of free text written for internal use, then every public page and
file is fetched and searched for the markers, for every user name and reference
number in the database, and for the identifiers of internal records. Location name
and borough are published by design, so they carry no marker.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.utils import timezone

from lfr_portal.api.transparency_foi import FoiFields
from lfr_portal.models import (
    Adjudication,
    Alert,
    AlertHold,
    Camera,
    CameraGap,
    Complaint,
    DeploymentDocument,
    Engagement,
    EntryCategory,
    LeafletRecord,
    Outcome,
    PostDeploymentReview,
    Role,
    SignageRecord,
    UseCase,
    WatchlistEntry,
    WatchlistReferenceRecord,
)
from lfr_portal.services import alerts as alert_services
from lfr_portal.services import deployment_lifecycle as lifecycle
from lfr_portal.services import deployment_staff as staff
from lfr_portal.services import deployments as dep
from lfr_portal.services import field
from lfr_portal.services import watchlists as wl
from lfr_portal.services.complaints import complaint_record
from lfr_portal.services.holds import alert_hold_place
from lfr_portal.services.publication import signage_photo_publish
from lfr_portal.services.reviews import review_sign_off
from tests.builders import complete_draft
from tests.factories import AlertFactory, EntryFactory, user_with_role
from tests.transparency.test_publication import PNG

MARK = "zqx"


def marked_user(role, tag):
    return user_with_role(
        role,
        username=f"zqxuser-{tag}",
        first_name=f"Zqxfirst{tag}",
        last_name=f"Zqxlast{tag}",
        email=f"zqx-{tag}@example.test",
    )


class World:
    """Every role, each a marked person."""

    def __init__(self):
        self.ao = marked_user(Role.AUTHORISING_OFFICER, "ao")
        self.planner = marked_user(Role.DEPLOYMENT_PLANNER, "planner")
        self.manager = marked_user(Role.WATCHLIST_MANAGER, "manager")
        self.manager2 = marked_user(Role.WATCHLIST_MANAGER, "manager2")
        self.operator = marked_user(Role.OPERATOR, "operator")
        self.field = marked_user(Role.FIELD_OFFICER, "field")
        self.compliance = marked_user(Role.COMPLIANCE_OFFICER, "compliance")


def draft(world, tag, **fields):
    now = timezone.now()
    fields.setdefault("starts_at", now - timedelta(minutes=10))
    deployment = complete_draft(
        created_by=world.planner,
        title=f"ZQX title {tag}",
        purpose=f"ZQX purpose {tag}",
        justification=f"ZQX justification {tag}",
        use_case=UseCase.OTHER,
        use_case_other=f"ZQX use case {tag}",
        location_name=f"Market Square {tag}",
        **fields,
    )
    for document in deployment.documents.all():
        document.reference = f"ZQX-DOC-{tag}-{document.kind}"
        document.save(update_fields=["reference"])
    for booking in deployment.cameras.select_related("camera"):
        Camera.objects.filter(pk=booking.camera_id).update(
            name=f"ZQX camera {tag}",
            source_url=f"rtsp://zqx-{tag}.invalid/stream",
            description=f"ZQX camera description {tag}",
        )
        booking.position = f"ZQX position {tag}"
        booking.save(update_fields=["position"])
    for i in range(2):
        entry = EntryFactory(
            watchlist=deployment.watchlist,
            added_by=world.manager,
            display_name=f"Zqx Person {tag}{i}",
            reason=f"ZQX reason {tag}{i}",
            legal_basis=f"ZQX legal basis {tag}{i}",
            reference_number=f"ZQX/REF/{tag}{i}",
            image_source=f"ZQX image source {tag}{i}",
            reference_image=ContentFile(b"zqx-reference-image", name=f"zqx-{tag}{i}.jpg"),
            # One child on each list: published only as "fewer than 3".
            under_18=i == 0,
            under_18_justification=f"ZQX under-18 justification {tag}{i}" if i == 0 else "",
            category=EntryCategory.WANTED if i == 0 else EntryCategory.RISK,
        )
        approver = world.ao if entry.under_18 else world.manager2
        wl.watchlist_entry_approve(actor=approver, entry=entry)
    wl.watchlist_approve(actor=world.ao, watchlist=deployment.watchlist)
    return dep.deployment_submit(actor=world.planner, deployment=deployment)


def approve(world, tag, **fields):
    deployment = draft(world, tag, **fields)
    return dep.deployment_approve(actor=world.ao, deployment=deployment)


def go_live(world, tag, **fields):
    deployment = approve(world, tag, **fields)
    field.signage_record(
        actor=world.field,
        deployment=deployment,
        description=f"ZQX sign description {tag}",
        location_name=f"ZQX sign location {tag}",
        placed_at=timezone.now() - timedelta(minutes=5),
        photo=ContentFile(PNG, name=f"zqx-unapproved-{tag}.png"),
    )
    field.leaflet_record(
        actor=world.field,
        deployment=deployment,
        quantity=40,
        location_name=f"ZQX leaflet location {tag}",
        distributed_at=timezone.now() - timedelta(minutes=4),
    )
    wl.watchlist_finalise(
        actor=world.manager, watchlist=deployment.watchlist, still_wanted_as_of=timezone.now()
    )
    staff.deployment_operator_assign(
        actor=world.planner, deployment=deployment, operator=world.operator
    )
    deployment.refresh_from_db()
    return lifecycle.deployment_start(actor=world.operator, deployment=deployment)


def raise_alerts(world, deployment, tag):
    booking = deployment.cameras.first()
    entries = list(deployment.watchlist.entries.all())
    outcomes = [
        (Adjudication.CONFIRMED, Outcome.ARREST, f"ZQX arrest detail {tag}"),
        (Adjudication.CONFIRMED, Outcome.OTHER, f"ZQX other detail {tag}"),
        (Adjudication.FALSE_ALERT, Outcome.NO_ACTION, f"ZQX false detail {tag}"),
    ]
    alerts = []
    for i, (adjudication, outcome, detail) in enumerate(outcomes):
        alert = AlertFactory(
            deployment=deployment,
            camera=booking,
            entry=entries[i % len(entries)],
            entry_reference=entries[i % len(entries)].reference_number,
            crop=ContentFile(b"zqx-crop", name=f"zqx-crop-{tag}{i}.jpg"),
            dedup_key=f"zqx-{tag}-{i}",
        )
        alert_services.alert_adjudicate(
            actor=world.operator,
            alert=alert,
            adjudication=adjudication,
            outcome=outcome,
            outcome_detail=detail,
        )
        alerts.append(alert)
    AlertFactory(deployment=deployment, camera=booking, entry=entries[0], dedup_key=f"zqx-{tag}")
    type(deployment).objects.filter(pk=deployment.pk).update(faces_processed=9876)
    CameraGap.objects.create(
        booking=booking, started_at=timezone.now(), reason=f"ZQX gap reason {tag}"
    )
    return alerts


@pytest.fixture
def world(db):
    world = World()
    # A: went live, raised alerts, one held for proceedings, stopped with a reason.
    a = go_live(world, "a", threshold=Decimal("0.470"), threshold_override_reason="ZQX override")
    alerts = raise_alerts(world, a, "a")
    alert_hold_place(
        actor=world.ao,
        alert=alerts[0],
        reason="ZQX hold reason",
        review_by=timezone.localdate() + timedelta(days=60),
    )
    published = SignageRecord.objects.create(
        deployment=a,
        description="ZQX published sign",
        location_name="ZQX published location",
        placed_at=timezone.now() - timedelta(minutes=6),
        recorded_by=world.field,
    )
    published.photo.save("zqx-published.png", ContentFile(PNG), save=True)
    signage_photo_publish(actor=world.compliance, record=published)
    lifecycle.deployment_stop(actor=world.operator, deployment=a, reason="ZQX stop reason")
    WatchlistReferenceRecord.objects.create(
        deployment=a, reference_number="ZQX/KEPT/1", category=EntryCategory.WANTED
    )
    # B: exempt from notice by a critical threat, now live (so shown).
    go_live(world, "b", critical_threat_exempt=True, critical_threat_reason="ZQX threat b")
    # C: went live, then cancelled with a reason.
    c = go_live(world, "c")
    lifecycle.deployment_cancel(actor=world.ao, deployment=c, reason="ZQX cancel reason")
    # D: planned and announced. E: rejected. F: planned under a critical threat (hidden).
    future = timezone.now() + timedelta(days=3)
    world.planned = approve(world, "d", starts_at=future)
    e = draft(world, "e", starts_at=future)
    dep.deployment_reject(actor=world.ao, deployment=e, reason="ZQX rejection reason")
    approve(
        world,
        "f",
        starts_at=future + timedelta(days=1),
        critical_threat_exempt=True,
        critical_threat_reason="ZQX threat f",
    )
    after_the_alerts(world, a, alerts)
    # C's review is not signed off: even a summary written into it stays unpublished.
    PostDeploymentReview.objects.filter(deployment=c).update(
        public_summary="Unsigned summary of c", findings="ZQX findings c"
    )
    world.a, world.c = a, c
    world.published = published
    world.shown = [a, world.planned]
    return world


def after_the_alerts(world, deployment, alerts):
    """Engagement on the street (small counts, and one count of exactly 3), a complaint
    and the signed-off review, each with marked internal text."""
    booking = deployment.cameras.first()
    Engagement.objects.create(
        alert=alerts[0],
        dispatched_by=world.operator,
        dispatched_at=timezone.now(),
        officer=world.field,
        result="confirmed_person",
        perceived_sex="female",
        perceived_ethnicity="black",
        outcome="arrest",
        arrest_category="wanted_by_courts",
        custody_reference="ZQX/CUSTODY/a",
        crime_reference="ZQX/CRIME/a",
        no_hold_reason="ZQX no hold reason",
    )
    Engagement.objects.create(
        alert=alerts[1],
        dispatched_by=world.operator,
        dispatched_at=timezone.now(),
        result="not_the_person",
        held_minutes=0,
        stop_minutes=2,
        perceived_sex="male",
    )
    for i in range(3):
        extra = AlertFactory(deployment=deployment, camera=booking, dedup_key=f"zqx-nl-{i}")
        Engagement.objects.create(
            alert=extra,
            dispatched_by=world.operator,
            dispatched_at=timezone.now(),
            result="not_located",
        )
    complaint_record(
        actor=world.compliance,
        category="misidentification",
        received_on=timezone.localdate(),
        deployment=deployment,
        reference="ZQX/COMPLAINT/a",
        summary="ZQX complaint summary a",
    )
    review_sign_off(
        actor=world.ao,
        review=PostDeploymentReview.objects.get(deployment=deployment),
        findings="ZQX findings a",
        lessons="ZQX lessons a",
        public_summary="The deployment at Market Square ran as authorised and was reviewed.",
    )


def forbidden_strings():
    """Everything personal or internal the database holds, beyond the markers."""
    values = set()
    for user in User.objects.all():
        values |= {user.username, user.last_name, user.email}
    for entry in WatchlistEntry.objects.all():
        values |= {entry.display_name, entry.reference_number, entry.reason, str(entry.public_id)}
        values.add(entry.reference_image.name)
    for alert in Alert.objects.all():
        values |= {alert.entry_reference, alert.dedup_key, str(alert.public_id)}
        if alert.crop:
            values.add(alert.crop.name)
    for hold in AlertHold.objects.all():
        values |= {hold.reason, str(hold.public_id)}
    for record in SignageRecord.objects.all():
        values |= {record.description, record.location_name}
        if record.photo:
            values.add(record.photo.name)
    values |= set(LeafletRecord.objects.values_list("location_name", flat=True))
    values |= set(DeploymentDocument.objects.values_list("reference", flat=True))
    values |= set(WatchlistReferenceRecord.objects.values_list("reference_number", flat=True))
    for complaint in Complaint.objects.all():
        values |= {complaint.summary, complaint.reference, str(complaint.public_id)}
    for review in PostDeploymentReview.objects.all():
        values |= {review.findings, review.lessons, str(review.public_id)}
    for engagement in Engagement.objects.all():
        values |= {engagement.custody_reference, engagement.crime_reference}
        values |= {engagement.no_hold_reason, str(engagement.public_id)}
    values |= {e.under_18_justification for e in WatchlistEntry.objects.all()}
    for camera in Camera.objects.all():
        values |= {camera.name, camera.source_url, str(camera.public_id)}
    return {v for v in values if v}


def public_urls(client, world):
    urls = [
        "/transparency/",
        "/transparency/?page=2",
        "/transparency/?from=2000-01-01&to=2100-01-01",
        "/transparency/?borough=Camden",
        "/transparency/about/",
        "/transparency/announcements.atom",
        "/transparency/deployments.json",
        "/transparency/deployments.csv",
        "/transparency/deployments.csv?borough=Camden",
        "/transparency/totals.json",
    ]
    from lfr_portal.models import Deployment

    for deployment in Deployment.objects.all():
        urls.append(f"/transparency/deployments/{deployment.public_id}/")
        urls.append(f"/transparency/deployments/{deployment.public_id}.json")
    for record in SignageRecord.objects.all():
        urls.append(f"/transparency/signs/{record.public_id}/photo/")
    return urls


def body(response):
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def test_no_public_page_or_file_holds_personal_or_internal_data(client, world):
    forbidden = forbidden_strings()
    assert len(forbidden) > 60  # the world really is full of personal data
    answers = {}
    for url in public_urls(client, world):
        response = client.get(url)
        content = body(response)
        answers[url] = (response.status_code, content)
        if url.endswith("/photo/"):
            continue  # image bytes, checked below
        text = content.decode()
        assert MARK not in text.lower(), (url, text[text.lower().index(MARK) - 80 :][:200])
        for value in forbidden:
            assert not re.search(rf"(?<![\w/-]){re.escape(value)}(?![\w/-])", text), (url, value)

    # Every public deployment answered, and the hidden ones did not.
    for deployment in world.shown:
        assert answers[f"/transparency/deployments/{deployment.public_id}/"][0] == 200
    statuses = {url: a[0] for url, a in answers.items() if url.startswith("/transparency/dep")}
    assert sorted(statuses.values()).count(404) == 2 * 2  # rejected and exempt-planned pages

    # Only the approved photo is served; every other sign's photo is a 404.
    for record in SignageRecord.objects.all():
        status, content = answers[f"/transparency/signs/{record.public_id}/photo/"]
        if record.pk == world.published.pk:
            assert (status, content) == (200, PNG)
        else:
            assert status == 404, record.description


def test_the_world_exercises_every_kind_of_hidden_text(client, world):
    # Guards the test above: the pages really were built from the marked records.
    a = world.shown[0]
    page = client.get(f"/transparency/deployments/{a.public_id}/").content.decode()
    assert "Market Square a" in page  # the published location
    assert "kept past the usual 31 days because they are needed for legal proceedings" in page
    assert "reference numbers that were on the watchlist are kept" in page
    assert "<dt>Arrests</dt><dd>1</dd>" in page
    assert "<dt>False alerts</dt><dd>1</dd>" in page
    assert "9,876" in page
    assert "Stopped early" not in page  # stopped by the kill switch: completed
    listing = client.get("/transparency/deployments.json").json()["deployments"]
    statuses = sorted(row["status"] for row in listing)
    assert statuses == ["cancelled", "completed", "live", "planned"]


FEWER = "fewer than 3"
# Every FOI field published for a deployment, and its value for A (see the world).
FOI_A = {
    "watchlist_wanted": 1,
    "watchlist_suspect": 0,
    "watchlist_missing_or_vulnerable": 0,
    "watchlist_risk": 1,
    "watchlist_under_18": FEWER,
    "arrests_wanted_by_courts": FEWER,
    "arrests_suspected_offence": 0,
    "arrests_multi_agency": 0,
    "arrests_other": 0,
    "not_located": 3,
    "not_engaged": 0,
    "misidentified_not_detained": FEWER,
    "misidentified_under_5_minutes": 0,
    "misidentified_longer": 0,
    "perceived_sex_female": FEWER,
    "perceived_sex_male": FEWER,
    "perceived_sex_not_recorded": 0,
    "perceived_ethnicity_asian": 0,
    "perceived_ethnicity_black": FEWER,
    "perceived_ethnicity_white": 0,
    "perceived_ethnicity_other": 0,
    "perceived_ethnicity_not_recorded": FEWER,
    "why_here_summary": "Robberies near the station have risen; people wanted for them are "
    "seen here.",
    "review_summary": "The deployment at Market Square ran as authorised and was reviewed.",
}


def _csv_rows(client):
    import csv
    import io

    text = body(client.get("/transparency/deployments.csv")).decode()
    return {row["id"]: row for row in csv.DictReader(io.StringIO(text))}


def test_every_foi_field_is_published_with_small_numbers_suppressed(client, world):
    a, c = str(world.a.public_id), str(world.c.public_id)
    detail = client.get(f"/transparency/deployments/{a}.json").json()
    listing = {
        r["id"]: r for r in client.get("/transparency/deployments.json").json()["deployments"]
    }
    csv_rows = _csv_rows(client)
    for name, expected in FOI_A.items():
        assert detail[name] == expected, name
        assert listing[a][name] == expected, name
        assert csv_rows[a][name] == str(expected), name
    assert detail["review_signed_off_on"] == str(timezone.localdate())
    # Every FOI field is checked above: none is published untested.
    assert set(FoiFields._declared_fields) == {*FOI_A, "review_signed_off_on"}
    assert set(FoiFields._declared_fields) <= set(csv_rows[a])

    page = client.get(f"/transparency/deployments/{a}/").content.decode()
    for fragment in (
        f"<dt>Under 18</dt><dd>{FEWER}</dd>",
        f"<dt>Sex: female</dt><dd>{FEWER}</dd>",
        f"<dt>Ethnicity: black</dt><dd>{FEWER}</dd>",
        "<dt>Ethnicity: asian</dt><dd>0</dd>",
        f"<dt>Arrests: wanted by the courts</dt><dd>{FEWER}</dd>",
        "<dt>Not located</dt><dd>3</dd>",
        "<dt>Wanted by police or courts</dt><dd>1</dd>",
        FOI_A["review_summary"],
        FOI_A["why_here_summary"],
    ):
        assert fragment in page, fragment

    # C's review is not signed off: its summary is nowhere, however it got there.
    assert client.get(f"/transparency/deployments/{c}.json").json()["review_summary"] == ""
    assert csv_rows[c]["review_summary"] == ""
    for url in public_urls(client, world):
        assert b"Unsigned summary of c" not in body(client.get(url)), url
    # A planned deployment's "why here" is published once approved; its review not yet.
    planned = client.get(f"/transparency/deployments/{world.planned.public_id}.json").json()
    assert planned["why_here_summary"] and planned["review_summary"] == ""
    assert planned["perceived_sex_female"] == 0 and planned["watchlist_under_18"] == FEWER
