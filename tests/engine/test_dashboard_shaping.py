"""The dashboard's shaping rules (sales_forecast_ai/engine/dashboard.py), without Odoo."""
import datetime

import numpy as np
import pandas as pd
import pytest

from sales_forecast_ai.engine import dashboard as shaping


def frame(rows):
    return pd.DataFrame(rows, columns=["product_id", "warehouse_id", "date", "quantity"]).assign(
        date=lambda f: pd.to_datetime(f["date"]))


def test_bucket_history_fills_every_bucket_and_keeps_the_total():
    data = frame([(1, 1, "2026-03-02", 2.0), (2, 1, "2026-03-02", 3.0), (1, 1, "2026-03-12", 4.0)])
    days = shaping.bucket_history(data, datetime.date(2026, 3, 1), datetime.date(2026, 3, 14), "day")
    assert len(days) == 14 and days[1] == (datetime.date(2026, 3, 2), 5.0) and days[0][1] == 0.0
    weeks = shaping.bucket_history(data, datetime.date(2026, 3, 1), datetime.date(2026, 3, 14), "week")
    # 1 March 2026 is a Sunday: its week starts on Monday 23 February.
    assert [w for w, _q in weeks] == [datetime.date(2026, 2, 23), datetime.date(2026, 3, 2), datetime.date(2026, 3, 9)]
    assert sum(q for _w, q in weeks) == 9.0


def test_fit_granularity_never_sends_more_than_the_limit():
    assert shaping.fit_granularity(datetime.date(2026, 1, 1), datetime.date(2026, 3, 31), "day") == "day"
    assert shaping.fit_granularity(datetime.date(2024, 1, 1), datetime.date(2026, 1, 1), "day") == "week"
    assert shaping.fit_granularity(datetime.date(2000, 1, 1), datetime.date(2026, 1, 1), "day") == "month"
    assert shaping.fit_granularity(datetime.date(2026, 1, 1), datetime.date(2026, 1, 2), "nonsense") == "day"


def test_bucket_forecast_sums_values_and_bands():
    points = pd.DataFrame({"date": pd.to_datetime(["2026-03-02", "2026-03-03", "2026-03-09"]),
                           "forecast": [1.0, 2.0, 4.0], "lo_80": [0.5, 1.0, 3.0], "hi_80": [1.5, 3.0, 5.0],
                           "lo_95": [0.2, 0.5, 2.0], "hi_95": [2.0, 4.0, 6.0]})
    weeks = shaping.bucket_forecast(points, "week")
    assert weeks[0] == {"date": datetime.date(2026, 3, 2), "forecast": 3.0, "lo_80": 1.5, "hi_80": 4.5,
                        "lo_95": 0.7, "hi_95": 6.0}
    assert shaping.bucket_forecast(points.iloc[0:0], "week") == []


def test_weekday_heatmap_marks_days_outside_the_period():
    data = frame([(1, 1, "2026-03-04", 7.0)])  # a Wednesday
    weeks, matrix = shaping.weekday_week_heatmap(data, datetime.date(2026, 3, 4), datetime.date(2026, 3, 10))
    assert weeks == [datetime.date(2026, 3, 2), datetime.date(2026, 3, 9)]
    assert matrix[2][0] == 7.0 and matrix[0][0] is None and matrix[1][1] == 0.0 and matrix[2][1] is None


def test_group_month_heatmap_folds_small_groups_into_other():
    data = frame([(1, 1, "2026-01-05", 10.0), (2, 1, "2026-01-06", 1.0), (3, 1, "2026-02-06", 2.0)])
    months, rows = shaping.group_month_heatmap(data, {1: 100, 2: 200}, datetime.date(2026, 1, 1),
                                               datetime.date(2026, 2, 28), max_groups=1)
    assert months == [datetime.date(2026, 1, 1), datetime.date(2026, 2, 1)]
    assert rows == [(100, [10.0, 0.0]), (None, [1.0, 2.0])]


def test_histogram_and_boxplot():
    series = {"a": np.array([0.0, 1.0, 2.0, 3.0, 100.0]), "b": np.array([5.0, 5.0])}
    edges, counts = shaping.histogram(series, bins=4)
    assert edges[0] == 0.0 and edges[-1] == 100.0 and sum(counts["a"]) == 5 and sum(counts["b"]) == 2
    box = shaping.boxplot(series["a"])
    assert (box["q1"], box["median"], box["q3"]) == (1.0, 2.0, 3.0)
    assert box["whisker_high"] == 3.0 and box["outliers"] == 1 and box["max"] == 100.0
    assert shaping.boxplot([]) is None
    assert shaping.histogram({}) == ([], {})


@pytest.mark.parametrize("on_hand,daily,expected", [
    (0, 5, "out"), (-3, 5, "out"), (10, 5, "low"), (100, 5, "adequate"), (1000, 5, "over"), (4, 0, "over")])
def test_stock_status(on_hand, daily, expected):
    assert shaping.stock_status(on_hand, daily, low_days=7, over_days=90) == expected


def test_trend():
    assert shaping.trend(110, 100) == ("up", pytest.approx(0.1))
    assert shaping.trend(90, 100)[0] == "down"
    assert shaping.trend(100.5, 100)[0] == "flat"
    assert shaping.trend(5, 0) == ("up", None)
    assert shaping.trend(0, None) == ("flat", None)
