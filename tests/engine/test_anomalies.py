"""Anomaly detectors: z-score rule by hand, and no false alarm on a clean weekly pattern."""
import numpy as np
import pytest

from sales_forecast_ai.engine.anomalies import detect, robust_scores, severity, zscore_scores


def weekly(weeks=12, base=(10, 10, 10, 10, 12, 30, 0)):
    y = np.tile(np.asarray(base, dtype=float), weeks)
    return y, np.arange(len(y)) % 7


def test_zscore_by_hand():
    y = np.array([10.0] * 29 + [40.0])
    expected, z = zscore_scores(y)
    mean, std = 11.0, np.std(y, ddof=1)  # mean (290 + 40) / 30 = 11
    assert expected[0] == pytest.approx(mean)
    assert z[-1] == pytest.approx((40 - mean) / std)  # 29 / 5.477 = 5.29 -> high
    found = detect(y, method="zscore")
    assert [(a.index, a.kind, a.severity) for a in found] == [(29, "spike", "high")]
    assert found[0].expected == pytest.approx(11.0) and found[0].actual == 40.0


def test_severity_cuts_configurable():
    assert [severity(z) for z in (4.2, -3.1, 2.6, 1.0)] == ["high", "medium", "low", None]
    assert severity(3.5, {"high": 3.5, "medium": 3.0, "low": 2.5}) == "high"


def test_no_false_anomaly_on_clean_weekly_pattern():
    y, wd = weekly()
    assert detect(y, wd, method="robust") == []
    # the saturday peak (30 vs mean ~11.7) is within the plain z-score too (z ~ 1.7), sunday (0) as well
    assert detect(y, method="zscore") == []


def test_no_false_anomaly_on_noisy_weekly_pattern():
    rng = np.random.default_rng(3)
    y, wd = weekly(weeks=20, base=(20, 20, 20, 22, 25, 60, 5))
    y = y + rng.normal(0, 1.0, len(y)).round()
    assert detect(y, wd, method="robust") == []


def test_robust_finds_spike_and_drop_against_weekday():
    y, wd = weekly()
    y[3 * 7 + 1] = 45   # a Tuesday at 45 instead of 10
    y[5 * 7 + 5] = 2    # a Saturday at 2 instead of 30: a drop only against its weekday
    found = {a.index: a for a in detect(y, wd, method="robust")}
    assert set(found) == {22, 40}
    assert found[22].kind == "spike" and found[22].expected == 10 and found[22].severity == "high"
    assert found[40].kind == "drop" and found[40].expected == 30 and found[40].zscore < -4


def test_skip_short_or_intermittent_and_last_window():
    y, wd = weekly(weeks=3)
    assert detect(y[:20], wd[:20]) == []  # fewer than 28 days
    sparse = np.zeros(60)
    sparse[[5, 30]] = 3
    assert detect(sparse, np.arange(60) % 7) == []  # demand on < 50% of the days
    y, wd = weekly()
    y[1] = 45
    assert detect(y, wd, last=14) == [] and len(detect(y, wd)) == 1
    with pytest.raises(ValueError):
        detect(y)  # robust without weekdays
    expected, z = robust_scores(np.full(30, 5.0), np.arange(30) % 7)
    assert not z.any() and (expected == 5).all()


def test_no_false_anomaly_on_growing_weekly_pattern():
    # demand doubling over 26 weeks with a saturday peak: the expectation follows the season
    y, wd = weekly(weeks=26, base=(10, 10, 10, 10, 12, 30, 2))
    y = np.round(y * np.linspace(1.0, 2.0, len(y)))
    assert detect(y, wd, method="robust") == []


def test_days_before_first_demand_are_not_part_of_the_series():
    y, wd = weekly(weeks=10)
    y[40] = 200
    padded = np.concatenate([np.zeros(100), y])
    found = detect(padded, np.arange(len(padded)) % 7, method="robust")
    assert [(a.index, a.kind) for a in found] == [(140, "spike")]
