"""Every API operation, the roles allowed to call it, and a case each allowed role may act on.

Shared by the role matrix, the schema completeness check and the fuzzing tests, so an
endpoint added to the API without a row here fails the schema test.
"""

from dataclasses import dataclass, field
from datetime import timedelta
from io import BytesIO
from types import SimpleNamespace
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from lfr_portal.models import (
    Adjudication,
    DeploymentStatus,
    Engagement,
    EngagementOutcome,
    EngagementResult,
    EntryStatus,
    Role,
    WatchlistStatus,
)
from lfr_portal.permissions import grant_field_officer, grant_operator
from lfr_portal.services import holds as hold_services
from lfr_portal.services import publication
from tests import builders
from tests.api import policy_cases as policies
from tests.eu import api_cases as eu
from tests.factories import (
    AlertFactory,
    BookingFactory,
    CameraFactory,
    DeploymentFactory,
    EntryFactory,
    EntryReferenceFactory,
    SignageFactory,
    user_with_role,
)

AO = Role.AUTHORISING_OFFICER
PLANNER = Role.DEPLOYMENT_PLANNER
MANAGER = Role.WATCHLIST_MANAGER
OPERATOR = Role.OPERATOR
FIELD = Role.FIELD_OFFICER
COMPLIANCE = Role.COMPLIANCE_OFFICER
EVERY_ROLE = frozenset(Role)


@dataclass
class Call:
    params: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    multipart: bool = False


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    allowed: frozenset
    setup: Any

    @property
    def label(self):
        return f"{self.method} {self.path}"

    def url(self, params):
        return self.path.format(**{k: str(v) for k, v in params.items()})


def roles_namespace(planner, ao, manager, operator, field_officer, compliance):
    return SimpleNamespace(
        planner=planner,
        ao=ao,
        manager=manager,
        operator=operator,
        field_officer=field_officer,
        compliance=compliance,
        by_role={
            PLANNER: planner,
            AO: ao,
            MANAGER: manager,
            OPERATOR: operator,
            FIELD: field_officer,
            COMPLIANCE: compliance,
        },
    )


# --- cases ------------------------------------------------------------------


def _submitted_seen_by_all(r):
    """Submitted (so field officers see it), with the operator assigned (so they see it too)."""
    deployment = DeploymentFactory(created_by=r.planner, status=DeploymentStatus.SUBMITTED)
    grant_operator(r.operator, deployment)
    return deployment


def _draft(r):
    return DeploymentFactory(created_by=r.planner)


def _other_manager():
    return user_with_role(MANAGER)


def png(name="face.png"):
    buffer = BytesIO()
    Image.new("RGB", (16, 16), "grey").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def create_body():
    now = timezone.now()
    return {
        "title": "Town centre robberies",
        "use_case": "crime_hotspot",
        "purpose": "Find people wanted for robbery.",
        "justification": "Robberies doubled; less intrusive means have failed.",
        "location_name": "High Street",
        "borough": "Camden",
        "latitude": "51.539000",
        "longitude": "-0.142600",
        "radius_m": 150,
        "starts_at": (now + timedelta(hours=2)).isoformat(),
        "ends_at": (now + timedelta(hours=10)).isoformat(),
        "grounds_references": "CAD 4411/24; intelligence report IR-2024-0193.",
        "grounds_crime_figures": "38 street robberies within 200 m in 90 days.",
        "grounds_alternatives": "Six weeks of high-visibility patrols; robberies continued.",
        "why_here_summary": "Robberies near the station have risen sharply.",
    }


def entry_body():
    return {
        "display_name": "Person A",
        "category": "wanted",
        "reason": "Wanted on warrant for robbery.",
        "legal_basis": "Warrant",
        "reference_number": "CUST/000123",
        "image_source": "Custody record",
        "image_date": (timezone.localdate() - timedelta(days=100)).isoformat(),
    }


def deployment_list(r):
    _submitted_seen_by_all(r)
    return Call()


def deployment_create(r):
    return Call(body=create_body())


def deployment_detail(r):
    return Call({"public_id": _submitted_seen_by_all(r).public_id})


def deployment_update(r):
    return Call({"public_id": _draft(r).public_id}, {"title": "Renamed"})


def deployment_submit(r):
    return Call({"public_id": builders.complete_draft(created_by=r.planner).public_id})


def deployment_approve(r):
    return Call({"public_id": builders.submitted(created_by=r.planner).public_id}, {})


def deployment_reject(r):
    deployment = DeploymentFactory(created_by=r.planner, status=DeploymentStatus.SUBMITTED)
    return Call({"public_id": deployment.public_id}, {"reason": "The DPIA is out of date."})


def deployment_start(r):
    deployment = builders.ready_to_go_live(operator=r.operator, created_by=r.planner)
    return Call({"public_id": deployment.public_id})


def deployment_stop(r):
    deployment = builders.live(r.operator, created_by=r.planner)
    return Call({"public_id": deployment.public_id}, {"reason": "Crowd too dense."})


def deployment_cancel(r):
    return Call({"public_id": _draft(r).public_id}, {"reason": "Event called off."})


def document_set(r):
    today = timezone.localdate()
    return Call(
        {"public_id": _draft(r).public_id},
        {
            "kind": "dpia",
            "reference": "DPIA-2025-7",
            "issued_on": (today - timedelta(days=10)).isoformat(),
            "review_by": (today + timedelta(days=300)).isoformat(),
        },
    )


def camera_add(r):
    camera = CameraFactory()
    return Call({"public_id": _draft(r).public_id}, {"camera": str(camera.public_id)})


def camera_remove(r):
    booking = BookingFactory(deployment=_draft(r))
    return Call({"public_id": booking.deployment.public_id, "camera_id": booking.camera.public_id})


def operator_assign(r):
    return Call({"public_id": _draft(r).public_id}, {"operator": r.operator.username})


def operator_remove(r):
    deployment = _draft(r)
    grant_operator(r.operator, deployment)
    return Call({"public_id": deployment.public_id}, {"operator": r.operator.username})


def signage_list(r):
    deployment = _submitted_seen_by_all(r)
    SignageFactory(deployment=deployment)
    return Call({"public_id": deployment.public_id})


def signage_record(r):
    return Call(
        {"public_id": _submitted_seen_by_all(r).public_id},
        {
            "description": "A1 sign",
            "location_name": "North entrance",
            "placed_at": (timezone.now() - timedelta(minutes=3)).isoformat(),
        },
    )


def signage_remove(r):
    record = SignageFactory(deployment=_submitted_seen_by_all(r))
    return Call({"public_id": record.public_id}, {"removed_at": timezone.now().isoformat()})


def _sign_with_photo(r):
    """A photo another officer took, on a deployment the public page shows."""
    deployment = DeploymentFactory(created_by=r.planner, status=DeploymentStatus.APPROVED)
    record = SignageFactory(deployment=deployment)
    record.photo.save("sign.png", png("sign.png"), save=True)
    return record


def signage_photo_publish(r):
    return Call({"public_id": _sign_with_photo(r).public_id})


def signage_photo_withdraw(r):
    record = _sign_with_photo(r)
    publication.signage_photo_publish(actor=user_with_role(AO), record=record)
    return Call({"public_id": record.public_id}, {"reason": "A passer-by's face is visible."})


def leaflet_list(r):
    return Call({"public_id": _submitted_seen_by_all(r).public_id})


def leaflet_record(r):
    return Call(
        {"public_id": _submitted_seen_by_all(r).public_id},
        {
            "quantity": 150,
            "location_name": "Station",
            "distributed_at": (timezone.now() - timedelta(minutes=3)).isoformat(),
        },
    )


def watchlist_detail(r):
    return Call({"public_id": _draft(r).watchlist.public_id})


def entry_list(r):
    deployment = _draft(r)
    EntryFactory(watchlist=deployment.watchlist)
    return Call({"public_id": deployment.watchlist.public_id})


def entry_add(r):
    return Call({"public_id": _draft(r).watchlist.public_id}, entry_body(), multipart=True)


def _pending_entry(r):
    return EntryFactory(watchlist=_draft(r).watchlist, added_by=_other_manager())


def entry_image_set(r):
    return Call({"public_id": _pending_entry(r).public_id}, {"reference_image": png()}, True)


def _pending_entry_with_image(r):
    entry = _pending_entry(r)
    entry.reference_image.save("face.png", png(), save=True)
    return entry


def entry_reference_list(r):
    entry = _pending_entry_with_image(r)
    EntryReferenceFactory(entry=entry)
    return Call({"public_id": entry.public_id})


def entry_reference_add(r):
    return Call({"public_id": _pending_entry_with_image(r).public_id}, {"image": png()}, True)


def entry_reference_remove(r):
    reference = EntryReferenceFactory(entry=_pending_entry_with_image(r))
    reference.image.save("second.png", png(), save=True)
    return Call({"public_id": reference.public_id})


def watchlist_enrol(r):
    return Call({"public_id": _draft(r).watchlist.public_id})


def entry_approve(r):
    return Call({"public_id": _pending_entry(r).public_id})


def entry_reject(r):
    return Call({"public_id": _pending_entry(r).public_id}, {"reason": "Image too old."})


def entry_remove(r):
    return Call({"public_id": _pending_entry(r).public_id}, {"reason": "Arrested yesterday."})


def watchlist_approve(r):
    deployment = _draft(r)
    EntryFactory(
        watchlist=deployment.watchlist,
        added_by=_other_manager(),
        approved_by=_other_manager(),
        status=EntryStatus.APPROVED,
    )
    return Call({"public_id": deployment.watchlist.public_id})


def watchlist_finalise(r):
    deployment = builders.submitted(created_by=r.planner)
    assert deployment.watchlist.status == WatchlistStatus.APPROVED
    body = {"still_wanted_as_of": timezone.now().isoformat(), "confirm": True}
    return Call({"public_id": deployment.watchlist.public_id}, body)


def watchlist_copy(r):
    source = DeploymentFactory()
    EntryFactory(watchlist=source.watchlist, status=EntryStatus.APPROVED)
    return Call(
        {"public_id": _draft(r).watchlist.public_id},
        {"source": str(source.watchlist.public_id)},
    )


def _alert_for_operator(r):
    alert = AlertFactory()
    grant_operator(r.operator, alert.deployment)
    return alert


def alert_list(r):
    _alert_for_operator(r)
    return Call()


def alert_detail(r):
    return Call({"public_id": _alert_for_operator(r).public_id})


def alert_adjudicate(r):
    return Call(
        {"public_id": _alert_for_operator(r).public_id},
        {"adjudication": "false_alert", "outcome": "no_action"},
    )


def make_engagement(r, **state):
    """An alert sent for engagement on a live deployment that the operator and the field
    officer are assigned to; `state` fills in the later stages."""
    alert = _alert_for_operator(r)
    grant_field_officer(r.field_officer, alert.deployment)
    alert.adjudication = Adjudication.CONFIRMED
    alert.adjudicated_by = r.operator
    alert.adjudicated_at = timezone.now()
    alert.save()
    return Engagement.objects.create(
        alert=alert, dispatched_by=r.operator, dispatched_at=timezone.now(), **state
    )


def _taken(r):
    return {"officer": r.field_officer, "acknowledged_at": timezone.now()}


def _found(r):
    return {
        **_taken(r),
        "result": EngagementResult.CONFIRMED_PERSON,
        "engaged_at": timezone.now(),
        "stop_minutes": 4,
        "identity_check": "document",
        "result_recorded_at": timezone.now(),
    }


def alert_send_for_engagement(r):
    alert = _alert_for_operator(r)
    grant_field_officer(r.field_officer, alert.deployment)
    return Call({"public_id": alert.public_id})


def engagement_list(r):
    make_engagement(r)
    return Call()


def engagement_detail(r):
    return Call({"public_id": make_engagement(r).public_id})


def engagement_acknowledge(r):
    return Call({"public_id": make_engagement(r).public_id})


def engagement_result(r):
    return Call({"public_id": make_engagement(r, **_taken(r)).public_id}, {"result": "not_located"})


def engagement_outcome(r):
    engagement = make_engagement(r, **_found(r))
    return Call({"public_id": engagement.public_id}, {"outcome": "words_of_advice"})


def engagement_later_outcome(r):
    engagement = make_engagement(
        r,
        **_found(r),
        outcome=EngagementOutcome.ARREST,
        arrest_category="wanted_by_courts",
        custody_reference="CUST/1",
        no_hold_reason="Image not needed: arrest on warrant.",
        outcome_recorded_at=timezone.now(),
    )
    return Call({"public_id": engagement.public_id}, {"later_outcome": "charged"})


def field_officer_assign(r):
    return Call({"public_id": _draft(r).public_id}, {"officer": r.field_officer.username})


def field_officer_remove(r):
    deployment = _draft(r)
    grant_field_officer(r.field_officer, deployment)
    return Call({"public_id": deployment.public_id}, {"officer": r.field_officer.username})


def engine_calibration_list(r):
    return Call()


def deployment_expected_false_alerts(r):
    return Call({"public_id": _submitted_seen_by_all(r).public_id})


def deployment_accuracy(r):
    return Call({"public_id": _submitted_seen_by_all(r).public_id})


def camera_list(r):
    CameraFactory()
    return Call()


def camera_create(r):
    return Call(body={"name": "Lamp post 7", "source_url": "rtsp://10.0.0.7/stream"})


def _hold(r):
    return hold_services.alert_hold_place(
        actor=r.ao,
        alert=AlertFactory(),
        reason="Evidence in R v Smith",
        review_by=timezone.localdate() + timedelta(days=30),
    )


def hold_list(r):
    _hold(r)
    return Call()


def hold_detail(r):
    return Call({"public_id": _hold(r).public_id})


def alert_hold_place(r):
    review_by = (timezone.localdate() + timedelta(days=60)).isoformat()
    return Call(
        {"public_id": AlertFactory().public_id},
        {"reason": "Evidence in R v Jones", "review_by": review_by, "custody_reference": "C/1"},
    )


def hold_extend(r):
    review_by = (timezone.localdate() + timedelta(days=90)).isoformat()
    return Call({"public_id": _hold(r).public_id}, {"review_by": review_by, "reason": "Adjourned"})


def hold_release(r):
    return Call({"public_id": _hold(r).public_id}, {"reason": "Case discontinued"})


def alert_evidence_bundle(r):
    return Call({"public_id": AlertFactory().public_id})


D = "/api/deployments"
W = "/api/watchlists"
E = "/api/engagements"
ENDPOINTS = [
    Endpoint("GET", f"{D}/", EVERY_ROLE, deployment_list),
    Endpoint("POST", f"{D}/create/", {PLANNER}, deployment_create),
    Endpoint("GET", f"{D}/{{public_id}}/", EVERY_ROLE, deployment_detail),
    Endpoint("POST", f"{D}/{{public_id}}/update/", {PLANNER}, deployment_update),
    Endpoint("POST", f"{D}/{{public_id}}/submit/", {PLANNER}, deployment_submit),
    Endpoint("POST", f"{D}/{{public_id}}/approve/", {AO}, deployment_approve),
    Endpoint("POST", f"{D}/{{public_id}}/reject/", {AO}, deployment_reject),
    Endpoint("POST", f"{D}/{{public_id}}/start/", {AO, OPERATOR}, deployment_start),
    Endpoint("POST", f"{D}/{{public_id}}/stop/", {AO, OPERATOR}, deployment_stop),
    Endpoint("POST", f"{D}/{{public_id}}/cancel/", {AO, PLANNER}, deployment_cancel),
    Endpoint("POST", f"{D}/{{public_id}}/documents/set/", {PLANNER}, document_set),
    Endpoint("POST", f"{D}/{{public_id}}/cameras/add/", {PLANNER}, camera_add),
    Endpoint("POST", f"{D}/{{public_id}}/cameras/{{camera_id}}/remove/", {PLANNER}, camera_remove),
    Endpoint("POST", f"{D}/{{public_id}}/operators/assign/", {AO, PLANNER}, operator_assign),
    Endpoint("POST", f"{D}/{{public_id}}/operators/remove/", {AO, PLANNER}, operator_remove),
    Endpoint(
        "GET",
        f"{D}/{{public_id}}/expected-false-alerts/",
        {AO, PLANNER, COMPLIANCE},
        deployment_expected_false_alerts,
    ),
    Endpoint(
        "GET",
        f"{D}/{{public_id}}/accuracy/",
        {AO, PLANNER, OPERATOR, COMPLIANCE},
        deployment_accuracy,
    ),
    Endpoint("GET", f"{D}/{{public_id}}/signage/", EVERY_ROLE, signage_list),
    Endpoint("POST", f"{D}/{{public_id}}/signage/record/", {FIELD}, signage_record),
    Endpoint("POST", "/api/signage/{public_id}/remove/", {FIELD}, signage_remove),
    Endpoint("POST", "/api/signage/{public_id}/publish/", {AO, COMPLIANCE}, signage_photo_publish),
    Endpoint(
        "POST",
        "/api/signage/{public_id}/withdraw/",
        {AO, COMPLIANCE},
        signage_photo_withdraw,
    ),
    Endpoint("GET", f"{D}/{{public_id}}/leaflets/", EVERY_ROLE, leaflet_list),
    Endpoint("POST", f"{D}/{{public_id}}/leaflets/record/", {FIELD}, leaflet_record),
    Endpoint("GET", f"{W}/{{public_id}}/", {AO, MANAGER, COMPLIANCE}, watchlist_detail),
    Endpoint("GET", f"{W}/{{public_id}}/entries/", {AO, MANAGER, COMPLIANCE}, entry_list),
    Endpoint("POST", f"{W}/{{public_id}}/entries/add/", {MANAGER}, entry_add),
    Endpoint("POST", f"{W}/{{public_id}}/approve/", {AO}, watchlist_approve),
    Endpoint("POST", f"{W}/{{public_id}}/finalise/", {MANAGER}, watchlist_finalise),
    Endpoint("POST", f"{W}/{{public_id}}/enrol/", {MANAGER}, watchlist_enrol),
    Endpoint("POST", f"{W}/{{public_id}}/copy-entries/", {MANAGER}, watchlist_copy),
    Endpoint("POST", "/api/watchlist-entries/{public_id}/image/", {MANAGER}, entry_image_set),
    Endpoint("POST", "/api/watchlist-entries/{public_id}/approve/", {AO, MANAGER}, entry_approve),
    Endpoint("POST", "/api/watchlist-entries/{public_id}/reject/", {AO, MANAGER}, entry_reject),
    Endpoint("POST", "/api/watchlist-entries/{public_id}/remove/", {MANAGER}, entry_remove),
    Endpoint(
        "GET",
        "/api/watchlist-entries/{public_id}/photos/",
        {AO, MANAGER, COMPLIANCE},
        entry_reference_list,
    ),
    Endpoint(
        "POST", "/api/watchlist-entries/{public_id}/photos/add/", {MANAGER}, entry_reference_add
    ),
    Endpoint(
        "POST",
        "/api/watchlist-entry-photos/{public_id}/remove/",
        {MANAGER},
        entry_reference_remove,
    ),
    Endpoint("GET", "/api/alerts/", {AO, OPERATOR, COMPLIANCE}, alert_list),
    Endpoint("GET", "/api/alerts/{public_id}/", {AO, OPERATOR, COMPLIANCE}, alert_detail),
    Endpoint("POST", "/api/alerts/{public_id}/adjudicate/", {OPERATOR}, alert_adjudicate),
    Endpoint(
        "POST",
        "/api/alerts/{public_id}/send-for-engagement/",
        {OPERATOR},
        alert_send_for_engagement,
    ),
    Endpoint("GET", f"{E}/", {AO, OPERATOR, FIELD, COMPLIANCE}, engagement_list),
    Endpoint("GET", f"{E}/{{public_id}}/", {AO, OPERATOR, FIELD, COMPLIANCE}, engagement_detail),
    Endpoint("POST", f"{E}/{{public_id}}/acknowledge/", {FIELD}, engagement_acknowledge),
    Endpoint("POST", f"{E}/{{public_id}}/result/", {FIELD}, engagement_result),
    Endpoint("POST", f"{E}/{{public_id}}/outcome/", {FIELD}, engagement_outcome),
    Endpoint(
        "POST",
        f"{E}/{{public_id}}/later-outcome/",
        {FIELD, AO, COMPLIANCE},
        engagement_later_outcome,
    ),
    Endpoint("POST", f"{D}/{{public_id}}/field-officers/", {AO, PLANNER}, field_officer_assign),
    Endpoint(
        "POST", f"{D}/{{public_id}}/field-officers/remove/", {AO, PLANNER}, field_officer_remove
    ),
    Endpoint("GET", "/api/cameras/", {AO, PLANNER, COMPLIANCE}, camera_list),
    Endpoint("POST", "/api/cameras/create/", {PLANNER}, camera_create),
    Endpoint("GET", "/api/engines/", {AO, PLANNER, COMPLIANCE}, engine_calibration_list),
    Endpoint("GET", "/api/holds/", {AO, COMPLIANCE}, hold_list),
    Endpoint("GET", "/api/holds/{public_id}/", {AO, COMPLIANCE}, hold_detail),
    Endpoint("POST", "/api/holds/{public_id}/extend/", {AO, COMPLIANCE}, hold_extend),
    Endpoint("POST", "/api/holds/{public_id}/release/", {AO, COMPLIANCE}, hold_release),
    Endpoint("POST", "/api/alerts/{public_id}/holds/place/", {AO}, alert_hold_place),
    Endpoint(
        "GET", "/api/alerts/{public_id}/evidence-bundle/", {AO, COMPLIANCE}, alert_evidence_bundle
    ),
]
P = "/api/policies"
ENDPOINTS += [
    Endpoint("GET", f"{P}/", EVERY_ROLE, policies.policy_list),
    Endpoint("POST", f"{P}/create/", {AO, COMPLIANCE}, policies.policy_create),
    Endpoint("GET", f"{P}/{{public_id}}/", EVERY_ROLE, policies.policy_detail),
    Endpoint(
        "POST",
        f"{P}/{{public_id}}/versions/upload/",
        {AO, COMPLIANCE},
        policies.policy_version_upload,
    ),
    Endpoint(
        "POST",
        "/api/policy-versions/{public_id}/publishable/",
        {AO, COMPLIANCE},
        policies.policy_version_publishable,
    ),
    Endpoint("POST", f"{D}/{{public_id}}/policy-pins/add/", {AO, PLANNER}, policies.policy_pin),
    Endpoint(
        "POST", f"{D}/{{public_id}}/policy-pins/remove/", {AO, PLANNER}, policies.policy_unpin
    ),
    Endpoint("POST", "/api/subject-access/", {COMPLIANCE}, policies.subject_access),
]


def annual_report_figures(r):
    return Call()


# The annual report's figures (lfr_portal/api/period_reports.py): the current report year.
ENDPOINTS += [
    Endpoint("GET", "/api/reports/annual/", {AO, COMPLIANCE}, annual_report_figures),
]
# EU AI Act mode (lfr_portal/api/eu_mode.py); conftest switches the mode on for "/eu/" rows.
ENDPOINTS += [
    Endpoint("GET", f"{D}/{{public_id}}/eu/", EVERY_ROLE, eu.deployment_eu_state),
    Endpoint("POST", f"{D}/{{public_id}}/eu/request/", {AO, PLANNER}, eu.deployment_eu_request),
    Endpoint("POST", f"{D}/{{public_id}}/eu/decision/", {AO}, eu.deployment_eu_decision),
    Endpoint(
        "POST", f"{D}/{{public_id}}/eu/notices/", {AO, PLANNER, COMPLIANCE}, eu.deployment_eu_notice
    ),
    Endpoint("POST", "/api/alerts/{public_id}/verify/", {AO, OPERATOR}, eu.alert_verify),
]
# Post-deployment reviews and complaints (lfr_portal/api/reviews.py, api/complaints.py).
from tests.api import review_cases as rc  # noqa: E402 (the cases import Call from here)

ENDPOINTS += [
    Endpoint("GET", "/api/reviews/", {AO, COMPLIANCE}, rc.review_list),
    Endpoint("GET", "/api/reviews/{public_id}/", {AO, COMPLIANCE}, rc.review_detail),
    Endpoint("POST", "/api/reviews/{public_id}/sign-off/", {AO}, rc.review_sign_off),
    Endpoint("GET", "/api/complaints/", {AO, COMPLIANCE}, rc.complaint_list),
    Endpoint("POST", "/api/complaints/record/", {AO, COMPLIANCE}, rc.complaint_record_call),
    Endpoint("GET", "/api/complaints/{public_id}/", {AO, COMPLIANCE}, rc.complaint_detail),
    Endpoint(
        "POST", "/api/complaints/{public_id}/outcome/", {AO, COMPLIANCE}, rc.complaint_outcome
    ),
]
ENDPOINTS = [Endpoint(e.method, e.path, frozenset(e.allowed), e.setup) for e in ENDPOINTS]
WRITE_ENDPOINTS = [e for e in ENDPOINTS if e.method == "POST"]
# Operations outside the role matrix: open to anyone by design.
PUBLIC_OPERATIONS = {"POST /api/auth/token/"}
