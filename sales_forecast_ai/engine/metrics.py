"""Forecast accuracy: RMSE, MAE, sMAPE, MASE, WAPE and bias, per series and pooled.

Arrays are (n_series, k) with NaN where a point was not forecast (a backtest fold the series
was too short for). ``e = forecast - actual`` throughout, so a positive bias is over-forecasting.

Per series (over its valid points):
  rmse  sqrt(mean e^2)                  mae   mean |e|
  smape mean 200|e| / (|y| + |f|), a point with y = f = 0 counts 0 (range 0..200)
  mase  mean |e| / scale, scale = in-sample MAE of the seasonal naive (see ``mase_scale``)
  wape  sum |e| / sum |y|               bias  sum e / sum |y|  (both NaN when sum |y| = 0)
Pooled (over every valid point of every series): rmse, mae, smape, wape and bias as above on
all points together (so big sellers weigh more); mase is the mean of the series' MASE (each
series weighs the same, the M4 convention).
"""
from __future__ import annotations

import numpy as np

from .results import METRICS

_EPS = 1e-9


def mase_scale(y, season_length: int = 7) -> float:
    """MAE of the seasonal naive forecast in sample, never zero.

    A series with no seasonal change (constant, or shorter than a season) falls back to the
    naive (lag 1) MAE, then to its mean absolute level, then to 1 unit: the MASE of a constant
    or empty history is then the error relative to its level, or in units.
    """
    y = np.asarray(y, dtype=float)
    y = y[np.isfinite(y)]
    for lag in (season_length, 1):
        if len(y) > lag:
            scale = float(np.mean(np.abs(y[lag:] - y[:-lag])))
            if scale > _EPS:
                return scale
    level = float(np.mean(np.abs(y))) if len(y) else 0.0
    return level if level > _EPS else 1.0


def _prepare(actual, forecast):
    y = np.atleast_2d(np.asarray(actual, dtype=float))
    f = np.atleast_2d(np.asarray(forecast, dtype=float))
    if y.shape != f.shape:
        raise ValueError(f"actual {y.shape} and forecast {f.shape} differ in shape")
    ok = np.isfinite(y) & np.isfinite(f)
    return np.where(ok, y, 0.0), np.where(ok, f, 0.0), ok


def _ratio(num, den):
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den > _EPS)
    return out


def _smape_points(y, f):
    den = np.abs(y) + np.abs(f)
    return np.where(den > _EPS, 200.0 * np.abs(f - y) / np.where(den > _EPS, den, 1.0), 0.0)


def scores(actual, forecast, scale=None) -> dict:
    """Per-series metrics, each an array of n values (NaN for a series without valid points).

    ``scale`` (n,) or (n, k): MASE denominator per series, or per point (a backtest with one
    in-sample scale per fold). None: MASE is NaN.
    """
    y, f, ok = _prepare(actual, forecast)
    n_ok = ok.sum(axis=1)
    e = np.where(ok, f - y, 0.0)
    abs_e = np.abs(e)
    out = {
        "rmse": np.sqrt(_ratio((e ** 2).sum(axis=1), n_ok)),
        "mae": _ratio(abs_e.sum(axis=1), n_ok),
        "smape": _ratio(np.where(ok, _smape_points(y, f), 0.0).sum(axis=1), n_ok),
        "wape": _ratio(abs_e.sum(axis=1), np.abs(y).sum(axis=1)),
        "bias": _ratio(e.sum(axis=1), np.abs(y).sum(axis=1)),
    }
    if scale is None:
        out["mase"] = np.full(len(y), np.nan)
    else:
        s = np.broadcast_to(np.asarray(scale, dtype=float).reshape(len(y), -1), y.shape)
        with np.errstate(invalid="ignore"):  # a zero or missing scale leaves that series' MASE NaN
            scaled = np.where(ok, abs_e / np.where(s > _EPS, s, np.nan), 0.0)
        out["mase"] = scaled.sum(axis=1) / np.maximum(n_ok, 1)
    for name in out:  # a series without any valid point has no score at all
        out[name] = np.where(n_ok > 0, out[name], np.nan)
    return {m: out[m] for m in METRICS}


def pooled_scores(actual, forecast, scale=None) -> dict:
    """Metrics over all valid points of all series (MASE: mean of the series' MASE)."""
    return pooled_from_sums(pooled_sums(actual, forecast, scale))


def pooled_sums(actual, forecast, scale=None) -> dict:
    """The sums every pooled metric is a ratio of. The sums of two sets of series add up to the
    sums of both, so shards of a panel (``engine.distributed``) pool exactly with ``add_sums``."""
    y, f, ok = _prepare(actual, forecast)
    if not ok.any():
        return empty_sums()
    e = (f - y)[ok]
    mase = scores(actual, forecast, scale)["mase"] if scale is not None else np.array([np.nan])
    finite = mase[np.isfinite(mase)]
    return {"n": int(ok.sum()), "sq": float((e ** 2).sum()), "abs": float(np.abs(e).sum()),
            "smape": float(_smape_points(y[ok], f[ok]).sum()), "mase": float(finite.sum()), "mase_n": int(finite.size),
            "y_abs": float(np.abs(y[ok]).sum()), "e": float(e.sum())}


def empty_sums() -> dict:
    return {"n": 0, "sq": 0.0, "abs": 0.0, "smape": 0.0, "mase": 0.0, "mase_n": 0, "y_abs": 0.0, "e": 0.0}


def add_sums(a: dict, b: dict) -> dict:
    return {k: a[k] + b[k] for k in a}


def pooled_from_sums(s: dict) -> dict:
    n = s["n"]
    if not n:
        return {m: float("nan") for m in METRICS}
    total = s["y_abs"]
    return {
        "rmse": float(np.sqrt(s["sq"] / n)),
        "mae": s["abs"] / n,
        "smape": s["smape"] / n,
        "mase": s["mase"] / s["mase_n"] if s["mase_n"] else float("nan"),
        "wape": s["abs"] / total if total > _EPS else float("nan"),
        "bias": s["e"] / total if total > _EPS else float("nan"),
    }


def lower_is_better(metric: str, values):
    """Values ranked so that smaller is better (bias counts by its size, not its sign)."""
    values = np.asarray(values, dtype=float)
    return np.abs(values) if metric == "bias" else values
