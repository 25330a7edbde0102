from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from .views import pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("dashboard/", pages.dashboard, name="dashboard"),
    path("healthz/", pages.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api/", include("lfr_portal.api.urls")),
    path("admin/", admin.site.urls),
]
