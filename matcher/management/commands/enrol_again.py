"""Enrol again every watchlist photograph whose embedding an earlier engine version made.

    python manage.py enrol_again

Run it once after an upgrade that raises an engine's embedding version (the recorded
engine name changes, e.g. "opencv-sface" to "opencv-sface@2"), on a recognition worker
host. A camera job does the same for its own deployment before it matches anything, but
a long list then keeps that camera from matching for as long as it takes (tens of
milliseconds a photograph); this command does it beforehand for every deployment not yet
over. Each verdict is recorded and audited like any enrolment; nothing else changes.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from lfr_portal.models import Deployment, DeploymentStatus, EnrolmentState
from matcher.engines import EngineError, get_engine
from matcher.watchlist_enrolment import enrol_again_if_stale

OVER = (DeploymentStatus.COMPLETED, DeploymentStatus.CANCELLED, DeploymentStatus.REJECTED)


class Command(BaseCommand):
    help = "Enrol again the watchlist photographs whose embeddings an earlier engine made."

    def handle(self, *args: Any, **options: Any) -> None:
        deployments = (
            Deployment.objects.exclude(status__in=OVER)
            .filter(
                watchlist__entries__enrolment_state=EnrolmentState.ENROLLED,
                watchlist__entries__biometrics_destroyed_at__isnull=True,
            )
            .distinct()
            .order_by("pk")
            .values_list("pk", "engine")
        )
        total = {"accepted": 0, "rejected": 0}
        for deployment_id, engine_name in deployments:
            try:
                engine = get_engine(engine_name)
            except EngineError as error:
                self.stderr.write(f"Deployment {deployment_id}: {error}")
                continue
            counts = enrol_again_if_stale(deployment_id, engine)
            if counts["accepted"] or counts["rejected"]:
                self.stdout.write(
                    f"Deployment {deployment_id}: {counts['accepted']} photographs enrolled "
                    f"again for {engine.embedding_name}, {counts['rejected']} rejected."
                )
            for key in total:
                total[key] += counts[key]
        self.stdout.write(
            f"Enrolled again: {total['accepted']} accepted, {total['rejected']} rejected."
        )
