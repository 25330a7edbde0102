"""The transparency page's section on the audit log's signed tree heads."""

from typing import Any

from django import template

from ..selectors.tree_heads import latest_tree_heads

register = template.Library()


@register.inclusion_tag("transparency/_tree_heads.html")
def audit_tree_heads(limit: int = 5) -> dict[str, list[dict[str, Any]]]:
    return {"tree_heads": latest_tree_heads(limit)}
