"""Watchlist screens: entries with their images and enrolment, second approval, finalising."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ..forms import EntryForm, EntryReferenceForm, ReasonForm, WatchlistFinaliseForm
from ..models import EntryStatus, Role
from ..permissions import can_see_biometrics, has_role, is_authorising_officer
from ..selectors.deployments import deployments_visible_to
from ..selectors.legality import watchlist_warnings, with_flags
from ..selectors.recognition import enrolment_progress
from ..selectors.watchlists import entries_visible_to, references_visible_to, with_references
from ..services import entry_photos
from ..services import watchlists as services
from .common import attempt, login_required_view, visible_or_404

PAGE_SIZE = 50
READERS = (Role.WATCHLIST_MANAGER, Role.AUTHORISING_OFFICER, Role.COMPLIANCE_OFFICER)


def _watchlist_of(request, public_id):
    if not has_role(request.user, *READERS):
        raise Http404("Not found")
    deployment = visible_or_404(deployments_visible_to(request.user), public_id=public_id)
    return deployment, deployment.watchlist


def _url(deployment):
    return reverse("watchlist", args=[deployment.public_id])


@login_required_view
def watchlist(request, public_id):
    deployment, watchlist = _watchlist_of(request, public_id)
    form = EntryForm(prefix="entry")
    if request.method == "POST":
        form = EntryForm(request.POST, request.FILES, prefix="entry")
        if form.is_valid():
            fields = dict(form.cleaned_data)
            image = fields.pop("reference_image")
            done = attempt(
                request,
                form,
                lambda: services.watchlist_entry_add(
                    actor=request.user, watchlist=watchlist, reference_image=image, **fields
                ),
                success="Entry added. Its photograph is being checked and enrolled.",
            )
            if done:
                return redirect(_url(deployment))
    return _page(request, deployment, watchlist, form=form)


def _page(request, deployment, watchlist, *, form=None, finalise_form=None):
    """The watchlist page; a form given back with its errors answers 400."""
    entries = with_references(
        watchlist.entries.exclude(status=EntryStatus.REMOVED)
        .select_related("added_by", "approved_by")
        .order_by("-created_at")
    )
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = with_flags(list(page.object_list))
    user = request.user
    return render(
        request,
        "watchlists/watchlist.html",
        {
            "deployment": deployment,
            "watchlist": watchlist,
            "page": page,
            "form": form or EntryForm(prefix="entry"),
            "finalise_form": finalise_form or WatchlistFinaliseForm(),
            "warnings": watchlist_warnings(watchlist),
            "progress": enrolment_progress(watchlist),
            "show_images": can_see_biometrics(user),
            "can_add": has_role(user, Role.WATCHLIST_MANAGER) and watchlist.status == "draft",
            "can_decide": (has_role(user, Role.WATCHLIST_MANAGER) or is_authorising_officer(user))
            and watchlist.status == "draft",
            "can_authorise": is_authorising_officer(user) and watchlist.status == "draft",
            "can_finalise": has_role(user, Role.WATCHLIST_MANAGER)
            and watchlist.status in ("approved", "finalised")
            and deployment.status in ("submitted", "approved"),
            "reject_form": ReasonForm(prefix="reject"),
            "photo_form": EntryReferenceForm(prefix="photo"),
            "max_photos": settings.LFR_MAX_REFERENCES_PER_ENTRY,
        },
        status=400 if request.method == "POST" else 200,
    )


@login_required_view
def watchlist_progress(request, public_id):
    _, watchlist = _watchlist_of(request, public_id)
    return JsonResponse(enrolment_progress(watchlist))


def _entry(request, entry_id):
    return visible_or_404(entries_visible_to(request.user), public_id=entry_id)


@require_POST
@login_required_view
def entry_approve(request, entry_id):
    entry = _entry(request, entry_id)
    attempt(
        request,
        None,
        lambda: services.watchlist_entry_approve(actor=request.user, entry=entry),
        success=f"Entry {entry.reference_number} approved.",
    )
    return redirect(_url(entry.watchlist.deployment))


@require_POST
@login_required_view
def entry_reject(request, entry_id):
    entry = _entry(request, entry_id)
    form = ReasonForm(request.POST, prefix="reject")
    if form.is_valid():
        attempt(
            request,
            None,
            lambda: services.watchlist_entry_reject(
                actor=request.user, entry=entry, reason=form.cleaned_data["reason"]
            ),
            success=f"Entry {entry.reference_number} rejected.",
        )
    else:
        messages.error(request, "A rejection must give its reason.")
    return redirect(_url(entry.watchlist.deployment))


@require_POST
@login_required_view
def watchlist_authorise(request, public_id):
    deployment, watchlist = _watchlist_of(request, public_id)
    attempt(
        request,
        None,
        lambda: services.watchlist_approve(actor=request.user, watchlist=watchlist),
        success="Watchlist authorised for this deployment.",
    )
    return redirect(_url(deployment))


@require_POST
@login_required_view
def watchlist_finalise(request, public_id):
    deployment, watchlist = _watchlist_of(request, public_id)
    form = WatchlistFinaliseForm(request.POST)
    if form.is_valid() and attempt(
        request,
        form,
        lambda: services.watchlist_finalise(
            actor=request.user,
            watchlist=watchlist,
            still_wanted_as_of=form.cleaned_data["still_wanted_as_of"],
        ),
        success=(
            "Watchlist finalised. It is valid for the window that starts "
            f"{timezone.localtime(deployment.starts_at):%d %b %Y %H:%M}."
            if deployment.starts_at
            else "Watchlist finalised."
        ),
    ):
        return redirect(_url(deployment))
    return _page(request, deployment, watchlist, finalise_form=form)


@require_POST
@login_required_view
def entry_reference_add(request, entry_id):
    entry = _entry(request, entry_id)
    form = EntryReferenceForm(request.POST, request.FILES, prefix="photo")
    if form.is_valid():
        attempt(
            request,
            None,
            lambda: entry_photos.watchlist_entry_reference_add(
                actor=request.user, entry=entry, image=form.cleaned_data["image"]
            ),
            success=f"Photograph added to {entry.reference_number}. It is being checked and "
            "enrolled.",
        )
    else:
        messages.error(
            request,
            "The photograph was not added: "
            + " ".join(str(e) for errors in form.errors.values() for e in errors),
        )
    return redirect(f"{_url(entry.watchlist.deployment)}#entry-{entry.public_id}")


@require_POST
@login_required_view
def entry_reference_remove(request, reference_id):
    reference = visible_or_404(references_visible_to(request.user), public_id=reference_id)
    entry = reference.entry
    attempt(
        request,
        None,
        lambda: entry_photos.watchlist_entry_reference_remove(
            actor=request.user, reference=reference
        ),
        success=f"Photograph removed from {entry.reference_number}.",
    )
    return redirect(f"{_url(entry.watchlist.deployment)}#entry-{entry.public_id}")
