"""The two benchmarked sides, each run in its own process by bench_engine.py so that its peak
memory is its own: ``python bench_workers.py engine|engine_norefit|statsforecast DATA.npz OUT.npz [options]``
(engine_norefit: the final forecast rolled forward from the earliest backtest origin, as before
the refit on the full history -- to measure what the refit changes). Options ``models`` (the
run's model pool; default every registered model) and ``label`` (the key of its forecasts).

A side loads the prepared data set, forecasts the held-out horizon at the 95% level (the engine
also at 80%), and writes point forecasts, 95% bounds, wall times and peak RSS to OUT.npz.
Peak memory is sampled over the whole process tree (statsforecast may fork workers; their PSS is
added up so shared pages count once) and is never below the kernel's own peak RSS for the
process (ru_maxrss).
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

from bench_datasets import Dataset  # noqa: E402
from process_memory import TreeSampler  # noqa: E402


def run_engine(ds: Dataset, opts: dict) -> dict:
    from sales_forecast_ai.engine import run_forecast
    from sales_forecast_ai.engine.cli import StderrProgress

    panel = ds.panel()
    started = time.perf_counter()
    result = run_forecast(panel, ds.horizon, levels=(80, 95), folds=opts.get("folds", 2), seed=0,
                          models=opts.get("models"), progress=StderrProgress(every=15.0),
                          refit_final=opts.get("refit_final", True))
    wall = time.perf_counter() - started
    by_key = {tuple(s.key): s for s in result.series}
    n, h = len(ds.keys), ds.horizon
    mean, lo, hi = np.full((n, h), np.nan), np.full((n, h), np.nan), np.full((n, h), np.nan)
    champions, statuses, backtest_cov = {}, {}, []
    for i, key in enumerate(ds.keys):
        s = by_key.get(tuple(key))
        if s is None:
            continue
        statuses[s.status] = statuses.get(s.status, 0) + 1
        if s.champion:
            champions[s.champion] = champions.get(s.champion, 0) + 1
        if s.coverage.get(95) is not None and np.isfinite(s.coverage.get(95)):
            backtest_cov.append(float(s.coverage[95]))
        if s.forecast is not None:
            mean[i] = np.asarray(s.forecast, float)[:h]
            if 95 in s.intervals:
                lo[i], hi[i] = (np.asarray(b, float)[:h] for b in s.intervals[95])
    pooled = {m: {k: _jsonable(v) for k, v in stats.items()} for m, stats in (result.pooled or {}).items()}
    info = {"wall": wall, "timings": {k: float(v) for k, v in (result.timings or {}).items()},
            "champions": champions, "statuses": statuses, "pooled": pooled,
            "backtest_coverage95": float(np.mean(backtest_cov)) if backtest_cov else None,
            "champion_scores": {k: _jsonable(v) for k, v in result.champion_scores.items()},
            "champion_scores_in_sample": {k: _jsonable(v) for k, v in result.champion_scores_in_sample.items()}}
    label = opts.get("label") or ("engine" if opts.get("refit_final", True) else "engine (no refit)")
    return {label: (mean, lo, hi)}, info


def run_statsforecast(ds: Dataset, opts: dict) -> dict:
    import pandas as pd
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, SeasonalNaive

    season = {"D": 7, "W": 52, "M": 12}[ds.freq]
    freq = {"D": "D", "W": "W-MON", "M": "MS"}[ds.freq]
    ids = np.array([f"{i:06d}" for i in range(len(ds.keys))])
    lengths = np.array([len(v) for v in ds.train])
    ds_col = np.concatenate([pd.date_range(end=ds.end, periods=m, freq=freq).to_numpy() for m in lengths])
    df = pd.DataFrame({"unique_id": np.repeat(ids, lengths), "ds": ds_col, "y": np.concatenate(ds.train)})
    out, walls = {}, {}
    for label, model in (("AutoETS", AutoETS(season_length=season)), ("SeasonalNaive", SeasonalNaive(season))):
        started = time.perf_counter()
        sf = StatsForecast(models=[model], freq=freq, n_jobs=opts.get("sf_jobs", 1),
                           fallback_model=SeasonalNaive(season))
        fc = sf.forecast(df=df, h=ds.horizon, level=[95])
        walls[label] = time.perf_counter() - started
        fc = fc.sort_values(["unique_id", "ds"])
        pos = {u: i for i, u in enumerate(ids)}
        rows = fc["unique_id"].map(pos).to_numpy()
        step = fc.groupby("unique_id").cumcount().to_numpy()
        grids = []
        for col in (label, f"{label}-lo-95", f"{label}-hi-95"):
            grid = np.full((len(ids), ds.horizon), np.nan)
            grid[rows, step] = fc[col].to_numpy(dtype=float)
            grids.append(np.maximum(grid, 0.0))  # demand is never negative: clipped like the engine's
        out[label] = tuple(grids)
    return out, {"wall": sum(walls.values()), "walls": walls, "n_jobs": opts.get("sf_jobs", 1)}


def _jsonable(v):
    try:
        v = float(v)
        return v if np.isfinite(v) else None
    except (TypeError, ValueError):
        return str(v)


def main(argv):
    side, data_path, out_path = argv[:3]
    opts = json.loads(argv[3]) if len(argv) > 3 else {}
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    t0 = time.perf_counter()
    ds = Dataset.load(data_path)
    # With worker processes (statsforecast n_jobs > 1) forked children share pages with this one: the
    # tree's total is counted in PSS, every shared page once.
    with TreeSampler(os.getpid(), pss_total=True) as rss:
        if side == "engine_norefit":
            forecasts, info = run_engine(ds, dict(opts, refit_final=False))
        else:
            forecasts, info = (run_engine if side == "engine" else run_statsforecast)(ds, opts)
    peak = max(rss.total_peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    info.update(peak_rss=peak, process_wall=time.perf_counter() - t0)
    arrays = {f"{name}|{part}": arr for name, trio in forecasts.items() for part, arr in zip(("mean", "lo", "hi"), trio)}
    np.savez(out_path, info=np.array(json.dumps(info), dtype=object), **arrays)


if __name__ == "__main__":
    main(sys.argv[1:])
