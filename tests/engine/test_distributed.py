"""The forecast run on Dask shards (engine.distributed): same numbers whatever runs it, never a hang,
never a process left behind."""
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

dask = pytest.importorskip("dask")
pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")

import dask_test_models  # noqa: E402 - panel_profile, dies_once, sleepy
from demand_panels import END, awkward_series, intermittent_series, seasonal_series  # noqa: E402

from sales_forecast_ai.engine import dask_cluster, distributed, job  # noqa: E402
from sales_forecast_ai.engine.panel import Panel  # noqa: E402
from sales_forecast_ai.engine.pipeline import run_forecast  # noqa: E402
from sales_forecast_ai.engine.spilled_outputs import SpilledOutputs  # noqa: E402

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


@pytest.fixture(scope="module", autouse=True)
def test_models():
    """The test-only models exist in this process while this module's tests run, and only then."""
    with dask_test_models.registered():
        yield


@pytest.fixture(scope="module")
def panel():
    return make_panel()


@pytest.fixture(scope="module")
def preload():
    """Workers import the test models when they start (LocalCluster workers get the driver's config)."""
    with dask.config.set({"distributed.worker.preload": ["dask_test_models"]}):
        yield


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


@pytest.fixture(scope="module")
def two_workers(panel, preload):
    return distributed.run_forecast_distributed(panel, HORIZON, workers=2, shard_size=SHARD, **RUN)


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


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory, preload):
    """A scheduler and two single-threaded workers, started as real processes on 127.0.0.1."""
    tmp = tmp_path_factory.mktemp("dask")
    file = tmp / "scheduler.json"
    # one death per task is forgiven (the default is 3: a shorter test)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), str(HERE)]),
               DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES="1")
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", "0", "--no-dashboard", "--scheduler-file", str(file)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.time() + 30
        while not file.exists() or not file.read_text().strip():
            assert time.time() < deadline, "the scheduler did not start"
            time.sleep(0.1)
        address = json.loads(file.read_text())["address"]
        for _ in range(2):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", "--nworkers", "1",
                 "--host", "127.0.0.1", "--no-dashboard", "--preload", "dask_test_models"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        _FIXTURE_PIDS.update(p.pid for p in procs)
        from distributed import Client

        with Client(address, timeout=20) as client:
            client.wait_for_workers(2, timeout=30)
        yield address
    finally:
        _FIXTURE_PIDS.clear()
        for p in procs[::-1]:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=3)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def test_an_external_scheduler_gives_the_local_cluster_result(panel, scheduler, two_workers):
    result = distributed.run_forecast_distributed(panel, HORIZON, address=scheduler, shard_size=SHARD, **RUN)
    assert result.log[0] == f"ran on the Dask scheduler at {scheduler}"
    assert result.timings["workers"] == 2
    assert_same_series(two_workers, result)


def test_a_worker_dying_in_its_shard_is_retried(panel, scheduler, tmp_path):
    models = ["naive", "seasonal_naive", "dies_once", "panel_profile"]
    ready = tmp_path / "ready"
    ready.write_text("")  # marker present: this run dies nowhere
    reference = distributed.run_forecast_distributed(panel, HORIZON, address=scheduler, shard_size=SHARD,
                                                     models=models, model_params={"dies_once": {"marker": str(ready)}})
    marker = tmp_path / "died"
    result = distributed.run_forecast_distributed(panel, HORIZON, address=scheduler, shard_size=SHARD,
                                                  models=models, model_params={"dies_once": {"marker": str(marker)}})
    assert marker.exists()  # a worker did die in the middle of a shard
    assert _dead(int(marker.read_text()))
    assert_same_series(reference, result)


def test_a_shard_that_kills_every_worker_fails_the_run_with_the_reason(panel, scheduler):
    with pytest.raises(distributed.ClusterError, match=r"a Dask worker died 2 times on shard [123]/3 \(series"):
        distributed.run_forecast_distributed(panel, HORIZON, address=scheduler, shard_size=SHARD,
                                             models=["naive", "dies_once"],
                                             model_params={"dies_once": {"always": True}})


def test_an_unreachable_scheduler_fails_quickly_and_clearly(panel, monkeypatch):
    monkeypatch.setattr(dask_cluster, "CONNECT_TIMEOUT", 3)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    before = {p.pid for p in _descendants()}
    started = time.monotonic()
    with pytest.raises(distributed.ClusterError, match=f"tcp://127.0.0.1:{port}"):
        distributed.run_forecast_distributed(panel, HORIZON, address=f"tcp://127.0.0.1:{port}", shard_size=SHARD,
                                             **RUN)
    assert time.monotonic() - started < 15
    assert {p.pid for p in _descendants()} <= before


class _LostClient:
    """A client whose scheduler is gone (status) or has no worker left (identity)."""

    def __init__(self, status, workers=None):
        self.status, self.workers, self.scheduler = status, workers, type("rpc", (), {"identity": None})()

    def sync(self, func, **kwargs):
        if self.workers is None:
            raise OSError("connection refused")
        return {"workers": self.workers}


@pytest.mark.parametrize("client, reason", [
    (_LostClient("connecting"), "no connection to the scheduler"),
    (_LostClient("running", workers={}), "no worker"),
])
def test_a_lost_cluster_stops_the_run_instead_of_hanging(monkeypatch, client, reason):
    monkeypatch.setattr(dask_cluster, "LOST_TIMEOUT", 0.3)
    monkeypatch.setattr(dask_cluster, "CHECK_EVERY", 0.0)
    watch = dask_cluster.Watch(client, "tcp://10.0.0.9:8786")
    watch.check()  # the first look starts the clock
    time.sleep(0.4)
    with pytest.raises(distributed.ClusterError, match=f"{reason} at tcp://10.0.0.9:8786 for 0.3 s"):
        watch.check()
    healthy = dask_cluster.Watch(_LostClient("running", workers={"w": {}}), "x")
    healthy.check()
    time.sleep(0.4)
    healthy.check()  # workers there: no error


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


_DRIVER = """
    import sys
    sys.path[:0] = [{repo!r}, {here!r}]
    import dask, distributed, dask_test_models  # distributed first: it adds its config defaults
    dask_test_models.register_all()
    from demand_panels import END, seasonal_series
    from sales_forecast_ai.engine.panel import Panel
    from sales_forecast_ai.engine.distributed import run_forecast_distributed
    if __name__ == "__main__":
        panel = Panel([(str(i),) for i in range(40)], [seasonal_series(80, seed=i) for i in range(40)], END, "D")
        with dask.config.set({{"distributed.worker.preload": ["dask_test_models"]}}):
            run_forecast_distributed(panel, 7, workers=1, shard_size=5, models=["sleepy"], folds=1,
                                     model_params={{"sleepy": {{"seconds": 1}}}},
                                     progress=lambda *a: print(*a, flush=True))
"""


def _workers_of(pid, timeout=60):
    """The driver's worker process, once it is started."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        procs = [p for p in psutil.Process(pid).children(recursive=True)
                 if "resource_tracker" not in " ".join(_cmdline(p))]
        if procs:
            return procs
        time.sleep(0.2)
    raise AssertionError("the local cluster never started")


def test_a_killed_driver_leaves_no_worker_behind(tmp_path):
    script = tmp_path / "driver.py"
    script.write_text(textwrap.dedent(_DRIVER.format(repo=str(REPO), here=str(HERE))))
    driver = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _workers_of(driver.pid)
        time.sleep(1)  # the shards are running
        workers = psutil.Process(driver.pid).children(recursive=True)
        driver.kill()
        driver.wait(timeout=10)
        assert _gone(workers, 30) == [], "worker processes outlived their driver"
    finally:
        if driver.poll() is None:
            driver.kill()


_JOB = """
    import sys
    sys.path[:0] = [{here!r}]
    import dask, distributed, dask_test_models
    dask_test_models.register_all()
    from sales_forecast_ai.engine import job
    if __name__ == "__main__":
        with dask.config.set({{"distributed.worker.preload": ["dask_test_models"]}}):
            sys.exit(job.main(sys.argv[1:]))
"""


def _write_job(tmp_path, panel, cluster, **kwargs):
    job.write_input(str(tmp_path), panel, horizon=7, folds=1, **kwargs)
    params = json.loads((tmp_path / job.INPUT_JSON).read_text())
    params["cluster"] = cluster
    job.write_json(str(tmp_path / job.INPUT_JSON), params)


def test_sigterm_closes_the_cluster_of_the_job(tmp_path, panel):
    _write_job(tmp_path, panel, {"address": "", "workers": 1, "shard_size": 10}, models=["sleepy"],
               model_params={"sleepy": {"seconds": 1}})
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(_JOB.format(here=str(HERE))))
    child = subprocess.Popen([sys.executable, str(script), str(tmp_path)], cwd=str(tmp_path),
                             env=job.child_env(str(tmp_path)))
    try:
        _workers_of(child.pid)
        time.sleep(1)  # the shards are running
        workers = psutil.Process(child.pid).children(recursive=True)
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=40) == job.EXIT_CANCELLED
        assert job.read_status(str(tmp_path))["state"] == "cancelled"
        assert _gone(workers, 5) == [], "the cancelled job left worker processes"
    finally:
        if child.poll() is None:
            child.kill()


def test_a_job_runs_on_two_shards(tmp_path, panel, scheduler):
    """On the test's scheduler (a local cluster per job is what the SIGTERM test starts)."""
    before = {p.pid for p in _descendants()}
    _write_job(tmp_path, panel.subset(range(30)), {"address": scheduler, "shard_size": 15},
               models=["naive", "seasonal_naive"])
    assert job.run(str(tmp_path)) == job.EXIT_DONE, job.read_status(str(tmp_path))
    results = job.Results(str(tmp_path))
    assert len(results) == 30 and results.meta["log"][0] == f"ran on the Dask scheduler at {scheduler}"
    assert results.meta["timings"]["shards_count"] == 2
    assert results.series(29)["key"] == ["P29", "WH"] and results.series(7)["status"] == "all_zero"
    reference = run_forecast(panel.subset(range(15, 30)), 7, models=["naive", "seasonal_naive"], folds=1)
    for i, s in enumerate(reference.series):
        stored = results.series(15 + i)
        assert stored["champion"] == s.champion
        if s.forecast is not None:
            np.testing.assert_array_equal(stored["arrays"]["forecast"], s.forecast)
    assert _gone([p for p in _descendants() if p.pid not in before], 10) == []


@pytest.mark.parametrize("cluster, error", [
    ({"address": "ssh://evil; rm -rf /"}, "tcp://host:port"),
    ({"address": "", "workers": -1}, "workers"),
    ({"address": "", "shard_size": "10"}, "shard_size"),
    ({"address": "", "command": "x"}, "only"),
])
def test_a_job_refuses_a_bad_cluster_entry(tmp_path, cluster, error):
    _write_job(tmp_path, make_panel(3), cluster, models=["naive"])
    assert job.run(str(tmp_path)) == job.EXIT_BAD_INPUT
    assert error in job.read_status(str(tmp_path))["error"]
