"""RFM quintile scores, segments and churn risk on five customers worked out by hand."""
import pandas as pd
import pytest

from sales_forecast_ai.engine.rfm import rfm, segment_of


def test_rfm_scores_segments_and_churn():
    frame = pd.DataFrame({
        "customer": [1, 2, 3, 4, 5],
        "first_date": ["2024-01-01", "2024-01-01", "2024-05-20", "2024-01-01", "2024-02-01"],
        "last_date": ["2024-05-31", "2024-03-01", "2024-05-20", "2024-05-01", "2024-02-01"],
        "orders": [11, 4, 1, 6, 1],
        "monetary": [5000, 800, 100, 2000, 50],
    })
    out = rfm(frame, "2024-06-01", factor=2.0).set_index("customer")
    # recency: 1, 92, 12, 31, 121 days -> ranks of -recency 5, 2, 4, 3, 1 -> r = ceil(5 * rank / 5)
    assert out["recency"].tolist() == [1, 92, 12, 31, 121]
    assert out["r"].tolist() == [5, 2, 4, 3, 1]
    assert out["f"].tolist() == [5, 3, 2, 4, 2]  # ties of 1 order share rank 1.5 -> ceil(1.5) = 2
    assert out["m"].tolist() == [5, 3, 2, 4, 1]
    assert out["segment"].tolist() == ["champion", "at_risk", "new", "loyal", "lost"]
    # cadence: (151 / 10) = 15.1, 60 / 3 = 20, median of repeat customers for one-order ones, 121 / 5 = 24.2
    assert out.loc[1, "cadence"] == pytest.approx(15.1)
    assert out.loc[3, "cadence"] == pytest.approx(20.0)  # median of 15.1, 20, 24.2
    assert out["churn_risk"].tolist() == [False, True, False, False, True]


def test_rfm_empty_and_bad_factor():
    assert rfm(pd.DataFrame(columns=["customer", "first_date", "last_date", "orders", "monetary"]),
               "2024-01-01").empty
    with pytest.raises(ValueError):
        rfm(pd.DataFrame({"customer": [1], "first_date": ["2024-01-01"], "last_date": ["2024-01-01"],
                          "orders": [1], "monetary": [1]}), "2024-02-01", factor=0)
    assert segment_of(3, 3, 3) == "regular"
