"""A real forecast run over the demo data, driven to its end the way the scheduled action does it."""
import os
import shutil
import time

# Quick models only: the run reads, trains, backtests and saves every demo series in seconds.
QUICK_POOL = "naive,seasonal_naive"
DEMO_WAREHOUSE = "sales_forecast_ai.demo_warehouse_casablanca"


def has_demo_data(env):
    return bool(env.ref(DEMO_WAREHOUSE, raise_if_not_found=False))


def run_demo_forecast(env, company, pool=QUICK_POOL, timeout=300):
    """Queue a run of ``company`` with ``pool`` and call the scheduled action's method until the run
    ends. Returns the run (``done`` unless something failed: its log says why)."""
    env["ir.config_parameter"].sudo().set_param("sales_forecast_ai.model_pool", pool)
    Run = env["sales.forecast.run"]
    run = Run.create(Run._prepare_run_vals(company, trigger="manual"))
    Run = Run.with_context(forecast_call_budget=30, forecast_poll_interval=0.2)
    deadline = time.monotonic() + timeout
    while run.state in ("queued", "running") and time.monotonic() < deadline:
        Run._cron_process(schedule=False)
    return run


def remove_work_dir(run):
    """Tests never commit, so the post-commit clean-up of a run's files never runs: do it (and stop
    the child of a run that did not end in time)."""
    path = run._get_work_dir()
    if os.path.isdir(path):
        run._stop_child()
        shutil.rmtree(path, ignore_errors=True)
