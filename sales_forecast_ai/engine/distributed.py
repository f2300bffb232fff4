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
time, and a shard is finished as soon as its local part and the global models are done. What a
shard keeps until then -- its panel slice and its local models' forecasts, about (folds + 1) x
shard_size x horizon floats per model -- stays on the worker, for at most PENDING_PER_WORKER shards
per worker (see ``_ShardPlan``), and leaves once the shard is finished. The driver
holds the panel and a shard's results at a time: the global models' outputs wait on disk
(``spilled_outputs``), and with a ``sink`` (the job's ``ResultWriter``) each finished shard's series
leave at once; the networks and LightGBM train in their own process (``global_process``), so their
memory never sits in the driver.

Failures: a task that raises is retried ``retries`` times; a worker that dies makes Dask run its
shard on another worker (``distributed.scheduler.allowed-failures``), and a shard that killed too
many fails the run with that reason. An unreachable scheduler, a lost scheduler or a cluster left
without workers fails the run with a clear message within ``CONNECT_TIMEOUT``/``LOST_TIMEOUT``
seconds: a run never hangs. Cancelling (``RunCancelled``, e.g. SIGTERM in the job) closes the client
and the local cluster; a killed driver takes its local workers with it (their nanny pipe closes).
"""
from __future__ import annotations

import logging
import threading
import time
import uuid

from .backtest import Backtest, fold_actuals, fold_cuts, fold_levels, run_model
from .dask_cluster import ClusterError, Watch, close, connect, count_workers, raise_failed  # noqa: F401 - ClusterError is part of this API
from .fitted_summary import FittedSummary
from .global_process import run_global_models
from .models import REGISTRY
from .panel import Panel
from .pipeline import ENSEMBLE, _clean_panel, _validate, default_models, run_forecast
from .results import PipelineResult
from .shard_merge import merge_shards
from .spilled_outputs import SpilledOutputs

SHARD_SIZE = 500
_POLL = 0.2
WINDOW_PER_WORKER = 2  # tasks of each kind out per worker at a time
PENDING_PER_WORKER = 16  # shards per worker whose local part waits for the global models
# What run_forecast_distributed passes on to each shard's run_forecast.
_RUN_OPTIONS = {"levels", "folds", "models", "metric", "seed", "model_params", "step", "refit_final"}

_logger = logging.getLogger(__name__)


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
                     "fitted": FittedSummary.of(bt.fitted.get(name), name) if done else None}
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
                             shard_size: int = SHARD_SIZE, retries: int = 2, progress=None, sink=None,
                             **run_forecast_kwargs) -> PipelineResult:
    """``pipeline.run_forecast`` on shards of ``shard_size`` series (see the module docstring). With
    ``sink``, each shard's series go to ``sink(start, series)`` as soon as the shard is finished (the
    job writes them out) and the result returned has no ``series``: only its pooled figures."""
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
    spec.sink = sink
    notify = _notifier(progress)
    if len(bounds) == 1 and not address:
        results, glog, timings, where = _run_here(spec, notify)
    else:
        results, glog, timings, where = _run_on_cluster(spec, bounds, address, workers, retries, notify)
    result = merge_shards(results, bounds, spec)
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
        self.sink = None

    def deliver(self, start: int, result: PipelineResult) -> PipelineResult:
        """Hand the shard's series to the sink, if any; what stays is the shard's pooled figures."""
        if self.sink is not None:
            self.sink(start, result.series)
            result.series = []
        return result

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
    result = spec.deliver(0, _shard_finish(spec.horizon, local, outputs, spec.finish_kwargs, progress=notify))
    shards = t_local + result.timings.get("total", 0.0)
    return [result], glog, {"global": t_global, "shards": shards, "workers": 1}, \
        "ran in this process (one shard, no cluster)"


def _run_on_cluster(spec: _Spec, bounds, address, workers, retries, notify) -> tuple:
    client, cluster = connect(address, workers)
    where = f"ran on the Dask scheduler at {address}" if address else \
        f"ran on a local Dask cluster of {len(cluster.workers)} worker process(es)"
    futures, box = {}, {}
    try:
        n_workers = count_workers(client)
        token = uuid.uuid4().hex[:8]

        def tick(name, k, total):  # the global models' steps, at the shards' share of the bar
            notify("backtest", box.get("fraction", 0.0), f"{name} (all series): origin {k}/{total}")

        def run_globals():
            t = time.perf_counter()
            try:
                outputs, glog = spec.globals(tick)
                if outputs:  # on disk until each shard takes its slice (see spilled_outputs)
                    outputs = box["spilled"] = SpilledOutputs(outputs)
                box["outputs"] = outputs, glog
            except BaseException as exc:  # handed to the driver's thread
                box["error"] = exc
            box["seconds"] = time.perf_counter() - t
            box["done_at"] = time.perf_counter()

        thread = threading.Thread(target=run_globals, name="forecast-global-models", daemon=True)
        plan = _ShardPlan(client, spec, bounds, retries, token, futures, max(n_workers, 1))
        t0 = time.perf_counter()
        thread.start()
        watch = Watch(client, address or "the local cluster")
        n, outputs = len(bounds), None
        while plan.finished < n:
            if "error" in box:  # the global models failed: no shard can be finished
                raise box["error"]
            if outputs is None and "outputs" in box:
                outputs, glog = box["outputs"]
            plan.submit_local()
            for k in plan.collect_local():
                box["fraction"] = 0.9 * (len(plan.done_local) + plan.finished) / (2 * n)
                notify("backtest", box["fraction"], f"shard {k + 1}/{n}: per-series models done")
            if outputs is not None:
                plan.submit_finish(outputs)
            for k in plan.collect_finish():
                notify("backtest", 0.9 * (len(plan.done_local) + plan.finished) / (2 * n),
                       f"shard {plan.finished}/{n} done")
            if plan.finished < n:
                watch.check()
                time.sleep(_POLL)
        thread.join()
        # The per-series part: the cluster's wall time, less any wait of idle workers for the global
        # models (which ran meanwhile in their own process and are timed on their own).
        idle = max(0.0, box.get("done_at", t0) - (plan.last_local_at or t0))
        shards = time.perf_counter() - t0 - idle
        n_workers = max(n_workers, count_workers(client))
        return plan.results, glog, {"global": box.get("seconds", 0.0), "shards": shards, "workers": n_workers}, where
    finally:
        close(client, cluster, list(futures.values()))
        if "spilled" in box:
            box["spilled"].close()


class _ShardPlan:
    """Which shard task goes out when. A shard is finished as soon as its local part and the global
    models are done; at most WINDOW_PER_WORKER tasks of each kind run or queue per worker (the panel
    and the global outputs are never serialized whole into the scheduler), and at most
    PENDING_PER_WORKER shards per worker are out at once -- running, or done and waiting for the
    global models with their local outputs (~35 MB each at 500 series x 90 days) -- so a worker's
    memory does not grow with the panel (16,000 x 730 on one worker: 1,492 MiB when every shard
    waited for the last one before any was finished)."""

    def __init__(self, client, spec, bounds, retries, token, futures, n_workers):
        self.client, self.spec, self.bounds, self.retries, self.token = client, spec, bounds, retries, token
        self.futures = futures  # every live future, for cancelling on the way out
        self.window = max(WINDOW_PER_WORKER * n_workers, 4)
        self.pending_cap = max(PENDING_PER_WORKER * n_workers, 1)
        self.local, self.finish = {}, {}  # k -> future
        self.done_local, self.results, self.finished = set(), [None] * len(bounds), 0
        self.last_local_at = None
        self._next = 0

    def submit_local(self):
        running = len(self.local) - len(self.done_local)
        held = len(self.local) - self.finished  # shards whose data is on the workers
        while self._next < len(self.bounds) and running < self.window and held < self.pending_cap:
            k, (a, b) = self._next, self.bounds[self._next]
            self.local[k] = self.futures[("local", k)] = self.client.submit(
                _shard_local, self.spec.panel.subset(range(a, b)), *self.spec.model_args(self.spec.local_names),
                retries=self.retries, pure=False, key=f"sfai-local-{k}-{self.token}")
            self._next += 1
            running += 1
            held += 1

    def collect_local(self) -> list:
        done = []
        for k, f in self.local.items():
            if k not in self.done_local and f.done():
                raise_failed(f, k, self.bounds)
                self.done_local.add(k)
                self.last_local_at = time.perf_counter()
                done.append(k)
        return done

    def submit_finish(self, outputs):
        for k in sorted(self.done_local):
            if len(self.finish) >= self.window:
                return
            if k in self.finish or self.results[k] is not None:
                continue
            a, b = self.bounds[k]
            part = outputs.slice(a, b) if isinstance(outputs, SpilledOutputs) else slice_outputs(outputs, a, b)
            self.finish[k] = self.futures[("finish", k)] = self.client.submit(
                _shard_finish, self.spec.horizon, self.local[k], part,
                self.spec.finish_kwargs, retries=self.retries, pure=False, key=f"sfai-finish-{k}-{self.token}")

    def collect_finish(self) -> list:
        done = []
        for k, f in list(self.finish.items()):
            if f.done():
                raise_failed(f, k, self.bounds)
                self.results[k] = self.spec.deliver(self.bounds[k][0], f.result())
                # the shard's data can leave the workers now
                del self.finish[k], self.futures[("finish", k)], self.futures[("local", k)]
                self.local[k] = None
                self.finished += 1
                done.append(k)
        return done
