"""The global models in their own child process (engine.global_process): same results as in-process,
a crash or a cancel of the child handled, and TensorFlow never in the job process."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest

from sales_forecast_ai.engine import global_process
from sales_forecast_ai.engine.backtest import Backtest, fold_actuals, fold_cuts, fold_levels
from sales_forecast_ai.engine.global_process import FittedSummary, run_global_models
from sales_forecast_ai.engine.models.base import REGISTRY, Forecaster
from sales_forecast_ai.engine.panel import Panel
from sales_forecast_ai.engine.results import RunCancelled

ROOT = Path(__file__).resolve().parents[2]
END = pd.Timestamp("2024-06-30")
TINY = dict(horizon=7, window=14, epochs=2, max_windows=400, units=8, refit_epochs=1)
LEVELS = (80, 95)
CRASH_FLAG = "SFAI_TEST_CRASH_IN_FIT"


def weekly_panel(n=8, length=100, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    shape = np.array([0.6, 0.8, 1.0, 1.0, 1.2, 1.9, 0.5])
    values = [rng.poisson(rng.uniform(2, 40) * shape[t % 7]).astype(float) for _ in range(n)]
    return Panel([(f"item{i}", "WH") for i in range(n)], values, END, "D", "FR")


def backtest_for(panel, horizon=7, folds=2):
    cuts = fold_cuts(folds, horizon)
    actual, scale = fold_actuals(panel, cuts, horizon)
    return Backtest(cuts, horizon, actual, scale, fold_levels(panel, cuts))


class CrashingGlobal(Forecaster):
    """A global model that kills its process in fit (a stand-in for the kernel's OOM killer), only
    where the test asks for it: in the child, through the environment it inherits."""

    name, family, is_global, refit_per_origin = "test_crashing_global", "neural", True, False

    def fit(self, panel):
        if os.environ.get(CRASH_FLAG) == "exit":
            os._exit(9)
        if os.environ.get(CRASH_FLAG) == "sleep":
            time.sleep(600)
        self._panel = panel
        self._sigmas = np.ones(len(panel))
        return self

    def _predict_mean(self, h):
        return np.vstack([np.full(h, float(np.mean(v[-7:]))) for v in self._panel.values])


@pytest.fixture(autouse=True, scope="module")
def crashing_global_registered():
    """Registered only while these tests run (other test modules go through every REGISTRY entry at
    collection); the child finds the class by its module and name all the same."""
    REGISTRY[CrashingGlobal.name] = CrashingGlobal
    yield
    REGISTRY.pop(CrashingGlobal.name, None)


def global_children(proc, recursive=False):
    """The global model children of `proc`; other children that exit while we look (a zombie has no
    command line to read) are simply not ours."""
    found = []
    for kid in proc.children(recursive=recursive):
        try:
            if global_process.CHILD_MODULE in " ".join(kid.cmdline()):
                found.append(kid)
        except psutil.Error:
            pass
    return found


def children_of_this_process():
    return global_children(psutil.Process(), recursive=True)


@pytest.mark.parametrize("unit", [1.0, 0.1])  # whole units travel as float32, tenths as float64
def test_isolated_and_in_process_runs_give_the_same_results(unit):
    panel = weekly_panel()
    panel.values = [v * unit for v in panel.values]
    params = {"mlp": TINY}
    ticks, log_a, log_b = [], [], []
    a, b = backtest_for(panel), backtest_for(panel)
    run_global_models(a, ["mlp"], panel, LEVELS, 3, params, log_a, tick=lambda *t: ticks.append(t), isolate=True)
    run_global_models(b, ["mlp"], panel, LEVELS, 3, params, log_b, isolate=False)
    assert a.forecasts["mlp"].shape == (2, len(panel), 7) and a.final["mlp"].shape == (len(panel), 7)
    np.testing.assert_array_equal(a.forecasts["mlp"], b.forecasts["mlp"])
    np.testing.assert_array_equal(a.final["mlp"], b.final["mlp"])
    for lvl in LEVELS:
        for side in (0, 1):
            np.testing.assert_array_equal(a.own_intervals["mlp"][lvl][side], b.own_intervals["mlp"][lvl][side])
    assert np.isfinite(a.final["mlp"]).all() and (a.final["mlp"] >= 0).all()
    assert a.failures["mlp"] == b.failures["mlp"] == {}
    assert isinstance(a.fitted["mlp"], FittedSummary) and a.fitted["mlp"] == b.fitted["mlp"]
    assert a.fitted["mlp"].n_params() > 0 and np.isfinite(a.fitted["mlp"].rmse_train)
    assert a.seconds["mlp"] > 0
    assert ticks == [("mlp", k, 3) for k in (1, 2, 3)]  # every origin reported to the parent
    assert 300 < a.global_peak_rss_mb < 3000  # the child's own peak, reported back
    assert not children_of_this_process()


def test_a_crashing_child_fails_that_model_only_and_a_fresh_child_runs_the_rest(monkeypatch):
    monkeypatch.setenv(CRASH_FLAG, "exit")
    panel = weekly_panel(n=5)
    bt, log = backtest_for(panel), []
    started = time.monotonic()
    run_global_models(bt, [CrashingGlobal.name, "mlp"], panel, LEVELS, 0, {"mlp": TINY}, log)
    assert time.monotonic() - started < 300
    crashed = [line for line in log if line.startswith(CrashingGlobal.name)]
    assert crashed and "died while training it" in crashed[0] and "exit code 9" in crashed[0], log
    assert CrashingGlobal.name not in bt.final
    assert set(bt.failures[CrashingGlobal.name]) == set(range(len(panel)))
    assert np.isfinite(bt.final["mlp"]).all() and bt.failures["mlp"] == {}
    assert not children_of_this_process()


def test_a_child_killed_by_the_kernel_is_reported_as_probably_out_of_memory(monkeypatch):
    monkeypatch.setenv(CRASH_FLAG, "sleep")
    panel = weekly_panel(n=3)
    bt, log = backtest_for(panel), []

    def oom_killer():
        for _ in range(600):
            kids = children_of_this_process()
            if kids:
                time.sleep(0.5)
                kids[0].kill()
                return
            time.sleep(0.05)

    killer = threading.Thread(target=oom_killer)
    killer.start()
    run_global_models(bt, [CrashingGlobal.name], panel, LEVELS, 0, {}, log)
    killer.join()
    assert any("killed by SIGKILL, most likely out of memory" in line for line in log), log
    assert CrashingGlobal.name not in bt.final


def test_the_child_runs_at_the_priority_it_is_given(monkeypatch):
    """CHILD_NICE lowers the child's CPU priority below its parent's (bench_scale.py --global-nice)."""
    monkeypatch.setenv(CRASH_FLAG, "sleep")
    monkeypatch.setattr(global_process, "CHILD_NICE", 3)
    panel, seen = weekly_panel(n=3), {}

    def look_then_kill():
        for _ in range(600):
            kids = children_of_this_process()
            if kids and " --nice " in " ".join(kids[0].cmdline()):
                time.sleep(1.0)  # it renices itself as it starts
                seen["nice"] = kids[0].nice()
                return kids[0].kill()
            time.sleep(0.05)

    watcher = threading.Thread(target=look_then_kill)
    watcher.start()
    run_global_models(backtest_for(panel), [CrashingGlobal.name], panel, LEVELS, 0, {}, [])
    watcher.join()
    assert seen["nice"] == min(os.nice(0) + 3, 19)


def test_a_cancel_kills_and_reaps_the_child(monkeypatch):
    monkeypatch.setenv(CRASH_FLAG, "sleep")
    panel = weekly_panel(n=3)
    bt, seen = backtest_for(panel), {}

    def cancel_soon():
        for _ in range(600):
            kids = children_of_this_process()
            if kids:
                seen["pid"] = kids[0].pid
                time.sleep(0.5)
                os.kill(os.getpid(), signal.SIGUSR1)
                return
            time.sleep(0.05)

    def on_signal(signum, frame):
        raise RunCancelled()

    previous = signal.signal(signal.SIGUSR1, on_signal)
    canceller = threading.Thread(target=cancel_soon)
    canceller.start()
    try:
        with pytest.raises(RunCancelled):
            run_global_models(bt, [CrashingGlobal.name], panel, LEVELS, 0, {}, [])
    finally:
        canceller.join()
        signal.signal(signal.SIGUSR1, previous)
    assert seen.get("pid")
    assert not psutil.pid_exists(seen["pid"]), "the child is still there (or a zombie: not reaped)"
    assert not children_of_this_process()


def test_the_child_dies_with_its_parent(tmp_path):
    """A job process killed outright (SIGKILL, no cleanup) takes its global child with it."""
    code = f"""
import os, sys
sys.path.insert(0, {str(ROOT)!r}); sys.path.insert(0, {str(Path(__file__).parent)!r})
os.environ[{CRASH_FLAG!r}] = "sleep"
import test_global_process as t
t.REGISTRY[t.CrashingGlobal.name] = t.CrashingGlobal
panel = t.weekly_panel(n=3)
t.run_global_models(t.backtest_for(panel), [t.CrashingGlobal.name], panel, t.LEVELS, 0, {{}}, [])
"""
    parent = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path)
    try:
        proc, child = psutil.Process(parent.pid), None
        for _ in range(600):
            kids = global_children(proc)
            if kids:
                child = kids[0]
                break
            time.sleep(0.05)
        assert child is not None
        parent.kill()
        parent.wait(10)
        child.wait(10)  # raises TimeoutExpired if it outlived its parent
        swept = global_process._sweep_stale_dirs(tempfile.gettempdir())  # what the killed parent left
        assert any(f"{global_process.DIR_PREFIX}{parent.pid}-" in path for path in swept), swept
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def test_the_job_process_never_imports_tensorflow():
    code = """
import json, sys
import numpy as np, pandas as pd
from sales_forecast_ai.engine import run_forecast
from sales_forecast_ai.engine.panel import Panel
rng = np.random.default_rng(0)
panel = Panel([(str(i),) for i in range(6)], [rng.poisson(10, 100).astype(float) for _ in range(6)],
              pd.Timestamp("2024-06-30"), "D")
tiny = dict(horizon=7, window=14, epochs=2, max_windows=300, units=8, refit_epochs=1)
res = run_forecast(panel, 7, models=["naive", "mlp"], model_params={"mlp": tiny})
print(json.dumps({"tf": [m for m in ("tensorflow", "keras") if m in sys.modules],
                  "heavy": [m for m in ("statsforecast",) if m in sys.modules],
                  "mlp": "mlp" in res.pooled, "n_params": res.pooled["mlp"]["n_params"],
                  "log": res.log}))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["tf"] == [] and out["mlp"] and out["n_params"] > 0, out


def test_the_child_imports_neither_the_pipeline_nor_statsforecast(tmp_path):
    """What the child loads is its memory: the networks' code, not the local models' libraries."""
    code = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
from sales_forecast_ai.engine import global_child as g
import sales_forecast_ai.engine.models.neural
orig = g._run_one
def report(*a, **k):
    out = orig(*a, **k)
    print("LOADED", sorted(m for m in ("statsforecast", "sales_forecast_ai.engine.pipeline", "sklearn",
                                     "sales_forecast_ai.engine.global_process")
                           if m in sys.modules), flush=True)
    return out
g._run_one = report
"""
    # The child runs as __main__: check its imports through a sitecustomize-free wrapper module.
    wrapper = tmp_path / "probe_child.py"
    wrapper.write_text(code + "\nsys.exit(g.main(sys.argv[1:]))\n")
    panel = weekly_panel(n=3)
    bt = backtest_for(panel)
    tmp = tmp_path / "work"
    tmp.mkdir()
    global_process._write_input(str(tmp), ["mlp"], panel, bt, LEVELS, 0, {"mlp": TINY}, True)
    read_fd, write_fd = os.pipe()
    env = dict(os.environ, **{global_process.FD_ENV: str(write_fd)})
    done = subprocess.run([sys.executable, str(wrapper), str(tmp)], env=env, pass_fds=(write_fd,),
                          capture_output=True, text=True, timeout=600)
    os.close(write_fd)
    os.close(read_fd)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = [line for line in done.stdout.splitlines() if line.startswith("LOADED")]
    assert loaded == ["LOADED []"], done.stdout


def test_tensorflow_import_pages_are_handed_back_and_training_still_works():
    """tf_modules() unmaps the library pages only TensorFlow's import used: the process' resident set
    falls from ~630 MB to ~350 MB here, and a network still trains and predicts afterwards."""
    code = """
import json, sys
import numpy as np, pandas as pd
from sales_forecast_ai.engine.models.base import make
from sales_forecast_ai.engine.panel import Panel
from sales_forecast_ai.engine.models.neural_architectures import tf_modules
def rss():
    return {l.split(":")[0]: int(l.split()[1]) // 1024 for l in open("/proc/self/status")
            if l.startswith(("VmRSS", "RssFile", "VmHWM"))}
tf_modules(2)
after_import = rss()
rng = np.random.default_rng(0)
panel = Panel([(str(i),) for i in range(4)], [rng.poisson(10, 90).astype(float) for _ in range(4)],
              pd.Timestamp("2024-06-30"), "D")
fc = make("mlp", horizon=7, window=14, epochs=2, max_windows=200, units=8).fit(panel).predict(7, (95,))
print(json.dumps({"import": after_import, "trained": rss(), "finite": bool(np.isfinite(fc.mean).all())}))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["finite"], out
    assert out["import"]["VmHWM"] - out["import"]["VmRSS"] > 150, out  # pages really left the resident set
    assert out["import"]["RssFile"] < 150 and out["trained"]["RssFile"] < 250, out


def test_work_directories_of_killed_callers_are_swept(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = tmp_path / f"{global_process.DIR_PREFIX}{dead.pid}-abc"
    live = tmp_path / f"{global_process.DIR_PREFIX}{os.getpid()}-def"
    other = tmp_path / "sfai-global-notapid"
    for d in (stale, live, other):
        d.mkdir()
        (d / "values.npy").write_bytes(b"x")
    assert global_process._sweep_stale_dirs(str(tmp_path)) == [str(stale)]
    assert not stale.exists() and live.exists() and other.exists()


def test_cancelling_the_real_job_kills_its_global_child(tmp_path):
    """As the Odoo cron cancels a run: SIGTERM to the job (signal_job) while its network trains in the
    global child; the job ends 'cancelled' and leaves no process behind."""
    from sales_forecast_ai.engine import job

    panel = weekly_panel(n=4, length=200)
    slow = dict(TINY, epochs=500, patience=500, max_windows=2000)  # long enough to be caught training
    job.write_input(str(tmp_path), panel, horizon=7, folds=1, models=["naive", "mlp"], model_params={"mlp": slow})
    child = job.spawn(str(tmp_path), threads=1)
    try:
        proc, kids = psutil.Process(child.pid), []
        for _ in range(1200):
            kids = global_children(proc)
            if kids or child.poll() is not None:
                break
            time.sleep(0.05)
        assert kids, job.tail(str(tmp_path / job.LOG_FILE))
        time.sleep(1.0)
        assert job.signal_job(child.pid, str(tmp_path))
        assert child.wait(timeout=60) == job.EXIT_CANCELLED
        assert job.read_status(str(tmp_path))["state"] == "cancelled"
        kids[0].wait(10)  # gone, and reaped by the job
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
