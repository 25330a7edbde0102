"""Wilson score intervals and the ceiling rule, against values worked out by hand."""

import pytest
from scipy.stats import binomtest

from lfr_portal.selectors.accuracy import ceiling_exceeded
from lfr_portal.stats import one_in, percent, proportion, wilson_interval, z_value

# Worked by hand with z = 1.959964 (z^2 = 3.841459):
#   3 of 1,000: p = 0.003, centre = (0.003 + 0.0019207) / 1.0038415 = 0.0049019,
#   half = 1.959964 * sqrt(0.003 * 0.997 / 1000 + 3.841459 / 4e6) / 1.0038415 = 0.0038811
#   -> (0.0010208, 0.0087830)
#   2 of 1,000: centre 0.0039057, half 0.0033571 -> (0.0005486, 0.0072628)
#   0 of 50: centre = half = (3.841459 / 100) / (1 + 3.841459 / 50) = 0.0356738 -> (0, 0.0713476)
#   3 of 8: p = 0.375, centre = (0.375 + 0.2400912) / 1.4801824 = 0.4155509,
#   half = 1.959964 * sqrt(0.375 * 0.625 / 8 + 3.841459 / 256) / 1.4801824 = 0.2787067
#   -> (0.1368443, 0.6942576)
HAND = [
    (3, 1000, 0.0010208, 0.0087830),
    (2, 1000, 0.0005486, 0.0072628),
    (0, 50, 0.0, 0.0713476),
    (3, 8, 0.1368443, 0.6942576),
]


def test_z_is_the_two_sided_95_percent_quantile():
    assert z_value() == pytest.approx(1.959964, abs=1e-6)


@pytest.mark.parametrize(("count", "total", "low", "high"), HAND)
def test_wilson_interval_matches_the_hand_computation(count, total, low, high):
    assert wilson_interval(count, total) == (
        pytest.approx(low, abs=1e-7),
        pytest.approx(high, abs=1e-7),
    )


@pytest.mark.parametrize(("count", "total"), [(1, 100), (1, 30), (5, 5), (17, 123_230), (0, 1)])
def test_wilson_interval_agrees_with_scipy(count, total):
    expected = binomtest(count, total).proportion_ci(method="wilson")
    low, high = wilson_interval(count, total)
    assert low == pytest.approx(expected.low, abs=1e-12)
    assert high == pytest.approx(expected.high, abs=1e-12)


def test_edges_stay_inside_zero_and_one():
    assert wilson_interval(0, 10)[0] == 0.0
    assert wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson_interval(11, 10)


def test_a_proportion_states_itself_in_words():
    p = proportion(3, 1000)
    assert p.rate == 0.003
    assert p.describe("faces") == "3 in 1,000 faces (0.3%; 95% CI 0.1% to 0.88%)"
    assert proportion(0, 0).rate is None
    assert proportion(0, 0).describe("faces") == "no faces yet"


def test_small_rates_are_written_readably():
    assert percent(0.0000081) == "0.00081%"
    assert percent(0.125) == "12.5%"
    assert one_in(0.001) == "1 in 1,000"
    assert one_in(1 / 6000) == "1 in 6,000"
    assert one_in(0) == "none"


# The ceiling rule: exceeded when the lower end of the 95% interval of false alerts
# per face is above the ceiling (1 in 1,000 here).
@pytest.mark.parametrize(
    ("false_alerts", "faces", "exceeded"),
    [
        (2, 1000, False),  # observed 1 in 500, but the interval reaches down to 0.00055
        (3, 1000, True),  # lower end 0.00102
        (1, 100, True),  # lower end 0.00177
        (1, 200, False),  # lower end 0.00088
        (1, 176, True),  # the last face count at which one false alert suspends
        (1, 177, False),
        (3, 1020, True),
        (3, 1021, False),
        (15, 10_000, False),  # observed 1.5 in 1,000, not yet shown above 1 in 1,000
        (0, 0, False),  # nothing to judge before any face
    ],
)
def test_the_ceiling_rule(false_alerts, faces, exceeded):
    assert ceiling_exceeded(false_alerts, faces, 0.001) is exceeded
