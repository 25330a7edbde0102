"""The Celery application shared by the portal and the matcher workers."""

import os
from datetime import timedelta

from celery import Celery, signals
from celery.schedules import crontab
from kombu import Exchange, Queue

from .broker import redis_channel_close_tolerates_a_dead_broker

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lfr_portal.settings.local")
# Without it a worker exits when Redis crashes under it (lfr_portal/broker.py).
redis_channel_close_tolerates_a_dead_broker()


app = Celery("lfr_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")

DEFAULT_QUEUE = "default"
# Recognition work is CPU-heavy and runs on its own worker hosts; keeping it on
# its own queue means governance tasks (retention, window enforcement) are never
# stuck behind a backlog of frames.
RECOGNITION_QUEUE = "recognition"
# Each recognition worker also reads a queue of its own, so a camera job hands on to the
# process that holds the camera's open source, tracks and models (see hand_on_queue).
HAND_ON_QUEUE_PREFIX = "camera-hand-on."
_own_hand_on_queue: str | None = None


def hand_on_queue() -> str | None:
    """This worker's own queue, where it reads one (None in other processes)."""
    return _own_hand_on_queue


app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    result_accept_content=["json"],
    event_serializer="json",
    task_default_queue=DEFAULT_QUEUE,
    task_queues=(
        Queue(DEFAULT_QUEUE, Exchange(DEFAULT_QUEUE), routing_key=DEFAULT_QUEUE),
        Queue(RECOGNITION_QUEUE, Exchange(RECOGNITION_QUEUE), routing_key=RECOGNITION_QUEUE),
    ),
    task_routes={"matcher.*": {"queue": RECOGNITION_QUEUE}},
    # Results are off unless a task asks for one: no task output lingers in a backend.
    task_ignore_result=True,
    result_expires=3600,
    task_acks_late=False,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    # A running worker waits out a broker restart however long it takes (with three
    # retries it exited after ~12 s of a Redis outage); starting without a broker still
    # fails at once, through the check below.
    broker_connection_max_retries=None,
    timezone=os.environ.get("LFR_TIME_ZONE", "Europe/London"),
    beat_schedule={
        "worker-heartbeat": {
            "task": "lfr_portal.worker_heartbeat",
            "schedule": 60.0,
        },
        # A signed tree head of the audit log every minute (when it grew; hourly if
        # not), so the public can keep recent heads; the writer adds one every N rows.
        "audit-tree-head": {
            "task": "lfr_portal.audit_checkpoint",
            "schedule": 60.0,
        },
        # Audit rows are pruned by apply_retention too; this keeps working even if
        # the broader retention job is failing on something else.
        "audit-retention": {
            "task": "lfr_portal.audit_retention",
            "schedule": crontab(hour=3, minute=30),
        },
        "apply-retention": {
            "task": "lfr_portal.apply_retention",
            "schedule": 15 * 60.0,
        },
        "recognition-watchdog": {
            "task": "matcher.recognition_watchdog",
            "schedule": 10.0,
        },
        "enforce-windows": {
            "task": "lfr_portal.enforce_windows",
            "schedule": 15.0,
        },
        # Alert crops the media store refused (disk full) wait in the database until then.
        "alert-crops-store": {
            "task": "lfr_portal.alert_crops_store",
            "schedule": 30.0,
        },
        "flag-overdue-alerts": {
            "task": "lfr_portal.flag_overdue_alerts",
            "schedule": 60.0,
        },
    },
)
app.autodiscover_tasks()


@app.on_after_configure.connect
def _schedule_audit_verification(sender: Celery, **kwargs) -> None:
    """The whole log verified end to end, the outcome recorded in the log itself
    (audit.verify) for the compliance dashboard; added once settings are read."""
    from django.conf import settings

    sender.conf.beat_schedule["audit-verify"] = {
        "task": "lfr_portal.audit_verify",
        "schedule": timedelta(hours=settings.LFR_AUDIT_VERIFY_HOURS),
    }


def _refuse_to_start_without_services(**kwargs):
    """A worker or beat with an unreachable broker or database says so in one line and exits."""
    import sys

    from django.core.exceptions import ImproperlyConfigured
    from django.core.management.base import CommandError
    from django.db import connection
    from django.db.utils import OperationalError

    from lfr_portal.management.commands.preflight import check_broker
    from lfr_portal.startup import _database_error_line

    try:
        check_broker()
        connection.ensure_connection()
    except (CommandError, ImproperlyConfigured) as exc:
        sys.stderr.write(f"error: {exc}\n")
        os._exit(2)
    except OperationalError as exc:
        sys.stderr.write(_database_error_line(exc) + "\n")
        os._exit(2)
    finally:
        connection.close()


signals.worker_init.connect(_refuse_to_start_without_services, weak=False)
signals.beat_init.connect(_refuse_to_start_without_services, weak=False)


@signals.celeryd_after_setup.connect
def _read_own_hand_on_queue(sender: str, instance, **kwargs) -> None:
    """A worker that runs camera jobs also reads a queue named after itself. Run camera
    workers with the thread pool (or one process), so that the worker is one process."""
    global _own_hand_on_queue
    queues = instance.app.amqp.queues
    consumed = queues.consume_from if queues.consume_from is not None else queues
    if RECOGNITION_QUEUE in consumed:
        _own_hand_on_queue = f"{HAND_ON_QUEUE_PREFIX}{sender}"
        queues.select_add(_own_hand_on_queue)


# --- Worker metrics (lfr_portal/metrics.py; off unless LFR_WORKER_METRICS_PORT is set) ---


@signals.worker_init.connect
def _worker_metrics_in_the_worker(sender, **kwargs) -> None:
    """A solo or thread-pool worker runs its tasks itself, so it counts and serves them."""
    from celery.concurrency import get_implementation
    from celery.concurrency.prefork import TaskPool as PreforkPool

    pool = get_implementation(sender.pool_cls)
    if isinstance(pool, type) and issubclass(pool, PreforkPool):
        return  # each child serves its own (below); the parent runs no tasks
    from .metrics import start_worker_metrics

    start_worker_metrics()


@signals.worker_process_init.connect
def _worker_metrics_in_a_pool_child(**kwargs) -> None:
    from celery.utils.log import current_process_index

    from .metrics import start_worker_metrics

    start_worker_metrics(process_index=current_process_index(base=0))
