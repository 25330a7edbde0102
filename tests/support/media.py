"""The media store as the tests look at it: which files it holds, and putting one there."""

from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile


def media_files():
    """The paths of every file under MEDIA_ROOT, relative to it, sorted."""
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def with_file(field, name, content):
    """Save content under name in a model's file field, and the model with it."""
    field.save(name, ContentFile(content), save=True)
