"""RFM scores and churn risk per customer, from one aggregated row per customer.

Input per customer: first and last order day, number of orders, monetary value (revenue).

* R, F, M scores 1..5 are quintiles of the customers' ranks (5 = best: most recent, most orders,
  most revenue; ties share the average rank): ``score = ceil(5 x percentile rank)``.
* Segment from (R, F, M):
    champion   R >= 4, F >= 4, M >= 4       at_risk  R <= 2, F >= 3 (good customers gone quiet)
    loyal      F >= 4, R >= 3               lost     R <= 2, F <= 2
    new        R >= 4, F <= 2               regular  anything else
* Churn risk: a customer's cadence is the mean gap between their orders, (last - first) / (orders - 1).
  They are at risk when the days since their last order exceed ``factor`` x their cadence
  (``factor`` 2 by default). A one-order customer has no cadence of their own: the median cadence of
  the repeat customers stands in for it. A customer without any cadence to compare is not flagged.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

SEGMENTS = ("champion", "loyal", "new", "at_risk", "lost", "regular")


def _scores(values):
    pct = pd.Series(values, dtype=float).rank(method="average", pct=True)
    return np.clip(np.ceil(pct.to_numpy() * 5), 1, 5).astype(int)


def segment_of(r, f, m) -> str:
    if r >= 4 and f >= 4 and m >= 4:
        return "champion"
    if f >= 4 and r >= 3:
        return "loyal"
    if r >= 4 and f <= 2:
        return "new"
    if r <= 2 and f >= 3:
        return "at_risk"
    if r <= 2 and f <= 2:
        return "lost"
    return "regular"


def rfm(frame, as_of, factor=2.0) -> pd.DataFrame:
    """``frame`` columns: customer, first_date, last_date, orders, monetary. Returns customer,
    recency (days), frequency, monetary, r, f, m, segment, cadence (days or NaN), churn_risk."""
    cols = ["customer", "recency", "frequency", "monetary", "r", "f", "m", "segment", "cadence", "churn_risk"]
    if not len(frame):
        return pd.DataFrame(columns=cols)
    if factor <= 0:
        raise ValueError("the churn factor must be positive")
    as_of = pd.Timestamp(as_of).normalize()
    first = pd.to_datetime(frame["first_date"]).dt.normalize()
    last = pd.to_datetime(frame["last_date"]).dt.normalize()
    orders = frame["orders"].astype(int).to_numpy()
    out = pd.DataFrame({
        "customer": frame["customer"].to_numpy(),
        "recency": (as_of - last).dt.days.clip(lower=0).to_numpy(),
        "frequency": orders,
        "monetary": frame["monetary"].astype(float).to_numpy(),
    })
    out["r"] = _scores(-out["recency"])
    out["f"] = _scores(out["frequency"])
    out["m"] = _scores(out["monetary"])
    out["segment"] = [segment_of(r, f, m) for r, f, m in zip(out["r"], out["f"], out["m"])]
    span = (last - first).dt.days.to_numpy().astype(float)
    cadence = np.where(orders > 1, span / np.maximum(orders - 1, 1), np.nan)
    repeat = cadence[np.isfinite(cadence) & (cadence > 0)]
    fallback = float(np.median(repeat)) if len(repeat) else math.nan
    cadence = np.where(np.isfinite(cadence) & (cadence > 0), cadence, fallback)
    out["cadence"] = cadence
    out["churn_risk"] = np.isfinite(cadence) & (out["recency"].to_numpy() > factor * np.nan_to_num(cadence))
    return out[cols]
