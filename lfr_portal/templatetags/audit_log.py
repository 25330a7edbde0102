"""The transparency page's section on the audit log's signed tree heads."""

from django import template

from ..views.tree_heads import latest_tree_heads

register = template.Library()


@register.inclusion_tag("transparency/_tree_heads.html")
def audit_tree_heads(limit=5):
    return {"tree_heads": latest_tree_heads(limit)}
