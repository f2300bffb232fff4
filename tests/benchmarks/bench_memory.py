"""Sections (d) and (e) of bench_engine.py: peak memory of the real job child and of its global-model
child (``--memory``), and of the global-model child alone on a large panel (``--global-scale``)."""
from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time

import numpy as np

import bench_datasets as data
from bench_engine import fmt, verdict
from process_memory import TreeSampler

# -- (d) memory of the real job child and of its global-model child ---------------------------------
TARGET_CHILD_RSS = {81: 700.0, 2000: 1024.0}  # MiB, for every process of the engine side
GLOBAL_PEAK = re.compile(r"ran in their own process \(pid \d+\): peak RSS ([\d.]+) MB")


def child_memory(n: int, length: int, horizon: int = 90, folds: int = 2, timeout: float = 3600.0) -> dict:
    """Run the engine's job child on a synthetic n x length panel: its status (peak_rss_mb, seconds), the
    global-model child's own peak (VmHWM, from the run log) and both processes' sampled peaks."""
    import pandas as pd

    from sales_forecast_ai.engine import job
    from sales_forecast_ai.engine.panel import Panel

    y = data.synthetic_values(n, length, seed=1)
    end = pd.Timestamp("2022-01-03") + pd.Timedelta(days=length - 1)
    panel = Panel([(str(i + 1), "1") for i in range(n)], list(y), end, "D")
    with tempfile.TemporaryDirectory(prefix="sfai-mem-") as workdir:
        job.write_input(workdir, panel, horizon=horizon, levels=(80, 95), folds=folds)
        print(f"  job child on {n:,} x {length} ...", file=sys.stderr, flush=True)
        child = job.spawn(workdir, python=sys.executable, threads=2, nice=0)
        with TreeSampler(child.pid, every=0.1) as sampler:
            try:
                child.wait(timeout)
            except subprocess.TimeoutExpired:
                child.terminate()
                child.wait()
        status = job.read_status(workdir) or {"state": "no status", "error": job.tail(f"{workdir}/{job.LOG_FILE}")}
        result = job.read_json(f"{workdir}/{job.RESULT_JSON}") or {}
    found = [float(m.group(1)) for line in result.get("log", []) for m in [GLOBAL_PEAK.search(line)] if m]
    return {"n": n, "length": length, **status, "global_peak_rss_mb": max(found) if found else None,
            "global_processes": len(sampler.pids_of("global models")),
            "sampled_mb": {"job": sampler.peak_of("driver") / 2 ** 20, "global": sampler.peak_of("global models") / 2 ** 20},
            "model_seconds": {k[6:]: v for k, v in (result.get("timings") or {}).items() if k.startswith("model ")}}


def print_memory(rows: list) -> None:
    print("\n### (d) peak RSS of every engine process: the job (python -m sales_forecast_ai.engine.job, as the "
          "Odoo cron starts it; horizon 90, 2 folds, all models) and its global-model child "
          "(python -m sales_forecast_ai.engine.global_child)")
    w = "{:>8}{:>8}{:>10}  {:<14}{:>16}{:>16}{:>12}   {}"
    print(w.format("series", "days", "wall (s)", "process", "own peak (MiB)", "sampled (MiB)", "target", ""))
    for r in rows:
        target = TARGET_CHILD_RSS.get(r["n"])
        done = r.get("state") == "done"
        for label, own, sampled in (("job", r.get("peak_rss_mb"), r["sampled_mb"]["job"]),
                                    ("global child", r.get("global_peak_rss_mb"), r["sampled_mb"]["global"])):
            ok = None if own is None or target is None or not done else own <= target
            print(w.format(f"{r['n']:,}", r["length"], fmt(r.get("seconds"), "f1"), label, fmt(own, "f1"),
                           fmt(sampled, "f1"), f"<= {target:,.0f}" if target else "-",
                           verdict(ok) + ("" if done else f" ({r.get('state')}: {r.get('error')})")))
        print(f"    global-model processes started: {r.get('global_processes')}; seconds per model: "
              + ", ".join(f"{k} {v:.0f}" for k, v in (r.get("model_seconds") or {}).items()))


def global_memory(n: int, length: int, names, horizon: int = 90, folds: int = 2) -> dict:
    """Section (e): the global-model child alone (run_global_models, as the pipeline calls it) on an
    n x length panel, e.g. 50,000 x 730 (issue 12: no process above 1.5 GB): the child's own peak
    (VmHWM) and this process' peak (ru_maxrss), which holds the panel and the models' outputs."""
    import resource

    import pandas as pd

    from sales_forecast_ai.engine.backtest import Backtest, fold_actuals, fold_cuts
    from sales_forecast_ai.engine.global_process import run_global_models
    from sales_forecast_ai.engine.panel import Panel

    y = data.synthetic_values(n, length, seed=1)
    end = pd.Timestamp("2022-01-03") + pd.Timedelta(days=length - 1)
    panel = Panel([(str(i + 1), "1") for i in range(n)], list(y), end, "D")
    y = None
    cuts = fold_cuts(folds, horizon)
    actual, scale = fold_actuals(panel, cuts, horizon)
    bt, log = Backtest(cuts, horizon, actual, scale), []
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"  global models {', '.join(names)} on {n:,} x {length} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    run_global_models(bt, list(names), panel, (80, 95), 0, {}, log)
    return {"n": n, "length": length, "seconds": time.perf_counter() - started,
            "global_peak_rss_mb": getattr(bt, "global_peak_rss_mb", None),
            "parent_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
            "parent_before_mb": before,
            "models": {m: {"seconds": bt.seconds.get(m), "ok": m in bt.final,
                           "finite": bool(np.isfinite(bt.final[m]).all()) if m in bt.final else False}
                       for m in names},
            "log": [line for line in log if "died" in line or "ended" in line]}


def print_global_memory(r: dict) -> None:
    print(f"\n### (e) the global-model child alone on {r['n']:,} x {r['length']} days (horizon 90, 2 folds)")
    peak = r.get("global_peak_rss_mb")
    print(f"    global child peak RSS {fmt(peak, 'f1')} MiB (target <= 1,536: "
          f"{verdict(peak <= 1536 if peak is not None else None)}); the calling process (panel + outputs) "
          f"{fmt(r['parent_peak_rss_mb'], 'f1')} MiB ({fmt(r['parent_before_mb'], 'f1')} MiB before the global models); "
          f"wall {fmt(r['seconds'], 'f1')} s")
    for m, info in r["models"].items():
        print(f"    {m}: {'ok' if info['ok'] else 'FAILED'}, {fmt(info['seconds'], 'f1')} s, "
              f"finite forecasts for every series: {info['finite']}")
    for line in r["log"]:
        print(f"    {line}")
