"""Reads of field evidence (signage), filtered by what the user may see."""

from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from ..models import Deployment, DeploymentStatus, SignageRecord
from ..permissions import can_publish_signage_photos
from .deployments import deployments_visible_to

# Deployments the public page can show; a photo of any other would never be seen.
PUBLISHABLE_STATUSES = (
    DeploymentStatus.APPROVED,
    DeploymentStatus.LIVE,
    DeploymentStatus.COMPLETED,
    DeploymentStatus.CANCELLED,
)


def signage_visible_to(user: User | AnonymousUser) -> QuerySet[SignageRecord]:
    """Signs on the deployments the user may see; any other answers 404."""
    return SignageRecord.objects.select_related("deployment").filter(
        deployment__in=deployments_visible_to(user).values("pk")
    )


@dataclass(frozen=True)
class SignPhotoReview:
    """What a reviewer is shown and offered for one sign's photo. The service decides anyway."""

    held: bool
    published: bool
    can_publish: bool
    can_withdraw: bool
    # Four eyes: whoever recorded the sign may not publish its photo.
    own_record: bool
    # The photo waits for the deployment to reach a state the public page shows.
    awaiting_state: bool


def sign_photo_review(
    user: User | AnonymousUser, deployment: Deployment, sign: SignageRecord
) -> SignPhotoReview | None:
    """None for anyone who does not decide on signage photos."""
    if not can_publish_signage_photos(user):
        return None
    held = bool(sign.photo) and sign.photo_deleted_at is None
    published = held and sign.photo_published_at is not None
    own_record = sign.recorded_by_id == user.pk
    publishable_state = deployment.status in PUBLISHABLE_STATUSES
    return SignPhotoReview(
        held=held,
        published=published,
        can_publish=held and not published and not own_record and publishable_state,
        can_withdraw=published,
        own_record=own_record,
        awaiting_state=held and not publishable_state,
    )
