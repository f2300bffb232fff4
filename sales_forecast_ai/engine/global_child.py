"""The global models' child process: ``python -m sales_forecast_ai.engine.global_child DIR --parent PID``.

It imports numpy, the panel and the model code only (never statsforecast, scipy or the pipeline), reads
the panel and the models' specification that ``global_process`` wrote in DIR, runs every model and writes
each one's outputs as soon as they are done (see ``global_process`` for the files and the messages).
``_run_one`` is also what ``global_process`` runs in-process when ``isolate=False``: both paths give the
same numbers, bit for bit.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import signal
import sys
import time

import numpy as np

from .fitted_summary import FittedSummary
from .job_process import lower_priority

CHILD_MODULE = "sales_forecast_ai.engine.global_child"
FD_ENV = "SALES_FORECAST_GLOBAL_FD"
# Keras imports scikit-learn for its wrappers when it can (58 MB resident measured here, 627 -> 569 MB
# after importing TensorFlow); no global model uses it, and Keras carries on without it.
NOT_IN_CHILD = ("sklearn",)


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
    return None if model is None else FittedSummary.of(model, name).as_dict()


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
    parser.add_argument("--nice", type=int, default=0, help="lower this process' CPU priority by N")
    args = parser.parse_args(argv)
    _die_with_parent(args.parent)
    lower_priority(args.nice)
    fd = int(os.environ.get(FD_ENV, "1"))
    return child_main(args.workdir, fd)


if __name__ == "__main__":
    sys.exit(main())
