"""The forecast run on Dask shards (engine.distributed): the same numbers whatever runs it, pooled
exactly, shards finished and let go as soon as they can be (the cluster's failures and processes:
test_distributed_cluster)."""
import os

import numpy as np
import pytest

dask = pytest.importorskip("dask")
pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")

from demand_panels import END, awkward_series, seasonal_series  # noqa: E402
from distributed_helpers import (HORIZON, MODELS, RUN, SHARD, _descendants, _gone, _nan_equal,  # noqa: E402
                                 assert_same_series)

from sales_forecast_ai.engine import distributed  # noqa: E402
from sales_forecast_ai.engine.panel import Panel  # noqa: E402
from sales_forecast_ai.engine.pipeline import run_forecast  # noqa: E402
from sales_forecast_ai.engine.spilled_outputs import SpilledOutputs  # noqa: E402

# panel_profile and the other test models exist while the module runs (conftest), and only then
pytestmark = pytest.mark.usefixtures("test_models")


def test_one_shard_without_address_runs_here_and_equals_run_forecast(panel):
    run = dict(RUN, models=MODELS + ["harmonic", "theta", "ensemble"])  # the ensemble needs two of these
    panel = panel.subset(range(20))
    plain = run_forecast(panel, HORIZON, **run)
    before, seen = {p.pid for p in _descendants()}, []
    result = distributed.run_forecast_distributed(panel, HORIZON, shard_size=len(panel),
                                                  progress=lambda *a: seen.append(a), **run)
    assert "ensemble" in result.pooled
    assert {p.pid for p in _descendants()} <= before  # no cluster was started
    assert result.log[0] == "ran in this process (one shard, no cluster)"
    assert_same_series(plain, result)
    for m in plain.pooled:
        for k in ("rmse", "mae", "smape", "mase", "wape", "bias", "wins", "n_params", "coverage_80", "coverage_95"):
            assert _nan_equal(plain.pooled[m][k], result.pooled[m][k]), (m, k)
    assert plain.champion_scores == result.champion_scores
    assert plain.champion_scores_in_sample == result.champion_scores_in_sample and plain.coverage == result.coverage
    assert result.timings["shards_count"] == 1 and result.timings["workers"] == 1
    assert {"global", "shards", "total"} <= set(result.timings)
    assert seen[-1][1] == 1.0 and "naive: origin 1/3" in [m for _, _, m in seen]  # the pipeline's steps
    fractions = [f for _, f, _ in seen]
    assert fractions == sorted(fractions)


@pytest.mark.parametrize("folds", [0, 1])
def test_awkward_series_and_few_folds_as_run_forecast(folds):
    awkward = awkward_series()
    panel = Panel([(k,) for k in awkward] + [("regular",)], list(awkward.values()) + [seasonal_series(100)], END)
    models = ["naive", "seasonal_naive", "croston", "panel_profile"]
    assert_same_series(run_forecast(panel, 7, folds=folds, models=models),
                       distributed.run_forecast_distributed(panel, 7, folds=folds, models=models))


def test_one_and_two_workers_give_the_same_results(panel, preload, two_workers):
    one = distributed.run_forecast_distributed(panel, HORIZON, workers=1, shard_size=SHARD, **RUN)
    assert one.log[0] == "ran on a local Dask cluster of 1 worker process(es)"
    assert two_workers.log[0] == "ran on a local Dask cluster of 2 worker process(es)"
    assert_same_series(one, two_workers)
    assert one.champion_scores == pytest.approx(two_workers.champion_scores, rel=1e-12, nan_ok=True)
    assert two_workers.timings["shards_count"] == 3 and two_workers.timings["workers"] == 2
    assert _gone(_descendants(), 10) == []  # the local clusters are closed


def test_shards_pool_their_scores_exactly(panel, two_workers):
    whole = run_forecast(panel, HORIZON, **RUN)
    for a, b in zip(whole.series, two_workers.series):
        # per-series scores do not depend on the shard: local models see one series, the global
        # model was fitted once on the whole panel
        assert _nan_equal(a.scores, b.scores), a.key
    for m in MODELS:  # the same points pooled, in another order
        for k in ("rmse", "mae", "smape", "mase", "wape", "bias"):
            assert two_workers.pooled[m][k] == pytest.approx(whole.pooled[m][k], rel=1e-12), (m, k)
    assert sum(p["wins"] for p in two_workers.pooled.values()) == \
        sum(1 for s in two_workers.series if s.champion in two_workers.pooled)
    # the champions' honest score: pooled over the picks of every shard
    picks = [(s, s.holdout) for s in two_workers.series if s.holdout]
    assert two_workers.champion_scores["mase"] == pytest.approx(np.mean([h["mase"] for _, h in picks]), rel=1e-12)
    assert 0.5 < two_workers.coverage[95] <= 1.0


def test_a_sink_gets_every_shard_as_it_is_finished_and_the_result_keeps_the_figures(panel, preload, two_workers):
    got = {}
    sunk = distributed.run_forecast_distributed(panel, HORIZON, workers=2, shard_size=SHARD,
                                                sink=lambda start, series: got.setdefault(start, list(series)),
                                                **RUN)
    assert sorted(got) == [0, 20, 40] and sunk.series == []
    whole = type(two_workers)([s for start in sorted(got) for s in got[start]], sunk.pooled, sunk.timings)
    assert_same_series(whole, two_workers)
    for m, scores in two_workers.pooled.items():  # the same figures (a run's own seconds aside)
        assert _nan_equal({k: v for k, v in sunk.pooled[m].items() if k != "seconds"},
                          {k: v for k, v in scores.items() if k != "seconds"}), m
    assert sunk.champion_scores == pytest.approx(two_workers.champion_scores, rel=1e-12, nan_ok=True)


def test_spilled_global_outputs_slice_as_in_memory_and_leave_no_file():
    rng = np.random.default_rng(0)
    outputs = {"g": {"forecasts": rng.random((2, 30, 5), dtype=np.float32), "final": rng.random((30, 5)),
                     "own_intervals": {95: (rng.random((30, 5)), rng.random((30, 5)))},
                     "failures": {3: "too short", 25: "too short"}, "seconds": 1.5, "fitted": None},
               "failed": {"forecasts": None, "final": None, "own_intervals": {}, "failures": {0: "x"},
                          "seconds": 0.0, "fitted": None}}
    spilled = SpilledOutputs(outputs)
    try:
        for a, b in ((0, 10), (20, 30)):
            mine, ref = spilled.slice(a, b), distributed.slice_outputs(outputs, a, b)
            assert mine.keys() == ref.keys() and mine["g"]["failures"] == ref["g"]["failures"]
            np.testing.assert_array_equal(mine["g"]["forecasts"], ref["g"]["forecasts"])
            np.testing.assert_array_equal(mine["g"]["final"], ref["g"]["final"])
            np.testing.assert_array_equal(mine["g"]["own_intervals"][95][1], ref["g"]["own_intervals"][95][1])
            assert mine["failed"]["final"] is None and mine["failed"]["own_intervals"] == {}
    finally:
        spilled.close()
    assert not os.path.exists(spilled.dir)


class _Future:
    def __init__(self, key):
        self.key, self.status, self._done = key, "pending", False

    def done(self):
        return self._done

    def finish(self):
        self._done, self.status = True, "finished"

    def result(self):
        return f"result of {self.key}"


class _ScriptedClient:
    """Records what the plan submits; the test says which task is done."""

    def __init__(self):
        self.tasks = {}

    def submit(self, fn, *args, key, **kwargs):
        self.tasks[key] = _Future(key)
        return self.tasks[key]

    def kinds(self, kind):
        return sorted(int(k.split("-")[2]) for k in self.tasks if k.startswith(f"sfai-{kind}-"))

    def done(self, kind, k):
        self.tasks[f"sfai-{kind}-{k}-t"].finish()


def test_a_shard_is_finished_once_it_and_the_global_models_are_done_and_few_wait(panel, monkeypatch):
    """Shards go out a window at a time; while the global models run, at most PENDING_PER_WORKER
    shards per worker are held on the workers; once the globals are done a shard is finished as soon
    as its own local part is, without waiting for the others."""
    monkeypatch.setattr(distributed, "WINDOW_PER_WORKER", 2)
    monkeypatch.setattr(distributed, "PENDING_PER_WORKER", 4)
    names = list(RUN["models"])
    spec = distributed._Spec(panel, HORIZON, names, [], names, dict(RUN))
    bounds = distributed.shard_bounds(len(panel), 5)  # 12 shards
    client, futures = _ScriptedClient(), {}
    plan = distributed._ShardPlan(client, spec, bounds, 0, "t", futures, n_workers=1)
    plan.submit_local()
    assert client.kinds("local") == [0, 1, 2, 3]  # the window: max(2 x 1 worker, 4)
    for k in (0, 1, 2):
        client.done("local", k)
    assert plan.collect_local() == [0, 1, 2]
    plan.submit_local()
    assert client.kinds("local") == [0, 1, 2, 3]  # 3 done but waiting for the globals, 1 running: the cap
    plan.submit_finish({})  # the global models are done
    assert client.kinds("finish") == [0, 1, 2]
    client.done("finish", 1)
    assert plan.collect_finish() == [1] and plan.results[1] == "result of sfai-finish-1-t"
    assert ("local", 1) not in futures and ("finish", 1) not in futures  # its data may leave the workers
    plan.submit_local()
    assert client.kinds("local") == [0, 1, 2, 3, 4]
    client.done("local", 3)
    assert plan.collect_local() == [3]
    plan.submit_finish({})
    assert client.kinds("finish") == [0, 1, 2, 3]  # shard 3 is finished before 4 is even done




def test_bad_options_fail_before_any_cluster(panel):
    before = {p.pid for p in _descendants()}
    with pytest.raises(ValueError, match="unknown model"):
        distributed.run_forecast_distributed(panel, HORIZON, models=["naive", "nope"])
    with pytest.raises(ValueError, match="shard_size"):
        distributed.run_forecast_distributed(panel, HORIZON, shard_size=0)
    with pytest.raises(TypeError, match="colour"):
        distributed.run_forecast_distributed(panel, HORIZON, colour="red")
    assert distributed.shard_bounds(45, 20) == [(0, 20), (20, 40), (40, 45)]
    assert {p.pid for p in _descendants()} <= before

