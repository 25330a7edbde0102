"""EU AI Act mode: the Art. 5(1)(h) purpose is stated before approval, and the watchlist
holds only people that purpose allows to be sought."""

import pytest

from lfr_portal.errors import RuleViolation
from lfr_portal.models import DeploymentStatus, EntryCategory
from lfr_portal.selectors.readiness import approval_problems
from lfr_portal.services import deployments as dep
from lfr_portal.services import watchlists as wl
from tests import builders
from tests.factories import EntryFactory, user_with_role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eu_mode(settings):
    settings.LFR_EU_AI_ACT_MODE = True


def submitted_with(purpose, entries, **fields):
    """A submitted deployment of `purpose` whose authorised watchlist holds `entries`
    ([(category, offence_max_sentence_years)])."""
    deployment = builders.complete_draft(eu_purpose=purpose, **fields)
    adder, approver = user_with_role("watchlist_manager"), user_with_role("watchlist_manager")
    for number, (category, years) in enumerate(entries):
        entry = EntryFactory(
            watchlist=deployment.watchlist,
            added_by=adder,
            category=category,
            offence_max_sentence_years=years,
            reference_number=f"REF/{number}",
        )
        wl.watchlist_entry_approve(actor=approver, entry=entry)
    wl.watchlist_approve(
        actor=user_with_role("authorising_officer"), watchlist=deployment.watchlist
    )
    return dep.deployment_submit(actor=deployment.created_by, deployment=deployment)


def test_a_draft_without_a_purpose_cannot_be_submitted(planner):
    deployment = builders.complete_draft(eu_purpose="")
    builders.authorised_watchlist(deployment)
    with pytest.raises(RuleViolation, match="Art. 5\\(1\\)\\(h\\) purpose"):
        dep.deployment_submit(actor=deployment.created_by, deployment=deployment)
    codes = [p.code for p in approval_problems(deployment)]
    assert "eu_purpose_missing" in codes


def test_outside_eu_mode_no_purpose_is_asked_for(settings):
    settings.LFR_EU_AI_ACT_MODE = False
    deployment = builders.complete_draft(eu_purpose="")
    builders.authorised_watchlist(deployment)
    assert dep.deployment_submit(actor=deployment.created_by, deployment=deployment).status == (
        DeploymentStatus.SUBMITTED
    )


W, S, M, R = (
    EntryCategory.WANTED,
    EntryCategory.SUSPECT,
    EntryCategory.MISSING_OR_VULNERABLE,
    EntryCategory.RISK,
)


@pytest.mark.parametrize(
    ("purpose", "entries", "misfits"),
    [
        ("victim_search", [(M, None), (M, None)], []),
        ("victim_search", [(M, None), (W, 10)], ["REF/1"]),
        ("suspect_localisation", [(S, 4), (W, 99)], []),
        ("suspect_localisation", [(S, 3), (W, None), (S, 5)], ["REF/0", "REF/1"]),
        ("suspect_localisation", [(M, None)], ["REF/0"]),
        ("threat_prevention", [(R, None)], []),
        ("threat_prevention", [(R, None), (S, 10)], ["REF/1"]),
    ],
)
def test_approval_refuses_a_watchlist_the_purpose_does_not_cover(ao, purpose, entries, misfits):
    deployment = submitted_with(purpose, entries)
    problems = {p.code: p for p in approval_problems(deployment)}
    if not misfits:
        assert "eu_purpose_watchlist" not in problems
        assert dep.deployment_approve(actor=ao, deployment=deployment).status == "approved"
        return
    problem = problems["eu_purpose_watchlist"]
    assert problem.field == "eu_purpose"
    for reference in misfits:
        assert reference in problem.message
    assert f"{len(misfits)} approved entr" in problem.message
    with pytest.raises(RuleViolation, match="EU AI Act purpose allows a watchlist"):
        dep.deployment_approve(actor=ao, deployment=deployment)
    deployment.refresh_from_db()
    assert deployment.status == DeploymentStatus.SUBMITTED


def test_the_annex_ii_sentence_is_a_setting(ao, settings):
    deployment = submitted_with("suspect_localisation", [(S, 3)])
    with pytest.raises(RuleViolation, match="at least 4 years"):
        dep.deployment_approve(actor=ao, deployment=deployment)
    settings.LFR_EU_ANNEX_II_MIN_YEARS = 3
    assert dep.deployment_approve(actor=ao, deployment=deployment).status == "approved"


def test_declared_urgency_must_say_what_it_is(planner):
    deployment = builders.complete_draft(eu_urgency=True, eu_urgency_reason=" ")
    builders.authorised_watchlist(deployment)
    with pytest.raises(RuleViolation, match="Declared urgency must say"):
        dep.deployment_submit(actor=deployment.created_by, deployment=deployment)


def test_the_form_offers_the_purpose_only_in_eu_mode_and_the_second_person_always(settings):
    from lfr_portal.forms import DeploymentForm

    form = DeploymentForm()
    assert {"eu_purpose", "second_person_verification"} <= set(form.fields)
    settings.LFR_EU_AI_ACT_MODE = False
    form = DeploymentForm()
    assert "eu_purpose" not in form.fields
    assert "second_person_verification" in form.fields
