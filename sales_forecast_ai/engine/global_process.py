"""The global models (the four networks, and any model with ``is_global``) in one lean child process.

    run_global_models(bt, names, panel, levels, seed, model_params, log, tick=None, refit_final=True,
                      isolate=True)

fills, for every name, what ``backtest.run_model`` fills: ``bt.forecasts``, ``bt.final``,
``bt.own_intervals``, ``bt.failures``, ``bt.seconds``, and in ``bt.fitted`` a picklable
``FittedSummary`` (n_params, min_history, rmse_train, rmse_val) instead of the trained model.

Why a child: ``import tensorflow`` alone is ~640 MB resident, and what TensorFlow allocates is
never given back while the process lives. With ``isolate=True`` every global model runs in ONE
``python -m sales_forecast_ai.engine.global_process DIR`` process that imports numpy, the panel and
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

import ctypes
import ctypes.util
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

import numpy as np

CHILD_MODULE = "sales_forecast_ai.engine.global_process"
FD_ENV = "SALES_FORECAST_GLOBAL_FD"
POLL_SECONDS = 1.0
KILL_WAIT_SECONDS = 10.0
DIR_PREFIX = "sfai-global-"
# Keras imports scikit-learn for its wrappers when it can (58 MB resident measured here, 627 -> 569 MB
# after importing TensorFlow); no global model uses it, and Keras carries on without it.
NOT_IN_CHILD = ("sklearn",)
_PACKAGE = __name__.rsplit(".", 1)[0]  # sales_forecast_ai.engine, or odoo.addons.sales_forecast_ai.engine


@dataclass
class FittedSummary:
    """What the pipeline reads of a fitted global model, without the model (picklable, tiny)."""

    name: str
    n_params_: int = 0
    min_history: int = 1
    rmse_train: float | None = None
    rmse_val: float | None = None

    def n_params(self) -> int:
        return self.n_params_


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
                    [sys.executable, "-m", CHILD_MODULE, "--parent", str(os.getpid()), tmp],
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
        entries = list(os.scandir(root))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.startswith(DIR_PREFIX):
            continue
        try:
            pid = int(entry.name[len(DIR_PREFIX):].split("-", 1)[0])
            if not entry.is_dir(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
            os.kill(pid, 0)
        except ProcessLookupError:  # its process is gone: nobody will read or remove it
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.path)
        except (ValueError, OSError):  # not one of ours, or its process lives (maybe under another user)
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


# -- the work itself (the child, or in-process) -----------------------------------------------------
class _Placeholder:
    """A Backtest for ``run_model`` in the child: no actuals (the parent masks with its own)."""

    def __init__(self, cuts, horizon):
        self.cuts, self.horizon = list(cuts), int(horizon)
        self.actual = np.zeros((len(self.cuts), 1, 1))  # finite: run_model's mask keeps every value
        self.forecasts, self.final, self.own_intervals = {}, {}, {}
        self.failures, self.fitted, self.seconds = {}, {}, {}


def _run_one(name, panel, cuts, horizon, levels, seed, params, refit_final, tick) -> tuple[dict, dict]:
    """``run_model`` for one global model; its outputs as float32 arrays and a JSON-able summary."""
    from .backtest import release_memory, run_model

    levels = [int(lvl) if float(lvl).is_integer() else float(lvl) for lvl in levels]
    bt, log = _Placeholder(cuts, horizon), []
    run_model(bt, name, panel, tuple(levels), seed, params, log, tick, refit_final)
    failures = bt.failures.get(name, {})
    messages = set(failures.values())
    meta = {"log": log, "seconds": bt.seconds.get(name, 0.0), "levels": levels, "has_arrays": name in bt.final}
    if len(failures) == len(panel) and len(messages) == 1 and len(panel):
        meta["failed_all"] = messages.pop()  # the same line for every series: sent once
    else:
        meta["failures"] = {str(i): msg for i, msg in failures.items()}
    arrays = {}
    if name in bt.final:
        arrays["forecasts"] = bt.forecasts.pop(name).astype(np.float32)
        arrays["final"] = bt.final.pop(name).astype(np.float32)
        for lvl, (lo, hi) in bt.own_intervals.pop(name).items():
            arrays[f"lo_{lvl}"], arrays[f"hi_{lvl}"] = lo.astype(np.float32), hi.astype(np.float32)
        meta["summary"] = _summary(name, bt.fitted.get(name))
    bt = None
    release_memory()
    return arrays, meta


def _summary(name: str, model) -> dict | None:
    if model is None:
        return None
    try:
        n_params = int(model.n_params())
    except Exception:  # a summary is informative only
        n_params = 0
    out = {"name": name, "n_params_": n_params, "min_history": int(getattr(model, "min_history", 1) or 1)}
    for attr in ("rmse_train", "rmse_val"):
        value = getattr(model, attr, None)
        out[attr] = None if value is None else float(value)
    return out


# -- files ---------------------------------------------------------------------------------------
def _write_json(path: str, obj) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(obj, fh, default=str)  # a key part JSON cannot hold (a numpy int) stays a distinct key
    os.replace(tmp, path)


def _save_npy(path: str, array: np.ndarray) -> None:
    tmp = f"{path}.tmp.npy"
    np.save(tmp, array)
    os.replace(tmp, path)


def _save_npz(path: str, arrays: dict) -> None:
    tmp = f"{path}.tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


# -- child side ----------------------------------------------------------------------------------
def _die_with_parent(parent: int) -> None:
    """SIGKILL this process when the thread that started it ends (Linux), and stop if it already did."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the parent kills us on cancel, and nothing else can
        pass
    if parent and os.getppid() != parent:
        os._exit(3)  # the parent died before prctl: nobody is waiting for the results


def _peak_rss_mb() -> float:
    """This process' own peak (VmHWM; ru_maxrss would include the parent's size at the fork)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class _Blocked:
    """Import hook of the child: the packages of NOT_IN_CHILD look absent."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".", 1)[0] in NOT_IN_CHILD:
            raise ImportError(f"{name} is not loaded in the global-model process")
        return None


def _fixed_mmap_threshold(size: int = 256 * 1024) -> None:
    """Arrays above ``size`` get their own mapping, returned to the system when freed. By default glibc
    raises that threshold to the largest block freed so far (up to 32 MB), after which a model's 36 MB
    output arrays (50,000 series x 90 days) stay in the heap and the process grows model after model."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(-3, int(size))  # M_MMAP_THRESHOLD (fixing it also stops the dynamic adjustment)
    except (OSError, AttributeError):  # not glibc
        pass


def child_main(workdir: str, fd: int) -> int:
    sys.meta_path.insert(0, _Blocked())
    _fixed_mmap_threshold()
    import pandas as pd

    from .panel import Panel

    started = time.perf_counter()
    out = os.fdopen(fd, "w", buffering=1, encoding="utf-8")

    def send(**msg):
        out.write(json.dumps(msg) + "\n")

    with open(os.path.join(workdir, "input.json"), encoding="utf-8") as fh:
        spec = json.load(fh)
    flat = np.load(os.path.join(workdir, "values.npy"))
    lengths = np.load(os.path.join(workdir, "lengths.npy"))
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    # Panel converts to float64 series by series; the float32 block goes as soon as it is copied.
    values = [flat[bounds[i]:bounds[i + 1]] for i in range(len(lengths))]
    panel = Panel([tuple(k) for k in spec["keys"]], values, pd.Timestamp(spec["end"]), spec["freq"],
                  spec.get("country"))
    values = flat = None
    for path in spec["paths"]:
        if path not in sys.path:
            sys.path.append(path)
    import importlib

    from .models.base import REGISTRY

    for name, (module, qualname) in spec["modules"].items():
        cls = importlib.import_module(module)
        for part in qualname.split("."):
            cls = getattr(cls, part)
        REGISTRY.setdefault(name, cls)  # a class the parent registered at run time (a test fixture)

    def tick(name, k, total):
        send(kind="tick", name=name, k=k, total=total)

    for index, name in enumerate(spec["names"]):
        send(kind="start", name=name)
        arrays, meta = _run_one(name, panel, spec["cuts"], spec["horizon"], spec["levels"], spec["seed"],
                                spec["model_params"].get(name), spec["refit_final"], tick)
        base = os.path.join(workdir, f"out-{index}")
        if arrays:
            _save_npz(base + ".npz", arrays)
        _write_json(base + ".json", meta)
        arrays = meta = None
        send(kind="done", name=name, index=index)
    peak = _peak_rss_mb()
    _write_json(os.path.join(workdir, "status.json"), {"peak_rss_mb": round(peak, 1),
                                                        "seconds": round(time.perf_counter() - started, 3)})
    send(kind="status", peak_rss_mb=round(peak, 1))
    out.close()
    return 0


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog=f"python -m {CHILD_MODULE}",
                                     description="Run the global models of a forecast (internal).")
    parser.add_argument("workdir")
    parser.add_argument("--parent", type=int, default=0, help="pid of the process waiting for the results")
    args = parser.parse_args(argv)
    _die_with_parent(args.parent)
    fd = int(os.environ.get(FD_ENV, "1"))
    return child_main(args.workdir, fd)


if __name__ == "__main__":
    sys.exit(main())
