"""The engine's entry point: backtest every candidate, pick each series' champion, forecast.

    run_forecast(panel, horizon, levels=(80, 95), folds=2, models=None, metric="mase", seed=0,
                 progress=None, model_params=None, step=None, refit_final=True) -> PipelineResult

1. Prepare: missing values count as no sale; each series gets its demand class.
2. Backtest (``engine.backtest``): ``folds`` rolling origins ``step`` (default: horizon) apart,
   then the final forecast from the panel end, every model re-estimated on the full history.
   The ensemble is the mean of the three statistical, LightGBM or neural models with the best
   pooled backtest score.
3. Score (``engine.metrics``) every model per series and pooled.
4. Select (``engine.selection``): per series, the best ``metric`` among the models suited to
   its demand class, with a reason and a fallback chain.
5. Intervals (``engine.intervals``): conformal bands from each model's backtest residuals,
   with out-of-sample (leave-one-fold-out) coverage.
   Honest champion score (``_holdout``): the whole selection (ensemble members, group defaults,
   per-series champions) is replayed on every fold but the last and its picks are scored on the
   last fold, which the replay never saw: ``PipelineResult.champion_scores`` and each series'
   ``holdout``. The live champions are chosen on all folds (more data, same procedure).
6. Insights (``engine.insights``): 7/30/90-day totals, trend, confidence.

``progress(phase, fraction, message)`` is called along the way (fraction of the whole run,
0..1). A series that cannot be forecast normally gets a status and message, never an
exception; one model failing is logged and the others carry on.
"""
from __future__ import annotations

import time

import numpy as np

from .backtest import Backtest, fold_actuals, fold_cuts, fold_levels, run_model
from .global_process import run_global_models
from .insights import totals
from .intervals import calibrate, holdout_coverage, interval_group, level_factor, recent_level
from .metrics import empty_sums, lower_is_better, mase_scale, pooled_from_sums, pooled_scores, pooled_sums, scores
from .selection import choose, eligible, group_defaults
from .models import REGISTRY
from .models.base import MAX_ABS_DEMAND
from .models.ensemble import DEFAULT_MEMBERS, MIN_MEMBERS, combine
from .panel import Panel
from .results import METRICS, PipelineResult
from .series_results import _min_history, build_series_results

ENSEMBLE = "ensemble"
# Shares of the progress bar: the backtest is nearly all of the time.
_PHASES = {"prepare": (0.0, 0.02), "backtest": (0.02, 0.92), "score": (0.92, 0.94), "intervals": (0.94, 0.97),
           "select": (0.97, 1.0)}


_FAMILY_ORDER = {"baseline": 0, "intermittent": 1, "statistical": 2, "gbm": 3, "neural": 4, "ensemble": 5}


def default_models() -> list:
    """Every registered model, simple families first (on a tie, the simpler model wins)."""
    return sorted(REGISTRY, key=lambda m: _FAMILY_ORDER.get(REGISTRY[m].family, 3))


def _validate(panel, horizon, levels, folds, models, metric, step):
    if not isinstance(panel, Panel):
        raise TypeError(f"panel must be an engine Panel, not {type(panel).__name__}")
    if int(horizon) != horizon or horizon < 1:
        raise ValueError(f"horizon must be a whole number of periods >= 1, got {horizon!r}")
    if int(folds) != folds or folds < 0:
        raise ValueError(f"folds must be a whole number >= 0, got {folds!r}")
    if step is not None and (int(step) != step or step < 1):
        raise ValueError(f"step must be a whole number >= 1, got {step!r}")
    bad = [lvl for lvl in levels if not 0 < float(lvl) < 100]
    if bad:
        raise ValueError(f"interval levels must be percentages between 0 and 100, got {bad}")
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; use one of {', '.join(METRICS)}")
    unknown = [m for m in models if m not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown model(s) {', '.join(unknown)}; registered: {', '.join(REGISTRY)}")


class _Progress:
    def __init__(self, callback):
        self.callback = callback

    def __call__(self, phase: str, within: float, message: str):
        if not self.callback:
            return
        lo, hi = _PHASES[phase]
        try:
            self.callback(phase, lo + (hi - lo) * min(max(within, 0.0), 1.0), message)
        except Exception:  # a broken progress display must not stop a forecast (RunCancelled does)
            self.callback = None


def _read_only(v: np.ndarray) -> np.ndarray:
    view = v.view()
    view.flags.writeable = False
    return view


def _clean_panel(panel: Panel) -> tuple[Panel, list]:
    values, missing = [], []
    for v in panel.values:
        ok = np.isfinite(v) & (np.abs(v) <= MAX_ABS_DEMAND)  # 1e308 would overflow every model
        missing.append(int((~ok).sum()))
        # A clean float64 series is shared, not copied: a copy of every series is the panel's size
        # again (292 MB at 50,000 x 730) in the process that also holds the global models' outputs.
        # The shared series is a read-only view: a model writing into it fails instead of changing the
        # caller's panel.
        values.append(_read_only(v) if not missing[-1] and v.dtype == np.float64 else np.where(ok, v, 0.0))
    return Panel(list(panel.keys), values, panel.end, panel.freq, panel.country, dict(panel.meta)), missing


def _add_ensemble(bt: Backtest, metric: str, log: list, how: str = "mean", size: int = 3) -> None:
    """Combine the ``size`` members with the best pooled backtest ``metric`` (without a backtest:
    the first in ``DEFAULT_MEMBERS`` order). Ranking 7 models on hundreds of series barely
    flatters the ensemble's own score on the same folds."""
    present = [m for m in DEFAULT_MEMBERS if m in bt.final]
    if bt.cuts:
        present = _best_members(bt.forecasts, present, bt.actual, bt.scale, bt.horizon, metric)
    members = present[:max(int(size), MIN_MEMBERS)]
    if len(members) < MIN_MEMBERS:
        log.append(f"{ENSEMBLE}: needs {MIN_MEMBERS} of {', '.join(DEFAULT_MEMBERS)} in the run; left out")
        return
    started = time.perf_counter()
    bt.ensemble_options = (how, int(size))
    bt.forecasts[ENSEMBLE] = combine([bt.forecasts[m] for m in members], how)
    bt.final[ENSEMBLE] = combine([bt.final[m] for m in members], how)
    bt.own_intervals[ENSEMBLE] = {
        lvl: tuple(combine([bt.own_intervals[m][lvl][j] for m in members], how) for j in (0, 1))
        for lvl in bt.own_intervals[members[0]]}
    bt.failures[ENSEMBLE] = {}
    bt.members = members
    bt.seconds[ENSEMBLE] = time.perf_counter() - started
    log.append(f"{ENSEMBLE}: {how} of {', '.join(members)}")


def _best_members(forecasts, present, actual, scale, horizon, metric) -> list:
    """``present`` models with a finite pooled ``metric`` on the (folds, n, h) ``actual``, best first."""
    y_flat = _flat(actual)
    s_flat = np.repeat(scale.T, horizon, axis=1)
    score = {m: lower_is_better(metric, pooled_scores(y_flat, _flat(forecasts[m][:len(actual)]), s_flat)[metric])
             for m in present}
    return sorted((m for m in present if np.isfinite(score[m])), key=lambda m: score[m])


def _holdout(bt: Backtest, clean: Panel, ran, metric: str, classes, groups) -> tuple[dict, list]:
    """Selection replayed on the folds before the last, its picks scored on the last fold.

    Returns the pooled sums (``metrics.pooled_sums``) of those picks and, per series, {"model": pick, metric: score}
    (empty where the series has no demand, is not in the last fold or in an earlier one).
    """
    n, h, folds = len(clean), bt.horizon, len(bt.cuts)
    if folds < 2 or not n:
        return empty_sums(), [{} for _ in range(n)]
    early_y, early_s = _flat(bt.actual[:-1]), np.repeat(bt.scale[:-1].T, h, axis=1)
    fc = {m: bt.forecasts[m] for m in ran if m != ENSEMBLE and m in bt.forecasts}
    if ENSEMBLE in ran and getattr(bt, "ensemble_options", None):
        how, size = bt.ensemble_options
        present = [m for m in DEFAULT_MEMBERS if m in fc]
        members = _best_members(fc, present, bt.actual[:-1], bt.scale[:-1], h, metric)[:max(size, MIN_MEMBERS)]
        if len(members) >= MIN_MEMBERS:
            fc[ENSEMBLE] = combine([fc[m] for m in members], how)
    per_early = {m: scores(early_y, _flat(f[:-1]), early_s) for m, f in fc.items()}
    m = clean.season_length
    min_hist = {name: _min_history(bt.fitted.get(name), name, m) for name in fc}
    suited = [[name for name in fc if eligible(name, REGISTRY[name].family, c) and len(y) >= min_hist[name]]
              for c, y in zip(classes, clean.values)]
    defaults = group_defaults(per_early, metric, groups, lambda i: suited[i])
    usable = bt.valid[-1] & bt.valid[:-1].any(axis=0)
    picked = np.full((n, h), np.nan)
    picks = [None] * n
    for i in np.flatnonzero(usable):
        if not (clean.values[i] > 0).any():
            continue  # no demand: forecast zero, no champion (as in the live results)
        series_scores = {name: {k: float(v[i]) for k, v in per_early[name].items()} for name in per_early}
        for name, _ in choose(series_scores, metric, suited[i], defaults.get(groups[i])).ranking:
            if np.isfinite(fc[name][-1, i]).all():
                picks[i], picked[i] = name, fc[name][-1, i]
                break
    last_scale = bt.scale[-1]
    per_series = scores(bt.actual[-1], picked, last_scale)
    out = [{"model": picks[i], **{k: float(per_series[k][i]) for k in METRICS}} if picks[i] else {}
           for i in range(n)]
    return pooled_sums(bt.actual[-1], picked, last_scale), out


def _flat(a3: np.ndarray) -> np.ndarray:
    """(folds, n, h) -> (n, folds*h): each series' backtest points side by side."""
    f, n, h = a3.shape
    return a3.transpose(1, 0, 2).reshape(n, f * h)


def _model_info(bt: Backtest, name: str) -> dict:
    model = bt.fitted.get(name)
    info = {"family": REGISTRY[name].family, "seconds": round(bt.seconds.get(name, 0.0), 3)}
    try:
        info["n_params"] = int(model.n_params()) if model is not None else 0
    except Exception:
        info["n_params"] = 0
    if name == ENSEMBLE:
        info["n_params"] = int(sum(_model_info(bt, m)["n_params"] for m in getattr(bt, "members", [])))
    for attr in ("rmse_train", "rmse_val"):
        value = getattr(model, attr, None)
        if value is not None:
            info[attr] = float(value)
    return info


def _use_outputs(bt: Backtest, name: str, outputs: dict, n: int) -> None:
    """A model already run elsewhere on these series (``engine.distributed``): its backtest outputs
    go into ``bt`` as ``backtest.run_model`` would have left them."""
    if outputs["final"] is None:  # it could not run on these series: left out, as run_model leaves it
        bt.failures[name], bt.seconds[name] = dict(outputs["failures"]), outputs["seconds"]
        return
    shape = (len(bt.cuts), n, bt.horizon)
    if outputs["forecasts"].shape != shape or outputs["final"].shape != shape[1:]:
        raise ValueError(f"precomputed {name}: forecasts {outputs['forecasts'].shape} and final "
                         f"{outputs['final'].shape} do not fit {n} series, {len(bt.cuts)} folds, horizon {bt.horizon}")
    bt.forecasts[name], bt.final[name] = outputs["forecasts"], outputs["final"]
    bt.own_intervals[name], bt.failures[name] = outputs["own_intervals"], dict(outputs["failures"])
    bt.seconds[name], bt.fitted[name] = outputs["seconds"], outputs["fitted"]


def run_forecast(panel: Panel, horizon: int, *, levels=(80, 95), folds: int = 2, models=None, metric: str = "mase",
                 seed: int = 0, progress=None, model_params=None, step: int | None = None,
                 refit_final: bool = True, precomputed: dict | None = None) -> PipelineResult:
    """``precomputed``: model name -> its backtest outputs on these very series (forecasts, final,
    own_intervals, failures, seconds, fitted: see ``engine.distributed.model_outputs``); those models
    are not run again but enter the ensemble, the selection and the intervals like the others."""
    started = time.perf_counter()
    names = list(models) if models else default_models()
    levels = tuple(levels)
    _validate(panel, horizon, levels, folds, names, metric, step)
    horizon, folds = int(horizon), int(folds)
    model_params = dict(model_params or {})
    notify, log, timings = _Progress(progress), [], {}

    # 1. prepare
    notify("prepare", 0.0, f"{len(panel)} series")
    from .segmentation import classify_panel

    clean, missing = _clean_panel(panel)
    classes = classify_panel(clean)
    groups = [interval_group(c) for c in classes]
    cuts = fold_cuts(folds, horizon, step)
    actual, scale = fold_actuals(clean, cuts, horizon)
    bt = Backtest(cuts, horizon, actual, scale, fold_levels(clean, cuts))
    timings["prepare"] = time.perf_counter() - started

    # 2. backtest
    t0 = time.perf_counter()
    runnable = [m for m in names if m != ENSEMBLE]
    units, done = max(len(runnable) * (len(cuts) + 1), 1), [0]

    def tick(name, k, total):
        done[0] += 1
        notify("backtest", done[0] / units, f"{name}: origin {k}/{total}")

    precomputed = precomputed or {}
    global_names = [m for m in runnable if REGISTRY[m].is_global and m not in precomputed]
    for name in runnable:
        if name in precomputed:
            _use_outputs(bt, name, precomputed[name], len(clean))
        elif name in global_names:
            continue
        else:
            notify("backtest", done[0] / units, f"{name}: starting")
            run_model(bt, name, clean, levels, seed, model_params.get(name), log, tick, refit_final)
        timings[f"model {name}"] = round(bt.seconds.get(name, 0.0), 3)
    if global_names:  # all in one child process, so TensorFlow never enters this one
        notify("backtest", done[0] / units, f"{', '.join(global_names)}: starting")
        run_global_models(bt, global_names, clean, levels, seed, model_params, log, tick, refit_final)
        for name in global_names:
            timings[f"model {name}"] = round(bt.seconds.get(name, 0.0), 3)
    if ENSEMBLE in names:
        options = model_params.get(ENSEMBLE, {})
        unknown = set(options) - {"how", "size"}
        if unknown:
            log.append(f"{ENSEMBLE}: unknown option(s) {', '.join(sorted(unknown))} ignored (use how, size)")
        _add_ensemble(bt, metric, log, **{k: v for k, v in options.items() if k in ("how", "size")})
    timings["backtest"] = time.perf_counter() - t0

    # 3. scores
    t0 = time.perf_counter()
    notify("score", 0.0, "scoring every model")
    ran = [m for m in names if m in bt.final]
    y_flat = _flat(actual)
    s_flat = np.repeat(scale.T, horizon, axis=1) if len(cuts) else np.ones((len(clean), 0))
    per_model = {m: scores(y_flat, _flat(bt.forecasts[m]), s_flat) for m in ran} if len(cuts) else {}
    pooled, sums = {}, {"pooled": {}, "coverage": {}, "champion_coverage": {}}
    for m in ran:
        sums["pooled"][m] = pooled_sums(y_flat, _flat(bt.forecasts[m]), s_flat) if len(cuts) else empty_sums()
        pooled[m] = pooled_from_sums(sums["pooled"][m])
        pooled[m].update(_model_info(bt, m))
        pooled[m]["wins"] = 0

    # 4. intervals: calibration per model, out-of-sample coverage per model and series
    notify("intervals", 0.0, "calibrating intervals")
    calibrations, coverage = {}, {}
    if len(cuts):
        for m in ran:
            point_scale = scale[:, :, None] * level_factor(bt.forecasts[m], bt.level)
            resid = (actual - bt.forecasts[m]) / point_scale
            calibrations[m] = calibrate(resid.reshape(-1, horizon), groups * len(cuts), levels)
            coverage[m] = holdout_coverage(resid, groups, levels, bt.forecasts[m], actual, point_scale)
            weights = bt.valid.sum(axis=0)
            sums["coverage"][m] = {lvl: _weighted_sums(coverage[m][lvl], weights) for lvl in levels}
            for lvl in levels:
                pooled[m][f"coverage_{lvl:g}"] = weighted_mean(sums["coverage"][m][lvl])
    timings["intervals"] = time.perf_counter() - t0

    # 5. per-series champion, forecast, bands, insights
    t0 = time.perf_counter()
    notify("select", 0.0, "choosing champions")
    final_scale = np.array([mase_scale(v, clean.season_length) for v in clean.values])
    final_level = np.array([recent_level(v, clean.freq) for v in clean.values])
    series = build_series_results(
        clean, horizon, levels, metric, ran, classes, groups, missing, bt, per_model, calibrations, coverage,
        (final_scale, final_level), folds, log)
    for s in series:
        if s.champion in pooled:
            pooled[s.champion]["wins"] += 1
    for s in series:
        s.totals = totals(s.forecast, s.dates, clean.freq)
    timings["select"] = time.perf_counter() - t0

    result = PipelineResult(series, pooled, timings, levels, horizon, clean.freq, log, sums=sums)
    _summaries(result, bt, ran, y_flat, s_flat)
    sums["champion"], holdout = _holdout(bt, clean, ran, metric, classes, groups)
    result.champion_scores = pooled_from_sums(sums["champion"])
    for s, hold in zip(series, holdout):
        s.holdout = hold
    timings["total"] = time.perf_counter() - started
    notify("select", 1.0, f"done in {timings['total']:.1f} s")
    return result


def _summaries(result: PipelineResult, bt: Backtest, ran, y_flat, s_flat) -> None:
    """Pooled in-sample backtest scores and out-of-sample coverage of the per-series champions."""
    n = len(result.series)
    if not bt.cuts or not n:
        return
    champ_fc = np.full_like(y_flat, np.nan)
    for i, s in enumerate(result.series):
        if s.champion in bt.forecasts:
            champ_fc[i] = _flat(bt.forecasts[s.champion])[i]
    result.sums["champion_in_sample"] = pooled_sums(y_flat, champ_fc, s_flat)
    result.champion_scores_in_sample = pooled_from_sums(result.sums["champion_in_sample"])
    weights = bt.valid.sum(axis=0)
    for lvl in result.levels:
        cov = np.array([s.coverage.get(lvl, np.nan) for s in result.series])
        result.sums["champion_coverage"][lvl] = _weighted_sums(cov, weights)
        result.coverage[lvl] = weighted_mean(result.sums["champion_coverage"][lvl])


def _weighted_sums(values, weights) -> tuple:
    """(sum of w * v, sum of w) over the finite values with a positive weight: shards add them up."""
    ok = np.isfinite(values) & (weights > 0)
    return float((values[ok] * weights[ok]).sum()), float(weights[ok].sum())


def weighted_mean(sums: tuple) -> float:
    total, weight = sums
    return total / weight if weight > 0 else float("nan")
