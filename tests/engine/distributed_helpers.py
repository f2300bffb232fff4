"""What the tests of engine.distributed share (test_distributed, test_distributed_cluster): a panel with
odd series, helpers that compare results and find the processes a run left behind (their fixtures are
in conftest.py)."""
import json
from pathlib import Path

import numpy as np
import psutil
from demand_panels import END, intermittent_series, seasonal_series

from sales_forecast_ai.engine.panel import Panel

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
# Cheap local models and a cheap global one (fitted once on the whole panel).
MODELS = ["naive", "seasonal_naive", "moving_average", "panel_profile"]
RUN = dict(models=MODELS, folds=2, levels=(80, 95))
HORIZON = 14
SHARD = 20


def make_panel(n=60):
    values = [intermittent_series(150, seed=i) if i % 4 == 0 else seasonal_series(150 - i, level=5 + i % 7, seed=i)
              for i in range(n)]
    if n > 11:
        values[7] = np.zeros(150)  # no demand at all
        values[11] = values[11][-10:]  # too short to backtest
    return Panel([(f"P{i}", "WH") for i in range(n)], values, END, "D", "FR")


# The external scheduler and workers of the ``scheduler`` fixture: they outlive single tests on purpose.
_FIXTURE_PIDS: set = set()


def _descendants():
    """Our child processes, but multiprocessing's resource tracker (one per process, ends with it) and
    the ``scheduler`` fixture's processes."""
    fixture = set(_FIXTURE_PIDS)
    for pid in _FIXTURE_PIDS:
        try:
            fixture.update(p.pid for p in psutil.Process(pid).children(recursive=True))
        except psutil.Error:
            pass
    return [p for p in psutil.Process().children(recursive=True)
            if p.pid not in fixture and "resource_tracker" not in " ".join(_cmdline(p))]


def _cmdline(proc):
    try:
        return proc.cmdline()
    except psutil.Error:
        return []


def _dead(pid) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE  # exited, not yet reaped by its nanny
    except psutil.NoSuchProcess:
        return True


def _gone(procs, timeout):
    _, alive = psutil.wait_procs(procs, timeout=timeout)
    return alive


def assert_same_series(a, b):
    assert [s.key for s in a.series] == [s.key for s in b.series]
    for x, y in zip(a.series, b.series):
        assert (x.status, x.champion, x.reason, x.demand_class) == (y.status, y.champion, y.reason, y.demand_class)
        np.testing.assert_array_equal(x.forecast, y.forecast)
        assert set(x.intervals) == set(y.intervals)
        for lvl in x.intervals:
            np.testing.assert_array_equal(x.intervals[lvl][0], y.intervals[lvl][0])
            np.testing.assert_array_equal(x.intervals[lvl][1], y.intervals[lvl][1])
        assert x.scores == y.scores or _nan_equal(x.scores, y.scores), x.key
        assert _nan_equal(x.holdout, y.holdout) and _nan_equal(x.coverage, y.coverage)
        assert x.totals == y.totals and x.trend == y.trend and x.confidence == y.confidence


def _nan_equal(a, b):
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)
