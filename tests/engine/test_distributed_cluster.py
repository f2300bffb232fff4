"""The forecast run on a real Dask cluster (engine.distributed): an external scheduler and workers,
a worker that dies, a cluster that is lost or never there -- never a hang, never a process left behind."""
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

dask = pytest.importorskip("dask")
pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")

from distributed_helpers import (HERE, HORIZON, REPO, RUN, SHARD, _FIXTURE_PIDS, _cmdline, _dead,  # noqa: E402
                                 _descendants, _gone, assert_same_series, make_panel)

from sales_forecast_ai.engine import dask_cluster, distributed, job  # noqa: E402
from sales_forecast_ai.engine.pipeline import run_forecast  # noqa: E402

# panel_profile and the other test models exist while the module runs (conftest), and only then
pytestmark = pytest.mark.usefixtures("test_models")


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

