from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from .views import audit, pages, retention

urlpatterns = [
    path("", pages.home, name="home"),
    path("dashboard/", pages.dashboard, name="dashboard"),
    path("healthz/", pages.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("audit/", audit.audit_list, name="audit-list"),
    re_path(r"^audit/export\.(?P<fmt>json|csv)$", audit.audit_export, name="audit-export"),
    path("audit/public-key.pem", audit.audit_public_key, name="audit-public-key"),
    path(
        "deployments/<uuid:public_id>/report.pdf",
        audit.deployment_report,
        name="deployment-report",
    ),
    path("retention/", retention.retention_rules, name="retention-rules"),
    path(
        "deployments/<uuid:public_id>/retention/",
        retention.deployment_retention,
        name="deployment-retention",
    ),
    path("transparency/", include("lfr_portal.transparency_urls")),
    path("api/", include("lfr_portal.api.urls")),
    path("admin/", admin.site.urls),
]
