"""Policy documents as uploaded: proved by their first bytes to be a PDF, an OpenDocument
text, a Word document or plain text, within the size limit, and hashed here.

Unlike photographs, a document is stored as it came (its bytes are what the hash
and the audit chain vouch for), so what it is must be settled from its content, never
from its name or the type the browser claimed. It is stored under a random name; the
uploader's file name is kept only as a label.
"""

import hashlib
import io
import re
import uuid
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File

from ..errors import RuleViolation

FIELD = "file"
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
# Control characters plain text does not hold (tab, line feed, form feed and carriage
# return are allowed): their presence means a binary file.
TEXT_CONTROLS = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class CheckedFile:
    content: bytes
    content_type: str
    extension: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)

    def stored_name(self) -> str:
        return f"{uuid.uuid4().hex}.{self.extension}"


def _refuse(message: str, code: str) -> RuleViolation:
    return RuleViolation(message, field=FIELD, code=code)


def _read_within_limit(upload: File) -> bytes:
    limit = settings.LFR_POLICY_MAX_UPLOAD_BYTES
    too_large = _refuse(
        f"The document is larger than {limit // (1024 * 1024)} MB, the library's limit.",
        "policy_file_too_large",
    )
    size = getattr(upload, "size", None)
    if size is not None and size > limit:
        raise too_large
    upload.seek(0)
    content = upload.read(limit + 1)
    upload.seek(0)
    if len(content) > limit:
        raise too_large
    if not content:
        raise _refuse("The document is empty.", "policy_file_empty")
    return bytes(content)


def _zip_kind(content: bytes) -> tuple[str, str] | None:
    """An OpenDocument text or a Word document, told by the names inside the archive and,
    for OpenDocument, its leading mimetype entry. Nothing is unpacked beyond that."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            small = "mimetype" in names and archive.getinfo("mimetype").file_size <= 100
            if small and archive.read("mimetype").strip() == ODT_MIMETYPE:
                return "application/vnd.oasis.opendocument.text", "odt"
            if {"[Content_Types].xml", "word/document.xml"} <= names:
                return (
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    "docx",
                )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, RuntimeError, ValueError):
        return None
    return None


def _is_plain_text(content: bytes) -> bool:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return TEXT_CONTROLS.search(content) is None


def _kind(content: bytes) -> tuple[str, str] | None:
    if content.startswith(b"%PDF-"):
        return "application/pdf", "pdf"
    if content.startswith(b"PK\x03\x04"):
        return _zip_kind(content)
    if _is_plain_text(content):
        return "text/plain; charset=utf-8", "txt"
    return None


def policy_file_checked(upload: File) -> CheckedFile:
    """The upload's bytes, its type as its content shows it, and its SHA-256; or a
    RuleViolation naming the rule it breaks."""
    content = _read_within_limit(upload)
    kind = _kind(content)
    if kind is None:
        raise _refuse(
            "The file is not a PDF, an OpenDocument text (ODT), a Word document (DOCX) or "
            "plain UTF-8 text, whatever its name says.",
            "policy_file_type",
        )
    content_type, extension = kind
    return CheckedFile(content, content_type, extension, hashlib.sha256(content).hexdigest())


def original_name(upload: File) -> str:
    """The uploader's file name as a label only: no folders, at most 255 characters."""
    name = str(getattr(upload, "name", "") or "document").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in name if ch.isprintable())[:255] or "document"
