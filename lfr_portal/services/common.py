"""Small helpers shared by the services."""

import logging
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Model
from django.db.models.fields.files import FieldFile
from kombu.exceptions import KombuError

from ..celery import app
from ..errors import RuleViolation
from .uploads import image_cleaned

log = logging.getLogger(__name__)


def jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (Decimal, UUID)):
        return str(value)
    if hasattr(value, "public_id"):
        return str(value.public_id)
    if hasattr(value, "name") and hasattr(value, "url"):  # a stored file: its name only
        return value.name
    return value


COORDINATE_FIELDS = ("latitude", "longitude")


def normalise_coordinates(fields: dict[str, Any]) -> dict[str, Any]:
    """Round coordinates to the stored six places (about 11 cm), whatever type they came as."""
    for name in COORDINATE_FIELDS:
        value = fields.get(name)
        if value is None or value == "":
            continue
        try:
            fields[name] = Decimal(str(value)).quantize(Decimal("0.000001"))
        except (InvalidOperation, ValueError):
            raise RuleViolation(f"The {name} must be a number.", field=name) from None
    return fields


def apply_changes(
    instance: Model, fields: dict[str, Any], allowed: Collection[str]
) -> dict[str, list[Any]]:
    """Set the allowed fields on the instance; return {field: [old, new]} for the audit row."""
    unknown = set(fields) - set(allowed)
    if unknown:
        name = sorted(unknown)[0]
        raise RuleViolation(f"The field '{name}' cannot be changed here.", field=name)
    changes: dict[str, list[Any]] = {}
    for name, value in fields.items():
        old = getattr(instance, name)
        if old != value:
            setattr(instance, name, value)
            changes[name] = [jsonable(old), jsonable(value)]
    return changes


def validate_model(instance: Model, exclude: Collection[str] | None = None) -> None:
    """Run the model's own field validation and turn the first error into a RuleViolation."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        label = field if field != "__all__" else None
        raise RuleViolation(
            f"{field.replace('_', ' ').capitalize()}: {' '.join(messages)}",
            field=label,
            code="invalid",
        ) from None


@contextmanager
def files_removed_on_failure() -> Iterator[list[str]]:
    """Yield a list; names appended to it are deleted from storage if the block fails.

    Storage is not transactional: without this, an upload written before a later
    step of the service fails would stay on disk with no row pointing at it.
    """
    saved: list[str] = []
    try:
        yield saved
    except BaseException:
        for name in saved:
            default_storage.delete(name)
        raise


def save_upload(field_file: FieldFile, upload: File, saved: list[str]) -> None:
    """Store an uploaded photograph: checked, re-encoded without metadata, renamed."""
    cleaned = image_cleaned(upload, field=field_file.field.name)
    # Both names are always set here (the cleaned file is named, the field just saved).
    field_file.save(str(cleaned.name), cleaned, save=False)
    saved.append(str(field_file.name))


def task_send_on_commit(name: str, *, args: list[Any], queue: str) -> None:
    """After the transaction commits, send a task by name (the portal never imports the
    matcher).

    A broker that cannot be reached must not turn a change that has committed into an
    error page, so the failure is logged and the answer goes out. The work is not lost:
    beat's watchdog starts a live camera whose job never began, and a watchlist manager's
    "enrol pending" sends waiting entries again. No result is asked for, so sending never
    waits on the result backend either (with Redis down that wait was 19 s).
    """

    def send() -> None:
        try:
            app.send_task(name, args=args, queue=queue, ignore_result=True)
        except KombuError as exc:
            log.error("could not send %s%s: the Celery broker is unreachable (%s)", name, args, exc)

    transaction.on_commit(send)
