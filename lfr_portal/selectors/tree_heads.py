"""Reads of the audit log's signed tree heads, for the public feed and the transparency page."""

from typing import Any

from ..models import AuditCheckpoint
from .audit_log import signed_heads

FEED_LENGTH = 60


def latest_tree_heads(limit: int = FEED_LENGTH) -> list[dict[str, Any]]:
    """The newest signed tree heads, as published, newest first."""
    heads = signed_heads().order_by("-seq", "-id")[:limit]
    return [head.tree_head() for head in heads]


def tree_head_of_size(size: int) -> AuditCheckpoint | None:
    """The signed head whose tree holds `size` rows, or None."""
    return signed_heads().filter(seq=size).order_by("-id").first()
