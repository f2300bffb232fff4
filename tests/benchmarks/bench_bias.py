#!/usr/bin/env python3
"""Where a forecast's bias comes from (a diagnostic script, not a test).

    python tests/benchmarks/bench_bias.py --dataset retail            # online shop, every model
    python tests/benchmarks/bench_bias.py --dataset store --models ets,harmonic,mlp

The data sets and held-out window are bench_engine.py's (bench_datasets.py). For every model it
runs the engine's rolling-origin backtest on the training part (engine.backtest.run_model, as the
pipeline does, final forecast refitted on the full history) and prints:
  * the actual totals of each backtest window, of the held-out window, and of the windows before;
  * per model: the pooled bias of each backtest fold, and bias / WAPE / MASE on the held-out window
    (bias = sum(forecast - actual) / sum|actual|, as in bench_engine.py);
  * the series contributing most to each model's held-out bias (one wholesale order or a
    cancellation can carry a model's whole bias).
A model whose held-out bias is far from its backtest folds' has a forecast that behaves
differently at the panel end than in the backtest: that is what to look at first.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

import bench_datasets as data  # noqa: E402
from bench_engine import score  # noqa: E402

LOADERS = {
    "retail": lambda a: data.online_retail(Path(a.data_dir), a.horizon, a.retail_top),
    "store": lambda a: data.store_item(Path(a.data_dir), a.horizon, a.store_items),
    "synthetic": lambda a: data.synthetic(a.series, a.horizon),
}


def window_totals(ds: data.Dataset, count: int = 6) -> list:
    """Actual totals of the ``count`` horizon-long windows before the held-out one, latest first."""
    h, out = ds.horizon, []
    for k in range(count):
        out.append(float(sum(v[len(v) - h * (k + 1):len(v) - h * k].sum() for v in ds.train if len(v) >= h * (k + 1))))
    return out


def backtest(ds: data.Dataset, models, folds: int, seed: int = 0):
    from sales_forecast_ai.engine.backtest import Backtest, fold_actuals, fold_cuts, fold_levels, run_model
    from sales_forecast_ai.engine.pipeline import _clean_panel, default_models

    clean, _ = _clean_panel(ds.panel())
    names = [m for m in (models or default_models()) if m != "ensemble"]
    cuts = fold_cuts(folds, ds.horizon)
    actual, scale = fold_actuals(clean, cuts, ds.horizon)
    bt = Backtest(cuts, ds.horizon, actual, scale, fold_levels(clean, cuts))
    log = []
    for name in names:
        print(f"  {name} ...", file=sys.stderr, flush=True)
        run_model(bt, name, clean, (95,), seed, None, log)
    for line in log:
        print(f"  log: {line}", file=sys.stderr)
    return bt


def report(ds: data.Dataset, bt, top: int = 3) -> None:
    y = ds.test
    total = max(float(np.abs(y).sum()), 1e-12)
    print(f"\n### {ds.name}: {len(ds.keys):,} series, held-out window of {ds.horizon} periods after {ds.end.date()}")
    print(f"    held-out actual total {y.sum():,.0f} (sum|y| {total:,.0f}; {int((y < 0).sum())} negative values "
          f"summing to {y[y < 0].sum():,.0f})")
    print("    totals of the windows before it, latest first: "
          + ", ".join(f"{t:,.0f}" for t in window_totals(ds)))
    print("    backtest fold totals (earliest first): "
          + ", ".join(f"{np.nansum(bt.actual[k]):,.0f}" for k in range(len(bt.cuts))))
    head = f"{'model':16}" + "".join(f"{f'fold {k + 1} bias':>14}" for k in range(len(bt.cuts)))
    print(head + f"{'held-out bias':>15}{'WAPE':>8}{'MASE':>8}   largest contributions to the held-out bias")
    for name, final in bt.final.items():
        folds = []
        for k in range(len(bt.cuts)):
            a, f = bt.actual[k], bt.forecasts[name][k]
            ok = np.isfinite(a).all(axis=1) & np.isfinite(f).all(axis=1)
            den = np.abs(a[ok]).sum()
            folds.append((f[ok] - a[ok]).sum() / den if den > 0 else float("nan"))
        f = np.clip(np.nan_to_num(final), 0.0, None)
        s = score(ds, f, f, f)
        contrib = (f - y).sum(axis=1) / total
        worst = np.argsort(-np.abs(contrib))[:top]
        who = ", ".join(f"{ds.keys[i][0]} {contrib[i]:+.3f}" for i in worst)
        print(f"{name:16}" + "".join(f"{b:>14.3f}" for b in folds)
              + f"{s['bias']:>15.3f}{s['wape']:>8.3f}{s['mase']:>8.3f}   {who}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", choices=sorted(LOADERS), default="retail")
    ap.add_argument("--models", default="", help="comma-separated engine model names (default: every model)")
    ap.add_argument("--data-dir", default=str(data.DEFAULT_DATA_DIR))
    ap.add_argument("--horizon", type=int, default=28)
    ap.add_argument("--folds", type=int, default=2)
    ap.add_argument("--retail-top", type=int, default=300)
    ap.add_argument("--store-items", type=int, default=None)
    ap.add_argument("--series", type=int, default=1000, help="synthetic series")
    args = ap.parse_args(argv)
    ds = LOADERS[args.dataset](args)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    report(ds, backtest(ds, models, args.folds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
