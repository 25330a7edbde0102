"""Images served only through permission checks: a guessed URL gives nothing."""

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse

from ..models import Role
from ..permissions import (
    can_operate,
    can_publish_signage_photos,
    has_role,
    is_authorising_officer,
)
from ..selectors.alerts import alert_crop_held, alerts_visible_to
from ..selectors.engagements import open_engagements_for
from ..selectors.field import signage_visible_to
from ..selectors.watchlists import entry_with_images_for, reference_with_image_for
from .common import login_required_view, visible_or_404


def _image(field_file):
    if not field_file or not field_file.name or not default_storage.exists(field_file.name):
        raise Http404("Not found")
    response = FileResponse(default_storage.open(field_file.name, "rb"), content_type="image/jpeg")
    return _private(response)


def _private(response):
    # Biometric images stay out of shared caches and the browser's disk cache.
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _engaged(user, **lookup):
    """A field officer's open engagement on the alert matching `lookup`, else None: images
    reach the street only while the engagement is open and only to officers assigned."""
    return open_engagements_for(user).filter(**lookup).select_related("alert__entry").first()


def _crop(alert):
    held = alert_crop_held(alert)
    if held is not None:
        # The media store has not taken it yet (full or failing): serve the held copy.
        return _private(HttpResponse(held, content_type="image/jpeg"))
    return _image(alert.crop)


@login_required_view
def alert_crop(request, public_id):
    engaged = _engaged(request.user, alert__public_id=public_id)
    if engaged is not None:
        return _crop(engaged.alert)
    if has_role(request.user, Role.COMPLIANCE_OFFICER) and not is_authorising_officer(request.user):
        raise Http404("Not found")
    alert = visible_or_404(alerts_visible_to(request.user), public_id=public_id)
    if not (can_operate(request.user, alert.deployment) or is_authorising_officer(request.user)):
        raise Http404("Not found")
    return _crop(alert)


@login_required_view
def entry_image(request, public_id):
    entry = entry_with_images_for(request.user, public_id=public_id)
    if entry is None:
        engaged = _engaged(request.user, alert__entry__public_id=public_id)
        entry = engaged.alert.entry if engaged is not None else None
    if entry is None:
        raise Http404("Not found")
    return _image(entry.reference_image)


@login_required_view
def entry_reference_image(request, public_id):
    """One of an entry's further photographs, to whoever may see the entry's own image."""
    reference = reference_with_image_for(request.user, public_id)
    if reference is None:
        raise Http404("Not found")
    return _image(reference.image)


@login_required_view
def signage_photo(request, public_id):
    # A sign's photo may show passers-by: only those who decide whether the public sees it.
    if not can_publish_signage_photos(request.user):
        raise Http404("Not found")
    record = visible_or_404(signage_visible_to(request.user), public_id=public_id)
    if record.photo_deleted_at is not None:
        raise Http404("Not found")
    return _image(record.photo)
