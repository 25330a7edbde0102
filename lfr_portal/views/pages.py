from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render

from ..selectors.dashboard import dashboard_for


def home(request):
    return render(request, "portal/home.html")


@login_required
def dashboard(request):
    return render(request, "portal/dashboard.html", {"dashboard": dashboard_for(request.user)})


def health(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
