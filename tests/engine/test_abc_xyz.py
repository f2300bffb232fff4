"""ABC by revenue (rank and cumulative), XYZ by weekly CV and the 3x3 matrix, worked out by hand."""
import math

import numpy as np
import pytest

from sales_forecast_ai.engine.segmentation import (STRATEGY_HINTS, abc_by_rank, segment, segment_matrix,
                                                   weekly_cv, weekly_matrix, xyz_class)


def test_abc_by_rank_top_20_30_50():
    # 10 products: A = top 2, B = next 3, C = last 5, whatever the revenue gaps
    revenues = [5, 100, 1, 50, 20, 8, 30, 3, 2, 10]
    assert abc_by_rank(revenues) == ["C", "A", "C", "A", "B", "C", "B", "C", "C", "B"]


def test_abc_by_rank_rounds_up_and_zero_is_c():
    assert abc_by_rank([10, 5, 1]) == ["A", "B", "C"]  # ceil(0.6) = 1 A, ceil(1.5) = 2 -> 1 B
    assert abc_by_rank([10, 0, 0, 0, 0]) == ["A", "C", "C", "C", "C"]
    assert abc_by_rank([0, 0]) == ["C", "C"]
    assert abc_by_rank([]) == []


def test_abc_cumulative_80_15_5_option():
    out = segment([30, 50, 15, 4, 1], [[1, 1]] * 5, method="cumulative")
    assert [s["abc"] for s in out] == ["A", "A", "B", "C", "C"]
    assert [s["revenue_share"] for s in out] == pytest.approx([0.30, 0.50, 0.15, 0.04, 0.01])
    with pytest.raises(ValueError):
        segment([1], [[1]], method="pareto")


def test_weekly_cv_and_xyz_cuts():
    # [10, 10, 10, 10] -> cv 0 ; [5, 15, 5, 15] -> std 5 / mean 10 = 0.5 ; [0, 0, 0, 40] -> std 17.32 / 10
    assert weekly_cv([10, 10, 10, 10]) == 0.0
    assert weekly_cv([5, 15, 5, 15]) == pytest.approx(0.5)
    assert weekly_cv([0, 0, 0, 40]) == pytest.approx(math.sqrt(300) / 10)
    assert math.isinf(weekly_cv([0, 0]))
    assert [xyz_class(c) for c in (0.0, 0.29, 0.3, 0.5, 0.69, 0.7, math.inf)] == ["X", "X", "Y", "Y", "Y", "Z", "Z"]
    out = segment([10, 10, 10, 0], [[10] * 4, [5, 15] * 2, [40, 0, 0, 0], [0] * 4])
    assert [s["xyz"] for s in out] == ["X", "Y", "Z", "Z"]
    assert out[3]["cv"] is None and out[1]["cv"] == pytest.approx(0.5)


def test_weekly_matrix_counts_back_from_the_last_day():
    # 16 days -> 2 complete weeks (days 2-8 and 9-15); days 0-1 are an incomplete oldest week
    m = weekly_matrix(codes=[0, 0, 0, 1, 1], n_items=2, day_index=[0, 2, 15, 8, 9],
                      quantities=[100, 1, 2, 3, 4], n_days=16)
    np.testing.assert_allclose(m, [[1, 2], [3, 4]])


def test_matrix_cells_count_revenue_share_and_hint():
    revenues = [60, 30, 10]
    segs = [{"abc": "A", "xyz": "X"}, {"abc": "B", "xyz": "Z"}, {"abc": "C", "xyz": "Z"}]
    cells = {(c["abc"], c["xyz"]): c for c in segment_matrix(segs, revenues)}
    assert len(cells) == 9
    assert cells["A", "X"]["count"] == 1 and cells["A", "X"]["revenue_share"] == pytest.approx(0.6)
    assert cells["B", "Z"]["revenue"] == 30 and cells["A", "Y"]["count"] == 0
    assert cells["A", "X"]["hint"] == STRATEGY_HINTS["A", "X"] and "service level" in cells["A", "X"]["hint"]


def test_weeks_before_first_demand_do_not_count():
    # launched two weeks ago, steady since: X, not Z because of the empty weeks before
    out = segment([10], [[0, 0, 0, 0, 20, 20]])
    assert out[0]["xyz"] == "X" and out[0]["cv"] == 0.0
