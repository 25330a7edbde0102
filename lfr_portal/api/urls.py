from csp.decorators import csp_update
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import (
    accuracy,
    alerts,
    cameras,
    complaints,
    deployments,
    engagements,
    eu_mode,
    field,
    holds,
    period_reports,
    policies,
    reviews,
    subject_access,
    watchlist_actions,
    watchlists,
)
from .common import NotFoundApi
from .tokens import ServiceTokenObtainApi


class ApiDocsView(SpectacularSwaggerSplitView):
    # An HTML page only: DRF's OPTIONS answer has no template to render it with (a 500).
    http_method_names = ["get", "head"]


# Swagger UI comes from its CDN; its start-up script is served from here (the split view),
# so only this page lets the CDN in, and no page runs inline script.
SWAGGER_CDN = "https://cdn.jsdelivr.net"
api_docs = csp_update(
    {"script-src": [SWAGGER_CDN], "style-src": [SWAGGER_CDN], "img-src": [SWAGGER_CDN, "data:"]}
)(ApiDocsView.as_view(url_name="api-schema"))

deployment_patterns = [
    path("", deployments.DeploymentListApi.as_view(), name="api-deployment-list"),
    path("create/", deployments.DeploymentCreateApi.as_view(), name="api-deployment-create"),
    path(
        "<uuid:public_id>/", deployments.DeploymentDetailApi.as_view(), name="api-deployment-detail"
    ),
    path(
        "<uuid:public_id>/update/",
        deployments.DeploymentUpdateApi.as_view(),
        name="api-deployment-update",
    ),
    path(
        "<uuid:public_id>/submit/",
        deployments.DeploymentSubmitApi.as_view(),
        name="api-deployment-submit",
    ),
    path(
        "<uuid:public_id>/approve/",
        deployments.DeploymentApproveApi.as_view(),
        name="api-deployment-approve",
    ),
    path(
        "<uuid:public_id>/reject/",
        deployments.DeploymentRejectApi.as_view(),
        name="api-deployment-reject",
    ),
    path(
        "<uuid:public_id>/start/",
        deployments.DeploymentStartApi.as_view(),
        name="api-deployment-start",
    ),
    path(
        "<uuid:public_id>/stop/",
        deployments.DeploymentStopApi.as_view(),
        name="api-deployment-stop",
    ),
    path(
        "<uuid:public_id>/cancel/",
        deployments.DeploymentCancelApi.as_view(),
        name="api-deployment-cancel",
    ),
    path(
        "<uuid:public_id>/documents/set/",
        deployments.DeploymentDocumentSetApi.as_view(),
        name="api-deployment-document-set",
    ),
    path(
        "<uuid:public_id>/cameras/add/",
        deployments.DeploymentCameraAddApi.as_view(),
        name="api-deployment-camera-add",
    ),
    path(
        "<uuid:public_id>/cameras/<uuid:camera_id>/remove/",
        deployments.DeploymentCameraRemoveApi.as_view(),
        name="api-deployment-camera-remove",
    ),
    path(
        "<uuid:public_id>/operators/assign/",
        deployments.DeploymentOperatorAssignApi.as_view(),
        name="api-deployment-operator-assign",
    ),
    path(
        "<uuid:public_id>/operators/remove/",
        deployments.DeploymentOperatorRemoveApi.as_view(),
        name="api-deployment-operator-remove",
    ),
    path(
        "<uuid:public_id>/field-officers/",
        engagements.DeploymentFieldOfficerAssignApi.as_view(),
        name="api-deployment-field-officer-assign",
    ),
    path(
        "<uuid:public_id>/field-officers/remove/",
        engagements.DeploymentFieldOfficerRemoveApi.as_view(),
        name="api-deployment-field-officer-remove",
    ),
    path(
        "<uuid:public_id>/expected-false-alerts/",
        accuracy.DeploymentExpectedFalseAlertsApi.as_view(),
        name="api-deployment-expected-false-alerts",
    ),
    path(
        "<uuid:public_id>/accuracy/",
        accuracy.DeploymentAccuracyApi.as_view(),
        name="api-deployment-accuracy",
    ),
    path("<uuid:public_id>/signage/", field.SignageListApi.as_view(), name="api-signage-list"),
    path(
        "<uuid:public_id>/signage/record/",
        field.SignageRecordApi.as_view(),
        name="api-signage-record",
    ),
    path("<uuid:public_id>/leaflets/", field.LeafletListApi.as_view(), name="api-leaflet-list"),
    path(
        "<uuid:public_id>/leaflets/record/",
        field.LeafletRecordApi.as_view(),
        name="api-leaflet-record",
    ),
    path("<uuid:public_id>/eu/", eu_mode.DeploymentEUStateApi.as_view(), name="api-deployment-eu"),
    path(
        "<uuid:public_id>/eu/request/",
        eu_mode.DeploymentEURequestRecordApi.as_view(),
        name="api-deployment-eu-request",
    ),
    path(
        "<uuid:public_id>/eu/decision/",
        eu_mode.DeploymentEUDecisionRecordApi.as_view(),
        name="api-deployment-eu-decision",
    ),
    path(
        "<uuid:public_id>/eu/notices/",
        eu_mode.DeploymentAuthorityNoticeRecordApi.as_view(),
        name="api-deployment-eu-notice",
    ),
]

watchlist_patterns = [
    path("<uuid:public_id>/", watchlists.WatchlistDetailApi.as_view(), name="api-watchlist-detail"),
    path(
        "<uuid:public_id>/entries/",
        watchlists.WatchlistEntryListApi.as_view(),
        name="api-watchlist-entry-list",
    ),
    path(
        "<uuid:public_id>/entries/add/",
        watchlists.WatchlistEntryAddApi.as_view(),
        name="api-watchlist-entry-add",
    ),
    path(
        "<uuid:public_id>/approve/",
        watchlists.WatchlistApproveApi.as_view(),
        name="api-watchlist-approve",
    ),
    path(
        "<uuid:public_id>/finalise/",
        watchlist_actions.WatchlistFinaliseApi.as_view(),
        name="api-watchlist-finalise",
    ),
    path(
        "<uuid:public_id>/enrol/",
        watchlist_actions.WatchlistEnrolPendingApi.as_view(),
        name="api-watchlist-enrol-pending",
    ),
    path(
        "<uuid:public_id>/copy-entries/",
        watchlist_actions.WatchlistCopyEntriesApi.as_view(),
        name="api-watchlist-copy-entries",
    ),
]

entry_patterns = [
    path(
        "<uuid:public_id>/image/",
        watchlists.WatchlistEntryImageSetApi.as_view(),
        name="api-watchlist-entry-image-set",
    ),
    path(
        "<uuid:public_id>/approve/",
        watchlists.WatchlistEntryApproveApi.as_view(),
        name="api-watchlist-entry-approve",
    ),
    path(
        "<uuid:public_id>/reject/",
        watchlists.WatchlistEntryRejectApi.as_view(),
        name="api-watchlist-entry-reject",
    ),
    path(
        "<uuid:public_id>/remove/",
        watchlists.WatchlistEntryRemoveApi.as_view(),
        name="api-watchlist-entry-remove",
    ),
    path(
        "<uuid:public_id>/photos/",
        watchlists.WatchlistEntryReferenceListApi.as_view(),
        name="api-watchlist-entry-reference-list",
    ),
    path(
        "<uuid:public_id>/photos/add/",
        watchlists.WatchlistEntryReferenceAddApi.as_view(),
        name="api-watchlist-entry-reference-add",
    ),
]

alert_patterns = [
    path("", alerts.AlertListApi.as_view(), name="api-alert-list"),
    path("<uuid:public_id>/", alerts.AlertDetailApi.as_view(), name="api-alert-detail"),
    path(
        "<uuid:public_id>/adjudicate/",
        alerts.AlertAdjudicateApi.as_view(),
        name="api-alert-adjudicate",
    ),
    path(
        "<uuid:public_id>/send-for-engagement/",
        engagements.AlertSendForEngagementApi.as_view(),
        name="api-alert-send-for-engagement",
    ),
    path(
        "<uuid:public_id>/holds/place/",
        holds.AlertHoldPlaceApi.as_view(),
        name="api-alert-hold-place",
    ),
    path(
        "<uuid:public_id>/evidence-bundle/",
        holds.AlertEvidenceBundleApi.as_view(),
        name="api-alert-evidence-bundle",
    ),
    path("<uuid:public_id>/verify/", eu_mode.AlertVerifyApi.as_view(), name="api-alert-verify"),
]

review_patterns = [
    path("", reviews.ReviewListApi.as_view(), name="api-review-list"),
    path("<uuid:public_id>/", reviews.ReviewDetailApi.as_view(), name="api-review-detail"),
    path(
        "<uuid:public_id>/sign-off/", reviews.ReviewSignOffApi.as_view(), name="api-review-sign-off"
    ),
]

complaint_patterns = [
    path("", complaints.ComplaintListApi.as_view(), name="api-complaint-list"),
    path("record/", complaints.ComplaintRecordApi.as_view(), name="api-complaint-record"),
    path("<uuid:public_id>/", complaints.ComplaintDetailApi.as_view(), name="api-complaint-detail"),
    path(
        "<uuid:public_id>/outcome/",
        complaints.ComplaintOutcomeApi.as_view(),
        name="api-complaint-outcome",
    ),
]

hold_patterns = [
    path("", holds.HoldListApi.as_view(), name="api-hold-list"),
    path("<uuid:public_id>/", holds.HoldDetailApi.as_view(), name="api-hold-detail"),
    path("<uuid:public_id>/extend/", holds.HoldExtendApi.as_view(), name="api-hold-extend"),
    path("<uuid:public_id>/release/", holds.HoldReleaseApi.as_view(), name="api-hold-release"),
]

engagement_patterns = [
    path("", engagements.EngagementListApi.as_view(), name="api-engagement-list"),
    path(
        "<uuid:public_id>/",
        engagements.EngagementDetailApi.as_view(),
        name="api-engagement-detail",
    ),
    path(
        "<uuid:public_id>/acknowledge/",
        engagements.EngagementAcknowledgeApi.as_view(),
        name="api-engagement-acknowledge",
    ),
    path(
        "<uuid:public_id>/result/",
        engagements.EngagementResultApi.as_view(),
        name="api-engagement-result",
    ),
    path(
        "<uuid:public_id>/outcome/",
        engagements.EngagementOutcomeApi.as_view(),
        name="api-engagement-outcome",
    ),
    path(
        "<uuid:public_id>/later-outcome/",
        engagements.EngagementLaterOutcomeApi.as_view(),
        name="api-engagement-later-outcome",
    ),
]

policy_patterns = [
    path("", policies.PolicyDocumentListApi.as_view(), name="api-policy-list"),
    path("create/", policies.PolicyDocumentCreateApi.as_view(), name="api-policy-create"),
    path("<uuid:public_id>/", policies.PolicyDocumentDetailApi.as_view(), name="api-policy-detail"),
    path(
        "<uuid:public_id>/versions/upload/",
        policies.PolicyVersionUploadApi.as_view(),
        name="api-policy-version-upload",
    ),
]

camera_patterns = [
    path("", cameras.CameraListApi.as_view(), name="api-camera-list"),
    path("create/", cameras.CameraCreateApi.as_view(), name="api-camera-create"),
]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("schema/ui/", api_docs, name="api-docs"),
    path("auth/token/", ServiceTokenObtainApi.as_view(), name="api-token"),
    path("deployments/", include(deployment_patterns)),
    path(
        "signage/<uuid:public_id>/remove/",
        field.SignageRemoveApi.as_view(),
        name="api-signage-remove",
    ),
    path(
        "signage/<uuid:public_id>/publish/",
        field.SignagePhotoPublishApi.as_view(),
        name="api-signage-photo-publish",
    ),
    path(
        "signage/<uuid:public_id>/withdraw/",
        field.SignagePhotoWithdrawApi.as_view(),
        name="api-signage-photo-withdraw",
    ),
    path("watchlists/", include(watchlist_patterns)),
    path("watchlist-entries/", include(entry_patterns)),
    path(
        "watchlist-entry-photos/<uuid:public_id>/remove/",
        watchlists.WatchlistEntryReferenceRemoveApi.as_view(),
        name="api-watchlist-entry-reference-remove",
    ),
    path("alerts/", include(alert_patterns)),
    path("engagements/", include(engagement_patterns)),
    path("holds/", include(hold_patterns)),
    path("reviews/", include(review_patterns)),
    path("complaints/", include(complaint_patterns)),
    path("cameras/", include(camera_patterns)),
    path("policies/", include(policy_patterns)),
    path(
        "policy-versions/<uuid:public_id>/publishable/",
        policies.PolicyVersionPublishableApi.as_view(),
        name="api-policy-version-publishable",
    ),
    path(
        "deployments/<uuid:public_id>/policy-pins/add/",
        policies.DeploymentPolicyPinApi.as_view(),
        name="api-deployment-policy-pin",
    ),
    path(
        "deployments/<uuid:public_id>/policy-pins/remove/",
        policies.DeploymentPolicyUnpinApi.as_view(),
        name="api-deployment-policy-unpin",
    ),
    path(
        "subject-access/",
        subject_access.SubjectAccessLookupApi.as_view(),
        name="api-subject-access",
    ),
    path("engines/", accuracy.EngineCalibrationListApi.as_view(), name="api-engine-list"),
    path(
        "reports/annual/",
        period_reports.AnnualReportFiguresApi.as_view(),
        name="api-annual-report-figures",
    ),
    # Last: any other path under /api/, a malformed UUID included, answers a JSON 404.
    re_path(r"", NotFoundApi.as_view(), name="api-not-found"),
]
