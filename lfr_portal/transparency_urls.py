"""The public transparency pages and open data, under /transparency/. No login anywhere."""

from django.urls import path

from .api import period_reports as period_api
from .api import transparency as api
from .views import period_reports, public_policies, tree_heads
from .views import transparency as views

urlpatterns = [
    path("", views.transparency_index, name="transparency"),
    path("about/", views.transparency_about, name="transparency-about"),
    path(
        "deployments/<uuid:public_id>/",
        views.transparency_deployment,
        name="transparency-deployment",
    ),
    path(
        "signs/<uuid:public_id>/photo/",
        views.transparency_signage_photo,
        name="transparency-signage-photo",
    ),
    path("announcements.atom", views.transparency_feed, name="transparency-feed"),
    # Open data at stable URLs; documented in the OpenAPI schema.
    path("deployments.json", api.PublicDeploymentListApi.as_view(), name="transparency-json"),
    path("deployments.csv", api.PublicDeploymentCsvApi.as_view(), name="transparency-csv"),
    path(
        "deployments/<uuid:public_id>.json",
        api.PublicDeploymentDetailApi.as_view(),
        name="transparency-deployment-json",
    ),
    path("totals.json", api.PublicTotalsApi.as_view(), name="transparency-totals-json"),
    # The annual report, small counts of people suppressed (lfr_portal/views/period_reports.py).
    path("annual/", period_reports.public_annual_latest, name="transparency-annual-latest"),
    path(
        "annual/<int:year>/",
        period_reports.public_annual_report,
        name="transparency-annual",
    ),
    path(
        "annual/<int:year>.csv",
        period_reports.public_annual_report_csv,
        name="transparency-annual-csv",
    ),
    path(
        "annual/<int:year>.json",
        period_api.PublicAnnualFiguresApi.as_view(),
        name="transparency-annual-json",
    ),
    # The policy library's publishable versions (lfr_portal/views/public_policies.py).
    path("policies/", public_policies.transparency_policies, name="transparency-policies"),
    path(
        "policies/<uuid:public_id>/download/",
        public_policies.transparency_policy_download,
        name="transparency-policy-download",
    ),
    # The audit log's signed tree heads and consistency proofs (lfr_portal/views/tree_heads.py).
    path("tree-heads.json", tree_heads.tree_heads_json, name="transparency-tree-heads"),
    path(
        "tree-heads/consistency.json",
        tree_heads.tree_heads_consistency_json,
        name="transparency-tree-heads-consistency",
    ),
]
