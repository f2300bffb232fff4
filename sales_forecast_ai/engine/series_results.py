"""One SeriesResult per series: status, champion and reason, forecast with bands, insights.

Statuses (``SeriesResult.status``), each with a message saying what was done:
  * empty: no history at all -> zero forecast;
  * all_zero: history without a single sale -> zero forecast;
  * short_history: too short for any backtest fold -> ``selection.FALLBACK_CHAIN``
    (7-day moving average, then naive);
  * failed: every candidate failed on the series -> the mean of its last 7 periods;
  * ok: the champion of the backtest (or the next in its ranking if it failed at the end).
"""
from __future__ import annotations

import numpy as np

from .backtest import MIN_TRAIN
from .insights import confidence, trend
from .intervals import level_factor
from .models import REGISTRY
from .models.base import z_value
from .results import SeriesResult
from .selection import FALLBACK_CHAIN, Choice, choose, eligible, fallback_order, group_defaults

# Without a backtest (folds=0), the default pick in this order.
DEFAULT_ORDER = ("ensemble", "harmonic", "ets", "theta", "seasonal_naive", "moving_average", "naive")


def _unit(freq: str, n: int) -> str:
    word = {"D": "day", "W": "week", "M": "month"}.get(freq, "period")
    return f"{n} {word}{'s' if n != 1 else ''}"


def _min_history(model, name: str, season_length: int) -> int:
    try:
        return int((model or REGISTRY[name](season_length=season_length)).min_history)
    except Exception:
        return 1


def build_series_results(panel, horizon, levels, metric, ran, classes, groups, missing, bt, per_model,
                         calibrations, coverage, final_scale, folds, log) -> list:
    n, m, freq = len(panel), panel.season_length, panel.freq
    dates = panel.future_dates(horizon)
    valid = bt.valid if bt.cuts else np.zeros((0, n), bool)
    min_hist = {name: _min_history(bt.fitted.get(name), name, m) for name in ran}
    suited = [[name for name in ran if eligible(name, REGISTRY[name].family, c)] for c in classes]
    defaults = group_defaults(per_model, metric, groups, lambda i: suited[i]) if per_model else {}
    for g, name in sorted(defaults.items()):
        log.append(f"default champion for {g} demand: {name} (best pooled {metric} of the group)")
    results, champions = [], [None] * n
    for i, (key, y) in enumerate(zip(panel.keys, panel.values)):
        sr = SeriesResult(key=key, demand_class=classes[i], dates=dates,
                          history_mean=float(y.mean()) if len(y) else 0.0)
        results.append(sr)
        notes = _data_notes(y, missing[i], freq)
        if not len(y) or not (y > 0).any():
            _no_demand(sr, y, horizon, levels, freq, notes)
            continue
        sr.scores = {name: {k: float(v[i]) for k, v in per_model[name].items()} for name in per_model}
        candidates = [name for name in suited[i] if len(y) >= min_hist[name]]
        if folds == 0:
            order = [name for name in DEFAULT_ORDER if name in candidates]
            choice = Choice(order[0] if order else None, "no backtest requested (folds=0): default choice",
                            [(name, float("nan")) for name in order])
        elif valid[:, i].any():
            choice = choose(sr.scores, metric, candidates, defaults.get(groups[i]))
        else:
            choice = Choice(None, "")
            sr.status = "short_history"
            notes.insert(0, f"only {_unit(freq, len(y))} of history, too short to backtest a {_unit(freq, horizon)} "
                            f"horizon (needs {MIN_TRAIN.get(freq, 2 * m) + horizon})")
        available = [name for name in ran if np.isfinite(bt.final[name][i]).all()]
        order = fallback_order(choice, available)
        if not order:
            _every_model_failed(sr, y, horizon, levels, m, notes)
            continue
        sr.champion = champions[i] = order[0]
        if choice.champion and sr.champion != choice.champion:
            why = bt.failures.get(choice.champion, {}).get(i, "no forecast")
            sr.reason = (f"{choice.reason}; but {choice.champion} could not forecast it at the end ({why}), "
                         f"so {sr.champion}, next in the ranking, is used")
            log.append(f"{key}: {choice.champion} failed at the final origin, {sr.champion} used instead")
        elif choice.champion:
            sr.reason = choice.reason
        else:
            sr.reason = f"fallback: {sr.champion} (no backtest possible)"
            notes.append(f"forecast is the {_describe(sr.champion, freq)}")
        sr.forecast = np.maximum(bt.final[sr.champion][i], 0.0)
        sr.message = "; ".join(notes)
    _apply_intervals(results, champions, levels, groups, bt, calibrations, final_scale)
    for i, sr in enumerate(results):
        _insights(sr, panel.values[i], freq, coverage, bt, i)
    return results


def _data_notes(y, missing: int, freq: str) -> list:
    notes = []
    if missing:
        notes.append(f"{missing} missing value(s) counted as no sale")
    if (y < 0).any():
        notes.append(f"{int((y < 0).sum())} period(s) with more returns than sales (negative net demand)")
    if len(y) and (y > 0).any() and np.ptp(y) == 0:
        notes.append(f"constant history ({y[0]:g} per {_unit(freq, 1)[2:]})")
    return notes


def _no_demand(sr, y, horizon, levels, freq, notes) -> None:
    sr.status = "empty" if not len(y) else "all_zero"
    what = "no history" if not len(y) else f"no sale in {_unit(freq, len(y))} of history"
    sr.message = "; ".join([f"{what}: the forecast is zero"] + notes)
    sr.forecast = np.zeros(horizon)
    sr.intervals = {lvl: (np.zeros(horizon), np.zeros(horizon)) for lvl in levels}


def _every_model_failed(sr, y, horizon, levels, m, notes) -> None:
    sr.status, sr.champion = "failed", FALLBACK_CHAIN[0]
    sr.forecast = np.full(horizon, max(float(y[-7:].mean()), 0.0))
    sr.reason = "every candidate failed on this series"
    sr.message = "; ".join(["every candidate failed on this series: forecast is the mean of its last 7 periods"]
                           + notes)
    spread = float(np.std(y[-4 * m:]))  # nothing calibrated: the recent spread of demand
    sr.intervals = {lvl: (np.maximum(sr.forecast - z_value(lvl) * spread, 0.0), sr.forecast + z_value(lvl) * spread)
                    for lvl in levels}


def _describe(name: str, freq: str) -> str:
    unit = _unit(freq, 7)
    return {"moving_average": f"mean of the last {unit}", "naive": "last value repeated"}.get(name, name)


def _apply_intervals(results, champions, levels, groups, bt, calibrations, final_scale) -> None:
    """Conformal bands of each champion, per group of series sharing it; its own bands otherwise.

    ``final_scale``: (in-sample MASE scale, recent level) of every series at the panel end."""
    scale, level = final_scale
    by_model: dict = {}
    for i, c in enumerate(champions):
        if c is not None:
            by_model.setdefault(c, []).append(i)
    for name, idx in by_model.items():
        idx = np.array(idx)
        mean = np.maximum(bt.final[name][idx], 0.0)
        cal = calibrations.get(name)
        point_scale = scale[idx, None] * level_factor(mean, level[idx])
        bands = cal.bounds(mean, point_scale, [groups[i] for i in idx]) if cal and cal.table else {}
        own = bt.own_intervals.get(name, {})
        for row, i in enumerate(idx):
            sr = results[i]
            for lvl in levels:
                lo, hi = (bands[lvl][0][row], bands[lvl][1][row]) if lvl in bands else (None, None)
                if lo is None or not (np.isfinite(lo).all() and np.isfinite(hi).all()):
                    lo, hi = own[lvl][0][i], own[lvl][1][i]
                    if "own error estimate" not in sr.message:
                        sr.message = "; ".join(filter(None, [sr.message, "bands from the model's own error "
                                                             "estimate (no backtest residuals to calibrate on)"]))
                f = sr.forecast
                sr.intervals[lvl] = (np.minimum(np.maximum(lo, 0.0), f), np.maximum(hi, f))


def _insights(sr, y, freq, coverage, bt, i) -> None:
    champ = sr.champion
    wape = sr.scores.get(champ, {}).get("wape") if champ else None
    if champ in coverage:
        sr.coverage = {lvl: float(v[i]) for lvl, v in coverage[champ].items() if np.isfinite(v[i])}
    if champ in bt.forecasts and bt.cuts:
        err = (bt.forecasts[champ][:, i] - bt.actual[:, i]).ravel()
        err = err[np.isfinite(err)]
        sr.residual_std = float(err.std()) if len(err) > 1 else 0.0
    if not sr.residual_std and len(y) > 1:
        sr.residual_std = float(np.std(y[-365:]))
    if sr.status in ("empty", "all_zero"):
        return
    sr.trend, sr.trend_slope = trend(y, sr.forecast, freq)
    sr.confidence = confidence(y, freq, wape)
