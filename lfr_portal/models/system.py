from django.db import models


class WorkerHeartbeat(models.Model):
    """The last time each Celery worker host proved it can run a task."""

    hostname = models.CharField(max_length=255, unique=True)
    queue = models.CharField(max_length=50)
    seen_at = models.DateTimeField()

    def __str__(self):
        return f"{self.hostname} ({self.queue}) at {self.seen_at:%Y-%m-%d %H:%M:%S}"
