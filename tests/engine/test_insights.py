"""7/30/90-day totals, the trend rule and the confidence score."""
import numpy as np
import pandas as pd
import pytest

from sales_forecast_ai.engine.insights import TREND_THRESHOLD, confidence, totals, trend


def test_daily_totals_only_for_covered_spans():
    f = np.arange(1.0, 31.0)  # 30 days
    dates = pd.date_range("2024-01-01", periods=30, freq="D")
    assert totals(f, dates, "D") == {7: 28.0, 30: 465.0}
    assert set(totals(np.ones(90), pd.date_range("2024-01-01", periods=90), "D")) == {7, 30, 90}
    assert totals(np.zeros(0), pd.DatetimeIndex([]), "D") == {}


def test_weekly_and_monthly_totals_spread_periods_over_days():
    weeks = pd.date_range("2024-01-01", periods=13, freq="W-MON")
    t = totals(np.full(13, 70.0), weeks, "W")  # 10 a day
    assert t == {7: pytest.approx(70.0), 30: pytest.approx(300.0), 90: pytest.approx(900.0)}
    months = pd.date_range("2024-01-01", periods=3, freq="MS")  # Jan 31 d, Feb 29 d, Mar 31 d
    t = totals(np.array([310.0, 290.0, 620.0]), months, "M")
    assert t[7] == pytest.approx(70.0) and t[30] == pytest.approx(300.0) and t[90] == pytest.approx(310 + 290 + 600)


def test_trend_rule():
    flat_history = np.full(28, 10.0)
    label, slope = trend(flat_history, np.full(28, 10.0))
    assert label == "STABLE" and slope == pytest.approx(0.0, abs=1e-12)
    up, slope_up = trend(flat_history, np.linspace(10, 20, 28))
    assert up == "UP" and slope_up > TREND_THRESHOLD
    down, slope_down = trend(flat_history, np.linspace(10, 2, 28))
    assert down == "DOWN" and slope_down < -TREND_THRESHOLD
    # +10% over the window: below the 20%-per-horizon threshold
    assert trend(flat_history, np.linspace(10, 11, 28))[0] == "STABLE"


def test_trend_is_relative_to_the_level():
    history = np.full(28, 1000.0)
    big = trend(history, np.linspace(1000, 1100, 28))  # +100 units: a small change for this seller
    small = trend(np.full(28, 2.0), np.linspace(2, 3, 28))  # +1 unit: a big one for this one
    assert big[0] == "STABLE" and small[0] == "UP"


def test_trend_ignores_the_weekday_pattern():
    week = np.array([5, 5, 5, 5, 5, 20, 20.0])
    assert trend(np.tile(week, 4), np.tile(week, 4))[0] == "STABLE"


def test_trend_of_nothing_is_stable():
    assert trend(np.zeros(28), np.zeros(28)) == ("STABLE", 0.0)
    assert trend(np.array([3.0]), np.array([3.0])) == ("STABLE", 0.0)


def test_confidence_grows_with_data_and_accuracy():
    rng = np.random.default_rng(0)
    steady_year = rng.poisson(50, 400).astype(float)
    assert 0.9 < confidence(steady_year, "D", wape=0.05) <= 1.0
    assert confidence(steady_year, "D", wape=0.05) > confidence(steady_year, "D", wape=0.6)
    assert confidence(steady_year, "D", wape=0.05) > confidence(steady_year[-30:], "D", wape=0.05)
    rare = (rng.random(400) < 0.1) * 5.0
    assert confidence(rare, "D", wape=0.9) < confidence(steady_year, "D", wape=0.9)
    assert confidence(steady_year, "D") < confidence(steady_year, "D", wape=0.1)  # no backtest: less trust
    assert confidence(np.zeros(100), "D") == 0.0 and confidence(np.zeros(0), "D") == 0.0
