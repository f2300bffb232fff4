"""Rolling-origin backtest: every candidate forecasts the same past windows, then the future.

Origins are counted back from the panel end: with ``folds`` F and ``step`` s (default: the
horizon h), fold k (k = F..1) hides the last k*s observations, forecasts h steps from there
and is scored on the h hidden values that follow. Windows do not overlap when s >= h. The last
run, at origin 0, is the final forecast.

Local models are refitted at every origin (they are cheap); a model with
``refit_per_origin = False`` -- the global networks and the statsforecast models -- is fitted
once, at the earliest origin, then only conditioned on newer data with ``forward()`` at the
later origins, so each network trains once for the backtest. The final forecast, from the panel
end, always re-estimates on the full history (``refit``: a fresh fit for ETS/Theta, a warm start
of a few epochs for the networks): parameters estimated at the earliest origin never saw the
last folds x horizon periods. Once the final forecast is made the model is ``release()``-d.

A series joins a fold when it has at least ``MIN_TRAIN`` observations before that origin. One
model failing (on the panel or on one series) never stops the others: the failure is recorded
and that model's forecasts for the series concerned are NaN.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import inspect
import time
from dataclasses import dataclass, field

import numpy as np

from .intervals import recent_level
from .metrics import mase_scale
from .models.base import REGISTRY, make
from .panel import Panel

MIN_TRAIN = {"D": 14, "W": 8, "M": 6}


@dataclass
class Backtest:
    cuts: list  # observations hidden at each fold, earliest origin first
    horizon: int
    actual: np.ndarray  # (folds, n, h); NaN rows: series not in that fold
    scale: np.ndarray  # (folds, n) in-sample MASE scale at each origin
    level: np.ndarray | None = None  # (folds, n) recent mean demand at each origin (intervals.recent_level)
    forecasts: dict = field(default_factory=dict)  # model -> (folds, n, h)
    final: dict = field(default_factory=dict)  # model -> (n, h) forecast from the panel end
    own_intervals: dict = field(default_factory=dict)  # model -> {level: (lo, hi)} of the final forecast
    failures: dict = field(default_factory=dict)  # model -> {series index: message}
    fitted: dict = field(default_factory=dict)  # model -> the instance after its final forecast
    seconds: dict = field(default_factory=dict)  # model -> wall seconds (fit, forward, predict)

    @property
    def valid(self) -> np.ndarray:
        """(folds, n): the series was backtested at that fold."""
        return np.isfinite(self.actual).all(axis=2)

    @property
    def models(self) -> list:
        return list(self.final)


def fold_cuts(folds: int, horizon: int, step: int | None = None) -> list:
    step = int(step or horizon)
    return [step * k for k in range(int(folds), 0, -1)]


def fold_actuals(panel: Panel, cuts, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Hidden actuals (folds, n, h) and in-sample scales (folds, n) of every series at every fold."""
    n, m = len(panel), panel.season_length
    min_train = MIN_TRAIN.get(panel.freq, 2 * m)
    actual = np.full((len(cuts), n, horizon), np.nan)
    scale = np.full((len(cuts), n), np.nan)
    for k, cut in enumerate(cuts):
        if cut < horizon:
            continue  # the window would run past the panel end
        for i, v in enumerate(panel.values):
            train = len(v) - cut
            if train >= min_train:
                y = np.where(np.isfinite(v), v, 0.0)
                actual[k, i] = y[train:train + horizon]
                scale[k, i] = mase_scale(y[:train], m)
    return actual, scale


def fold_levels(panel: Panel, cuts) -> np.ndarray:
    """Recent mean demand (folds, n) of every series before every origin."""
    return np.array([[recent_level(v[:len(v) - cut], panel.freq) for v in panel.values] for cut in cuts]
                    ).reshape(len(cuts), len(panel))


def _make(name: str, panel: Panel, horizon: int, seed: int, params: dict):
    kwargs = dict(params or {})
    kwargs.setdefault("season_length", panel.season_length)
    kwargs.setdefault("seed", seed)
    cls = REGISTRY[name]
    if "horizon" in inspect.signature(cls.__init__).parameters:
        kwargs.setdefault("horizon", horizon)  # direct multi-horizon networks are built for h
    return make(name, **kwargs)


def release_memory() -> None:
    """Collect garbage and hand freed heap pages back to the system (glibc ``malloc_trim``).

    Without it the child's resident size only grows: glibc keeps freed memory, so what one model
    freed (ETS's 2,000 fitted series, a network's windows) still counted in the peak of the next."""
    gc.collect()
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        pass


def _forecast(model, panel: Panel, first: bool, h: int, levels, final: bool = False):
    if first or (model.refit_per_origin and not model.is_global):
        model.fit(panel)
    elif final:
        model.refit(panel)
    else:
        model.forward(panel)
    return model.predict(h, levels)


def _series_by_series(name, panel, h, levels, seed, params, log):
    """After a panel-wide failure of a local model: each series on its own, failures isolated."""
    mean = np.full((len(panel), h), np.nan)
    ints = {lvl: (np.full((len(panel), h), np.nan), np.full((len(panel), h), np.nan)) for lvl in levels}
    errors = {}
    for i in range(len(panel)):
        try:
            fc = _make(name, panel, h, seed, params).fit(panel.subset([i])).predict(h, levels)
            mean[i] = fc.mean[0]
            for lvl in levels:
                ints[lvl][0][i], ints[lvl][1][i] = fc.intervals[lvl][0][0], fc.intervals[lvl][1][0]
        except Exception as exc:  # this series only
            errors[i] = f"{type(exc).__name__}: {exc}"
    return mean, ints, errors


def run_model(bt: Backtest, name: str, panel: Panel, levels, seed: int = 0, params: dict | None = None,
              log: list | None = None, tick=None, refit_final: bool = True) -> None:
    """Backtest one model at every fold, then forecast from the panel end; results go into ``bt``.

    ``refit_final=False`` rolls a ``refit_per_origin = False`` model forward to the panel end
    instead of re-estimating it (the behaviour before refitting; kept to measure what it changes)."""
    log = log if log is not None else []
    h, folds = bt.horizon, len(bt.cuts)
    started = time.perf_counter()
    out = np.full((folds, len(panel), h), np.nan)
    failures: dict[int, str] = {}
    model = None
    try:
        model = _make(name, panel, h, seed, params)
    except Exception as exc:
        log.append(f"{name}: cannot be created ({type(exc).__name__}: {exc}); left out")
        bt.failures[name] = {i: "model unavailable" for i in range(len(panel))}
        return
    panels = [panel.cut(c) for c in bt.cuts] + [panel]
    first = True
    for k, p in enumerate(panels):
        try:
            fc = _forecast(model, p, first, h, levels, final=refit_final and k == folds)
            mean, ints = fc.mean, fc.intervals
            first = False
        except Exception as exc:
            if model.is_global:
                log.append(f"{name}: failed at origin {k + 1}/{len(panels)} ({type(exc).__name__}: {exc}); "
                           "left out of this run")
                bt.failures[name] = {i: str(exc) for i in range(len(panel))}
                bt.seconds[name] = time.perf_counter() - started
                return
            mean, ints, errors = _series_by_series(name, p, h, levels, seed, params, log)
            log.append(f"{name}: failed on the whole panel at origin {k + 1}/{len(panels)} "
                       f"({type(exc).__name__}: {exc}); refitted series by series, {len(errors)} failed")
            failures.update(errors)
            first = True  # the panel-wide state is unusable: start afresh at the next origin
            model = _make(name, panel, h, seed, params)
        bad = ~np.isfinite(mean).all(axis=1)
        for i in np.flatnonzero(bad):
            failures.setdefault(int(i), "no finite forecast")
        if k < folds:
            out[k] = np.where(bad[:, None], np.nan, mean)
        else:
            bt.final[name] = np.where(bad[:, None], np.nan, mean)
            bt.own_intervals[name] = ints
        fc = mean = ints = None
        if tick:
            tick(name, k + 1, len(panels))
    bt.forecasts[name] = np.where(np.isfinite(bt.actual), out, np.nan)
    bt.failures[name] = failures
    bt.fitted[name] = model
    try:
        model.release()
    except Exception as exc:  # freeing memory is best effort
        log.append(f"{name}: could not release its memory ({type(exc).__name__}: {exc})")
    out = panels = None
    release_memory()
    bt.seconds[name] = time.perf_counter() - started
    fallbacks = getattr(model, "failures", None)
    if fallbacks:
        log.append(f"{name}: estimation failed on {len(fallbacks)} series, which use their seasonal profile "
                   f"(first: {next(iter(fallbacks.values()))})")
