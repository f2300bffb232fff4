#!/usr/bin/env python3
"""Scale of the distributed forecast job (issue 12): ``bench_engine.py --scale`` (a script, not a test).

    python tests/benchmarks/bench_engine.py --scale                         # 1k/4k/16k/50k x 730, 1 and 2 workers
    python tests/benchmarks/bench_engine.py --scale --sizes 200,400 --shard-size 100 --models naive,ets
    python tests/benchmarks/bench_scale.py --sizes 200,400 --engine-root /work/wt/dask   # another checkout's engine

Each size is a generated panel of N daily series x 730 days (seeded; the same numbers whatever the run):
bench_datasets.synthetic_values, i.e. level x trend x weekly x yearly seasonality of random strength (from
almost smooth to strongly seasonal), over-dispersed Poisson-gamma noise, and a share of intermittent series
(demand on 5-40 % of days, lumpy sizes). Generated 1,000 series at a time, so the generator never holds more
than the panel itself.

Each (size, worker count) runs in a fresh driver process (``--child``), exactly as the job child runs the
forecast: ``engine.distributed.run_forecast_distributed(panel, horizon, workers=W, models=..., folds=...)``
with a LocalCluster of W single-threaded worker processes (the job's default: no scheduler address), each
shard's series written out by ``engine.result_writer.ResultWriter`` as soon as it is finished (the job's
result.npz and result.json, in a temporary directory; the wall time includes writing them). A
thread of this process samples the RSS of EVERY process of the driver's tree every 0.2 s: the driver, each
Dask worker, the global models' child (``engine.global_child``) and anything else it starts. Printed per
run: wall time of the forecast (the panel's generation excluded), the per-series part (``timings["shards"]``),
the global models' part, series per second, the peak RSS of each process.

Targets (issue 12), each with a PASS/FAIL line:
  * linear growth: wall time per series at every size within +-20 % of the smallest size's (per worker
    count). A size cheaper per series than the smallest (fixed start-up costs spread over more series) is
    reported as "sublinear" and passes: the target guards against growth faster than the series count.
  * speedup: the per-series part with 2 workers >= 1.6x faster than with 1 (each size);
  * memory: no process above 1.5 GB at any size.
Run it on an otherwise idle machine (the load average is printed): both cores are measured.

``--global-nice N`` runs the global-model child N below the shards' CPU priority (the job runs it at the
same priority: engine.global_process.CHILD_NICE). On 2 cores, with every model, that is the trade-off
between the two figures above: the shards then get both cores first (the per-series part x1.71-1.79 faster
on 2 workers than on 1, instead of x1.34-1.38), while the networks, which every shard waits for, are
pushed back, so the whole run takes 4-11 % longer at 1,000-16,000 series.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from process_memory import TreeSampler

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

DEFAULT_SIZES = (1000, 4000, 16000, 50000)
DEFAULT_WORKERS = (1, 2)
LENGTH = 730
INTERMITTENT = 0.3
CHUNK = 1000
TARGET_GROWTH = 0.20
TARGET_SPEEDUP = 1.6
TARGET_PROCESS_RSS = 1.5 * 1024 ** 3


# -- the panel ------------------------------------------------------------------------------------
def make_panel(n: int, length: int = LENGTH, seed: int = 0):
    """n generated daily series of ``length`` days ending 2023-12-31; chunk k of CHUNK series seeded with
    (seed, k), so a panel's first series are those of any smaller panel (growth compares like with like)."""
    import numpy as np
    import pandas as pd

    import bench_datasets as data

    from sales_forecast_ai.engine.panel import Panel

    values = []
    for k, start in enumerate(range(0, n, CHUNK)):
        # Always a whole chunk, the last one cut: every size starts with the same series as a smaller one.
        block = data.synthetic_values(CHUNK, length, seed=int(np.random.SeedSequence([seed, k]).generate_state(1)[0]),
                                      intermittent=INTERMITTENT)
        values.extend(np.ascontiguousarray(row) for row in block[:n - start])
        del block
    keys = [(f"P{i:06d}", f"W{i % 3 + 1}") for i in range(n)]
    return Panel(keys, values, pd.Timestamp("2023-12-31"), "D")


# -- the driver process (one run) -----------------------------------------------------------------
def child_main(args) -> int:
    sys.path.insert(0, str(HERE))
    import bench_datasets  # noqa: F401 - puts this checkout on sys.path: the engine root goes before it

    root = str(Path(args.engine_root).resolve())
    # Local Dask workers are spawned with this sys.path: they import the same engine.
    sys.path[:] = [root] + [p for p in sys.path if p != root]
    from sales_forecast_ai.engine import distributed
    from sales_forecast_ai.engine.result_writer import ResultWriter

    if not Path(distributed.__file__).resolve().is_relative_to(root):
        raise SystemExit(f"the engine came from {distributed.__file__}, not from {root}")
    panel = make_panel(args.size, args.length, args.seed)
    options = {"workers": args.workers, "horizon": args.horizon, "folds": args.folds}
    if args.models:
        options["models"] = [m.strip() for m in args.models.split(",") if m.strip()]
    if args.shard_size:
        options["shard_size"] = args.shard_size
    if args.global_nice:
        from sales_forecast_ai.engine import global_process

        global_process.CHILD_NICE = args.global_nice  # read as each global-model child starts
    horizon = options.pop("horizon")
    print(f"  driver {os.getpid()}: {len(panel):,} series generated, forecasting ...", file=sys.stderr, flush=True)
    statuses, champions, count = {}, {}, [0]

    def tally(series):
        for s in series:
            count[0] += 1
            statuses[s.status] = statuses.get(s.status, 0) + 1
            if s.champion:
                champions[s.champion] = champions.get(s.champion, 0) + 1

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sfai-scale-job-") as workdir:
        # As the job does (engine.job.run): each shard's series written out as soon as it is finished.
        writer = ResultWriter(workdir, len(panel), horizon, options.get("levels", (80, 95)))

        def sink(start, series):
            tally(series)
            writer.add(start, series)

        result = distributed.run_forecast_distributed(panel, horizon, sink=sink, **options)
        writer.close(result, panel)
        wall = time.perf_counter() - started
        written = os.path.getsize(os.path.join(workdir, "result.json")) + os.path.getsize(
            os.path.join(workdir, "result.npz"))
    out = {
        "n": len(panel), "series_out": count[0], "wall": wall, "result_bytes": written,
        "timings": {k: float(v) for k, v in result.timings.items() if isinstance(v, (int, float))},
        "statuses": statuses, "champions": champions, "log": [str(line) for line in result.log[:2]],
        "driver_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "shard_size": getattr(distributed, "SHARD_SIZE", None) if not args.shard_size else args.shard_size,
    }
    Path(args.out).write_text(json.dumps(out))
    return 0


def kill_tree(pid: int):
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [*root.children(recursive=True), root]
    except psutil.Error:
        return
    for proc in procs:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs(procs, timeout=10)


def run_one(size: int, workers: int, args, tmp: Path) -> dict:
    out = tmp / f"run-{size}-{workers}.json"
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--size", str(size), "--workers", str(workers),
           "--horizon", str(args.horizon), "--folds", str(args.folds), "--length", str(args.length),
           "--seed", str(args.seed), "--engine-root", str(args.engine_root), "--out", str(out)]
    if args.models:
        cmd += ["--models", args.models]
    if args.shard_size:
        cmd += ["--shard-size", str(args.shard_size)]
    if args.global_nice:
        cmd += ["--global-nice", str(args.global_nice)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (str(args.engine_root), os.environ.get("PYTHONPATH", "")) if p))
    print(f"\n== {size:,} series x {args.length} days, {workers} worker(s) ==", file=sys.stderr, flush=True)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=None if args.verbose else subprocess.PIPE,
                            text=True, start_new_session=True)
    row = {"size": size, "workers": workers}
    with TreeSampler(proc.pid) as sampler:
        try:
            _, err = proc.communicate(timeout=args.timeout)
        except subprocess.TimeoutExpired:
            kill_tree(proc.pid)
            _, err = proc.communicate()
            row["error"] = f"timed out after {args.timeout:.0f} s"
        except BaseException:  # Ctrl-C: the driver has its own session, so it would run on
            kill_tree(proc.pid)
            raise
    row["process_wall"] = time.perf_counter() - started
    row["processes"] = sorted(sampler.peaks.values(), key=lambda e: (e["role"] != "driver", e["role"], -e["peak"]))
    if "error" not in row and proc.returncode != 0:
        tail = (err or "").strip().splitlines()[-3:]
        row["error"] = f"exit {proc.returncode}: " + " | ".join(tail)
    if "error" not in row:
        row.update(json.loads(out.read_text()))
        driver = next((e for e in row["processes"] if e["role"] == "driver"), None)
        if driver is not None:  # the kernel's own peak of the driver, never below the sampled one
            driver["peak"] = max(driver["peak"], row.get("driver_maxrss", 0))
    label = row.get("error") or f"{row['wall']:.1f} s"
    print(f"   done: {label}", file=sys.stderr, flush=True)
    return row


# -- report ---------------------------------------------------------------------------------------
def mib(v) -> str:
    return "-" if v is None else f"{v / 2 ** 20:,.0f}"


def verdict(ok) -> str:
    return "-" if ok is None else ("PASS" if ok else "FAIL")


def growth_verdict(ratio):
    if ratio is None:
        return None, "-"
    if ratio > 1 + TARGET_GROWTH:
        return False, "FAIL (superlinear)"
    if ratio < 1 - TARGET_GROWTH:
        return True, "PASS (sublinear: fixed costs spread)"
    return True, "PASS"


def report(rows: list, args) -> bool:
    ok_rows = [r for r in rows if "error" not in r]
    print("\n" + "=" * 110)
    print(f"sales_forecast_ai distributed forecast job — scale (issue 12): {args.length}-day daily series, "
          f"horizon {args.horizon}, {args.folds} folds, models: {args.models or 'the job default (every model)'}, "
          f"shard size {args.shard_size or 'default'}"
          + (f", global-model child {args.global_nice} below the shards' CPU priority" if args.global_nice else ""))
    print(f"machine: {os.cpu_count()} CPUs, {_total_ram()} MiB RAM, load average at start {args.load_at_start}; "
          f"engine from {args.engine_root}")
    w = "{:>8}{:>9}{:>10}{:>12}{:>10}{:>10}{:>8}{:>10}{:>12}{:>14}{:>10}"
    print("\n" + w.format("series", "workers", "wall", "per-series", "global", "series", "shards", "driver",
                          "max worker", "global child", "largest"))
    print(w.format("", "", "(s)", "part (s)", "part (s)", "per s", "", "MiB", "MiB", "MiB", "MiB"))
    for r in rows:
        if "error" in r:
            print(f"{r['size']:>8,}{r['workers']:>9}   FAILED: {r['error']}")
            continue
        t = r["timings"]
        by_role = {}
        for e in r["processes"]:
            by_role.setdefault(e["role"], []).append(e["peak"])
        print(w.format(f"{r['size']:,}", r["workers"], f"{r['wall']:.1f}", _f(t.get("shards")), _f(t.get("global")),
                       f"{r['size'] / r['wall']:.1f}", int(t.get("shards_count", 0)),
                       mib(max(by_role.get("driver", [0]))), mib(max(by_role.get("dask worker", [0]) or [0])),
                       mib(max(by_role["global models"])) if "global models" in by_role else "-",
                       mib(max(e["peak"] for e in r["processes"]))))
    print("\npeak RSS of every process (MiB), per run:")
    for r in rows:
        if r.get("processes"):
            listed = ", ".join(f"{e['role']} {mib(e['peak'])}" for e in r["processes"] if e["peak"])
            print(f"  {r['size']:>7,} x {r['workers']} worker(s): {listed}")
        if r.get("log"):
            print(f"      log: {r['log'][0]}")
    verdicts = []

    print(f"\n### linear growth: wall time per series vs the smallest size (within +-{TARGET_GROWTH:.0%})")
    for workers in sorted({r["workers"] for r in ok_rows}):
        runs = sorted((r for r in ok_rows if r["workers"] == workers), key=lambda r: r["size"])
        if len(runs) < 2:
            continue
        base = runs[0]["wall"] / runs[0]["size"]
        base_part = (runs[0]["timings"].get("shards") or 0) / runs[0]["size"]
        for r in runs[1:]:
            ratio = r["wall"] / r["size"] / base
            part = (r["timings"].get("shards") or 0) / r["size"] / base_part if base_part else None
            ok, text = growth_verdict(ratio)
            verdicts.append(ok)
            print(f"  {workers} worker(s), {r['size']:>7,} vs {runs[0]['size']:,} series: time per series x{ratio:.2f}"
                  f" (per-series part x{_f(part, 2)})   {text}")

    print(f"\n### speedup of the per-series part, 2 workers vs 1 (target >= {TARGET_SPEEDUP}x)")
    for size in sorted({r["size"] for r in ok_rows}):
        one = next((r for r in ok_rows if r["size"] == size and r["workers"] == 1), None)
        two = next((r for r in ok_rows if r["size"] == size and r["workers"] == 2), None)
        if not one or not two:
            continue
        a, b = one["timings"].get("shards"), two["timings"].get("shards")
        speedup = a / b if a and b else None
        ok = speedup >= TARGET_SPEEDUP if speedup else None
        verdicts.append(ok)
        note = "" if two["timings"].get("shards_count", 0) > 1 else "  (one shard: nothing to share)"
        print(f"  {size:>7,} series: {_f(a)} s -> {_f(b)} s, x{_f(speedup, 2)} (wall x{one['wall'] / two['wall']:.2f})"
              f"   {verdict(ok)}{note}")

    print(f"\n### memory: no process above {TARGET_PROCESS_RSS / 2 ** 30:.1f} GB")
    for r in ok_rows:
        top = max(r["processes"], key=lambda e: e["peak"])
        ok = top["peak"] <= TARGET_PROCESS_RSS
        verdicts.append(ok)
        print(f"  {r['size']:>7,} x {r['workers']} worker(s): largest {top['role']} {mib(top['peak'])} MiB   {verdict(ok)}")

    failed = [r for r in rows if "error" in r]
    for r in failed:
        print(f"  {r['size']:,} x {r['workers']} worker(s): FAIL ({r['error']})")
    all_ok = not failed and all(v is not False for v in verdicts) and bool(ok_rows)
    print(f"\nOVERALL: {'PASS' if all_ok else 'FAIL'} ({sum(v is True for v in verdicts)} checks passed, "
          f"{sum(v is False for v in verdicts) + len(failed)} failed)")
    return all_ok


def _f(v, digits=1):
    return "-" if v is None else f"{v:.{digits}f}"


def _total_ram():
    try:
        import psutil

        return f"{psutil.virtual_memory().total / 2 ** 20:,.0f}"
    except Exception:
        return "?"


# -- command line ---------------------------------------------------------------------------------
def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="series counts (default %(default)s)")
    ap.add_argument("--workers", default=",".join(map(str, DEFAULT_WORKERS)), help="worker counts (default %(default)s)")
    ap.add_argument("--models", default=None, help="comma-separated models (default: the job's default pool, every "
                                                   "registered model)")
    ap.add_argument("--horizon", type=int, default=90, help="days ahead (default %(default)s, Odoo's default)")
    ap.add_argument("--folds", type=int, default=2, help="backtest folds (default %(default)s, Odoo's default)")
    ap.add_argument("--length", type=int, default=LENGTH, help="days of history per series (default %(default)s)")
    ap.add_argument("--shard-size", type=int, default=None, help="series per shard (default: the engine's)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--global-nice", type=int, default=0, help="run the global-model child this much below the "
                                                               "shards' CPU priority (default 0: as the job does)")
    ap.add_argument("--timeout", type=float, default=4 * 3600.0, help="seconds per run before it is killed "
                                                                      "(default %(default)s)")
    ap.add_argument("--engine-root", default=str(REPO), help="folder holding the sales_forecast_ai package to "
                                                             "benchmark (default: this checkout)")
    ap.add_argument("--json", default=None, help="also write the raw figures to this file")
    ap.add_argument("--verbose", action="store_true", help="show the drivers' own output")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--size", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        args.workers = int(args.workers)
        return args
    try:
        args.sizes = sorted({int(x) for x in args.sizes.split(",") if x.strip()})
        args.workers = sorted({int(x) for x in args.workers.split(",") if x.strip()})
    except ValueError:
        ap.error("--sizes and --workers are comma-separated whole numbers")
    if not args.sizes or min(args.sizes) < 1 or not args.workers or min(args.workers) < 1:
        ap.error("--sizes and --workers must be positive")
    if args.horizon < 1 or args.folds < 0 or args.length <= args.horizon or (args.shard_size or 1) < 1:
        ap.error("need --horizon >= 1, --folds >= 0, --length > --horizon, --shard-size >= 1")
    if not (Path(args.engine_root) / "sales_forecast_ai" / "engine" / "distributed.py").is_file():
        ap.error(f"no sales_forecast_ai/engine/distributed.py under --engine-root {args.engine_root}")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.child:
        return child_main(args)
    args.load_at_start = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    rows = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sfai-scale-") as tmp:
        try:
            for size in args.sizes:
                for workers in args.workers:
                    rows.append(run_one(size, workers, args, Path(tmp)))
        except KeyboardInterrupt:
            print("interrupted: reporting the runs done so far", file=sys.stderr)
    ok = report(rows, args)
    print(f"(total benchmark time {time.perf_counter() - started:.0f} s)")
    if args.json:
        Path(args.json).write_text(json.dumps({"args": {k: v for k, v in vars(args).items()}, "rows": rows},
                                              indent=1, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
