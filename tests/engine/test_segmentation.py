"""Demand classes (Syntetos-Boylan cut-offs), ABC and XYZ."""
import numpy as np
import pandas as pd
import pytest

from sales_forecast_ai.engine.panel import Panel
from sales_forecast_ai.engine.segmentation import (ADI_CUT, CV2_CUT, abc_classes, classify, classify_panel,
                                                   demand_profile, is_intermittent, xyz_classes)


def test_profile_by_hand():
    # 8 periods, 4 with demand of sizes 2, 4, 2, 4: ADI 2, mean 3, std 1 -> CV2 1/9
    adi, cv2, k = demand_profile([2, 0, 4, 0, 2, 0, 4, 0])
    assert (adi, k) == (2.0, 4)
    assert cv2 == pytest.approx(1 / 9)


@pytest.mark.parametrize("series, expected", [
    ([5, 6, 5, 6, 5, 6, 5, 6], "smooth"),  # demand every period, steady sizes
    ([1, 20, 1, 30, 2, 25, 1, 40], "erratic"),  # every period, sizes all over the place
    ([3, 0, 0, 3, 0, 0, 4, 0, 0, 3], "intermittent"),  # rare, steady sizes
    ([1, 0, 0, 30, 0, 0, 2, 0, 0, 50], "lumpy"),  # rare and all over the place
    ([0, 0, 0, 0], ""),  # no demand: no class
    ([], ""),
])
def test_four_classes(series, expected):
    assert classify(np.array(series, dtype=float)) == expected


def test_cut_offs_are_inclusive_upwards():
    # ADI exactly 1.32 is intermittent: 33 periods with 25 sales -> ADI 1.32
    y = np.zeros(33)
    y[:25] = 5.0
    assert demand_profile(y)[0] == pytest.approx(ADI_CUT)
    assert classify(y) == "intermittent"
    # CV2 either side of 0.49: sizes 10 -/+ 7.5 -> CV 0.75, CV2 0.5625; 10 -/+ 6 -> CV2 0.36
    assert classify(np.array([2.5, 17.5] * 10)) == "erratic"
    assert classify(np.array([4.0, 16.0] * 10)) == "smooth"
    assert demand_profile(np.array([2.5, 17.5]))[1] > CV2_CUT > demand_profile(np.array([4.0, 16.0]))[1]


def test_returns_and_nan_are_not_demand():
    assert classify(np.array([5, -3, np.nan] + [5] * 20, dtype=float)) == "smooth"  # ADI 23/20
    assert classify(np.array([-5, -3, 0], dtype=float)) == ""


def test_window_uses_the_recent_past():
    old_steady, recent_rare = np.full(1500, 5.0), np.tile([5.0, 0, 0], 122)
    y = np.concatenate([old_steady, recent_rare])
    assert classify(y, window=365) == "intermittent"
    assert classify(y) == "smooth"


def test_classify_panel_and_helper():
    panel = Panel([("a",), ("b",)], [np.full(30, 2.0), np.tile([0, 0, 4.0], 10)], pd.Timestamp("2024-01-30"))
    assert classify_panel(panel) == ["smooth", "intermittent"]
    assert is_intermittent("lumpy") and not is_intermittent("erratic") and not is_intermittent("")


def test_abc_by_volume_share():
    # shares 50, 30, 15, 4, 1 %: a series is A while the bigger ones hold < 80% (50 and 30),
    # B while they hold < 95% (15), C after
    assert abc_classes([30, 50, 15, 4, 1]) == ["A", "A", "B", "C", "C"]
    assert abc_classes([90, 10]) == ["A", "B"]  # the one big seller is A even alone above 80%
    assert abc_classes([0, 0]) == ["C", "C"]


def test_xyz_by_variation():
    steady, swinging, rare = np.full(10, 5.0), np.array([2.0, 8.0] * 5), np.array([0.0] * 9 + [10.0])
    assert xyz_classes([steady, swinging, rare, np.zeros(3)]) == ["X", "Y", "Z", "Z"]
