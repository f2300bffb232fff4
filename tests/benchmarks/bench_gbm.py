"""``bench_engine.py --gbm`` (issue 12): the LightGBM candidate alone, the champion of the pool without it
and with it, AutoETS and SeasonalNaive, side by side on the held-out tail of each data set."""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import bench_datasets as data
from bench_engine import fmt, run_side, score

# -- issue 12: the LightGBM candidate -----------------------------------------------------------
def gbm_pool(spec: str) -> list:
    """The champion's pool: every registered model, or without the networks (``no-networks``)."""
    from sales_forecast_ai.engine.pipeline import default_models
    from sales_forecast_ai.engine.models import REGISTRY

    names = [m for m in default_models() if m != "lightgbm"]
    if spec == "no-networks":
        return [m for m in names if REGISTRY[m].family != "neural"]
    if spec and spec != "all":
        return [m.strip() for m in spec.split(",") if m.strip() and m.strip() != "lightgbm"]
    return names


def compare_gbm(ds: data.Dataset, tmp: Path, opts: dict, pool: list, statsforecast: bool = True) -> dict:
    path = tmp / f"{ds.name.split()[0]}-{len(ds.keys)}.npz"
    ds.save(path)
    print(f"\n== {ds.name}: {len(ds.keys):,} series, horizon {ds.horizon} (LightGBM) ==", file=sys.stderr, flush=True)
    row = {"name": ds.name, "n": len(ds.keys), "horizon": ds.horizon, "sides": {}}
    variants = (("lightgbm", ["lightgbm"]), ("champion without lightgbm", pool),
                ("champion with lightgbm", pool + ["lightgbm"]))
    for label, models in variants:
        fc, info = run_side("engine", path, tmp, dict(opts, models=models, label=label))
        row["sides"][label] = {"info": info, "scores": {n: score(ds, *t) for n, t in fc.items()}.get(label, {})}
    if statsforecast:
        fc, info = run_side("statsforecast", path, tmp, opts)
        for label in ("AutoETS", "SeasonalNaive"):
            row["sides"][label] = {"info": info, "scores": score(ds, *fc[label]) if label in fc else {}}
    return row


def print_gbm(row: dict) -> None:
    print(f"\n### LightGBM candidate — {row['name']}, {row['n']:,} series, last {row['horizon']} days held out")
    w = "{:<28}{:>8}{:>8}{:>9}{:>10}{:>10}{:>10}{:>10}"
    print(w.format("", "MASE", "WAPE", "bias", "cov95", "bt cov95", "wall s", "RSS MiB"))
    for label, side in row["sides"].items():
        sc, info = side["scores"], side["info"]
        bt = None
        if label == "lightgbm":
            bt = (info.get("pooled") or {}).get("lightgbm", {}).get("coverage_95")
        elif label.startswith("champion"):
            bt = info.get("backtest_coverage95")
        wall = info.get("walls", {}).get(label) if "walls" in info else info.get("wall")
        print(w.format(label, fmt(sc.get("mase")), fmt(sc.get("wape")), fmt(sc.get("bias"), "pct"),
                       fmt(sc.get("coverage95"), "pct"), fmt(bt, "pct"), fmt(wall, "f1"),
                       fmt(info.get("peak_rss"), "mib") if "walls" not in info else "-"))
    with_info = row["sides"].get("champion with lightgbm", {}).get("info", {})
    if with_info.get("champions"):
        champs = ", ".join(f"{k} {v}" for k, v in sorted(with_info["champions"].items(), key=lambda kv: -kv[1]))
        print(f"    champions with lightgbm: {champs}")
    pooled = with_info.get("pooled") or {}
    if pooled:
        print("    backtest MASE per model (run with lightgbm): " + ", ".join(
            f"{m} {fmt(p.get('mase'))}" for m, p in sorted(pooled.items(), key=lambda kv: kv[1].get("mase") or 9e9)))
    lgb_pooled = pooled.get("lightgbm", {})
    if lgb_pooled:
        print(f"    lightgbm in the run: backtest MASE {fmt(lgb_pooled.get('mase'))}, "
              f"{fmt(lgb_pooled.get('seconds'), 'f1')} s, {fmt(lgb_pooled.get('n_params'), 'int')} leaves")


def main_gbm(args, sections, n_syn, store_items, top, opts, data_dir) -> int:
    pool, started, rows = gbm_pool(args.pool), time.perf_counter(), []
    loaders = []
    if "synthetic" in sections:
        loaders.append(lambda: data.synthetic(n_syn, args.horizon))
    if "real" in sections:
        loaders += [lambda: data.store_item(data_dir, args.horizon, store_items),
                    lambda: data.online_retail(data_dir, args.horizon, top)]
    with tempfile.TemporaryDirectory(prefix="sfai-bench-") as tmp:
        for load in loaders:
            try:
                ds = load()
            except FileNotFoundError as exc:
                print(f"skipping a real data set: {exc}", file=sys.stderr)
                continue
            rows.append(compare_gbm(ds, Path(tmp), opts, pool, not args.no_statsforecast))
            print_gbm(rows[-1])
    print(f"\n(pool without lightgbm: {', '.join(pool)}; total {time.perf_counter() - started:.0f} s)")
    return 0
