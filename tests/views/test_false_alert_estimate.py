"""The review's false-alert estimate reads as one rounded sentence, a figure with a text
alternative and the working on request; the shipped calibration carries its measurement date."""

from decimal import Decimal

import pytest
from django.utils import timezone

from lfr_portal.accuracy_baseline import BASELINE
from lfr_portal.models import CalibrationRecord
from lfr_portal.selectors.calibrations import latest_calibration
from lfr_portal.services.accuracy import calibration_baseline_ensure
from lfr_portal.templatetags.estimates import count_words
from tests import builders
from tests.accuracy.conftest import small_calibration  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "value, words",
    [
        (0.0, "fewer than 1"),
        (0.04, "fewer than 1"),
        (0.999, "fewer than 1"),
        (1.0, "about 1"),
        (2.5, "about 2"),
        (3.6, "about 4"),
        (9.6, "about 10"),
        (12.4, "about 12"),
        (1234.0, "about 1,200"),
    ],
)
def test_counts_are_rounded_as_a_person_says_them(value, words):
    assert count_words(value) == words


def _review(client, ao, deployment):
    client.force_login(ao)
    response = client.get(f"/deployments/{deployment.public_id}/review/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_small_expectation_reads_fewer_than_one(client, ao, small_calibration):  # noqa: F811
    # FMR 2 in 100,000 at 0.500; 2 entries and 10,000 faces: 0.4 expected.
    deployment = builders.submitted(threshold=Decimal("0.500"), expected_faces=10_000)
    page = _review(client, ao, deployment)
    assert "Fewer than 1 expected false alert in 10,000 faces." in page
    assert "0.0 false alerts" not in page and "about 0.4" not in page
    assert 'role="img" aria-labelledby="fa-title fa-desc"' in page
    assert '<desc id="fa-desc">Expected false alerts: fewer than 1, with a 95% range' in page
    details = page.split("<details>")[1].split("</details>")[0]
    assert "How this is worked out" in details
    assert "20,000 comparisons" in details and "2 watchlist entries" in details
    assert "about 1 in every 25,000 faces" in details


def test_a_larger_expectation_is_a_rounded_plural(client, ao, small_calibration):  # noqa: F811
    # FMR 10 in 100,000 at 0.450; 2 entries; 20,000 faces: 4.0 expected.
    deployment = builders.submitted(threshold=Decimal("0.480"), expected_faces=20_000)
    page = _review(client, ao, deployment)
    assert "About 4 expected false alerts in 20,000 faces." in page
    assert "4.0" not in page.split("<details>")[0]


def test_the_shipped_baseline_carries_the_day_it_was_measured():
    record = latest_calibration("opencv-sface")
    assert record.measured_at == BASELINE.measured_at
    # A baseline an earlier version dated at installation is corrected to the measurement.
    CalibrationRecord.objects.filter(pk=record.pk).update(measured_at=timezone.now())
    calibration_baseline_ensure()
    record.refresh_from_db()
    assert record.measured_at == BASELINE.measured_at
    assert "../shared" not in record.description
