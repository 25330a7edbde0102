"""Officer-perceived sex and ethnicity at engagement: optional, from the published lists,
and only for a person who was stopped."""

import pytest
from django.utils import timezone

from lfr_portal.errors import RuleViolation
from lfr_portal.models import AuditEvent, Engagement
from lfr_portal.services import engagements as svc
from tests.services.test_engagements import _taken

pytestmark = pytest.mark.django_db


def _record(engagement, officer, result="confirmed_person", **extra):
    stopped = result in ("confirmed_person", "not_the_person")
    fields = {"engaged_at": timezone.now(), "stop_minutes": 6, "identity_check": "document"}
    if result == "not_the_person":
        fields |= {"held_minutes": 2, "explanation_given": True, "complaints_route_given": True}
    if result == "not_engaged":
        fields = {"not_engaged_reason": "Crowd too dense"}
    return svc.engagement_result_record(
        actor=officer,
        engagement=engagement,
        result=result,
        **(fields if stopped or result == "not_engaged" else {}),
        **extra,
    )


@pytest.mark.parametrize("result", ["confirmed_person", "not_the_person"])
def test_a_person_stopped_may_have_perceived_sex_and_ethnicity(operator, field_officer, result):
    engagement = _taken(operator, field_officer)
    _record(engagement, field_officer, result, perceived_sex="female", perceived_ethnicity="black")
    engagement.refresh_from_db()
    assert (engagement.perceived_sex, engagement.perceived_ethnicity) == ("female", "black")
    changes = AuditEvent.objects.get(action="engagement.result").changes
    assert changes["perceived_sex"] == "female" and changes["perceived_ethnicity"] == "black"


def test_they_are_optional(operator, field_officer):
    engagement = _taken(operator, field_officer)
    _record(engagement, field_officer)
    engagement.refresh_from_db()
    assert (engagement.perceived_sex, engagement.perceived_ethnicity) == ("", "")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"perceived_sex": "unknown"}, "perceived_sex"),
        ({"perceived_ethnicity": "mixed-up"}, "perceived_ethnicity"),
    ],
)
def test_values_outside_the_lists_are_refused(operator, field_officer, extra, field):
    engagement = _taken(operator, field_officer)
    with pytest.raises(RuleViolation) as refused:
        _record(engagement, field_officer, **extra)
    assert refused.value.field == field
    assert Engagement.objects.get(pk=engagement.pk).result == ""


@pytest.mark.parametrize("result", ["not_located", "not_engaged"])
def test_nobody_stopped_has_no_perceived_sex_or_ethnicity(operator, field_officer, result):
    engagement = _taken(operator, field_officer)
    with pytest.raises(RuleViolation, match="only for a person who was stopped") as refused:
        _record(engagement, field_officer, result, perceived_ethnicity="white")
    assert refused.value.field == "perceived_ethnicity"
    assert Engagement.objects.get(pk=engagement.pk).result == ""
