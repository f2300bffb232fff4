#!/usr/bin/env python3
"""Reading a run's results in the Odoo worker at 50,000 series (issue 12; a script, not a test).

    python tests/benchmarks/bench_results.py                  # 50,000 series x 90 days
    python tests/benchmarks/bench_results.py --series 5000

The cron saves a run's series 200 at a time (``sales.forecast.run._import_batch``), reading them with
``engine.job_io.Results``. The result files are made the way the job makes them
(``engine.result_writer.ResultWriter``) from a real run of the engine: a generated panel of
``--sample`` series x 730 days forecast by every per-series model plus LightGBM (14 models with the
ensemble; a run with the four networks has 18 scores per series, so its records are ~25 % longer), its
series' records repeated under new keys up to ``--series``. Two readers then go through every series,
each in a fresh process, and print their peak RSS, the time to open the results and to read them all:

  * whole: what ``Results`` did before: result.json parsed in one piece, result.npz loaded;
  * lines: ``Results`` now: the series' lines indexed, a line parsed when its series is read, the
    arrays memory-mapped.

Odoo's own workers are recycled above ``limit_memory_soft`` (2,048 MiB by default, 640 MiB in many
production setups) and killed above ``limit_memory_hard``: the import must stay far below.
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

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))


def make_results(workdir: str, n: int, sample: int, horizon: int) -> None:
    import dataclasses

    from bench_scale import make_panel

    from sales_forecast_ai.engine.pipeline import default_models, run_forecast
    from sales_forecast_ai.engine.models import REGISTRY
    from sales_forecast_ai.engine.panel import Panel
    from sales_forecast_ai.engine.result_writer import ResultWriter

    panel = make_panel(sample)
    models = [m for m in default_models() if m == "lightgbm" or REGISTRY.get(m) is None
              or not REGISTRY[m].is_global]
    result = run_forecast(panel, horizon, models=models, folds=2)
    keys = [(f"P{i:06d}", "WH") for i in range(n)]
    big = Panel(keys, [panel.values[0]] * n, panel.end, panel.freq)  # the writer only reads its dates
    writer = ResultWriter(workdir, n, horizon, result.levels)
    block = 500
    for start in range(0, n, block):
        series = [dataclasses.replace(result.series[i % sample], key=keys[i])
                  for i in range(start, min(start + block, n))]
        writer.add(start, series)
    writer.close(result, big)


def read_all(workdir: str, reader: str) -> dict:
    import numpy as np

    from sales_forecast_ai.engine import job_io

    t0 = time.perf_counter()
    if reader == "whole":
        meta = job_io.read_json(os.path.join(workdir, job_io.RESULT_JSON))
        with np.load(os.path.join(workdir, job_io.RESULT_NPZ)) as npz:
            arrays = {k: npz[k] for k in npz.files}
        records = meta["series"]

        def series(i):
            out = dict(records[i])
            out["arrays"] = {k: a[i] for k, a in arrays.items()} if out.get("has_forecast") else {}
            return out
        count = len(records)
    else:
        results = job_io.Results(workdir)
        series, count = results.series, len(results)
    opened = time.perf_counter() - t0
    total = 0.0
    for i in range(count):  # as the cron does, batch after batch: every series and its forecast
        s = series(i)
        if s["arrays"]:
            total += float(np.nansum(s["arrays"]["forecast"]))
    return {"reader": reader, "series": count, "open_s": opened, "read_s": time.perf_counter() - t0,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "checksum": total}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--series", type=int, default=50000)
    ap.add_argument("--sample", type=int, default=200, help="series really forecast, then repeated")
    ap.add_argument("--horizon", type=int, default=90)
    ap.add_argument("--child", nargs=2, metavar=("WORKDIR", "READER"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(read_all(*args.child)))
        return 0
    with tempfile.TemporaryDirectory(prefix="sfai-bench-results-") as workdir:
        t0 = time.perf_counter()
        make_results(workdir, args.series, min(args.sample, args.series), args.horizon)
        sizes = {name: os.path.getsize(os.path.join(workdir, name)) / 2 ** 20 for name in sorted(os.listdir(workdir))}
        print(f"{args.series:,} series x {args.horizon} days written in {time.perf_counter() - t0:.0f} s: "
              + ", ".join(f"{k} {v:,.0f} MiB" for k, v in sizes.items()))
        rows = []
        for reader in ("whole", "lines"):
            out = subprocess.run([sys.executable, __file__, "--child", workdir, reader], check=True,
                                 capture_output=True, text=True)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"\n{'reader':<8}{'series':>10}{'open s':>9}{'read all s':>12}{'peak RSS MiB':>14}")
    for r in rows:
        print(f"{r['reader']:<8}{r['series']:>10,}{r['open_s']:>9.1f}{r['read_s']:>12.1f}{r['peak_rss_mib']:>14,.0f}")
    same = abs(rows[0]["checksum"] - rows[1]["checksum"]) <= 1e-6 * max(abs(rows[0]["checksum"]), 1)
    print(f"same forecasts read by both: {'yes' if same else 'NO'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
