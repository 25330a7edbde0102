"""Helpers shared by the HTML views: one place that turns domain errors into form errors."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404

from ..errors import GovernanceError


def attempt(request, form, action, success=None):
    """Run a service; on a refusal put its sentence next to the field it names (or on the
    form) and return None. The page never has to know the rules."""
    try:
        result = action()
    except GovernanceError as exc:
        if form is None:
            messages.error(request, exc.message_with_next_step)
        elif exc.field and exc.field in form.fields:
            form.add_error(exc.field, exc.message)
        else:
            form.add_error(None, exc.message_with_next_step)
        return None
    if success:
        messages.success(request, success)
    return result if result is not None else True


def visible_or_404(queryset, **lookup):
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError):
        raise Http404("Not found") from None


def login_required_view(view):
    return wraps(view)(login_required(view))
