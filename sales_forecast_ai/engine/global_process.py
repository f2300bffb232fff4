"""The global models (the four networks, and any model with ``is_global``) in one lean child process.

    run_global_models(bt, names, panel, levels, seed, model_params, log, tick=None, refit_final=True,
                      isolate=True)

fills, for every name, what ``backtest.run_model`` fills: ``bt.forecasts``, ``bt.final``,
``bt.own_intervals``, ``bt.failures``, ``bt.seconds``, and in ``bt.fitted`` a picklable
``FittedSummary`` (n_params, min_history, rmse_train, rmse_val) instead of the trained model.

Why a child: ``import tensorflow`` alone is ~640 MB resident, and what TensorFlow allocates is
never given back while the process lives. With ``isolate=True`` every global model runs in ONE
``python -m sales_forecast_ai.engine.global_child DIR`` process that imports numpy, the panel and
the model code only (never statsforecast, scipy or the pipeline), so the job process never holds
TensorFlow and its own peak stays that of the local models. ``isolate=False`` runs the same code
in-process (same results, bit for bit: both paths store the outputs as float32).

DIR is a private temporary directory (``tempfile.mkdtemp``, mode 0700) holding, every file written
whole (temporary name, then ``os.replace``):

  input.json         names, model classes' modules, levels, seed, params, cuts, horizon, panel calendar
  values.npy         every series end to end (float32 when that loses nothing, else float64)
  lengths.npy        length of each series
  out-<i>.npz/json   model i's outputs (float32 arrays) and summary, written as soon as it is done and
                     read and deleted by the parent right away: neither side ever holds every model's
                     outputs at once
  status.json        the child's last word: peak resident memory (VmHWM) and seconds
  child.log          the child's stdout and stderr (TensorFlow's own messages)

Messages go from the child to the parent as JSON lines on a private pipe (``--fd``): ``start``,
``tick`` (an origin done, for the progress bar) and ``done``. The parent reads them with a timeout
and checks that the child lives, so a child killed by the kernel (out of memory) or crashing never
leaves it waiting: the model it was training fails with a clear log line, and a fresh child takes
the models left. A RunCancelled (SIGTERM of the job, or the progress callback) kills and reaps the
child before it propagates. The child dies with its parent (PR_SET_PDEATHSIG, and a check of its
parent's pid at start).

Memory (tests/benchmarks/bench_engine.py --memory / --global-scale, horizon 90, 2 folds, all models;
one process did everything before, 865 MB on 81 series and 1,162 MB on 2,000 x 730): job 259 MB and
child 570 MB on 81 x 730; job 530 MB and child 585 MB on 2,000 x 730; the child 1,282 MB on
50,000 x 730 with the four networks. What keeps the child low: Keras without scikit-learn, the pages of
TensorFlow's libraries that only its import used handed back (neural_architectures.tf_modules), a fixed
mmap threshold, windows built by blocks of series (features.ChunkedPanelWindows).
"""
from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

import numpy as np

from .fitted_summary import FittedSummary
from .global_child import CHILD_MODULE, FD_ENV, _run_one, _save_npy, _write_json

POLL_SECONDS = 1.0
# How much lower the child's CPU priority is than its caller's. 0: the global models and the shards share
# the cores as equals, the fastest whole run, since no shard can be finished before the networks are done;
# bench_scale.py --global-nice measures the alternative (its docstring has the figures).
CHILD_NICE = 0
KILL_WAIT_SECONDS = 10.0
DIR_PREFIX = "sfai-global-"
# What tempfile.mkdtemp makes of DIR_PREFIX + pid + "-" (also spilled_outputs' "<pid>-outputs-"): the pid.
_STALE_DIR = re.compile(re.escape(DIR_PREFIX) + r"(\d+)-[A-Za-z0-9_-]+")
_PACKAGE = __name__.rsplit(".", 1)[0]  # sales_forecast_ai.engine, or odoo.addons.sales_forecast_ai.engine


# -- parent side ---------------------------------------------------------------------------------
def run_global_models(bt, names, panel, levels, seed: int = 0, model_params=None, log: list | None = None,
                      tick=None, refit_final: bool = True, isolate: bool = True) -> None:
    """Backtest and forecast every global model of ``names`` into ``bt`` (see the module docstring)."""
    log = log if log is not None else []
    names = list(names)
    model_params = dict(model_params or {})
    if not names:
        return
    if not isolate:
        for name in names:
            arrays, meta = _run_one(name, panel, bt.cuts, bt.horizon, levels, seed, model_params.get(name),
                                    refit_final, tick)
            _store(bt, name, arrays, meta, log)
            arrays = meta = None
        return
    here = [n for n in names if not _loadable_in_child(n)]
    for name in here:
        log.append(f"{name}: its class cannot be imported by a child process (defined in __main__ or in a "
                   "function); trained in this process")
    run_global_models(bt, here, panel, levels, seed, model_params, log, tick, refit_final, isolate=False)
    left = [n for n in names if n not in here]
    while left:
        left = _run_child(bt, left, panel, levels, seed, model_params, log, tick, refit_final)


def _run_child(bt, names, panel, levels, seed, model_params, log, tick, refit_final) -> list:
    """One child for ``names``; returns the names still to run after a crash (a fresh child runs them)."""
    from .job import child_env

    _sweep_stale_dirs(tempfile.gettempdir())
    tmp = tempfile.mkdtemp(prefix=f"{DIR_PREFIX}{os.getpid()}-")
    child, read_fd = None, None
    try:
        _write_input(tmp, names, panel, bt, levels, seed, model_params, refit_final)
        env = child_env(tmp)
        read_fd, write_fd = os.pipe()
        env[FD_ENV] = str(write_fd)
        with open(os.path.join(tmp, "child.log"), "ab") as out:
            try:
                child = subprocess.Popen(
                    [sys.executable, "-m", CHILD_MODULE, "--parent", str(os.getpid()), "--nice", str(CHILD_NICE),
                     tmp],
                    cwd=tmp, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                    pass_fds=(write_fd,), close_fds=True)
            finally:
                os.close(write_fd)  # only the child writes: its death closes the pipe
        started, running, done = {}, None, set()
        for msg in _messages(read_fd, child):
            kind, name = msg.get("kind"), msg.get("name")
            if kind == "start":
                running, started[name] = name, time.perf_counter()
            elif kind == "tick" and tick:
                tick(name, int(msg["k"]), int(msg["total"]))
            elif kind == "done":
                arrays, meta = _read_output(tmp, int(msg["index"]))
                _store(bt, name, arrays, meta, log)
                arrays = meta = None
                done.add(name)
                running = None
            elif kind == "status":
                peak = float(msg["peak_rss_mb"])
                bt.global_peak_rss_mb = max(getattr(bt, "global_peak_rss_mb", 0.0), peak)
                log.append(f"global models ({', '.join(names)}) ran in their own process (pid {child.pid}): "
                           f"peak RSS {peak:.0f} MB")
        code = child.wait()
        left = [n for n in names if n not in done]
        if not left:
            return []
        why = _exit_reason(code) + _log_tail(tmp)
        if running is None and not started:
            for name in left:  # died before training anything: a fresh child would die the same way
                _fail(bt, name, f"{name}: the global-model process ended before training it ({why}); left out of "
                                "this run", log, 0.0)
            return []
        if running is None:  # died between two models: run the rest again
            log.append(f"global models: the process ended between two models ({why}); restarting it for "
                       f"{', '.join(left)}")
            return left
        _fail(bt, running, f"{running}: the global-model process died while training it ({why}); left out of this "
                           "run, the other models carry on", log, time.perf_counter() - started[running])
        return [n for n in left if n != running]
    finally:
        if read_fd is not None:
            os.close(read_fd)
        if child is not None and child.poll() is None:
            _kill(child)  # cancelled, or the parent failed: no training left behind
        shutil.rmtree(tmp, ignore_errors=True)


def _sweep_stale_dirs(root: str) -> list:
    """Remove the work directories left by a caller that was killed outright (SIGKILL: no ``finally``),
    e.g. a 146 MB panel at 50,000 series; only ours (same user) and only when their pid is gone."""
    removed = []
    try:
        names = os.listdir(root)
    except OSError:
        return removed
    for name in names:
        match = _STALE_DIR.fullmatch(name)
        if not match:
            continue
        path = os.path.join(root, name)  # a name of our own pattern, in the root we were given
        try:
            st = os.lstat(path)
            if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
                continue
            os.kill(int(match.group(1)), 0)
        except ProcessLookupError:  # its process is gone: nobody will read or remove it
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        except OSError:  # gone meanwhile, or its process lives (maybe under another user)
            continue
    return removed


def _messages(fd: int, child):
    """JSON lines from the child until it closes the pipe (it exited), polling its liveness."""
    buffer = b""
    while True:
        ready, _, _ = select.select([fd], [], [], POLL_SECONDS)
        if not ready:
            if child.poll() is not None:
                # Exited, but a process it forked may still hold the pipe: read what is there and stop.
                ready, _, _ = select.select([fd], [], [], 0)
                if not ready:
                    return
            else:
                continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return
        buffer += chunk
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line.strip():
                yield json.loads(line)


def _kill(child) -> None:
    """SIGKILL (a training step does not look at signals) and reap."""
    try:
        child.kill()
    except ProcessLookupError:
        pass
    try:
        child.wait(KILL_WAIT_SECONDS)
    except subprocess.TimeoutExpired:  # uninterruptible sleep (D state): the kernel reaps it later
        pass


def _exit_reason(code: int) -> str:
    if code is not None and code < 0:
        try:
            sig = signal.Signals(-code).name
        except ValueError:
            sig = f"signal {-code}"
        hint = ", most likely out of memory" if -code == signal.SIGKILL else ""
        return f"killed by {sig}{hint}"
    return f"exit code {code}"


def _log_tail(tmp: str, lines: int = 3) -> str:
    try:
        with open(os.path.join(tmp, "child.log"), "rb") as fh:
            fh.seek(max(0, os.path.getsize(fh.name) - 2000))
            text = fh.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return ""
    text = [t.strip() for t in text if t.strip()][-lines:]
    return f"; last output: {' | '.join(text)}" if text else ""


def _fail(bt, name: str, message: str, log: list, seconds: float) -> None:
    log.append(message)
    bt.failures[name] = {i: message for i in range(bt.actual.shape[1])}
    bt.seconds[name] = seconds


def _loadable_in_child(name: str) -> bool:
    from .models.base import REGISTRY

    cls = REGISTRY[name]
    module = sys.modules.get(cls.__module__)
    return (cls.__module__ != "__main__" and "<locals>" not in cls.__qualname__
            and getattr(module, "__file__", None) is not None)


def _module_of(name: str) -> tuple[str, str, str]:
    """(module to import in the child, directory to add to its path or "", class name in the module)."""
    from .models.base import REGISTRY

    cls = REGISTRY[name]
    module, qualname = cls.__module__, cls.__qualname__
    if module == _PACKAGE or module.startswith(_PACKAGE + "."):
        return CHILD_MODULE.rsplit(".", 1)[0] + module[len(_PACKAGE):], "", qualname

    # A model defined outside the engine (a test's): its package root goes at the END of the child's path.
    path = os.path.abspath(sys.modules[module].__file__)
    root = os.path.dirname(path)
    for _ in range(module.count(".")):
        root = os.path.dirname(root)
    return module, root, qualname


def _write_input(tmp, names, panel, bt, levels, seed, model_params, refit_final) -> None:
    modules = {name: _module_of(name) for name in names}
    lengths = np.array([len(v) for v in panel.values], dtype=np.int64)
    # Whole units (and halves, quarters...) are exact in float32: half the size. Checked and copied series
    # by series, so the parent never holds a float64 copy of the whole panel (292 MB at 50,000 x 730).
    exact = all(np.array_equal(v, v.astype(np.float32), equal_nan=True) for v in panel.values)
    flat = np.empty(int(lengths.sum()), np.float32 if exact else np.float64)
    for v, start in zip(panel.values, np.cumsum(lengths) - lengths):
        flat[start:start + len(v)] = v
    _save_npy(os.path.join(tmp, "values.npy"), flat)
    _save_npy(os.path.join(tmp, "lengths.npy"), lengths)
    flat = None
    _write_json(os.path.join(tmp, "input.json"), {
        "names": names, "modules": {n: [m, q] for n, (m, _, q) in modules.items()},
        "paths": sorted({p for _, p, _ in modules.values() if p}), "levels": list(levels), "seed": int(seed),
        "model_params": {n: model_params.get(n) for n in names}, "refit_final": bool(refit_final),
        "cuts": [int(c) for c in bt.cuts], "horizon": int(bt.horizon),
        "keys": [list(k) if isinstance(k, (tuple, list)) else [k] for k in panel.keys],
        "end": panel.end.isoformat(), "freq": panel.freq, "country": panel.country,
    })


def _read_output(tmp: str, index: int) -> tuple[dict, dict]:
    base = os.path.join(tmp, f"out-{index}")
    with open(base + ".json", encoding="utf-8") as fh:
        meta = json.load(fh)
    arrays = {}
    if meta.get("has_arrays"):
        with np.load(base + ".npz") as npz:
            arrays = {k: npz[k] for k in npz.files}
    for ext in (".json", ".npz"):
        try:
            os.unlink(base + ext)
        except FileNotFoundError:
            pass
    return arrays, meta


def _store(bt, name: str, arrays: dict, meta: dict, log: list) -> None:
    """Put one model's outputs into ``bt`` as ``run_model`` would have."""
    log.extend(meta.get("log", []))
    bt.seconds[name] = float(meta.get("seconds", 0.0))
    failures = {int(i): msg for i, msg in (meta.get("failures") or {}).items()}
    if meta.get("failed_all") is not None:
        failures = {i: meta["failed_all"] for i in range(bt.actual.shape[1])}
    bt.failures[name] = failures
    if not arrays:
        return
    bt.forecasts[name] = np.where(np.isfinite(bt.actual), arrays["forecasts"], np.float32(np.nan))
    bt.final[name] = arrays["final"]
    bt.own_intervals[name] = {lvl: (arrays[f"lo_{lvl}"], arrays[f"hi_{lvl}"]) for lvl in meta["levels"]}
    summary = meta.get("summary")
    if summary is not None:
        bt.fitted[name] = FittedSummary(**summary)
