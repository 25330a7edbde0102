"""camera_run while the broker cannot take the next task: it keeps the camera for more
rounds while they fit in its time limit, then leaves it to beat's watchdog."""

from kombu.exceptions import OperationalError as BrokerUnreachable

from matcher import tasks
from matcher.jobs import JobOutcome


def broker_down(monkeypatch, outcomes):
    rounds = iter(outcomes)
    monkeypatch.setattr("matcher.jobs.run_camera_job", lambda booking_id: next(rounds))
    sent = []

    def unreachable(args):
        sent.append(args)
        raise BrokerUnreachable("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.camera_run, "apply_async", unreachable)
    return sent


def test_camera_run_carries_on_once_the_broker_has_refused(monkeypatch, settings):
    settings.LFR_RECOGNITION_TASK_SECONDS = 2
    rounds = [JobOutcome.CONTINUE, JobOutcome.CONTINUE, JobOutcome.CONTINUE, JobOutcome.ENDED]
    sent = broker_down(monkeypatch, rounds)
    assert tasks.camera_run(7) == JobOutcome.ENDED
    # Refused once; then the camera stays in this task rather than wait on a consumer
    # that has not reconnected yet.
    assert sent == [[7]]


def test_camera_run_leaves_the_camera_to_the_watchdog_when_no_round_fits(monkeypatch, settings):
    settings.LFR_RECOGNITION_TASK_SECONDS = 100  # two rounds would pass the soft time limit
    sent = broker_down(monkeypatch, [JobOutcome.CONTINUE, JobOutcome.ENDED])
    assert tasks.camera_run(7) == JobOutcome.CONTINUE
    assert sent == [[7]]
