"""Command line: ``python -m sales_forecast_ai.engine forecast INPUT.csv --horizon H --out DIR``.

Reads a sales file, backtests every candidate model, picks each series' champion and writes
DIR/forecasts.csv, DIR/scores.csv and DIR/report.html. A file that cannot be used gets one
error line on stderr and exit code 2; an unexpected failure exit code 1 (``--debug`` shows the
traceback); the output files are written together at the end, never half a run.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from .csv_reader import DEFAULT_MAX_QUANTITY, MAX_CEILING
from .data import DataError, build_panel, read_sales_csv
from .results import METRICS

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class UsageError(Exception):
    """An option value that cannot be used (reported like a bad file)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sales_forecast_ai.engine",
                                     description="Demand forecasting engine of sales_forecast_ai (no Odoo needed).")
    sub = parser.add_subparsers(dest="command", required=True)
    fc = sub.add_parser("forecast", help="backtest, select and forecast every series of a sales CSV",
                        description="Backtest every candidate model on each series, pick the champion, forecast "
                                    "with calibrated intervals; write forecasts.csv, scores.csv, report.html.")
    fc.add_argument("input", help="CSV file (plain or .gz) with one row per date x item (x store)")
    fc.add_argument("--horizon", type=int, required=True, help="periods to forecast (days, weeks or months)")
    fc.add_argument("--out", required=True, help="output directory (created if missing)")
    fc.add_argument("--date-col", default=None, help="default: guessed (date, day, ds, ...)")
    fc.add_argument("--item-col", default=None, help="default: guessed (item, product, sku, ...)")
    fc.add_argument("--store-col", default=None,
                    help="default: guessed (store, warehouse, shop, ...), none if absent; '' for no store")
    fc.add_argument("--qty-col", default=None, help="default: guessed (sales, quantity, qty, units, ...)")
    fc.add_argument("--max-quantity", type=float, default=DEFAULT_MAX_QUANTITY,
                    help="quantities above this (in absolute value) are refused as absurd (default %(default)g)")
    fc.add_argument("--date-format", default="auto", choices=["auto", "iso", "dmy", "mdy"],
                    help="date convention of the file (default: detected)")
    fc.add_argument("--levels", default="80,95", help="interval levels in percent, comma separated")
    fc.add_argument("--freq", default="auto", choices=["auto", "D", "W", "M"])
    fc.add_argument("--country", default=None, help="ISO country code for public-holiday features, e.g. FR")
    fc.add_argument("--folds", type=int, default=2, help="rolling-origin backtest folds")
    fc.add_argument("--models", default=None, help="candidate pool, comma separated (default: all)")
    fc.add_argument("--metric", default="mase", choices=list(METRICS), help="champion selection metric")
    fc.add_argument("--seed", type=int, default=0)
    fc.add_argument("--plots", type=int, default=12, help="series plotted in the report (biggest first)")
    fc.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    fc.add_argument("--debug", action="store_true", help="show tracebacks of unexpected failures")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run_forecast_command(args)
    except (DataError, UsageError) as exc:
        _error(f"{exc}")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        _error("interrupted; nothing was written")
        return 130
    except Exception as exc:  # the one place that turns any failure into one line
        if args.debug:
            raise
        _error(f"the forecast failed: {type(exc).__name__}: {exc} (run again with --debug for the traceback)")
        return EXIT_FAILED


def run_forecast_command(args) -> int:
    levels = parse_levels(args.levels)
    if args.horizon < 1:
        raise UsageError(f"--horizon must be at least 1, not {args.horizon}")
    if args.folds < 1:
        raise UsageError(f"--folds must be at least 1, not {args.folds}")
    if not 0 < args.max_quantity <= MAX_CEILING:
        raise UsageError(f"--max-quantity must be above 0 and at most {MAX_CEILING:g}, not {args.max_quantity:g}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a directory")
    country = _check_country(args.country)
    models = _check_models(args.models)
    say = (lambda msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr, flush=True))
    timings = {}

    started = time.perf_counter()
    try:
        df = read_sales_csv(args.input, date_col=args.date_col, item_col=args.item_col,
                            store_col=args.store_col, qty_col=args.qty_col, max_quantity=args.max_quantity,
                            date_format=args.date_format)
    except FileNotFoundError:
        raise UsageError(f"{args.input}: no such file") from None
    except OSError as exc:
        raise UsageError(f"{args.input}: cannot be read ({exc.strerror or exc})") from None
    except DataError as exc:
        hint = " (name the columns with --date-col/--item-col/--store-col/--qty-col)" if exc.kind == "columns" else ""
        raise DataError(f"{args.input}: {exc}{hint}", line=exc.line, kind=exc.kind) from None
    if df.attrs.get("blank_qty"):
        say(f"note: {df.attrs['blank_qty']} row(s) with a blank quantity counted as no sale")
    timings["read file"] = time.perf_counter() - started

    started = time.perf_counter()
    panel = build_panel(df, freq=args.freq, country=country)
    timings["build series"] = time.perf_counter() - started
    del df
    say(f"{len(panel)} series, frequency {panel.freq}, history up to {panel.end:%Y-%m-%d}; "
        f"forecasting {args.horizon} period(s) ahead")

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ info lines are not progress
    from .pipeline import run_forecast

    result = run_forecast(panel, args.horizon, levels=levels, folds=args.folds, models=models,
                          metric=args.metric, seed=args.seed, progress=None if args.quiet else StderrProgress())
    forecasts = forecasts_frame(result, levels)
    scores = scores_frame(result)
    from .report import render_report

    html = render_report(result, panel, title="Sales forecast", source=os.path.basename(str(args.input)),
                         n_plots=args.plots, metric=args.metric, extra_timings=timings)
    _write_all(out, {"forecasts.csv": forecasts.to_csv(index=False, date_format="%Y-%m-%d"),
                     "scores.csv": scores.to_csv(index=False), "report.html": html})

    not_ok = [s for s in result.series if s.status != "ok"]
    no_fc = sum(1 for s in result.series if s.forecast is None)
    print(f"wrote {out / 'forecasts.csv'} ({len(forecasts)} rows), {out / 'scores.csv'}, {out / 'report.html'}; "
          f"{len(result.series) - no_fc} of {len(result.series)} series forecast"
          + (f", {len(not_ok)} with a status line in the report" if not_ok else ""))
    return EXIT_OK


def parse_levels(text: str) -> tuple:
    try:
        levels = [float(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise UsageError(f"--levels must be numbers in percent like 80,95, not {text!r}") from None
    if not levels or any(not 0 < lvl < 100 for lvl in levels):
        raise UsageError(f"--levels must be between 0 and 100 (exclusive), like 80,95, not {text!r}")
    levels = sorted({int(lvl) if lvl.is_integer() else lvl for lvl in levels})
    return tuple(levels)


def level_name(level) -> str:
    return f"{level:g}"


def forecasts_frame(result, levels) -> pd.DataFrame:
    """One row per series and future date: item,store,date,model,forecast,lo_<l>,hi_<l>... (levels ascending)."""
    cols = ["item", "store", "date", "model", "forecast"]
    for lvl in levels:
        cols += [f"lo_{level_name(lvl)}", f"hi_{level_name(lvl)}"]
    parts = []
    for s in result.series:
        if s.forecast is None or s.dates is None:
            continue
        h = len(s.forecast)
        item, store = _item_store(s.key)
        part = {"item": [item] * h, "store": [store] * h, "date": pd.DatetimeIndex(s.dates)[:h],
                "model": [s.champion or ""] * h, "forecast": np.asarray(s.forecast, float)}
        for lvl in levels:
            lo, hi = s.intervals.get(lvl, (np.full(h, np.nan), np.full(h, np.nan)))
            part[f"lo_{level_name(lvl)}"] = np.asarray(lo, float)
            part[f"hi_{level_name(lvl)}"] = np.asarray(hi, float)
        parts.append(pd.DataFrame(part))
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)
    num = [c for c in cols[4:]]
    frame[num] = frame[num].astype(float).round(4)
    return frame[cols]


def scores_frame(result) -> pd.DataFrame:
    """Every candidate's backtest scores per series, the champion flagged."""
    cols = ["item", "store", "model", *METRICS, "champion"]
    rows = []
    for s in result.series:
        item, store = _item_store(s.key)
        for model, sc in (s.scores or {}).items():
            rows.append([item, store, model, *[_float(sc.get(m)) for m in METRICS], model == s.champion])
    frame = pd.DataFrame(rows, columns=cols)
    frame[list(METRICS)] = frame[list(METRICS)].astype(float).round(6)
    return frame


class StderrProgress:
    """progress(phase, fraction, message) -> a line on stderr at each new phase, then at most every 5 s."""

    def __init__(self, stream=None, every=5.0):
        self.stream, self.every = stream, every
        self.phase, self.last, self.t0 = None, 0.0, time.perf_counter()

    def __call__(self, phase, fraction=None, message=""):
        now = time.perf_counter()
        if phase == self.phase and now - self.last < self.every:
            return
        self.phase, self.last = phase, now
        pct = f"{100 * float(fraction):3.0f}%" if fraction is not None else "    "
        text = f"[{now - self.t0:6.1f}s {pct}] {phase}" + (f": {message}" if message else "")
        print(text, file=self.stream or sys.stderr, flush=True)


def _item_store(key) -> tuple:
    key = tuple(key)
    return (key[0] if key else "", key[1] if len(key) > 1 else "")


def _float(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _check_models(text):
    if not text:
        return None
    names = [m.strip() for m in text.split(",") if m.strip()]
    from .models import REGISTRY

    unknown = [m for m in names if m not in REGISTRY]
    if unknown:
        raise UsageError(f"--models: unknown model{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                         f"available: {', '.join(sorted(REGISTRY))}")
    return names


def _check_country(code):
    if not code:
        return None
    code = code.strip().upper()
    import holidays

    try:
        holidays.country_holidays(code)
    except NotImplementedError:
        raise UsageError(f"--country {code}: no public-holiday calendar for this country code") from None
    return code


def _write_all(out: Path, files: dict) -> None:
    """Write every file in a temporary folder next to the outputs, then move them in place."""
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".partial-", dir=out))
    try:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        for name in files:
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _error(message: str) -> None:
    print(f"error: {' '.join(str(message).split())}", file=sys.stderr, flush=True)
