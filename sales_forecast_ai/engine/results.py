"""What the engine hands back: plain data the CLI, the Odoo layer and the chat all read."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

METRICS = ("rmse", "mae", "smape", "mase", "wape", "bias")


class RunCancelled(BaseException):
    """Raise it (from a signal handler or the progress callback) to stop a forecast run.

    A BaseException, like KeyboardInterrupt, so that the engine's ``except Exception`` around
    each model -- one model failing must not stop the others -- never mistakes it for a failure.
    """


@dataclass
class SeriesResult:
    key: tuple
    status: str = "ok"  # ok | short_history | empty | all_zero | failed
    message: str = ""  # why a status is not "ok", or what was done about it
    demand_class: str = ""  # smooth | erratic | intermittent | lumpy
    champion: str | None = None
    reason: str = ""  # "won on MASE 0.71 vs 0.78 for ets"
    dates: pd.DatetimeIndex | None = None  # future dates, len h
    forecast: np.ndarray | None = None  # len h, >= 0
    intervals: dict = field(default_factory=dict)  # level -> (lo, hi), each len h
    scores: dict = field(default_factory=dict)  # model -> {metric: value}
    coverage: dict = field(default_factory=dict)  # level -> empirical backtest coverage (0..1)
    totals: dict = field(default_factory=dict)  # 7/30/90 -> forecast sum over that many days
    trend: str = "STABLE"  # UP | DOWN | STABLE
    trend_slope: float = 0.0  # smoothed slope relative to the mean level, per horizon (see engine.insights)
    confidence: float = 0.0  # 0..1
    history_mean: float = 0.0
    residual_std: float = 0.0  # std of champion's backtest errors (1 step), for safety stock
    # Honest score: the model the selection picks from every fold but the last, scored on the last
    # fold ({"model": name, metric: value}); empty with fewer than 2 folds (see pipeline._holdout).
    holdout: dict = field(default_factory=dict)


@dataclass
class PipelineResult:
    series: list[SeriesResult]
    pooled: dict  # model -> {metric: value, "n_params": int, "rmse_train": float, "rmse_val": float, "wins": int}
    timings: dict  # phase -> seconds
    levels: tuple = (80, 95)
    horizon: int = 0
    freq: str = "D"
    log: list = field(default_factory=list)  # human-readable lines (warnings, skipped models)
    coverage: dict = field(default_factory=dict)  # level -> share of backtest actuals inside the champions' bands
    # metric -> pooled score of the champions on the last backtest fold, each champion chosen on
    # the earlier folds only (honest: selection never saw the scored data); NaN with < 2 folds.
    champion_scores: dict = field(default_factory=dict)
    # metric -> pooled score of the final champions on every fold they were chosen on (optimistic)
    champion_scores_in_sample: dict = field(default_factory=dict)
    # The sums behind the pooled figures above (``metrics.pooled_sums``, (weighted total, weight) of the
    # coverages): the results of shards of one panel combine exactly (``engine.distributed``).
    sums: dict = field(default_factory=dict)
