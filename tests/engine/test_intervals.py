"""Conformal bands: quantiles, scaling, groups, clipping and out-of-sample coverage."""
import numpy as np
import pytest

from sales_forecast_ai.engine.intervals import (ALL, MIN_ROWS, Calibration, calibrate, holdout_coverage,
                                                interval_group, level_factor, recent_level)


def test_quantiles_of_known_residuals():
    # 999 rows, one step: residuals -499..499. The 80% band is the 10% and 90% quantiles, with
    # the conformal correction ceil((n + 1) * 0.9) / n -> the 900th value of 999.
    resid = (np.arange(999.0) - 499)[:, None]
    cal = calibrate(resid, ["regular"] * 999, (80,))
    q_lo, q_hi = cal.quantiles("regular", 80)
    assert q_hi[0] == pytest.approx(400.0) and q_lo[0] == pytest.approx(-400.0)


def test_bands_scale_per_series_and_clip_at_zero():
    rng = np.random.default_rng(0)
    cal = calibrate(rng.normal(0, 1, size=(2000, 3)), ["regular"] * 2000, (95,))
    mean = np.array([[10.0, 10.0, 10.0], [1.0, 1.0, 1.0]])
    lo, hi = cal.bounds(mean, np.array([2.0, 4.0]), ["regular", "regular"])[95]
    half = hi[0] - mean[0]
    assert half == pytest.approx(2 * 1.96, rel=0.15)  # scale 2 x normal 97.5% quantile
    assert hi[1] - mean[1] == pytest.approx(2 * half, rel=0.2)  # twice the scale, twice the width
    assert (lo[1] == 0).all()  # 1 - 4 * 1.96 < 0: demand is never negative
    assert (lo <= mean).all() and (mean <= hi).all()


def test_bands_widen_with_the_horizon_without_ratcheting():
    rng = np.random.default_rng(1)
    growing = rng.normal(0, 1, size=(3000, 4)) * np.array([1.0, 1.5, 2.0, 3.0])
    q_lo, q_hi = calibrate(growing, ["regular"] * 3000, (90,)).quantiles("regular", 90)
    assert q_hi == pytest.approx(1.645 * np.array([1.0, 1.5, 2.0, 3.0]), rel=0.1)
    assert (np.diff(q_hi) >= 0).all() and (np.diff(q_lo) <= 0).all()
    # Same noise at every step: estimation noise alone must not widen the late steps
    # (a running maximum of 28 noisy quantiles would end well above the true one).
    flat = rng.normal(0, 1, size=(1000, 28))
    q_lo, q_hi = calibrate(flat, ["regular"] * 1000, (95,)).quantiles("regular", 95)
    assert (np.diff(q_hi) >= 0).all()
    assert q_hi[-1] == pytest.approx(1.96, rel=0.06) and q_lo[-1] == pytest.approx(-1.96, rel=0.06)


def test_skewed_residuals_give_skewed_bands():
    rng = np.random.default_rng(2)
    resid = rng.exponential(1.0, size=(3000, 1)) - 1.0  # long upper tail
    q_lo, q_hi = calibrate(resid, ["regular"] * 3000, (90,)).quantiles("regular", 90)
    assert q_hi[0] > 2 * abs(q_lo[0])


def test_groups_are_kept_apart_and_small_groups_use_all():
    resid = np.concatenate([np.full((50, 1), 1.0), np.full((50, 1), 10.0), np.full((MIN_ROWS - 1, 1), 100.0)])
    groups = ["regular"] * 50 + ["intermittent"] * 50 + ["tiny"] * (MIN_ROWS - 1)
    cal = calibrate(resid, groups, (80,))
    assert cal.quantiles("regular", 80)[1][0] == 1.0
    assert cal.quantiles("intermittent", 80)[1][0] == 10.0
    assert "tiny" not in cal.table and cal.quantiles("tiny", 80) is cal.table[ALL][80]
    assert cal.counts == {"regular": 50, "intermittent": 50, ALL: 50 + 50 + MIN_ROWS - 1}


def test_no_residuals_no_bands():
    cal = calibrate(np.full((3, 2), np.nan), ["regular"] * 3, (95,))
    assert cal.table == {}
    lo, hi = Calibration((95,), 2).bounds(np.ones((1, 2)), np.ones(1), ["regular"])[95]
    assert np.isnan(lo).all() and np.isnan(hi).all()


def test_interval_groups():
    assert [interval_group(c) for c in ("smooth", "erratic", "intermittent", "lumpy", "")] == \
        ["regular", "regular", "intermittent", "intermittent", "regular"]


def _fake_backtest(folds, n, h, noise, seed=0):
    rng = np.random.default_rng(seed)
    mean = np.full((folds, n, h), 50.0)
    actual = mean + rng.normal(0, noise, size=(folds, n, h))
    scale = np.full((folds, n), float(noise))
    return (actual - mean) / scale[:, :, None], mean, actual, scale


@pytest.mark.parametrize("folds", [1, 2, 3])
def test_out_of_sample_coverage_is_close_to_the_level(folds):
    resid, mean, actual, scale = _fake_backtest(folds, 400, 7, 5.0)
    cov = holdout_coverage(resid, ["regular"] * 400, (80, 95), mean, actual, scale)
    assert np.nanmean(cov[95]) == pytest.approx(0.95, abs=0.02)
    assert np.nanmean(cov[80]) == pytest.approx(0.80, abs=0.03)
    assert cov[95].shape == (400,) and np.isfinite(cov[95]).all()


def test_coverage_is_honest_when_a_fold_is_noisier():
    """Bands calibrated on a calm fold do not cover a stormy one: the leave-one-fold-out
    measurement shows it instead of hiding it."""
    calm = _fake_backtest(1, 300, 7, 1.0, seed=3)
    resid, mean, actual, scale = _fake_backtest(2, 300, 7, 1.0, seed=4)
    actual[1] = mean[1] + (actual[1] - mean[1]) * 3  # fold 2: three times the noise, same scale
    resid = (actual - mean) / scale[:, :, None]
    cov = holdout_coverage(resid, ["regular"] * 300, (95,), mean, actual, scale)
    assert np.nanmean(cov[95]) < 0.9
    assert calm[0].shape == (1, 300, 7)


def test_series_outside_every_fold_have_no_coverage():
    resid, mean, actual, scale = _fake_backtest(2, 50, 7, 2.0)
    resid[:, 0] = np.nan
    cov = holdout_coverage(resid, ["regular"] * 50, (95,), mean, actual, scale)
    assert np.isnan(cov[95][0]) and np.isfinite(cov[95][1:]).all()


def test_level_factor_follows_the_forecast_level():
    level = np.array([10.0, 10.0, 0.0])
    forecast = np.array([[10.0, 36.1], [0.0, 1000.0], [5.0, 5.0]])
    f = level_factor(forecast, level)
    assert f[0, 0] == pytest.approx(1.0)  # at the usual level: unchanged
    assert f[0, 1] == pytest.approx(np.sqrt((36.1 + 3) / 13))  # about 4x the level: about 1.7x the width
    assert f[1, 0] == pytest.approx(np.sqrt(3 / 13))  # nothing expected: narrower, never zero
    assert f[1, 1] == 5.0  # capped
    assert (f[2] == 1.0).all()  # no level to compare with: unchanged


def test_recent_level_is_the_last_year_of_demand():
    y = np.concatenate([np.full(100, 50.0), np.full(365, 10.0)])
    assert recent_level(y, "D") == 10.0
    assert recent_level(np.array([4.0, -2.0]), "D") == 2.0  # returns are not demand
    assert recent_level(np.zeros(0), "D") == 0.0
    assert recent_level(np.arange(60.0), "W") == pytest.approx(np.arange(8.0, 60.0).mean())


def test_bands_follow_per_point_scales():
    cal = calibrate(np.tile([[-1.0], [1.0]], (100, 3)), ["regular"] * 200, (80,))
    mean = np.full((1, 3), 10.0)
    lo, hi = cal.bounds(mean, np.array([[1.0, 2.0, 3.0]]), ["regular"])[80]
    assert hi[0] == pytest.approx([11.0, 12.0, 13.0]) and lo[0] == pytest.approx([9.0, 8.0, 7.0])
