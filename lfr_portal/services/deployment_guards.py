"""What every deployment service checks first: the row lock, who may act, and the refusal
that lists unmet readiness rules. The rules themselves are in permissions and readiness."""

from typing import Any

from django.conf import settings

from ..errors import NotPermitted, RuleViolation
from ..models import Deployment, Role
from ..permissions import has_role, is_authorising_officer, is_drafting_planner
from ..selectors.readiness import Problem


class NotReady(RuleViolation):
    """A refusal listing every unmet readiness rule; API answers carry each rule's code."""

    def __init__(self, problems: list[Problem], *, code: str) -> None:
        super().__init__(" ".join(p.message for p in problems), code=code)
        self.problems = problems

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "problems": [p.as_dict() for p in self.problems]}


def lock(deployment: Deployment) -> Deployment:
    return Deployment.objects.select_for_update().get(pk=deployment.pk)


def require_planner_of(actor: Any, deployment: Deployment) -> None:
    if not is_drafting_planner(actor, deployment):
        raise NotPermitted(
            "A planner may change only the deployments they drafted."
            if has_role(actor, Role.DEPLOYMENT_PLANNER)
            else "Only a deployment planner may change a deployment."
        )


def require_ao(actor: Any) -> None:
    if not has_role(actor, Role.AUTHORISING_OFFICER):
        raise NotPermitted("Only an authorising officer may decide on a deployment.")
    if not is_authorising_officer(actor):
        raise NotPermitted(
            f"An authorising officer must hold the rank of "
            f"{settings.LFR_AO_MIN_RANK.replace('_', ' ')} or above."
        )
