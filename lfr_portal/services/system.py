from django.utils import timezone

from ..models import WorkerHeartbeat


def worker_heartbeat_record(*, hostname: str, queue: str) -> WorkerHeartbeat:
    """A worker proves it is alive; no audit row, as it changes no governed record."""
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults={"queue": queue, "seen_at": timezone.now()}
    )
    return heartbeat
