"""The forecast job: its file protocol, progress, exit codes, and a real child process."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest

from sales_forecast_ai.engine import job
from sales_forecast_ai.engine.panel import Panel
from sales_forecast_ai.engine.results import PipelineResult, SeriesResult

END = pd.Timestamp("2024-03-31")


def make_panel(n=3, length=120, seed=0):
    rng = np.random.default_rng(seed)
    keys = [(str(10 + i), str(1 + i % 2)) for i in range(n)]
    # Different lengths: a new product has a shorter history.
    values = [rng.poisson(5 + 3 * np.sin(np.arange(length - 10 * i) * 2 * np.pi / 7)).astype(float)
              for i in range(n)]
    return Panel(keys, values, END, "D", "FR")


def fake_result(panel, horizon, levels=(80, 95)):
    """A PipelineResult as the engine returns it: one forecast series, one failed series."""
    series = []
    dates = panel.future_dates(horizon)
    for i, key in enumerate(panel.keys):
        if i == 1:
            series.append(SeriesResult(key, status="failed", message="every model failed"))
            continue
        mean = np.full(horizon, float(i + 1))
        series.append(SeriesResult(
            key, demand_class="smooth", champion="naive", reason="won on MASE 0.5 vs 0.9 for mean",
            dates=dates, forecast=mean, intervals={lvl: (mean - lvl / 100, mean + lvl / 100) for lvl in levels},
            scores={"naive": {"rmse": 1.0, "mase": 0.5}, "mean": {"rmse": 2.0, "mase": float("nan")}},
            coverage={80: 0.8, 95: 0.95}, totals={7: 7.0 * (i + 1), 30: 30.0 * (i + 1), 90: 90.0 * (i + 1)},
            trend="UP", confidence=np.float64(0.7), history_mean=np.float32(5.0), residual_std=1.5))
    pooled = {"naive": {"rmse": 1.0, "mase": 0.5, "n_params": 0, "rmse_train": 0.9, "rmse_val": 1.1, "wins": 2}}
    return PipelineResult(series, pooled, {"backtest": 1.25}, tuple(levels), horizon, "D", ["one warning"])


def test_input_round_trip(tmp_path):
    panel = make_panel()
    job.write_input(str(tmp_path), panel, horizon=14, levels=(95, 80), folds=3, models=["naive", "ets"],
                    seed=7, model_params={"mlp": {"epochs": 2}}, extra={"run_id": 5})
    back, params = job.read_input(str(tmp_path))
    assert back.keys == panel.keys
    assert back.end == panel.end and back.freq == "D" and back.country == "FR"
    for a, b in zip(back.values, panel.values):
        np.testing.assert_array_equal(a, b)
    assert params["horizon"] == 14 and params["levels"] == [95, 80] and params["folds"] == 3
    assert params["models"] == ["naive", "ets"] and params["seed"] == 7
    assert params["model_params"] == {"mlp": {"epochs": 2}} and params["extra"] == {"run_id": 5}


def test_read_input_rejects_inconsistent_files(tmp_path):
    job.write_input(str(tmp_path), make_panel(), horizon=7)
    data = json.loads((tmp_path / job.INPUT_JSON).read_text())
    data["keys"].append(["99", "1"])
    (tmp_path / job.INPUT_JSON).write_text(json.dumps(data))
    with pytest.raises(ValueError, match="does not match"):
        job.read_input(str(tmp_path))
    with pytest.raises(ValueError, match="no input.json"):
        job.read_input(str(tmp_path / "missing"))


def test_run_writes_results_progress_and_status(tmp_path, monkeypatch):
    panel = make_panel()
    calls = []

    def fake_run_forecast(p, horizon, **kwargs):
        calls.append(kwargs)
        kwargs["progress"]("backtest", 0.5, "fold 1 of 2")
        progress = job.read_progress(str(tmp_path))
        assert progress["phase"] == "backtest" and progress["percent"] == 50.0
        assert progress["message"] == "fold 1 of 2" and progress["pid"] == os.getpid()
        result = fake_result(p, horizon, kwargs["levels"])
        for start in reversed(range(0, len(result.series), 2)):  # as shards of two series, the last first
            kwargs["sink"](start, result.series[start:start + 2])
        result.series = []
        return result

    module = type(sys)("sales_forecast_ai.engine.distributed")
    module.run_forecast_distributed = fake_run_forecast
    monkeypatch.setitem(sys.modules, "sales_forecast_ai.engine.distributed", module)
    job.write_input(str(tmp_path), panel, horizon=10, models=["naive"], extra={"run_id": 3})

    assert job.run(str(tmp_path)) == job.EXIT_DONE
    assert calls[0]["models"] == ["naive"] and calls[0]["levels"] == (80, 95) and calls[0]["folds"] == 2
    assert calls[0]["address"] is None and "workers" not in calls[0]  # no cluster given: a local one
    status = job.read_status(str(tmp_path))
    assert status["state"] == "done" and status["exit_code"] == 0 and status["peak_rss_mb"] > 0
    assert job.read_progress(str(tmp_path))["percent"] == 100.0

    results = job.Results(str(tmp_path))
    assert len(results) == 3
    assert results.dates[0] == pd.Timestamp("2024-04-01").date() and len(results.dates) == 10
    assert results.meta["extra"] == {"run_id": 3} and results.meta["log"] == ["one warning"]
    assert results.meta["pooled"]["naive"]["wins"] == 2
    first = results.series(0)
    assert first["key"] == ["10", "1"] and first["champion"] == "naive" and first["trend"] == "UP"
    assert first["totals"] == {"7": 7.0, "30": 30.0, "90": 90.0} and first["coverage"]["95"] == 0.95
    assert first["scores"]["mean"]["mase"] is None  # NaN is stored as null, JSON stays valid
    np.testing.assert_allclose(first["arrays"]["forecast"], 1.0)
    np.testing.assert_allclose(first["arrays"]["hi_95"], 1.95)
    failed = results.series(1)
    assert failed["status"] == "failed" and failed["message"] == "every model failed" and failed["arrays"] == {}
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp") or ".tmp." in f or "result-parts" in f]


def test_run_reports_engine_errors_with_exit_code(tmp_path, monkeypatch):
    module = type(sys)("sales_forecast_ai.engine.distributed")

    def broken(*args, **kwargs):
        raise RuntimeError("the backtest exploded")

    module.run_forecast_distributed = broken
    monkeypatch.setitem(sys.modules, "sales_forecast_ai.engine.distributed", module)
    job.write_input(str(tmp_path), make_panel(), horizon=5)
    assert job.run(str(tmp_path)) == job.EXIT_FAILED
    status = job.read_status(str(tmp_path))
    assert status["state"] == "failed" and "the backtest exploded" in status["error"]
    assert "RuntimeError" in status["traceback"]
    assert not os.path.exists(tmp_path / job.RESULT_JSON)
    assert not [f for f in os.listdir(tmp_path) if "result" in f]  # nor the parts of one


def test_bad_input_exits_2(tmp_path):
    (tmp_path / job.INPUT_JSON).write_text("{not json")
    assert job.run(str(tmp_path)) == job.EXIT_BAD_INPUT
    assert job.read_status(str(tmp_path))["state"] == "failed"
    assert job.main([str(tmp_path / "nowhere")]) == job.EXIT_BAD_INPUT


def _spawn_script(tmp_path, body):
    """Start a child through job.spawn's environment with a stand-in pipeline (``body``)."""
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(body))
    env = job.child_env(str(tmp_path))
    return subprocess.Popen([sys.executable, str(script), str(tmp_path)], cwd=str(tmp_path), env=env)


def test_sigterm_cancels_the_child(tmp_path):
    job.write_input(str(tmp_path), make_panel(), horizon=5)
    child = _spawn_script(tmp_path, """
        import sys, time, types
        distributed = types.ModuleType("sales_forecast_ai.engine.distributed")
        def slow(panel, h, progress=None, **kw):
            progress("training", 0.1, "mlp")
            time.sleep(60)
        distributed.run_forecast_distributed = slow
        sys.modules["sales_forecast_ai.engine.distributed"] = distributed
        from sales_forecast_ai.engine import job
        sys.exit(job.main(sys.argv[1:]))
    """)
    deadline = time.time() + 30
    while job.read_progress(str(tmp_path)).get("phase") != "training":
        assert time.time() < deadline, "the child never reported progress"
        time.sleep(0.1)
    assert job.pid_alive(child.pid)
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == job.EXIT_CANCELLED
    assert job.read_status(str(tmp_path))["state"] == "cancelled"
    assert not job.pid_alive(child.pid)


def test_heartbeat_keeps_a_silent_child_visible(tmp_path, monkeypatch):
    monkeypatch.setattr(job, "HEARTBEAT_SECONDS", 0.05)
    reporter = job._Reporter(str(tmp_path))
    reporter.update(phase="training")
    first = job.read_progress(str(tmp_path))["heartbeat"]
    reporter.start_heartbeat()
    try:
        time.sleep(0.5)
        assert job.read_progress(str(tmp_path))["heartbeat"] > first
    finally:
        reporter.stop()


def test_pid_alive_sees_exited_and_zombie_children():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    time.sleep(0.5)  # exited, not yet reaped: a zombie
    assert not job.pid_alive(child.pid)
    assert not job.pid_alive(0)
    assert job.pid_alive(os.getpid())


def test_child_imports_the_engine_without_odoo(tmp_path):
    """The private import path holds only the add-on: no Odoo, and nothing shadows the stdlib."""
    env = job.child_env(str(tmp_path))
    assert env["PYTHONPATH"] == str(tmp_path / "pkg")
    assert os.listdir(tmp_path / "pkg") == ["sales_forecast_ai"]
    out = subprocess.run(
        [sys.executable, "-c", "import sys, sales_forecast_ai.engine.job as j; "
                               "print(j.__file__); print('odoo' in sys.modules)"],
        cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=120, check=True)
    path, odoo_loaded = out.stdout.split()
    assert path.startswith(str(tmp_path / "pkg")) and odoo_loaded == "False"


def test_real_child_forecasts_with_baselines(tmp_path):
    """End to end: spawn the real job on a small panel with cheap models, as the Odoo cron does."""
    pytest.importorskip("sales_forecast_ai.engine.pipeline")
    panel = make_panel(n=4, length=200)
    job.write_input(str(tmp_path), panel, horizon=14, folds=1, models=["naive", "seasonal_naive"])
    child = job.spawn(str(tmp_path), threads=1)
    assert child.wait(timeout=300) == job.EXIT_DONE, job.tail(str(tmp_path / job.LOG_FILE))
    results = job.Results(str(tmp_path))
    assert len(results) == 4 and len(results.dates) == 14
    for i in range(4):
        series = results.series(i)
        assert series["status"] == "ok", series
        assert series["champion"] in ("naive", "seasonal_naive")
        fc = series["arrays"]["forecast"]
        assert fc.shape == (14,) and np.isfinite(fc).all() and (fc >= 0).all()
        assert (series["arrays"]["lo_95"] <= fc + 1e-9).all() and (series["arrays"]["hi_95"] >= fc - 1e-9).all()
    assert set(results.meta["pooled"]) >= {"naive", "seasonal_naive"}
