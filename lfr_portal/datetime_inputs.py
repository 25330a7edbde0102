"""Date-times typed by users, made safe to hand to PostgreSQL.

Python accepts UTC offsets up to a day either side and years 1 to 9999; PostgreSQL
refuses offsets past about 16 hours, and a year-1 or year-9999 value can leave Python's
range once moved to UTC. Either used to reach the database and answer 500. Every
date-time read from a query string or form goes through `storable_datetime`, which
moves it to UTC or says, in a 400, which field is wrong.
"""

from datetime import UTC, datetime

import django_filters
from django import forms
from django.utils import timezone
from django_filters.fields import IsoDateTimeField


def storable_datetime(value: datetime | None) -> datetime | None:
    """The value in UTC (naive values are read in the current time zone).

    Raises forms.ValidationError when no stored date-time can represent it.
    """
    if value is None:
        return None
    try:
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise forms.ValidationError(
            "This date and time is out of range once its UTC offset is applied.",
            code="overflow",
        ) from None


class StorableDateTimeField(forms.DateTimeField):
    """A form's date-time field whose value PostgreSQL can always take."""

    def to_python(self, value):
        return storable_datetime(super().to_python(value))


class StorableIsoDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time field whose value PostgreSQL can always take."""

    def to_python(self, value):
        return storable_datetime(super().to_python(value))


class StorableIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = StorableIsoDateTimeField
