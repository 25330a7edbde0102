"""The Celery application shared by the portal and the matcher workers."""

import os
import sys
from datetime import timedelta
from typing import Any

from celery import Celery, signals
from celery.concurrency import get_implementation
from celery.concurrency.prefork import TaskPool as PreforkPool
from celery.schedules import crontab
from celery.utils.log import current_process_index
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import CommandError
from django.db import connection
from django.db.utils import OperationalError
from kombu import Exchange, Queue

from .broker import redis_channel_close_tolerates_a_dead_broker
from .metrics import start_worker_metrics
from .startup import check_broker, database_error_line

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
        # EU AI Act mode: urgent deployments without a granted decision past their window.
        "eu-enforce-urgency": {
            "task": "lfr_portal.eu_enforce_urgency",
            "schedule": 60.0,
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
        # Webhook deliveries whose task was lost (broker down at commit, a worker killed).
        "webhook-resend-stalled": {
            "task": "lfr_portal.webhook_resend_stalled",
            "schedule": 5 * 60.0,
        },
        # Holders of evidence holds near their review date are reminded once a period.
        "remind-holds": {
            "task": "lfr_portal.remind_holds",
            "schedule": crontab(hour=7, minute=0),
        },
        # A post-deployment review for any ended deployment still without one.
        "open-missing-reviews": {
            "task": "lfr_portal.open_missing_reviews",
            "schedule": crontab(minute=17),
        },
    },
)
app.autodiscover_tasks()


@app.on_after_configure.connect
def _configure_from_django_settings(sender: Celery, **kwargs: Any) -> None:
    """What Django's settings own, applied once they are read: the time zone beat keeps
    (TIME_ZONE, from LFR_TIME_ZONE), and the whole audit log verified end to end every
    LFR_AUDIT_VERIFY_HOURS, the outcome recorded in the log itself (audit.verify)."""
    sender.conf.timezone = settings.TIME_ZONE
    sender.conf.beat_schedule["audit-verify"] = {
        "task": "lfr_portal.audit_verify",
        "schedule": timedelta(hours=settings.LFR_AUDIT_VERIFY_HOURS),
    }


def _refuse_to_start_without_services(**kwargs: Any) -> None:
    """A worker or beat with an unreachable broker or database says so in one line and exits."""
    try:
        check_broker(app)
        connection.ensure_connection()
    except (CommandError, ImproperlyConfigured) as exc:
        sys.stderr.write(f"error: {exc}\n")
        os._exit(2)
    except OperationalError as exc:
        sys.stderr.write(database_error_line(exc) + "\n")
        os._exit(2)
    finally:
        connection.close()


signals.worker_init.connect(_refuse_to_start_without_services, weak=False)
signals.beat_init.connect(_refuse_to_start_without_services, weak=False)


@signals.celeryd_after_setup.connect
def _read_own_hand_on_queue(sender: str, instance: Any, **kwargs: Any) -> None:
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
def _worker_metrics_in_the_worker(sender: Any, **kwargs: Any) -> None:
    """A solo or thread-pool worker runs its tasks itself, so it counts and serves them."""
    pool = get_implementation(sender.pool_cls)
    if isinstance(pool, type) and issubclass(pool, PreforkPool):
        return  # each child serves its own (below); the parent runs no tasks
    start_worker_metrics()


@signals.worker_process_init.connect
def _worker_metrics_in_a_pool_child(**kwargs: Any) -> None:
    start_worker_metrics(process_index=current_process_index(base=0))
