"""Accuracy metrics against values worked out by hand."""
import math

import numpy as np
import pytest

from sales_forecast_ai.engine.metrics import lower_is_better, mase_scale, pooled_scores, scores

# Series A: actual 10, 20, 30; forecast 12, 18, 33 -> errors (f - y) +2, -2, +3
# Series B: actual 0, 5;       forecast 1, 5      -> errors +1, 0 (third point not forecast)
ACTUAL = np.array([[10.0, 20.0, 30.0], [0.0, 5.0, np.nan]])
FORECAST = np.array([[12.0, 18.0, 33.0], [1.0, 5.0, 7.0]])


def test_per_series_values_match_hand_computation():
    s = scores(ACTUAL, FORECAST, scale=np.array([4.0, 0.5]))
    # A: rmse sqrt((4+4+9)/3), mae 7/3, smape (200*2/22 + 200*2/38 + 200*3/63)/3, mase (7/3)/4
    assert s["rmse"][0] == pytest.approx(math.sqrt(17 / 3))
    assert s["mae"][0] == pytest.approx(7 / 3)
    assert s["smape"][0] == pytest.approx((400 / 22 + 400 / 38 + 600 / 63) / 3)
    assert s["mase"][0] == pytest.approx(7 / 12)
    assert s["wape"][0] == pytest.approx(7 / 60)
    assert s["bias"][0] == pytest.approx(3 / 60)
    # B: only two valid points; smape of (y=0, f=1) is 200, of (5, 5) is 0
    assert s["rmse"][1] == pytest.approx(math.sqrt(1 / 2))
    assert s["mae"][1] == pytest.approx(0.5)
    assert s["smape"][1] == pytest.approx(100.0)
    assert s["mase"][1] == pytest.approx(1.0)
    assert s["wape"][1] == pytest.approx(1 / 5)
    assert s["bias"][1] == pytest.approx(1 / 5)


def test_pooled_values_match_hand_computation():
    p = pooled_scores(ACTUAL, FORECAST, scale=np.array([4.0, 0.5]))
    # five valid points, errors +2 -2 +3 +1 0, actual total 65
    assert p["rmse"] == pytest.approx(math.sqrt(18 / 5))
    assert p["mae"] == pytest.approx(8 / 5)
    assert p["smape"] == pytest.approx((400 / 22 + 400 / 38 + 600 / 63 + 200 + 0) / 5)
    assert p["wape"] == pytest.approx(8 / 65)
    assert p["bias"] == pytest.approx(4 / 65)
    assert p["mase"] == pytest.approx((7 / 12 + 1.0) / 2)  # mean of the series' MASE


def test_zero_actuals_and_perfect_forecasts():
    s = scores([[0.0, 0.0]], [[0.0, 0.0]], scale=[1.0])
    assert s["smape"][0] == 0.0 and s["mae"][0] == 0.0 and s["mase"][0] == 0.0
    assert math.isnan(s["wape"][0]) and math.isnan(s["bias"][0])  # nothing sold: undefined


def test_series_without_valid_points_scores_nan():
    s = scores([[np.nan, np.nan]], [[1.0, 2.0]], scale=[1.0])
    assert all(math.isnan(v[0]) for v in s.values())
    assert all(math.isnan(v) for v in pooled_scores([[np.nan]], [[1.0]]).values())


def test_point_scales_average_folds():
    # Two folds of one point each, scales 2 and 4: MASE = (|e1|/2 + |e2|/4) / 2
    s = scores([[10.0, 10.0]], [[12.0, 14.0]], scale=[[2.0, 4.0]])
    assert s["mase"][0] == pytest.approx((1.0 + 1.0) / 2)


def test_zero_scale_gives_nan_mase():
    assert math.isnan(scores([[1.0]], [[2.0]], scale=[0.0])["mase"][0])
    assert math.isnan(scores([[1.0]], [[2.0]])["mase"][0])


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="differ in shape"):
        scores(np.zeros((2, 3)), np.zeros((2, 2)))


def test_mase_scale_and_its_guards():
    y = np.array([1, 2, 3, 4, 5, 6, 7, 3, 2, 3, 4, 5, 6, 7], dtype=float)
    # seasonal (lag 7) differences: 2, 0, 0, 0, 0, 0, 0 -> 2/7
    assert mase_scale(y, 7) == pytest.approx(2 / 7)
    assert mase_scale(np.tile([1.0, 5.0], 7), 2) == pytest.approx(4.0)  # lag 2 flat, lag 1 is 4
    assert mase_scale(np.full(20, 3.0), 7) == pytest.approx(3.0)  # constant: its level
    assert mase_scale(np.zeros(20), 7) == 1.0  # nothing at all: one unit
    assert mase_scale(np.array([]), 7) == 1.0
    assert mase_scale(np.array([2.0, np.nan, 4.0]), 7) == pytest.approx(2.0)  # NaN ignored


def test_bias_ranks_by_size():
    assert list(lower_is_better("bias", [-0.3, 0.1])) == [0.3, 0.1]
    assert list(lower_is_better("mase", [-0.3, 0.1])) == [-0.3, 0.1]
