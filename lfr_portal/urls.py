from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from .metrics import metrics_view
from .views import (
    accounts,
    audit,
    complaints,
    deployment_field_officers,
    deployments,
    engagement,
    eu_mode,
    field,
    holds,
    media,
    operator,
    pages,
    period_reports,
    policies,
    policy_pins,
    retention,
    reviews,
    signage_photos,
    subject_access,
    watchlists,
    webhooks,
)

D = "deployments/<uuid:public_id>/"

urlpatterns = [
    path("", pages.home, name="home"),
    path("dashboard/", pages.dashboard, name="dashboard"),
    path("notifications/<int:pk>/read/", pages.notification_read, name="notification-read"),
    path("healthz/", pages.health, name="health"),
    path("metrics", metrics_view, name="metrics"),
    path("accounts/login/", accounts.PortalLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/otp/enrol/", accounts.otp_enrol, name="otp-enrol"),
    path("accounts/otp/verify/", accounts.otp_verify, name="otp-verify"),
    # Deployments
    path("schedule/", deployments.schedule, name="schedule"),
    path("deployments/new/", deployments.deployment_create, name="deployment-create"),
    path(D, deployments.deployment_detail, name="deployment-detail"),
    path(D + "edit/", deployments.deployment_edit, name="deployment-edit"),
    path(D + "documents/", deployments.deployment_document, name="deployment-document"),
    path(D + "cameras/", deployments.deployment_camera_add, name="deployment-camera-add"),
    path(
        D + "cameras/<uuid:camera_id>/remove/",
        deployments.deployment_camera_remove,
        name="deployment-camera-remove",
    ),
    path(
        D + "operators/", deployments.deployment_operator_assign, name="deployment-operator-assign"
    ),
    path(
        D + "operators/remove/",
        deployments.deployment_operator_remove,
        name="deployment-operator-remove",
    ),
    path(
        D + "field-officers/",
        deployment_field_officers.deployment_field_officer_assign,
        name="deployment-field-officer-assign",
    ),
    path(
        D + "field-officers/remove/",
        deployment_field_officers.deployment_field_officer_remove,
        name="deployment-field-officer-remove",
    ),
    path(D + "submit/", deployments.deployment_submit, name="deployment-submit"),
    path(D + "review/", deployments.deployment_review, name="deployment-review"),
    path(D + "start/", deployments.deployment_start, name="deployment-start"),
    path(D + "stop/", deployments.deployment_stop, name="deployment-stop"),
    path(D + "resume/", deployments.deployment_resume, name="deployment-resume"),
    path(D + "cancel/", deployments.deployment_cancel, name="deployment-cancel"),
    # Watchlists
    path(D + "watchlist/", watchlists.watchlist, name="watchlist"),
    path(D + "watchlist/progress.json", watchlists.watchlist_progress, name="watchlist-progress"),
    path(D + "watchlist/authorise/", watchlists.watchlist_authorise, name="watchlist-authorise"),
    path(D + "watchlist/finalise/", watchlists.watchlist_finalise, name="watchlist-finalise"),
    path("entries/<uuid:entry_id>/approve/", watchlists.entry_approve, name="entry-approve"),
    path("entries/<uuid:entry_id>/reject/", watchlists.entry_reject, name="entry-reject"),
    path(
        "entries/<uuid:entry_id>/photos/add/",
        watchlists.entry_reference_add,
        name="entry-reference-add",
    ),
    path(
        "entry-photos/<uuid:reference_id>/remove/",
        watchlists.entry_reference_remove,
        name="entry-reference-remove",
    ),
    # Field evidence, the operator's view, images
    path(D + "evidence/", field.field_evidence, name="field-evidence"),
    path(
        "signs/<uuid:sign_id>/photo/publish/",
        signage_photos.signage_photo_publish,
        name="signage-photo-publish",
    ),
    path(
        "signs/<uuid:sign_id>/photo/withdraw/",
        signage_photos.signage_photo_withdraw,
        name="signage-photo-withdraw",
    ),
    # The engagement officer's phone (lfr_portal/views/engagement.py)
    path("field/engagements/", engagement.field_engagements, name="field-engagements"),
    path(
        "field/engagements/feed.json",
        engagement.field_engagements_feed,
        name="field-engagements-feed",
    ),
    path(
        "field/engagements/<uuid:engagement_id>/",
        engagement.engagement_detail,
        name="field-engagement",
    ),
    path(
        "field/engagements/<uuid:engagement_id>/acknowledge/",
        engagement.acknowledge,
        name="field-engagement-acknowledge",
    ),
    path(
        "field/engagements/<uuid:engagement_id>/result/",
        engagement.record_result,
        name="field-engagement-result",
    ),
    path(
        "field/engagements/<uuid:engagement_id>/outcome/",
        engagement.record_outcome,
        name="field-engagement-outcome",
    ),
    path(
        "field/engagements/<uuid:engagement_id>/explanation/",
        engagement.explanation,
        name="field-engagement-explanation",
    ),
    path(D + "operate/", operator.operate, name="deployment-operate"),
    path(D + "operate/feed.json", operator.operate_feed, name="deployment-operate-feed"),
    path("alerts/<uuid:alert_id>/adjudicate/", operator.adjudicate, name="alert-adjudicate"),
    path(
        "alerts/<uuid:alert_id>/send-for-engagement/",
        operator.send_for_engagement,
        name="alert-send-for-engagement",
    ),
    path("images/alerts/<uuid:public_id>.jpg", media.alert_crop, name="alert-crop"),
    path("images/entries/<uuid:public_id>.jpg", media.entry_image, name="entry-image"),
    path(
        "images/entry-photos/<uuid:public_id>.jpg",
        media.entry_reference_image,
        name="entry-reference-image",
    ),
    path("images/signs/<uuid:public_id>.jpg", media.signage_photo, name="signage-photo"),
    # Compliance
    path("audit/", audit.audit_list, name="audit-list"),
    re_path(r"^audit/export\.(?P<fmt>json|csv)$", audit.audit_export, name="audit-export"),
    path("audit/public-key.pem", audit.audit_public_key, name="audit-public-key"),
    path(D + "report.pdf", audit.deployment_report, name="deployment-report"),
    path("retention/", retention.retention_rules, name="retention-rules"),
    path("webhooks/failing/", webhooks.webhook_failures, name="webhook-failures"),
    path(D + "retention/", retention.deployment_retention, name="deployment-retention"),
    path(D + "eu/", eu_mode.deployment_eu, name="deployment-eu"),
    path(D + "eu/request/", eu_mode.deployment_eu_request, name="deployment-eu-request"),
    path(D + "eu/decision/", eu_mode.deployment_eu_decision, name="deployment-eu-decision"),
    path(D + "eu/notices/", eu_mode.deployment_eu_notice, name="deployment-eu-notice"),
    path("alerts/<uuid:alert_id>/verify/", eu_mode.alert_verify_view, name="alert-verify"),
    # The policy library (lfr_portal/views/policies.py) and subject access for the DPO.
    path("policies/", policies.policy_library, name="policy-library"),
    path(
        "policies/documents/new/",
        policies.policy_document_create,
        name="policy-document-create",
    ),
    path("policies/versions/upload/", policies.policy_version_upload, name="policy-version-upload"),
    path(
        "policies/versions/<uuid:version_id>/publishable/",
        policies.policy_version_publishable,
        name="policy-version-publishable",
    ),
    path(
        "policies/versions/<uuid:version_id>/download/",
        policies.policy_version_download,
        name="policy-version-download",
    ),
    path(D + "policy-pins/", policy_pins.deployment_policy_pin, name="deployment-policy-pin"),
    path(
        D + "policy-pins/remove/",
        policy_pins.deployment_policy_unpin,
        name="deployment-policy-unpin",
    ),
    path("subject-access/", subject_access.subject_access, name="subject-access"),
    path("holds/", holds.hold_list, name="hold-list"),
    path("holds/<uuid:hold_id>/", holds.hold_detail, name="hold-detail"),
    path("holds/<uuid:hold_id>/extend/", holds.hold_extend, name="hold-extend"),
    path("holds/<uuid:hold_id>/release/", holds.hold_release, name="hold-release"),
    path("alerts/<uuid:alert_id>/evidence/", holds.alert_evidence, name="alert-evidence"),
    path("alerts/<uuid:alert_id>/holds/place/", holds.alert_hold_place, name="alert-hold-place"),
    path(
        "alerts/<uuid:alert_id>/evidence-bundle.zip",
        holds.alert_evidence_bundle,
        name="alert-evidence-bundle",
    ),
    path("reviews/", reviews.review_list, name="review-list"),
    path("reviews/<uuid:review_id>/", reviews.review_detail, name="review-detail"),
    path(
        "reviews/<uuid:review_id>/sign-off/",
        reviews.review_sign_off_view,
        name="review-sign-off",
    ),
    path("complaints/", complaints.complaint_list, name="complaint-list"),
    path("complaints/record/", complaints.complaint_record_view, name="complaint-record"),
    path("complaints/<uuid:complaint_id>/", complaints.complaint_detail, name="complaint-detail"),
    path(
        "complaints/<uuid:complaint_id>/outcome/",
        complaints.complaint_outcome_view,
        name="complaint-outcome",
    ),
    # The annual report and the quarterly oversight pack (lfr_portal/views/period_reports.py)
    path("reports/", period_reports.report_index, name="reports"),
    path("reports/annual/<int:year>/", period_reports.annual_report, name="annual-report"),
    path(
        "reports/annual/<int:year>.pdf", period_reports.annual_report_pdf, name="annual-report-pdf"
    ),
    path(
        "reports/annual/<int:year>.csv", period_reports.annual_report_csv, name="annual-report-csv"
    ),
    path(
        "reports/oversight/<int:year>/q<int:quarter>/",
        period_reports.oversight_pack,
        name="oversight-pack",
    ),
    path(
        "reports/oversight/<int:year>/q<int:quarter>.pdf",
        period_reports.oversight_pack_pdf,
        name="oversight-pack-pdf",
    ),
    path("transparency/", include("lfr_portal.transparency_urls")),
    path("api/", include("lfr_portal.api.urls")),
    path("admin/", admin.site.urls),
]

if settings.LFR_OIDC_ENABLED:
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))

# A database outage answers 503 "temporarily unavailable", not a 500.
handler500 = "lfr_portal.views.errors.server_error"
