"""The public transparency pages: no login, no personal data, cached.

Pages are rendered without the request's context processors, so nothing about the
visitor (user name, roles, CSRF token) can reach a template or a shared cache entry.
"""

import mimetypes
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed

from ..public_cache import public_cache
from ..selectors import engagement_figures as figures
from ..selectors import transparency as public
from ..selectors import transparency_evidence as evidence
from ..selectors.foi_figures import with_foi
from ..services.retention import rule_statements

PAGE_SIZE = 25


def _render(template, context, status=200):
    context = {
        **context,
        "tile_url": settings.LFR_MAP_TILE_URL,
        "tile_attribution": settings.LFR_MAP_TILE_ATTRIBUTION,
    }
    return HttpResponse(render_to_string(template, context), status=status)


class PeriodForm(forms.Form):
    """The period and borough filters; the field names are the query parameters."""

    def __init__(self, data=None, *, boroughs=()):
        super().__init__(data)
        date_input = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        # "from" is a Python keyword, so the fields are added here rather than declared.
        self.fields["from"] = forms.DateField(
            required=False, label="From", widget=date_input, input_formats=["%Y-%m-%d"]
        )
        self.fields["to"] = forms.DateField(
            required=False, label="To", widget=date_input, input_formats=["%Y-%m-%d"]
        )
        self.fields["borough"] = forms.ChoiceField(
            required=False,
            label="Borough",
            choices=[("", "All boroughs"), *((name, name) for name in boroughs)],
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        if start and end and start > end:
            raise forms.ValidationError("The start of the period must not be after its end.")
        return cleaned

    def filters(self):
        """Selector keyword arguments, empty where the form is not valid."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {"date_from": data["from"], "date_to": data["to"], "borough": data["borough"]}

    def query(self):
        """The valid filters as a query string, to carry into page and download links."""
        if not self.is_valid():
            return ""
        pairs = {k: v for k, v in self.cleaned_data.items() if v}
        return urlencode({k: str(v) for k, v in pairs.items()})


def _map_points(rows):
    return [
        {
            "lat": float(row.latitude),
            "lng": float(row.longitude),
            "radius": row.radius_m,
            "label": f"{row.location_name}, {row.borough}",
            "status": row.status_label,
            "date": row.date.isoformat() if row.date else "",
            "url": reverse("transparency-deployment", args=[row.public_id]),
        }
        for row in rows
    ]


@public_cache
def transparency_index(request):
    form = PeriodForm(request.GET or None, boroughs=public.public_boroughs())
    filters = form.filters() if form.is_bound else {}
    page = Paginator(public.public_deployment_rows(**filters), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = list(page.object_list)
    totals = public.public_totals(**filters)
    query = form.query() if form.is_bound else ""
    engagement = figures.figure_rows(
        figures.suppressed(figures.public_engagement_figures(**filters))
    )
    return _render(
        "transparency/index.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "totals": totals,
            "per_face": public.percent(totals.false_alerts_per_face),
            "per_alert": public.percent(totals.false_alerts_per_alert),
            "period": public.period_label(filters.get("date_from"), filters.get("date_to")),
            "borough": filters.get("borough") or "",
            "query": query,
            "query_amp": f"&{query}" if query else "",
            "map_points": _map_points(rows),
            "engagement": engagement,
            "suppress_below": settings.LFR_PUBLIC_SUPPRESS_BELOW,
        },
    )


@public_cache
def transparency_deployment(request, public_id):
    row = public.public_deployment_get(public_id)
    if row is None:
        raise Http404("No such public deployment.")
    row = with_foi([row])[0]
    return _render(
        "transparency/deployment.html",
        {
            "row": row,
            "signs": evidence.public_signage(public_id),
            "retention": evidence.public_retention(public_id),
            "alert_days": settings.LFR_ALERT_RETENTION.days,
            "map_points": _map_points([row]),
            "engagement": figures.figure_rows(
                figures.suppressed(figures.public_engagement_figures(public_id=public_id))
            ),
            "suppress_below": settings.LFR_PUBLIC_SUPPRESS_BELOW,
        },
    )


@public_cache
def transparency_about(request):
    return _render(
        "transparency/about.html",
        {
            "rules": rule_statements(),
            "alert_days": settings.LFR_ALERT_RETENTION.days,
            "photo_days": settings.LFR_SIGNAGE_PHOTO_RETENTION.days,
            "destroy_hours": f"{settings.LFR_WATCHLIST_DESTROY_AFTER.total_seconds() / 3600:g}",
        },
    )


def transparency_signage_photo(request, public_id):
    """A signage photo, only once it is approved for publication and still held.

    Not cached here: a withdrawn or deleted photo must stop being served at once.
    """
    record = evidence.published_signage_photo(public_id)
    if record is None:
        raise Http404("No published photo.")
    content_type, _ = mimetypes.guess_type(record.photo.name)
    # Only images are served; anything else uploaded as a photo stays internal.
    if not content_type or not content_type.startswith("image/"):
        raise Http404("No published photo.")
    try:
        handle = default_storage.open(record.photo.name, "rb")
    except FileNotFoundError:
        raise Http404("No published photo.") from None
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="sign-{record.public_id}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = f"public, max-age={settings.LFR_TRANSPARENCY_CACHE_SECONDS}"
    return response


class AnnouncementsFeed(Feed):
    """Newly announced deployments, newest first (Atom)."""

    feed_type = Atom1Feed
    title = "Live facial recognition: deployments announced"
    subtitle = (
        "Each planned deployment of live facial recognition when it is announced, and any "
        "deployment exempt from advance notice when it goes live."
    )

    def link(self):
        return reverse("transparency")

    def feed_url(self):
        return reverse("transparency-feed")

    def items(self):
        return public.public_announcements()

    def item_title(self, item):
        when = item.date.strftime("%d/%m/%Y") if item.date else "date to be set"
        return f"{item.location_name}, {item.borough}: {when} ({item.status_label})"

    def item_description(self, item):
        start = item.starts_at.isoformat() if item.starts_at else "not set"
        end = item.ends_at.isoformat() if item.ends_at else "not set"
        notice = "" if item.announced_in_advance else " Not announced in advance: critical threat."
        return (
            f"{item.use_case_label}. Window {start} to {end}. Watchlist size "
            f"{item.watchlist_size if item.watchlist_size is not None else 'not recorded'}; "
            f"threshold {item.threshold} ({item.engine_label}).{notice}"
        )

    def item_link(self, item):
        return reverse("transparency-deployment", args=[item.public_id])

    def item_guid(self, item):
        return f"urn:uuid:{item.public_id}"

    item_guid_is_permalink = False

    def item_pubdate(self, item):
        return item.announced_at

    def item_updateddate(self, item):
        return item.announced_at

    def item_categories(self, item):
        return [item.use_case_label, item.borough]


transparency_feed = public_cache(AnnouncementsFeed())
