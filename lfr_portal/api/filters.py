"""Query-string filters for the list endpoints. They narrow what the selectors already allow."""

import django_filters

from ..datetime_inputs import StorableIsoDateTimeFilter
from ..models import (
    Adjudication,
    Alert,
    Deployment,
    DeploymentStatus,
    EntryCategory,
    EntryStatus,
    UseCase,
    WatchlistEntry,
)


class DeploymentFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=DeploymentStatus.choices)
    borough = django_filters.CharFilter(lookup_expr="iexact")
    use_case = django_filters.ChoiceFilter(choices=UseCase.choices)
    starts_after = StorableIsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = StorableIsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = Deployment
        fields = ()


class AlertFilter(django_filters.FilterSet):
    deployment = django_filters.UUIDFilter(
        field_name="deployment__public_id", help_text="The deployment's public_id."
    )
    adjudication = django_filters.ChoiceFilter(choices=Adjudication.choices)

    class Meta:
        model = Alert
        fields = ()


class EntryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=EntryStatus.choices)
    category = django_filters.ChoiceFilter(choices=EntryCategory.choices)

    class Meta:
        model = WatchlistEntry
        fields = ()
