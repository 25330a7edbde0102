"""Writes for the force's camera register."""

from decimal import Decimal

from django.contrib.auth.models import User
from django.db import transaction

from ..camera_sources import check_source_url
from ..errors import NotPermitted, RuleViolation
from ..models import Camera, Role
from ..permissions import has_role
from .audit import audit_record
from .common import jsonable, validate_model


@transaction.atomic
def camera_create(
    *,
    actor: User,
    name: str,
    source_url: str,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    description: str = "",
    min_face_px: int | None = None,
) -> Camera:
    if not has_role(actor, Role.DEPLOYMENT_PLANNER):
        raise NotPermitted("Only a deployment planner may register a camera.")
    camera = Camera(
        name=name,
        source_url=source_url,
        latitude=latitude,
        longitude=longitude,
        description=description,
        min_face_px=min_face_px,
    )
    validate_model(camera, exclude=["public_id"])
    # Refuses schemes, hosts and folders the worker must never be pointed at.
    check_source_url(source_url)
    if Camera.objects.filter(name=name).exists():
        raise RuleViolation(f"A camera named '{name}' is already registered.", field="name")
    camera.save()
    # The source URL is left out of the trail: stream URLs often carry credentials.
    audit_record(
        actor=actor,
        action="camera.create",
        obj=camera,
        changes={
            "name": name,
            "latitude": jsonable(latitude),
            "longitude": jsonable(longitude),
            "description": description,
            "min_face_px": min_face_px,
        },
    )
    return camera
