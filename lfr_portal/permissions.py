"""Roles, object permissions and the DRF permission classes built on them.

The deployment predicates here are the one statement of who may do what to a
deployment: the services refuse when one fails and the pages offer only what passes.
"""

from typing import Any

from django.conf import settings
from guardian.shortcuts import assign_perm, remove_perm
from rest_framework.permissions import BasePermission

from .models import Deployment, DeploymentStatus, Engagement, Role

OPERATE_DEPLOYMENT = "lfr_portal.operate_deployment"
ENGAGE_DEPLOYMENT = "lfr_portal.engage_deployment"

S = DeploymentStatus
# Only drafts and rejected deployments take changes; editing a rejected one reopens it.
EDITABLE_STATES = (S.DRAFT, S.REJECTED)
# A deployment whose recognition has started and not yet ended.
RUNNING_STATES = (S.LIVE, S.SUSPENDED)
# Nothing but reading happens after these.
ENDED_STATES = (S.COMPLETED, S.CANCELLED)


def user_roles(user: Any) -> set[str]:
    if not user or not user.is_authenticated:
        return set()
    cached = getattr(user, "_lfr_roles", None)
    if cached is None:
        valid = set(Role.values)
        cached = {name for name in user.groups.values_list("name", flat=True) if name in valid}
        user._lfr_roles = cached
    return cached


def has_role(user: Any, *roles: str) -> bool:
    return bool(user_roles(user) & set(roles))


def role_label(user: Any) -> str:
    """The user's roles as the audit trail records them."""
    return ",".join(sorted(user_roles(user)))


def rank_at_least(user: Any, minimum: str) -> bool:
    ranks = settings.LFR_RANKS
    officer = getattr(user, "officer", None)
    if officer is None or officer.rank not in ranks or minimum not in ranks:
        return False
    return bool(ranks.index(officer.rank) >= ranks.index(minimum))


def is_authorising_officer(user: Any) -> bool:
    """Holds the role and the minimum rank the force has set for it."""
    return has_role(user, Role.AUTHORISING_OFFICER) and rank_at_least(
        user, settings.LFR_AO_MIN_RANK
    )


def can_operate(user: Any, deployment: Deployment) -> bool:
    return has_role(user, Role.OPERATOR) and bool(user.has_perm(OPERATE_DEPLOYMENT, deployment))


def grant_operator(user: Any, deployment: Deployment) -> None:
    assign_perm(OPERATE_DEPLOYMENT, user, deployment)


def revoke_operator(user: Any, deployment: Deployment) -> None:
    remove_perm(OPERATE_DEPLOYMENT, user, deployment)


def can_engage(user: Any, deployment: Deployment) -> bool:
    """A field officer assigned to the deployment: receives its alerts on the street."""
    return has_role(user, Role.FIELD_OFFICER) and bool(user.has_perm(ENGAGE_DEPLOYMENT, deployment))


def grant_field_officer(user: Any, deployment: Deployment) -> None:
    assign_perm(ENGAGE_DEPLOYMENT, user, deployment)


def revoke_field_officer(user: Any, deployment: Deployment) -> None:
    remove_perm(ENGAGE_DEPLOYMENT, user, deployment)


def can_record_later_outcome(user: Any, engagement: Engagement) -> bool:
    """What became of an arrest: the officer who has the engagement, an authorising
    officer or a compliance officer."""
    if is_authorising_officer(user) or has_role(user, Role.COMPLIANCE_OFFICER):
        return True
    return has_role(user, Role.FIELD_OFFICER) and engagement.officer_id == user.pk


def is_drafting_planner(user: Any, deployment: Deployment) -> bool:
    """A planner changes only the deployments they drafted."""
    return has_role(user, Role.DEPLOYMENT_PLANNER) and deployment.created_by_id == user.pk


def can_edit_deployment(user: Any, deployment: Deployment) -> bool:
    return is_drafting_planner(user, deployment) and deployment.status in EDITABLE_STATES


def can_submit_deployment(user: Any, deployment: Deployment) -> bool:
    return is_drafting_planner(user, deployment) and deployment.status == S.DRAFT


def can_decide_deployment(user: Any, deployment: Deployment) -> bool:
    """An authorising officer who did not draft it (four eyes)."""
    return is_authorising_officer(user) and deployment.created_by_id != user.pk


def can_run_deployment(user: Any, deployment: Deployment) -> bool:
    """Starting and stopping: an assigned operator or an authorising officer."""
    return can_operate(user, deployment) or is_authorising_officer(user)


def can_manage_deployment(user: Any, deployment: Deployment) -> bool:
    """Cancelling and assigning operators: its planner or an authorising officer."""
    return is_drafting_planner(user, deployment) or is_authorising_officer(user)


def can_publish_signage_photos(user: Any) -> bool:
    """Authorising and compliance officers decide which signage photos the public sees."""
    return is_authorising_officer(user) or has_role(user, Role.COMPLIANCE_OFFICER)


def can_manage_holds(user: Any) -> bool:
    """Authorising and compliance officers review, extend and release evidence holds,
    and export an alert's evidence bundle for disclosure."""
    return is_authorising_officer(user) or has_role(user, Role.COMPLIANCE_OFFICER)


def can_record_eu_request(user: Any, deployment: Deployment) -> bool:
    """EU mode: the request to the authority is recorded by its planner or an authorising
    officer; only an authorising officer records the authority's decision (require_ao)."""
    return can_manage_deployment(user, deployment)


def can_record_authority_notice(user: Any, deployment: Deployment) -> bool:
    """EU mode: notices to the market-surveillance and data-protection authorities are
    recorded by its planner, an authorising officer or a compliance officer (who often
    sends them)."""
    return can_manage_deployment(user, deployment) or has_role(user, Role.COMPLIANCE_OFFICER)


def can_verify_alert(user: Any, deployment: Deployment) -> bool:
    """Art. 14(5): the second person who verifies an alert is an operator of the
    deployment or an authorising officer; the service also refuses its adjudicator."""
    return can_operate(user, deployment) or is_authorising_officer(user)


def can_sign_off_review(user: Any, deployment: Deployment) -> bool:
    """A post-deployment review: any authorising officer but the deployment's own planner
    (four eyes). The officer who approved it may sign: they answer for the authorisation."""
    return can_decide_deployment(user, deployment)


def can_record_complaints(user: Any) -> bool:
    """Complaints about LFR use are recorded and closed by compliance or authorising officers."""
    return is_authorising_officer(user) or has_role(user, Role.COMPLIANCE_OFFICER)


def can_manage_policies(user: Any) -> bool:
    """Authorising and compliance officers add documents to the policy library, upload
    versions and decide which versions the public may read."""
    return is_authorising_officer(user) or has_role(user, Role.COMPLIANCE_OFFICER)


def can_pin_policies(user: Any, deployment: Deployment) -> bool:
    """Its planner or an authorising officer pins the policy versions a deployment relies
    on, while it is a draft or awaits a decision."""
    return can_manage_deployment(user, deployment) and deployment.status in (S.DRAFT, S.SUBMITTED)


def can_answer_subject_access(user: Any) -> bool:
    """The data protection officer (a compliance officer) answers subject access requests.
    Authorising officers already see the watchlists they decide; a search across every
    deployment by reference is the DPO's tool alone."""
    return has_role(user, Role.COMPLIANCE_OFFICER)


def can_read_period_reports(user: Any) -> bool:
    """The annual report and the quarterly oversight pack, with exact figures: authorising
    and compliance officers (the public has its own version, small numbers suppressed)."""
    return is_authorising_officer(user) or has_role(user, Role.COMPLIANCE_OFFICER)


def can_see_biometrics(user: Any) -> bool:
    """Compliance officers read everything except biometric images."""
    return has_role(user, Role.AUTHORISING_OFFICER, Role.WATCHLIST_MANAGER, Role.OPERATOR)


class HasAnyRole(BasePermission):
    """Allow users who hold at least one of the view's `allowed_roles`."""

    message = "Your role does not allow this."

    def has_permission(self, request: Any, view: Any) -> bool:
        allowed = getattr(view, "allowed_roles", ())
        return has_role(request.user, *allowed)
