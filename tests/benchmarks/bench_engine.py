#!/usr/bin/env python3
"""Benchmark of the forecasting engine against statsforecast (a script, not a test).

    python tests/benchmarks/bench_engine.py                 # everything (long: ~30-60 min on 2 cores)
    python tests/benchmarks/bench_engine.py --quick         # small sizes, a few minutes
    python tests/benchmarks/bench_engine.py --sections synthetic,real --data-dir ../shared/data

For each data set, the last `--horizon` days of every series are held out; both sides forecast
them from the rest, each in its own process (so peak RSS is honest), and are scored the same way:
  * engine: the full pipeline (all baselines + the 4 networks + rolling-origin backtest +
    per-series champion + conformal intervals), run_forecast(levels=(80, 95), folds=2);
  * statsforecast AutoETS and SeasonalNaive (weekly), forecast with level=[95].
Metrics over the held-out horizon: MASE = mean over series of MAE / in-sample MAE of the weekly
seasonal naive (series with a zero scale left out), WAPE = sum|e| / sum|y|, RMSE over all points,
bias = sum(forecast - actual) / sum|actual| (what a buyer ordering the total over- or under-orders),
coverage = share of actuals inside the 95% interval. Forecasts and bounds are clipped at 0 on both
sides (demand is never negative; the engine clips its own). Buyer targets: |bias| <= 10% and WAPE
not worse than AutoETS. ``--refit`` also runs the engine with the final forecast rolled forward
from the earliest backtest origin (no refit on the full history) and prints both on the held-out tail.
Sections: (a) synthetic 1,000 x 730 days, (b) the real data sets of ../shared/data, (c) scaling of
the engine's cost with 250 / 1,000 / 4,000 synthetic series, (d) ``--memory``: the real training
child (``python -m sales_forecast_ai.engine.job``, as the Odoo cron starts it, Odoo's defaults:
horizon 90, 2 folds, every model) on an 81-series panel (the demo's size) and on 2,000 x 730 days;
the job reports its own peak RSS (ru_maxrss) in status.json, the global-model child its own (VmHWM) in the
run log; both are also sampled with psutil. (e) ``--global-scale 50000``: the global-model child alone on
50,000 x 730 days (``--global-models mlp`` for a shorter run).
``--scale`` runs the distributed job's scale benchmark instead (bench_scale.py: 1,000 to 50,000 series,
1 vs 2 Dask workers, peak RSS of every process; ``--scale --help`` for its options).
``--gbm`` (issue 12): per data set, side by side on the held-out tail, the LightGBM candidate alone
(a run of that one model: its forecast with the pipeline's conformal 95% band), the champion of the
pool without it and with it, AutoETS and SeasonalNaive; ``--pool`` sets the pool (default: every
registered model; e.g. ``--pool no-networks`` leaves the four networks out to keep it short).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

import bench_datasets as data  # noqa: E402

TARGET_WALL = 180.0
TARGET_RSS = 1.5 * 1024 ** 3
TARGET_VS_ETS, TARGET_VS_SNAIVE = 0.95, 0.80
TARGET_COVERAGE = (0.92, 0.97)
TARGET_BIAS = 0.10


# -- running the sides ---------------------------------------------------------------------------
def run_side(side: str, ds_path: Path, tmp: Path, opts: dict) -> tuple[dict, dict]:
    out = tmp / f"{side}{opts.get('label', '').replace(' ', '_')}-{ds_path.stem}.npz"
    cmd = [sys.executable, str(HERE / "bench_workers.py"), side, str(ds_path), str(out), json.dumps(opts)]
    print(f"  running {side} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=None if opts.get("verbose") else subprocess.PIPE,
                          text=True)
    if proc.returncode != 0:
        tail = (proc.stderr or "").strip().splitlines()[-3:]
        print(f"  {side} FAILED (exit {proc.returncode}): {' | '.join(tail)}", file=sys.stderr)
        return {}, {"error": " | ".join(tail)}
    z = np.load(out, allow_pickle=True)
    info = json.loads(str(z["info"]))
    print(f"  {side} done in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    fc = {}
    for name in {k.split("|")[0] for k in z.files if "|" in k}:
        fc[name] = tuple(z[f"{name}|{part}"] for part in ("mean", "lo", "hi"))
    return fc, info


# -- scoring -------------------------------------------------------------------------------------
def score(ds: data.Dataset, mean, lo, hi, season=7) -> dict:
    y = ds.test
    missing = int(np.isnan(mean).any(axis=1).sum())
    mean = np.where(np.isnan(mean), 0.0, mean)  # a series without a forecast counts as "no sale"
    err = y - mean
    scales = np.array([np.mean(np.abs(v[season:] - v[:-season])) if len(v) > season else np.nan
                       for v in ds.train])
    ok = np.isfinite(scales) & (scales > 0)
    mase = float(np.mean(np.mean(np.abs(err[ok]), axis=1) / scales[ok])) if ok.any() else float("nan")
    inside = (y >= lo) & (y <= hi)
    total = max(np.abs(y).sum(), 1e-12)
    return {"mase": mase, "wape": float(np.abs(err).sum() / total), "bias": float((mean - y).sum() / total),
            "rmse": float(np.sqrt(np.mean(err ** 2))), "coverage95": float(np.mean(inside)),
            "missing": missing, "mase_series": int(ok.sum())}


# -- one data set, both sides --------------------------------------------------------------------
def compare(ds: data.Dataset, tmp: Path, opts: dict, sides=("engine", "statsforecast")) -> dict:
    path = tmp / f"{ds.name.split()[0]}-{len(ds.keys)}.npz"
    ds.save(path)
    print(f"\n== {ds.name}: {len(ds.keys):,} series, horizon {ds.horizon} ==", file=sys.stderr, flush=True)
    row = {"name": ds.name, "n": len(ds.keys), "note": ds.note, "horizon": ds.horizon,
           "length": int(np.mean([len(v) for v in ds.train]))}
    for side in sides:
        fc, info = run_side(side, path, tmp, opts)
        row[side] = {"info": info, "scores": {name: score(ds, *trio) for name, trio in fc.items()}}
    return row


def fmt(v, kind="f3"):
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "-"
    return {"f3": f"{v:.3f}", "f1": f"{v:.1f}", "pct": f"{100 * v:.1f}%", "mib": f"{v / 2 ** 20:,.0f}",
            "s": f"{v:,.0f}", "int": f"{int(v):,}"}[kind]


def verdict(ok):
    return "-" if ok is None else ("PASS" if ok else "MISS")


def print_comparison(row: dict) -> None:
    eng = row.get("engine", {})
    sfs = row.get("statsforecast", {})
    e = eng.get("scores", {}).get("engine", {})
    ets = sfs.get("scores", {}).get("AutoETS", {})
    sn = sfs.get("scores", {}).get("SeasonalNaive", {})
    ei, si = eng.get("info", {}), sfs.get("info", {})
    print(f"\n### {row['name']} — {row['n']:,} series, mean training length {row['length']} days, "
          f"last {row['horizon']} days held out ({row['note']})")
    for side, info in (("engine", ei), ("statsforecast", si)):
        if info.get("error"):
            print(f"    {side} FAILED: {info['error']}")
    w = "{:<26}{:>14}{:>14}{:>15}   {:<30}{:>6}"
    print(w.format("", "engine", "AutoETS", "SeasonalNaive", "target (engine)", ""))
    walls = si.get("walls", {})
    big = row["n"] >= 1000 and row["name"].startswith("synthetic")
    wall_ok = ei.get("wall") <= TARGET_WALL if ei.get("wall") is not None else None
    print(w.format("wall time fit+forecast (s)", fmt(ei.get("wall"), "f1"), fmt(walls.get("AutoETS"), "f1"),
                   fmt(walls.get("SeasonalNaive"), "f1"), f"<= {TARGET_WALL:.0f} s" + ("" if big else " (on 1000x730)"),
                   verdict(wall_ok) if big else ""))
    rss_ok = ei.get("peak_rss") <= TARGET_RSS if ei.get("peak_rss") is not None else None
    print(w.format("peak RSS (MiB)", fmt(ei.get("peak_rss"), "mib"), fmt(si.get("peak_rss"), "mib"),
                   "(same proc.)", f"<= {TARGET_RSS / 2 ** 20:,.0f} MiB" + ("" if big else " (on 1000x730)"),
                   verdict(rss_ok) if big else ""))
    for metric in ("mase", "wape", "bias", "rmse"):
        target, ok = "", None
        if metric == "mase" and e.get("mase") is not None and ets.get("mase") and sn.get("mase"):
            lim_ets, lim_sn = TARGET_VS_ETS * ets["mase"], TARGET_VS_SNAIVE * sn["mase"]
            target = f"<= {lim_ets:.3f} (0.95 ETS), <= {lim_sn:.3f} (0.80 SN)"
            ok = e["mase"] <= lim_ets and e["mase"] <= lim_sn
        if metric == "wape" and e.get("wape") is not None and ets.get("wape") is not None:
            target, ok = f"<= {ets['wape']:.3f} (AutoETS)", e["wape"] <= ets["wape"]
        if metric == "bias" and e.get("bias") is not None:
            target, ok = f"within +-{TARGET_BIAS:.0%}", abs(e["bias"]) <= TARGET_BIAS
        print(w.format(metric.upper() if metric != "mase" else "MASE (mean over series)", fmt(e.get(metric)),
                       fmt(ets.get(metric)), fmt(sn.get(metric)), target, verdict(ok)))
    if e.get("mase") and ets.get("mase") and sn.get("mase"):
        print(w.format("MASE engine / side", "", fmt(e["mase"] / ets["mase"]), fmt(e["mase"] / sn["mase"]),
                       "<= 0.950 / <= 0.800", ""))
    cov = e.get("coverage95")
    lo, hi = TARGET_COVERAGE
    print(w.format("95% coverage, held out", fmt(cov, "pct"), fmt(ets.get("coverage95"), "pct"),
                   fmt(sn.get("coverage95"), "pct"), f"{lo:.0%}-{hi:.0%}",
                   verdict(lo <= cov <= hi) if cov is not None else "-"))
    bcov = ei.get("backtest_coverage95")
    print(w.format("95% coverage, backtest", fmt(bcov, "pct"), "-", "-", f"{lo:.0%}-{hi:.0%}",
                   verdict(lo <= bcov <= hi) if bcov is not None else "-"))
    honest, flattering = ei.get("champion_scores") or {}, ei.get("champion_scores_in_sample") or {}
    if honest:
        print(f"    engine champions' backtest score: held out (chosen on earlier folds, scored on the last) "
              f"MASE {fmt(honest.get('mase'))} WAPE {fmt(honest.get('wape'))} bias {fmt(honest.get('bias'))}; "
              f"in-sample (chosen and scored on all folds) MASE {fmt(flattering.get('mase'))} "
              f"WAPE {fmt(flattering.get('wape'))}")
    old = row.get("engine_norefit", {}).get("scores", {}).get("engine (no refit)")
    if old:
        print(w.format("refit effect, held out:", "refit", "no refit", "", "", ""))
        for metric in ("mase", "wape", "bias", "rmse"):
            print(w.format(f"  {metric.upper()}", fmt(e.get(metric)), fmt(old.get(metric)), "", "", ""))
    if e.get("missing"):
        print(f"    engine gave no forecast for {e['missing']} series (scored as zero)")
    if ei.get("champions"):
        champs = ", ".join(f"{k} {v}" for k, v in sorted(ei["champions"].items(), key=lambda kv: -kv[1]))
        print(f"    engine champions: {champs}")
    if ei.get("statuses") and set(ei["statuses"]) != {"ok"}:
        print(f"    engine statuses: {ei['statuses']}")
    if ei.get("timings"):
        print("    engine phases (s): " + ", ".join(f"{k} {v:.1f}" for k, v in ei["timings"].items()))
    if ei.get("pooled"):
        print("    engine backtest, pooled per model: " + "; ".join(
            f"{m} MASE {fmt(p.get('mase'))} params {fmt(p.get('n_params'), 'int')}"
            for m, p in sorted(ei["pooled"].items(), key=lambda kv: (kv[1].get("mase") is None, kv[1].get("mase") or 0))))
    if si:
        print(f"    statsforecast n_jobs={si.get('n_jobs')}; process wall engine {fmt(ei.get('process_wall'), 'f1')} s, "
              f"statsforecast {fmt(si.get('process_wall'), 'f1')} s (incl. imports)")


def print_buyer_summary(rows: list) -> None:
    print("\n### buyer targets: held-out bias and WAPE, engine vs statsforecast AutoETS")
    w = "{:<44}{:>12}{:>12}{:>12}{:>12}{:>12}   {}"
    print(w.format("data set", "bias eng.", "bias ETS", "WAPE eng.", "WAPE ETS", "WAPE ratio", "verdict"))
    for row in rows:
        e = row.get("engine", {}).get("scores", {}).get("engine", {})
        ets = row.get("statsforecast", {}).get("scores", {}).get("AutoETS", {})
        if not e:
            continue
        ratio = e["wape"] / ets["wape"] if ets.get("wape") else None
        ok = abs(e["bias"]) <= TARGET_BIAS and (ratio is None or ratio <= 1.0)
        print(w.format(row["name"][:43], fmt(e.get("bias"), "pct"), fmt(ets.get("bias"), "pct"), fmt(e.get("wape")),
                       fmt(ets.get("wape")), fmt(ratio), verdict(ok)))


def print_scaling(rows: list) -> None:
    print("\n### (c) scaling of the engine's full pipeline (synthetic daily series x 730 days)")
    w = "{:>8}{:>12}{:>20}{:>16}{:>10}"
    print(w.format("series", "wall (s)", "s per 1,000 series", "peak RSS (MiB)", "MASE"))
    for r in rows:
        info = r.get("engine", {}).get("info", {})
        sc = r.get("engine", {}).get("scores", {}).get("engine", {})
        per = info.get("wall") / r["n"] * 1000 if info.get("wall") else None
        print(w.format(f"{r['n']:,}", fmt(info.get("wall"), "f1"), fmt(per, "f1"), fmt(info.get("peak_rss"), "mib"),
                       fmt(sc.get("mase"))))
    walls = [(r["n"], r.get("engine", {}).get("info", {}).get("wall")) for r in rows]
    walls = [(n, t) for n, t in walls if t]
    if len(walls) >= 2:
        (n0, t0), (n1, t1) = walls[0], walls[-1]
        print(f"    {n1 / n0:.0f}x the series took {t1 / t0:.1f}x the time (linear would be {n1 / n0:.0f}x)")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if "--scale" in argv:  # issue 12's scale benchmark of the distributed job: its own script and options
        import bench_scale

        return bench_scale.main([a for a in argv if a != "--scale"])
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--sections", default="synthetic,real,scaling", help="any of synthetic,real,scaling")
    ap.add_argument("--quick", action="store_true", help="small sizes (200 synthetic series, 50+50 real, 100-400)")
    ap.add_argument("--data-dir", default=str(data.DEFAULT_DATA_DIR))
    ap.add_argument("--horizon", type=int, default=28)
    ap.add_argument("--series", type=int, default=None, help="synthetic series in section (a) (default 1000)")
    ap.add_argument("--scaling", default=None, help="series counts of section (c) (default 250,1000,4000)")
    ap.add_argument("--retail-top", type=int, default=None, help="online retail products (default 300)")
    ap.add_argument("--store-items", type=int, default=None, help="store_item series (default all 500)")
    ap.add_argument("--sf-jobs", type=int, default=2, help="statsforecast n_jobs (2 cores here)")
    ap.add_argument("--folds", type=int, default=2)
    ap.add_argument("--no-statsforecast", action="store_true", help="engine only")
    ap.add_argument("--verbose", action="store_true", help="show the sides' own progress")
    ap.add_argument("--refit", action="store_true", help="also run the engine without the final refit")
    ap.add_argument("--memory", action="store_true", help="section (d): peak RSS of the real job child")
    ap.add_argument("--memory-sizes", default="81,2000", help="series counts of section (d) (x 730 days)")
    ap.add_argument("--global-scale", type=int, default=0,
                    help="section (e): the global-model child alone on N x 730 series (e.g. 50000)")
    ap.add_argument("--global-models", default="mlp,cnn,lstm,cnn_lstm", help="models of section (e)")
    ap.add_argument("--gbm", action="store_true", help="the LightGBM candidate vs the champion without/with it")
    ap.add_argument("--pool", default="all", help="--gbm champion pool: all, no-networks or a list of models")
    args = ap.parse_args(argv)
    sections = {s.strip() for s in args.sections.split(",")}
    if args.global_scale:
        from bench_memory import global_memory, print_global_memory

        print_global_memory(global_memory(args.global_scale, 730, args.global_models.split(",")))
        if args.sections == ap.get_default("sections") and not args.memory:
            return 0
    if args.memory:
        from bench_memory import child_memory, print_memory

        mem = [child_memory(int(n), 730) for n in args.memory_sizes.split(",")]
        print_memory(mem)
        if args.sections == ap.get_default("sections"):
            return 0
    n_syn = args.series or (200 if args.quick else 1000)
    scaling = [int(x) for x in (args.scaling or ("100,200,400" if args.quick else "250,1000,4000")).split(",")]
    top = args.retail_top or (50 if args.quick else 300)
    store_items = args.store_items or (50 if args.quick else None)
    sides = ("engine",) if args.no_statsforecast else ("engine", "statsforecast")
    if args.refit:
        sides += ("engine_norefit",)
    opts = {"sf_jobs": args.sf_jobs, "folds": args.folds, "verbose": args.verbose}
    data_dir = Path(args.data_dir)
    if args.gbm:
        from bench_gbm import main_gbm

        return main_gbm(args, sections, n_syn, store_items, top, opts, data_dir)
    rows, scale_rows = [], {}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sfai-bench-") as tmp:
        tmp = Path(tmp)
        if "synthetic" in sections:
            rows.append(compare(data.synthetic(n_syn, args.horizon), tmp, opts, sides))
            scale_rows[n_syn] = rows[-1]
        if "real" in sections:
            for load in (lambda: data.store_item(data_dir, args.horizon, store_items),
                         lambda: data.online_retail(data_dir, args.horizon, top)):
                try:
                    ds = load()
                except FileNotFoundError as exc:
                    print(f"skipping a real data set: {exc}", file=sys.stderr)
                    continue
                rows.append(compare(ds, tmp, opts, sides))
        if "scaling" in sections:
            for n in scaling:
                if n not in scale_rows:
                    scale_rows[n] = compare(data.synthetic(n, args.horizon), tmp, opts, ("engine",))
    print("\n" + "=" * 100)
    print("sales_forecast_ai engine vs statsforecast — targets: engine full pipeline on 1,000 x 730 <= 3 min wall, "
          "<= 1.5 GB peak RSS;\nMASE <= 0.95 x AutoETS and <= 0.80 x SeasonalNaive; 95% intervals cover 92-97%.")
    for row in rows:
        print_comparison(row)
    print_buyer_summary(rows)
    if "scaling" in sections:
        print_scaling([scale_rows[n] for n in sorted(scaling) if n in scale_rows])
    print(f"\n(total benchmark time {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
