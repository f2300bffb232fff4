"""Unusual days in a daily demand series: spikes and drops, with their severity.

Two detectors, same output (``Anomaly`` tuples):

* ``zscore`` - the usual rule: z = (y - mean) / std over the series (sample std). A day is an
  anomaly when |z| >= ``threshold`` (3 by default). Simple and well known, but a strong weekly
  pattern inflates the std and a shop closed on Sundays looks like a drop every week.
* ``robust`` (default in Odoo) - seasonality-aware: the expected value of a day is the MEDIAN of
  the same weekday in the ``window_weeks`` (4) weeks on each side of it, the day itself left out (so
  a season or a trend moves the expectation along; at the ends of the series the window is one-sided),
  the residual is y - expected, and the scale is the MAD of the
  residuals (x 1.4826, the normal-consistent factor), floored by the mean absolute residual
  (x 1.2533) so a very regular series with one odd day still has a scale, and per day by the square
  root of the expected value (sales are counts: a day of 50 varies at least like a Poisson count,
  so +3 units on it is noise, not an anomaly). A normal Saturday peak
  has a zero residual: it is never an anomaly. Medians and MAD are not dragged by the anomalies
  themselves, unlike mean and std.

Severity from |z| with configurable cuts (``SEVERITY_CUTS``): high >= 4, medium >= 3, low >= 2.5.
With the default threshold of 3, "low" only appears when the threshold is lowered.

Days before a series' first demand are not part of it (a product launched last month is not
"intermittent" over the year before). Series with too little to learn from are skipped (fewer than ``min_days`` days, or demand on fewer
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


def robust_scores(y, weekdays, window_weeks=4):
    """(expected, z) per day against the median of the same weekday in the weeks around it, scaled
    by the residuals' MAD. ``y`` holds consecutive days; ``weekdays`` is used where the window holds
    fewer than 3 days (very short series): that weekday's median over the whole series."""
    y = np.asarray(y, dtype=float)
    weekdays = np.asarray(weekdays, dtype=np.int64)
    n, w = len(y), int(window_weeks)
    expected = np.zeros(n)
    for d in np.unique(weekdays):
        mask = weekdays == d
        expected[mask] = np.median(y[mask])
    lags = np.full((2 * w, n), np.nan)
    for j, k in enumerate([k for k in range(-w, w + 1) if k]):
        shift = 7 * k
        if shift > 0 and shift < n:
            lags[j, shift:] = y[:n - shift]
        elif shift < 0 and -shift < n:
            lags[j, :n + shift] = y[-shift:]
    enough = np.sum(~np.isnan(lags), axis=0) >= 3
    if enough.any():
        expected[enough] = np.nanmedian(lags[:, enough], axis=0)
    resid = y - expected
    center = np.median(resid) if n else 0.0
    scale = max(MAD_FACTOR * float(np.median(np.abs(resid - center))) if n else 0.0,
                MEAN_ABS_FACTOR * float(np.mean(np.abs(resid - center))) if n else 0.0)
    scale = np.maximum(scale, np.sqrt(np.maximum(expected, 0.0)))
    z = np.divide(resid, scale, out=np.zeros(n), where=scale > 0)
    return expected, z


def detect(y, weekdays=None, method=ROBUST, threshold=3.0, cuts=None, min_days=28, min_coverage=0.5,
           min_abs=1.0, last=None) -> list[Anomaly]:
    """Anomalies of one daily series (zeros included for days without demand).

    ``weekdays`` (0-6 per day) is needed by the robust detector. ``last`` limits the report to the
    last N days (the scores still use the whole series).
    """
    y = np.nan_to_num(np.asarray(y, dtype=float))
    first = int(np.argmax(y > 0)) if (y > 0).any() else len(y)
    if first:
        found = detect(y[first:], None if weekdays is None else np.asarray(weekdays)[first:], method, threshold,
                       cuts, min_days, min_coverage, min_abs, last=min(last or len(y), len(y) - first))
        return [a._replace(index=a.index + first) for a in found]
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
