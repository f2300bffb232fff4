"""Unusual days in a daily demand series: spikes and drops, with their severity.

Two detectors, same output (``Anomaly`` tuples):

* ``zscore`` - the usual rule: z = (y - mean) / std over the series (sample std). A day is an
  anomaly when |z| >= ``threshold`` (3 by default). Simple and well known, but a strong weekly
  pattern inflates the std and a shop closed on Sundays looks like a drop every week.
* ``robust`` (default in Odoo) - seasonality-aware: the expected value of a day is the MEDIAN of
  the same weekday over the series, the residual is y - expected, and the scale is the MAD of the
  residuals (x 1.4826, the normal-consistent factor), floored by the mean absolute residual
  (x 1.2533) so a very regular series with one odd day still has a scale. A normal Saturday peak
  has a zero residual: it is never an anomaly. Medians and MAD are not dragged by the anomalies
  themselves, unlike mean and std.

Severity from |z| with configurable cuts (``SEVERITY_CUTS``): high >= 4, medium >= 3, low >= 2.5.
With the default threshold of 3, "low" only appears when the threshold is lowered.

Series with too little to learn from are skipped (fewer than ``min_days`` days, or demand on fewer
than ``min_coverage`` of the days: an intermittent product's every sale would look like a spike),
and a deviation smaller than ``min_abs`` units is never an anomaly.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

SPIKE, DROP = "spike", "drop"
HIGH, MEDIUM, LOW = "high", "medium", "low"
SEVERITY_CUTS = {HIGH: 4.0, MEDIUM: 3.0, LOW: 2.5}
ZSCORE, ROBUST = "zscore", "robust"
MAD_FACTOR, MEAN_ABS_FACTOR = 1.4826, 1.2533


class Anomaly(NamedTuple):
    index: int        # position in the series
    kind: str         # spike / drop
    expected: float
    actual: float
    zscore: float
    severity: str     # high / medium / low


def severity(z, cuts=None) -> str | None:
    cuts = cuts or SEVERITY_CUTS
    a = abs(z)
    for name in (HIGH, MEDIUM, LOW):
        if a >= cuts[name]:
            return name
    return None


def zscore_scores(y):
    """(expected, z) per day with the plain z-score rule."""
    y = np.asarray(y, dtype=float)
    mean = float(np.mean(y)) if len(y) else 0.0
    std = float(np.std(y, ddof=1)) if len(y) > 1 else 0.0
    expected = np.full(len(y), mean)
    z = (y - mean) / std if std > 0 else np.zeros(len(y))
    return expected, z


def robust_scores(y, weekdays):
    """(expected, z) per day against the weekday medians, scaled by the residuals' MAD."""
    y = np.asarray(y, dtype=float)
    weekdays = np.asarray(weekdays, dtype=np.int64)
    expected = np.zeros(len(y))
    for d in np.unique(weekdays):
        mask = weekdays == d
        expected[mask] = np.median(y[mask])
    resid = y - expected
    center = np.median(resid) if len(resid) else 0.0
    scale = max(MAD_FACTOR * float(np.median(np.abs(resid - center))) if len(resid) else 0.0,
                MEAN_ABS_FACTOR * float(np.mean(np.abs(resid - center))) if len(resid) else 0.0)
    z = resid / scale if scale > 0 else np.zeros(len(y))
    return expected, z


def detect(y, weekdays=None, method=ROBUST, threshold=3.0, cuts=None, min_days=28, min_coverage=0.5,
           min_abs=1.0, last=None) -> list[Anomaly]:
    """Anomalies of one daily series (zeros included for days without demand).

    ``weekdays`` (0-6 per day) is needed by the robust detector. ``last`` limits the report to the
    last N days (the scores still use the whole series).
    """
    y = np.nan_to_num(np.asarray(y, dtype=float))
    if len(y) < min_days or (y > 0).mean() < min_coverage:
        return []
    if method == ROBUST:
        if weekdays is None:
            raise ValueError("the robust detector needs the weekday of each day")
        expected, z = robust_scores(y, weekdays)
    elif method == ZSCORE:
        expected, z = zscore_scores(y)
    else:
        raise ValueError(f"unknown anomaly method {method!r}")
    cuts = dict(SEVERITY_CUTS, **(cuts or {}))
    start = max(len(y) - int(last), 0) if last else 0
    out = []
    for i in np.flatnonzero((np.abs(z) >= threshold) & (np.abs(y - expected) >= min_abs)):
        if i < start:
            continue
        level = severity(z[i], cuts) or LOW
        out.append(Anomaly(int(i), SPIKE if z[i] > 0 else DROP, float(expected[i]), float(y[i]),
                           float(z[i]), level))
    return out
