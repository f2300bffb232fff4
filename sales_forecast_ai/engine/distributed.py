"""The forecast run on Dask: the panel cut into shards of series, each shard a task.

    run_forecast_distributed(panel, horizon, *, address=None, workers=None, shard_size=SHARD_SIZE,
                             retries=2, progress=None, **run_forecast_kwargs) -> PipelineResult

Shards are consecutive blocks of ``shard_size`` series, whatever the number of workers. Everything
decided across series -- the ensemble's members, each demand group's default champion, the conformal
calibration of the intervals -- is decided within a shard, so a series' results depend on its shard
and never on how many workers ran it or in which order: 1 worker, 2 workers or a remote cluster give
the same numbers, series for series. (Shards depending on the worker count would make a forecast
change with the machine.) A shard of 500 series still pools enough backtest errors per demand group.

Per shard, two tasks: the backtest of the per-series (local) models, which starts at once, then the
finishing -- ensemble, scores, selection, intervals, insights: ``pipeline.run_forecast`` with every
model's outputs ``precomputed`` -- once the global models are done. The global models (the networks,
which learn across series) are fitted ONCE on the whole panel by the driver, in a thread, while the
workers backtest the shards; their outputs are then sliced to each shard's series.

Where it runs: a panel of one shard without ``address`` runs in this process, no cluster; otherwise a
``LocalCluster`` of ``workers`` (default: the CPU count) single-threaded worker processes on
127.0.0.1, or the existing scheduler at ``address``. Pooled scores are combined from each shard's
sums (``PipelineResult.sums``), so they equal those of one run over all series.

Memory: a worker runs one shard at a time (its panel slice, the local models being fitted), so the
models' working memory does not grow with the panel; shards are handed out a few per worker at a
time. What a finished shard keeps until the global models are done -- its panel slice and its local
models' forecasts, about (folds + 1) x shard_size x horizon floats per model -- stays on the worker
(Dask spills it to disk under memory pressure) and leaves once the shard is finished. The driver
holds the panel, the global models' outputs and the gathered per-series results (what the job writes
anyway); once the gproc lane's ``global_process`` lands the networks train in their own process and
their memory never sits in the driver.

Failures: a task that raises is retried ``retries`` times; a worker that dies makes Dask run its
shard on another worker (``distributed.scheduler.allowed-failures``), and a shard that killed too
many fails the run with that reason. An unreachable scheduler, a lost scheduler or a cluster left
without workers fails the run with a clear message within ``CONNECT_TIMEOUT``/``LOST_TIMEOUT``
seconds: a run never hangs. Cancelling (``RunCancelled``, e.g. SIGTERM in the job) closes the client
and the local cluster; a killed driver takes its local workers with it (their nanny pipe closes).
"""
from __future__ import annotations

import logging
import os
import threading
import time
import uuid

from .backtest import Backtest, fold_actuals, fold_cuts, fold_levels, run_model
from .global_process import run_global_models
from .metrics import add_sums, empty_sums, pooled_from_sums
from .models import REGISTRY
from .panel import Panel
from .pipeline import ENSEMBLE, _clean_panel, _validate, default_models, run_forecast, weighted_mean
from .results import PipelineResult

SHARD_SIZE = 500
CONNECT_TIMEOUT = 20  # seconds to reach a scheduler before the run fails, naming it
LOST_TIMEOUT = 30  # seconds without a scheduler connection or without any worker before the run fails
_POLL = 0.2
_CHECK_EVERY = 2.0  # seconds between two looks at the cluster's health
# What run_forecast_distributed passes on to each shard's run_forecast.
_RUN_OPTIONS = {"levels", "folds", "models", "metric", "seed", "model_params", "step", "refit_final"}

_logger = logging.getLogger(__name__)


class ClusterError(RuntimeError):
    """The cluster cannot run the forecast (unreachable, lost, out of workers, a shard killing workers)."""


class FittedSummary:
    """A picklable stand-in for a fitted model, with what the pipeline reads after the backtest."""

    def __init__(self, model=None):
        try:
            count = getattr(model, "n_params", 0)
            self._n_params = int(count() if callable(count) else count)  # a method, or another stand-in's value
        except Exception:  # a model without its count reports none, as in pipeline._model_info
            self._n_params = 0
        self.min_history = int(getattr(model, "min_history", 1) or 1)
        for attr in ("rmse_train", "rmse_val"):
            value = getattr(model, attr, None)
            setattr(self, attr, float(value) if value is not None else None)

    def n_params(self) -> int:
        return self._n_params


def shard_bounds(n: int, shard_size: int = SHARD_SIZE) -> list:
    """(start, stop) of each shard: consecutive blocks of ``shard_size`` series."""
    size = max(int(shard_size), 1)
    return [(start, min(start + size, n)) for start in range(0, n, size)] or [(0, 0)]


def model_outputs(bt: Backtest, names) -> dict:
    """What each model of ``names`` left in ``bt``, as ``run_forecast(precomputed=...)`` takes it. A
    model that could not run has ``final`` None: it stays out, with its failures, and is not run again."""
    out = {}
    for name in names:
        done = name in bt.final
        out[name] = {"forecasts": bt.forecasts.get(name) if done else None, "final": bt.final.get(name),
                     "own_intervals": bt.own_intervals.get(name, {}) if done else {},
                     "failures": bt.failures.get(name, {}), "seconds": bt.seconds.get(name, 0.0),
                     "fitted": FittedSummary(bt.fitted.get(name)) if done else None}
    return out


def slice_outputs(outputs: dict, start: int, stop: int) -> dict:
    """``model_outputs`` of a panel cut down to its series ``start:stop`` (indices renumbered)."""
    def cut(a, axis=0):
        return None if a is None else (a[:, start:stop] if axis else a[start:stop])

    return {name: {"forecasts": cut(out["forecasts"], 1), "final": cut(out["final"]),
                   "own_intervals": {lvl: (cut(lo), cut(hi)) for lvl, (lo, hi) in out["own_intervals"].items()},
                   "failures": {i - start: msg for i, msg in out["failures"].items() if start <= i < stop},
                   "seconds": out["seconds"], "fitted": out["fitted"]}
            for name, out in outputs.items()}


def _backtest_frame(panel: Panel, horizon: int, folds: int, step) -> tuple:
    clean, _missing = _clean_panel(panel)
    cuts = fold_cuts(folds, horizon, step)
    actual, scale = fold_actuals(clean, cuts, horizon)
    return clean, Backtest(cuts, horizon, actual, scale, fold_levels(clean, cuts))


def _run_models(panel: Panel, names, horizon: int, folds: int, step, levels, seed: int, model_params,
                refit_final: bool, tick=None) -> tuple:
    """Backtest ``names`` on ``panel`` as the pipeline does; (model_outputs, log lines)."""
    clean, bt = _backtest_frame(panel, horizon, folds, step)
    log = []
    for name in names:
        run_model(bt, name, clean, levels, seed, (model_params or {}).get(name), log, tick, refit_final)
    return model_outputs(bt, names), log


def _run_globals(panel: Panel, names, horizon: int, folds: int, step, levels, seed: int, model_params,
                 refit_final: bool, tick=None) -> tuple:
    """The global models, once, on the whole panel; (model_outputs, log lines)."""
    clean, bt = _backtest_frame(panel, horizon, folds, step)
    log = []
    # In their own lean process, so TensorFlow's memory never enters the driver.
    run_global_models(bt, names, clean, levels, seed, model_params or {}, log, tick, refit_final)
    return model_outputs(bt, names), log


def _shard_local(panel: Panel, names, horizon, folds, step, levels, seed, model_params, refit_final,
                 tick=None) -> dict:
    """Task: the shard's per-series models. The panel goes along to the finishing task, which runs
    where this result is (no second copy from the driver)."""
    started = time.perf_counter()
    outputs, log = _run_models(panel, names, horizon, folds, step, levels, seed, model_params, refit_final, tick)
    return {"panel": panel, "outputs": outputs, "log": log, "seconds": time.perf_counter() - started}


def _shard_finish(horizon, local: dict, global_outputs, kwargs, progress=None) -> PipelineResult:
    """Task: ensemble, scores, selection, intervals and insights of the shard, every model precomputed."""
    result = run_forecast(local["panel"], horizon, precomputed={**local["outputs"], **global_outputs},
                          progress=progress, **kwargs)
    result.log[:0] = local["log"]
    result.timings["local models"] = local["seconds"]
    return result


def run_forecast_distributed(panel: Panel, horizon: int, *, address: str | None = None, workers: int | None = None,
                             shard_size: int = SHARD_SIZE, retries: int = 2, progress=None,
                             **run_forecast_kwargs) -> PipelineResult:
    """``pipeline.run_forecast`` on shards of ``shard_size`` series (see the module docstring)."""
    started = time.perf_counter()
    kwargs = dict(run_forecast_kwargs)
    if not isinstance(panel, Panel):
        raise TypeError(f"panel must be an engine Panel, not {type(panel).__name__}")
    if int(shard_size) != shard_size or shard_size < 1:
        raise ValueError(f"shard_size must be a whole number >= 1, got {shard_size!r}")
    if workers is not None and (int(workers) != workers or workers < 0):
        raise ValueError(f"workers must be a whole number >= 0, got {workers!r}")
    if int(retries) != retries or retries < 0:
        raise ValueError(f"retries must be a whole number >= 0, got {retries!r}")
    unknown = set(kwargs) - _RUN_OPTIONS
    if unknown:
        raise TypeError(f"unknown option(s) {', '.join(sorted(unknown))}; use {', '.join(sorted(_RUN_OPTIONS))}")
    address = (address or "").strip() or None
    names = list(kwargs.pop("models", None) or default_models())
    # Bad parameters fail here, at once, rather than in every task on a worker.
    _validate(panel, horizon, tuple(kwargs.get("levels", (80, 95))), kwargs.get("folds", 2), names,
              kwargs.get("metric", "mase"), kwargs.get("step"))
    global_names = [m for m in names if m != ENSEMBLE and REGISTRY[m].is_global]
    local_names = [m for m in names if m != ENSEMBLE and m not in global_names]
    bounds = shard_bounds(len(panel), shard_size)
    spec = _Spec(panel, int(horizon), names, global_names, local_names, kwargs)
    notify = _notifier(progress)
    if len(bounds) == 1 and not address:
        results, glog, timings, where = _run_here(spec, notify)
    else:
        results, glog, timings, where = _run_on_cluster(spec, bounds, address, workers, retries, notify)
    result = _merge(results, bounds, spec)
    result.log[:0] = [where] + glog
    result.timings.update(timings, shards_count=len(bounds), total=time.perf_counter() - started)
    notify("done", 1.0, f"done in {result.timings['total']:.1f} s")
    return result


class _Spec:
    """The run's parameters, split the way the tasks take them."""

    def __init__(self, panel, horizon, names, global_names, local_names, kwargs):
        self.panel, self.horizon, self.names = panel, horizon, names
        self.global_names, self.local_names = global_names, local_names
        self.levels = tuple(kwargs.get("levels", (80, 95)))
        self.folds, self.step = int(kwargs.get("folds", 2)), kwargs.get("step")
        self.seed, self.model_params = kwargs.get("seed", 0), kwargs.get("model_params") or {}
        self.refit_final = kwargs.get("refit_final", True)
        self.finish_kwargs = dict(kwargs, models=names)

    def model_args(self, names):
        return (names, self.horizon, self.folds, self.step, self.levels, self.seed, self.model_params,
                self.refit_final)

    def globals(self, tick=None) -> tuple:
        if not self.global_names:
            return {}, []
        return _run_globals(self.panel, *self.model_args(self.global_names), tick=tick)


def _notifier(progress):
    """The caller's progress callback; the bar never goes back (a shard's finishing starts at 0)."""
    last = [0.0]

    def notify(phase, fraction, message):
        if progress is None:
            return
        last[0] = min(max(float(fraction), last[0]), 1.0)
        try:
            progress(phase, last[0], message)
        except Exception:  # a broken display must not stop the run (RunCancelled is no Exception)
            _logger.warning("progress callback failed", exc_info=True)
    return notify


def _run_here(spec: _Spec, notify) -> tuple:
    """One shard, no cluster: the same steps in this process, with the pipeline's progress."""
    units, done = max((len(spec.local_names) + len(spec.global_names)) * (spec.folds + 1), 1), [0]

    def tick(name, k, total):
        done[0] += 1
        notify("backtest", 0.02 + 0.9 * done[0] / units, f"{name}: origin {k}/{total}")

    t0 = time.perf_counter()
    notify("backtest", 0.02, f"{len(spec.panel)} series")
    local = _shard_local(spec.panel, *spec.model_args(spec.local_names), tick=tick)
    t_local = time.perf_counter() - t0
    t1 = time.perf_counter()
    outputs, glog = spec.globals(tick)
    t_global = time.perf_counter() - t1
    result = _shard_finish(spec.horizon, local, outputs, spec.finish_kwargs, progress=notify)
    shards = t_local + result.timings.get("total", 0.0)
    return [result], glog, {"global": t_global, "shards": shards, "workers": 1}, \
        "ran in this process (one shard, no cluster)"


def _connect(address, workers):
    """(client, cluster or None); a scheduler that cannot be reached fails within CONNECT_TIMEOUT."""
    from distributed import Client, LocalCluster

    if address:
        try:
            return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {address} within {CONNECT_TIMEOUT} s "
                               f"({type(exc).__name__}: {exc})") from None
    # No dashboard; the scheduler's small HTTP server (health, metrics) on a free loopback port.
    cluster = LocalCluster(n_workers=int(workers or os.cpu_count() or 1), threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None, silence_logs=logging.WARNING,
                           scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
    try:
        return Client(cluster, set_as_default=False), cluster
    except BaseException:
        cluster.close()
        raise


def _run_on_cluster(spec: _Spec, bounds, address, workers, retries, notify) -> tuple:
    client, cluster = _connect(address, workers)
    where = f"ran on the Dask scheduler at {address}" if address else \
        f"ran on a local Dask cluster of {len(cluster.workers)} worker process(es)"
    futures = {}
    try:
        n_workers = _count_workers(client)
        # Shards go out a few per worker at a time: the panel is not copied whole into the scheduler,
        # and a worker never queues more than it is about to run.
        window = max(2 * n_workers, 4)
        token = uuid.uuid4().hex[:8]
        t0 = time.perf_counter()
        box = {}

        def tick(name, k, total):  # the global models' steps, at the shards' share of the bar
            notify("backtest", box.get("fraction", 0.0), f"{name} (all series): origin {k}/{total}")

        def run_globals():
            t = time.perf_counter()
            try:
                box["outputs"] = spec.globals(tick)
            except BaseException as exc:  # handed to the driver's thread
                box["error"] = exc
            box["seconds"] = time.perf_counter() - t

        thread = threading.Thread(target=run_globals, name="forecast-global-models", daemon=True)
        thread.start()
        total, n = 2 * len(bounds), len(bounds)
        watch = _Watch(client, address or "the local cluster")
        local, done_local, local_wall = {}, set(), 0.0
        while thread.is_alive() or len(done_local) < n:
            if "error" in box:  # the global models failed: no shard can be finished
                raise box["error"]
            while len(local) < n and len(local) - len(done_local) < window:
                k = len(local)
                a, b = bounds[k]
                local[k] = futures[("local", k)] = client.submit(
                    _shard_local, spec.panel.subset(range(a, b)), *spec.model_args(spec.local_names),
                    retries=retries, pure=False, key=f"sfai-local-{k}-{token}")
            for k, f in local.items():
                if k not in done_local and f.done():
                    _raise_failed(f, k, bounds)
                    done_local.add(k)
                    local_wall = time.perf_counter() - t0
                    box["fraction"] = 0.9 * len(done_local) / total
                    notify("backtest", box["fraction"], f"shard {k + 1}/{n}: per-series models done")
            watch.check()
            time.sleep(_POLL)
        if "error" in box:
            raise box["error"]
        outputs, glog = box["outputs"]
        t1 = time.perf_counter()
        finish = {k: client.submit(_shard_finish, spec.horizon, local[k], slice_outputs(outputs, a, b),
                                   spec.finish_kwargs, retries=retries, pure=False, key=f"sfai-finish-{k}-{token}")
                  for k, (a, b) in enumerate(bounds)}
        futures.update({("finish", k): f for k, f in finish.items()})
        results = [None] * n
        while finish:
            for k, f in list(finish.items()):
                if f.done():
                    _raise_failed(f, k, bounds)
                    results[k] = f.result()
                    # the shard's data can leave the workers now
                    del finish[k], futures[("finish", k)], futures[("local", k)], local[k]
                    notify("backtest", 0.9 * (2 * n - len(finish)) / total, f"shard {n - len(finish)}/{n} done")
            if finish:
                watch.check()
                time.sleep(_POLL)
        # the per-series part: the local models' wall time, then the finishing's (the global models
        # ran meanwhile and are timed on their own)
        shards = local_wall + time.perf_counter() - t1
        n_workers = max(n_workers, _count_workers(client))
        return results, glog, {"global": box.get("seconds", 0.0), "shards": shards, "workers": n_workers}, where
    finally:
        _close(client, cluster, list(futures.values()))


def _count_workers(client) -> int:
    try:
        return len(client.sync(client.scheduler.identity, n_workers=-1, callback_timeout=5).get("workers", {}))
    except Exception:  # the scheduler went away mid-call, or does not answer
        return 0


class _Watch:
    """Fails the run when the scheduler is unreachable or no worker is left for LOST_TIMEOUT seconds."""

    def __init__(self, client, where: str):
        self.client, self.where = client, where
        self.since, self.last = None, 0.0

    def check(self):
        if time.monotonic() - self.last < _CHECK_EVERY:
            return
        self.last = time.monotonic()
        status = self.client.status
        if status in ("closed", "closing"):
            raise ClusterError(f"the connection to the Dask scheduler at {self.where} was closed")
        if status == "running" and _count_workers(self.client):
            self.since = None
            return
        self.since = self.since or time.monotonic()
        if time.monotonic() - self.since > LOST_TIMEOUT:
            what = "no worker" if status == "running" else "no connection to the scheduler"
            raise ClusterError(f"{what} at {self.where} for {LOST_TIMEOUT} s: the forecast was stopped")


def _raise_failed(future, k: int, bounds):
    if future.status != "error":
        return
    from distributed.scheduler import KilledWorker

    exc = future.exception()
    a, b = bounds[k]
    where = f"shard {k + 1}/{len(bounds)} (series {a + 1} to {b})"
    if isinstance(exc, KilledWorker):
        raise ClusterError(f"a Dask worker died {exc.allowed_failures + 1} times on {where}; "
                           f"last on {exc.last_worker.address}") from None
    raise ClusterError(f"{where} failed: {type(exc).__name__}: {exc}") from exc


def _close(client, cluster, futures):
    try:
        if futures and client.status == "running":
            client.cancel(futures, force=True)
    except Exception:  # the cluster may already be gone
        pass
    try:
        client.close(timeout=10)
    except Exception:
        _logger.warning("closing the Dask client failed", exc_info=True)
    if cluster is not None:
        try:
            cluster.close(timeout=20)
        except Exception:
            _logger.warning("closing the local Dask cluster failed", exc_info=True)


def _merge(results: list, bounds, spec: _Spec) -> PipelineResult:
    """One PipelineResult from the shards' results, series in the panel's order."""
    if len(results) == 1:
        return results[0]
    first = results[0]
    series = [s for r in results for s in r.series]
    pooled = {}
    for m in spec.names:
        parts = [r for r in results if m in r.pooled]
        if not parts:
            continue
        sums = empty_sums()
        for r in parts:
            sums = add_sums(sums, r.sums["pooled"][m])
        entry = dict(parts[0].pooled[m])  # family, rmse_train/val (a global model's, the same in every shard)
        entry.update(pooled_from_sums(sums))
        entry["wins"] = sum(r.pooled[m].get("wins", 0) for r in parts)
        if m not in spec.global_names:  # local models ran once per shard: their time adds up
            entry["seconds"] = round(sum(r.pooled[m].get("seconds", 0.0) for r in parts), 3)
        # parameters per series (local) or of the network (global): the same in every shard, but an
        # ensemble's members may differ by shard; the largest count is reported
        entry["n_params"] = max(int(r.pooled[m].get("n_params", 0)) for r in parts)
        for lvl in spec.levels:
            cov = [r.sums["coverage"][m][lvl] for r in parts if m in r.sums.get("coverage", {})]
            if cov:
                entry[f"coverage_{lvl:g}"] = weighted_mean((sum(c[0] for c in cov), sum(c[1] for c in cov)))
        pooled[m] = entry
    log = [f"shard {k + 1}/{len(results)} (series {a + 1} to {b}): {line}"
           for k, (r, (a, b)) in enumerate(zip(results, bounds)) for line in r.log]
    timings = {}
    for r in results:
        for key, value in r.timings.items():
            if key.startswith("model ") and key[6:] in spec.global_names:
                timings[key] = value
            elif isinstance(value, (int, float)):
                timings[key] = timings.get(key, 0.0) + value
    out = PipelineResult(series, pooled, timings, first.levels, first.horizon, first.freq, log)
    out.sums = {"pooled": {m: _total(results, ("pooled", m)) for m in pooled},
                "champion": _total(results, ("champion",)),
                "champion_in_sample": _total(results, ("champion_in_sample",))}
    out.champion_scores = pooled_from_sums(out.sums["champion"])
    out.champion_scores_in_sample = pooled_from_sums(out.sums["champion_in_sample"]) \
        if any("champion_in_sample" in r.sums for r in results) else {}
    for lvl in spec.levels:
        cov = [r.sums["champion_coverage"][lvl] for r in results if lvl in r.sums.get("champion_coverage", {})]
        if cov:
            out.coverage[lvl] = weighted_mean((sum(c[0] for c in cov), sum(c[1] for c in cov)))
    return out


def _total(results, path) -> dict:
    total = empty_sums()
    for r in results:
        node = r.sums
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if node:
            total = add_sums(total, node)
    return total

