"""What a buyer reads first: 7/30/90-day totals, the trend and how far to trust the forecast.

Totals: the forecast summed over its first 7, 30 and 90 days. Weekly and monthly forecasts are
spread evenly over the days of each period first. A total is only given when the horizon
covers all its days (a 30-day horizon has no 90-day total).

Trend rule (the specification's "slope of the smoothed series > 0.2 -> UP, < -0.2 -> DOWN"):
  * series: the last h observed periods followed by the h forecast periods (h = horizon), so
    the trend says where demand is heading compared with where it has just been;
  * smoothed: trailing moving average over ``SMOOTHING`` periods (7 days, 4 weeks, 3 months),
    which removes the weekday pattern; the first window-1 points (incomplete) are dropped;
  * slope: least-squares slope of the smoothed values against the period number, expressed
    relative to their mean and per horizon: ``slope * h / mean``. It is dimensionless: 0.2 means
    the smoothed demand rises by 20% of its average level over one horizon.
  UP if that relative slope > 0.2, DOWN if < -0.2, STABLE otherwise (and for no demand).

Confidence (0..1), the mean of four parts, each 0..1:
  * coverage: history length relative to one year (a full year of seasons observed);
  * sample size: periods with sales relative to ``SAMPLE_FULL`` (60 days, 26 weeks, 12 months);
  * variability: 1 / (1 + CV), CV the coefficient of variation of the last year of demand;
  * accuracy: 1 / (1 + WAPE) of the champion in the backtest (0 when it could not be backtested).
"""
from __future__ import annotations

import numpy as np

TOTAL_DAYS = (7, 30, 90)
TREND_THRESHOLD = 0.2
SMOOTHING = {"D": 7, "W": 4, "M": 3}
YEAR = {"D": 365, "W": 52, "M": 12}
SAMPLE_FULL = {"D": 60, "W": 26, "M": 12}
DAYS_PER_PERIOD = {"D": 1, "W": 7, "M": None}  # months: their own length


def totals(forecast, dates, freq: str = "D") -> dict:
    """{days: forecast total over the first ``days`` days} for the day counts the horizon covers."""
    f = np.asarray(forecast, dtype=float)
    if not len(f):
        return {}
    if freq == "M":
        per_day = np.repeat(f / dates.days_in_month.to_numpy(), dates.days_in_month.to_numpy())
    else:
        days = DAYS_PER_PERIOD[freq]
        per_day = np.repeat(f / days, days)
    return {d: float(per_day[:d].sum()) for d in TOTAL_DAYS if d <= len(per_day)}


def trend(history, forecast, freq: str = "D") -> tuple[str, float]:
    """(UP | DOWN | STABLE, relative slope per horizon) by the rule in the module docstring."""
    f = np.asarray(forecast, dtype=float)
    h = len(f)
    y = np.asarray(history, dtype=float)[-h:] if h else np.zeros(0)
    series = np.concatenate([np.where(np.isfinite(y), y, 0.0), f])
    w = SMOOTHING.get(freq, 7)
    if len(series) < w + 2 or h == 0:
        return "STABLE", 0.0
    smooth = np.convolve(series, np.ones(w) / w, mode="valid")
    mean = smooth.mean()
    if mean <= 0:
        return "STABLE", 0.0
    t = np.arange(len(smooth))
    slope = np.polyfit(t, smooth, 1)[0]
    rel = float(slope * h / mean)
    label = "UP" if rel > TREND_THRESHOLD else "DOWN" if rel < -TREND_THRESHOLD else "STABLE"
    return label, rel


def confidence(history, freq: str = "D", wape: float | None = None) -> float:
    """0..1 trust in a series' forecast, by the four parts in the module docstring."""
    y = np.asarray(history, dtype=float)
    y = np.where(np.isfinite(y), y, 0.0)
    year = YEAR.get(freq, 365)
    if not len(y) or not (y > 0).any():
        return 0.0
    coverage = min(len(y) / year, 1.0)
    sample = min(float((y > 0).sum()) / SAMPLE_FULL.get(freq, 60), 1.0)
    recent = np.maximum(y[-year:], 0.0)
    mean = recent.mean()
    variability = 1.0 / (1.0 + recent.std() / mean) if mean > 0 else 0.0
    accuracy = 1.0 / (1.0 + wape) if wape is not None and np.isfinite(wape) and wape >= 0 else 0.0
    return float(np.clip((coverage + sample + variability + accuracy) / 4.0, 0.0, 1.0))
