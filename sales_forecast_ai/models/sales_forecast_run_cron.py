"""The scheduled action that moves forecast runs forward, one short call at a time.

Each call of ``_cron_process`` (the ir.cron ``ir_cron_forecast_run``) does what fits well inside
Odoo's cron time limit, reports it with ``ir.cron._notify_progress`` and is called again while
work remains:

1. recover: a running run whose child process died, or whose saving steps keep being interrupted,
   is marked failed with the reason, never left "running";
2. start: a queued run (one running run per company, ``_get_max_parallel_runs`` in all) reads its
   history, writes the job input and starts ``python -m sales_forecast_ai.engine.job`` detached;
3. poll: the child trains and forecasts on its own; a call waits for it up to the call budget;
4. save: results come back in batches (sales_forecast_run_import.py), then the run finishes.

The training never runs in the Odoo worker: TensorFlow's memory lives and dies with the child.
Work files live under ``<data_dir>/sales_forecast_ai/<db>/run_<id>`` and are removed at the end.
That path is always recomputed (``_get_work_dir``), never read from the run, and the child is
signalled only through ``job.signal_job``, which first checks that the pid is this run's job.
"""
import datetime
import logging
import os
import re
import socket
import time

from psycopg2 import errors as pg_errors

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..engine import job
from ..engine.data import build_panel
from .sales_forecast_run import ACTIVE_STATES

_logger = logging.getLogger(__name__)


class SalesForecastRun(models.Model):
    _inherit = "sales.forecast.run"

    @api.model
    def _cron_process(self, schedule=True):
        """One call of the scheduled action. ``schedule=False`` only advances existing runs."""
        # sudo: the scheduled action creates and advances every company's runs, which no user may write
        self = self.sudo()  # noqa: PLW0642
        deadline = time.monotonic() + self._get_call_budget()
        job.reap()  # children of this server that ended since the last call (cancelled ones too)
        if schedule:
            self._schedule_runs()
        done = self._recover_crashed_runs() + self._clean_finished_runs()
        done += self._start_queued_runs()
        for run in self.search([("state", "=", "running")], order="id"):
            done += run._advance(deadline)
        remaining = self._get_remaining_work()
        # The cron only calls again when something was done; waiting on the child is progress too.
        self.env["ir.cron"]._notify_progress(done=max(done, 1) if remaining else done, remaining=remaining)
        if remaining and not self.env.context.get("cron_id"):
            # Started by hand ("Run now", the cron's "Run manually", a shell): make sure it continues.
            self.env.ref("sales_forecast_ai.ir_cron_forecast_run")._trigger()
        return remaining

    # -- 1. scheduling and recovery ---------------------------------------------------------------
    @api.model
    def _schedule_runs(self):
        """Queue a scheduled run for every company that is due and has something to forecast."""
        cron = self.env.ref("sales_forecast_ai.ir_cron_forecast_run", raise_if_not_found=False)
        since = fields.Datetime.now() - self._get_schedule_gap(cron)
        for company in self._get_companies_to_schedule():
            recent = self.search_count([("company_id", "=", company.id), ("trigger", "=", "cron"),
                                        ("create_date", ">=", since), ("state", "!=", "cancelled")], limit=1)
            active = self.search_count([("company_id", "=", company.id), ("state", "in", ("queued", "running"))],
                                       limit=1)
            if not recent and not active:
                self.create(self._prepare_run_vals(company, trigger="cron"))

    @api.model
    def _recover_crashed_runs(self):
        recovered = 0
        for run in self.search([("state", "=", "running")]):
            reason = run._get_crash_reason()
            if reason:
                _logger.warning("forecast run %s (%s) failed: %s", run.name, run.id, reason)
                run._fail(reason)
                recovered += 1
        return recovered

    def _get_crash_reason(self):
        """Why this running run cannot be going on any more, or "" when it may well be."""
        self.ensure_one()
        work_dir = self._get_work_dir()
        if not os.path.isdir(work_dir):
            return _("Its work directory %s is gone (server restart or cleanup?).", work_dir)
        attempts = self._read_attempts()
        if self.phase == "import" and attempts["step"].startswith("import") \
                and attempts["count"] >= self._get_max_attempts():
            return _("Step '%(step)s' was interrupted %(count)s times (time or memory limit of the worker?); "
                     "see the server log.", step=attempts["step"], count=attempts["count"])
        if self.date_start and fields.Datetime.now() - self.date_start > datetime.timedelta(
                hours=self._get_max_run_hours()):
            return _("The run took more than %s hours; it is stopped so the next one can start.",
                     self._get_max_run_hours())
        if self.phase != "train" or job.read_status(work_dir):
            return ""
        if self.host == socket.gethostname() and not job.job_alive(self.pid, work_dir):
            return _("The forecast process (pid %(pid)s) stopped without reporting: killed, out of memory or "
                     "a restart. Its last output:\n%(tail)s", pid=self.pid, tail=self._job_log_tail())
        # The child writes a heartbeat every few seconds; silence means it hangs or runs elsewhere and died.
        beat = job.read_progress(work_dir).get("heartbeat") or (
            self.heartbeat and self.heartbeat.replace(tzinfo=datetime.timezone.utc).timestamp()) or 0.0
        if beat and time.time() - beat > self._get_stale_seconds():
            return _("No sign of life from the forecast process (pid %(pid)s on %(host)s) for %(min)s minutes.",
                     pid=self.pid, host=self.host, min=int((time.time() - beat) // 60))
        return ""

    @api.model
    def _clean_finished_runs(self):
        """Stop what is left of ended runs and remove their work directories.

        The directories are found on disk in this database's own folder, not from anything stored on
        a run. One whose run no longer exists (deleted) is removed once it is older than any run
        could be, as it may belong to a run another worker is starting and has not committed yet.
        """
        root = self._get_work_root()
        try:
            names = os.listdir(root)
        except OSError:
            return 0
        dirs = {int(m[1]): os.path.join(root, name) for name in names if (m := re.fullmatch(r"run_(\d+)", name))}
        existing = self.browse(list(dirs)).exists()
        orphan_age = 3600.0 * self._get_max_run_hours()
        cleaned = 0
        for run_id, path in sorted(dirs.items()):
            if os.path.islink(path) or not os.path.isdir(path):
                continue  # never ours: the server only creates real directories there
            run = self.browse(run_id)
            if run in existing:
                if run.state in ACTIVE_STATES:
                    continue
                if run.date_end and fields.Datetime.now() - run.date_end < datetime.timedelta(seconds=60) \
                        and any(job.job_alive(pid, path) for pid in run._get_child_pids()):
                    continue  # give the SIGTERM of the cancel button a minute
                run._remove_work_dir()
            else:
                try:
                    if time.time() - os.stat(path).st_mtime < orphan_age:
                        continue
                except OSError:
                    continue
                self._discard_work_dir(path, self._get_child_pids_in(path))
            cleaned += 1
        return cleaned

    # -- 2. start -------------------------------------------------------------------------------
    @api.model
    def _start_queued_runs(self):
        running = self.search([("state", "=", "running")])
        busy, slots = set(running.company_id.ids), self._get_max_parallel_runs() - len(running)
        started = 0
        for run in self.search([("state", "=", "queued")], order="id"):
            if slots <= 0:
                break
            if run.company_id.id in busy:
                continue
            try:
                with self.env.cr.savepoint():
                    run._start()
            except pg_errors.ExclusionViolation:
                continue  # another worker started a run of this company meanwhile: stay queued
            except Exception as exc:  # noqa: BLE001 - the run records why it could not start
                if isinstance(exc, (ValueError, UserError)):  # the data, not the code: no traceback
                    _logger.warning("forecast run %s could not start: %s", run.name, exc)
                else:
                    _logger.exception("forecast run %s could not start", run.name)
                run._fail(_("Could not start: %s", self._error_text(exc)))
                continue
            busy.add(run.company_id.id)
            slots -= 1
            started += 1
        return started

    def _start(self):
        """Read the history, write the job input and start the child. Runs inside a savepoint."""
        self.ensure_one()
        work_dir = self._reset_work_dir()
        self.write({"state": "running", "phase": "extract", "date_start": fields.Datetime.now(),
                    "host": socket.gethostname(), "progress": 0.0})
        self.env.flush_all()  # the exclusion constraint refuses a second running run of the company here
        self._count_attempt("extract")
        started = time.perf_counter()
        panel = self._build_panel()
        if not len(panel):
            raise ValueError(_("No confirmed demand for forecastable products in the %s days up to yesterday: "
                               "nothing to forecast.", self.history_days))
        job.write_input(work_dir, panel, horizon=self.horizon, levels=self._get_levels(), folds=self.folds,
                        models=self._get_model_pool(), seed=self._get_seed(), model_params=self._get_model_params(),
                        extra={"run_id": self.id, "db": self.env.cr.dbname}, cluster=self._get_cluster_params())
        extract_time = time.perf_counter() - started
        child = job.spawn(work_dir, threads=self._get_child_threads())
        try:
            self.write({"phase": "train", "pid": child.pid, "series_total": len(panel),
                        "time_extract": extract_time, "heartbeat": fields.Datetime.now(), "progress": 5.0})
            self._append_log(_("History read in %(sec).1f s: %(n)s series (product x warehouse) ending %(end)s; "
                               "forecast process %(pid)s started.", sec=extract_time, n=len(panel),
                               end=panel.end.date(), pid=child.pid))
            self.env.flush_all()
        except Exception:
            child.kill()  # nothing will ever read its output
            job.reap(child.pid, timeout=5)
            raise

    def _build_panel(self):
        """The company's demand as an engine Panel ending yesterday (today is not over yet)."""
        self.ensure_one()
        demand = self.env["sales.forecast.demand"]
        today = fields.Date.context_today(self.with_context(tz=demand._get_timezone(self.company_id)))
        date_from = today - datetime.timedelta(days=self.history_days)
        frame = demand._get_demand_frame(self.company_id, date_from, today)
        return build_panel(frame, freq="D", key_cols=("product_id", "warehouse_id"), date_col="date",
                           qty_col="quantity", country=self.company_id.country_id.code or None,
                           end=today - datetime.timedelta(days=1))

    # -- 3. poll --------------------------------------------------------------------------------
    def _advance(self, deadline):
        """Move this running run on until ``deadline``; returns the work units done."""
        self.ensure_one()
        done = 0
        if self.phase == "train":
            done = self._poll_child(deadline)
        if self.state != "running" or self.phase != "import" or time.monotonic() > deadline:
            return done
        try:
            with self.env.cr.savepoint():
                return done + self._import_batch()
        except Exception as exc:  # noqa: BLE001 - the run records why, the cron goes on with others
            _logger.exception("forecast run %s failed while saving results", self.name)
            self._fail(_("Saving results failed: %s", self._error_text(exc)))
            return done + 1

    def _poll_child(self, deadline):
        """Wait for the child until it ends or the call budget is spent (no writes meanwhile, so the
        run's row is not locked while waiting and a user can still cancel it)."""
        interval = self._get_poll_interval()
        work_dir = self._get_work_dir()
        while True:
            status = job.read_status(work_dir)
            if status or self._get_crash_reason() or time.monotonic() + interval > deadline:
                break
            time.sleep(interval)
        progress = job.read_progress(work_dir)
        vals = {"progress": 5.0 + 0.85 * float(progress.get("percent") or 0.0)}
        if progress.get("heartbeat"):
            vals["heartbeat"] = datetime.datetime.fromtimestamp(progress["heartbeat"], datetime.timezone.utc) \
                .replace(tzinfo=None)
        self.write(vals)
        if status:
            # The child exits right after its status file: wait for it briefly so that it does not
            # stay <defunct> in this server (pids of another worker's children are left alone).
            for pid in self._get_child_pids():
                job.reap(pid, timeout=5)
            self._on_child_end(status)
        elif reason := self._get_crash_reason():
            self._fail(reason)
        return 1

    def _on_child_end(self, status):
        self.ensure_one()
        self.write({"time_train": status.get("seconds") or 0.0, "child_peak_rss": status.get("peak_rss_mb") or 0.0})
        if status.get("state") != "done":
            self._fail(_("The forecast process ended with %(state)s (exit code %(code)s): %(error)s",
                         state=status.get("state"), code=status.get("exit_code"), error=status.get("error") or "-"),
                       details=status.get("traceback") or self._job_log_tail())
            return
        results = self._results()
        meta = results.meta
        self.write({"phase": "import", "import_offset": 0, "series_total": len(results), "progress": 90.0,
                    "engine_timings": ", ".join(f"{k} {v:.1f} s" for k, v in (meta.get("timings") or {}).items()
                                                if isinstance(v, (int, float)))})
        lines = [_("Training and forecasting took %(sec).1f s (peak memory %(mb).0f MB).",
                   sec=self.time_train, mb=self.child_peak_rss)]
        lines += [f"engine: {line}" for line in (meta.get("log") or [])[: self._get_max_log_lines()]]
        for line in lines:
            self._append_log(line)

    @api.model
    def _error_text(self, exc):
        return str(exc.args[0]) if getattr(exc, "args", None) and isinstance(exc.args[0], str) else repr(exc)

    @api.model
    def _get_remaining_work(self):
        remaining = 0
        for run in self.search([("state", "in", ("queued", "running"))]):
            if run.state == "queued" or run.phase != "import":
                remaining += 1
            else:
                remaining += max(run.series_total - run.import_offset, 0) + 1
        return remaining

    @api.model
    def _get_schedule_gap(self, cron):
        """A company gets a new scheduled run when its last one is older than ~80% of the interval."""
        if not cron:
            return datetime.timedelta(hours=20)
        unit = {"minutes": 60, "hours": 3600, "days": 86400, "weeks": 604800, "months": 2592000}
        return datetime.timedelta(seconds=0.8 * cron.interval_number * unit.get(cron.interval_type, 86400))

    @api.model
    def _get_companies_to_schedule(self):
        """Companies with confirmed sales or imported history; others would only get empty runs."""
        companies = self.env["res.company"].search([])
        with_sales = self.env["sale.order"]._read_group(
            [("state", "in", self.env["sale.report"]._get_done_states())], groupby=["company_id"])
        with_history = self.env["sales.forecast.history"]._read_group([], groupby=["company_id"])
        wanted = {c.id for (c,) in with_sales + with_history}
        return companies.filtered(lambda c: c.id in wanted)
