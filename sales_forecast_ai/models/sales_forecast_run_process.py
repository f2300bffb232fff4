"""The forecast child process and its work directory, seen from the run.

The directory is always recomputed from the data directory, the database and the run id
(``_get_work_dir``), and a process is signalled only once ``engine.job`` has recognised it as this
run's job (command line and secret token): no stored path or pid ever steers the server.
"""
import os
import shutil
import signal
from functools import partial

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import config

from ..engine import job

ATTEMPTS_FILE = "odoo_attempts.json"


class SalesForecastRun(models.Model):
    _inherit = "sales.forecast.run"

    # -- ending ---------------------------------------------------------------------------------
    def _fail(self, message, details=""):
        for run in self:
            run.write({"state": "failed", "phase": False, "date_end": fields.Datetime.now(),
                       "error_message": message})
            run._append_log(_("FAILED: %s", message))
            if details:
                run._append_log(details[-4000:])
            run._remove_work_dir()

    def _stop_child(self, sig=signal.SIGTERM):
        """Signal the run's child, if the pid still names this run's job (never trusted as such)."""
        for run in self:
            work_dir = run._get_work_dir()
            for pid in run._get_child_pids():
                if job.signal_job(pid, work_dir, sig) and sig == signal.SIGKILL:
                    job.reap(pid, timeout=5)

    def _remove_work_dir(self):
        """Stop what is left of the child; delete the work directory once the transaction is committed."""
        for run in self:
            self._discard_work_dir(run._get_work_dir(), run._get_child_pids())

    @api.model
    def _discard_work_dir(self, work_dir, pids):
        """Kill the verified job processes of ``work_dir`` while its token is there to prove them,
        then remove the directory after the commit (a rollback keeps what the run may still need)."""
        for pid in pids:
            if job.signal_job(pid, work_dir, signal.SIGKILL):
                job.reap(pid, timeout=5)
        self.env.cr.postcommit.add(partial(shutil.rmtree, work_dir, ignore_errors=True))

    # -- helpers --------------------------------------------------------------------------------
    @api.model
    def _get_work_root(self):
        """This database's folder of run directories, from the server's configuration only."""
        return os.path.join(os.path.abspath(config["data_dir"]), "sales_forecast_ai", self.env.cr.dbname)

    def _get_work_dir(self):
        """The run's work directory: computed from the configuration, the database and the run id,
        never read from a record (a stored path would let whoever writes it choose what is deleted)."""
        self.ensure_one()
        if not isinstance(self.id, int):
            raise UserError(_("A forecast run must be saved before it has a work directory."))
        return os.path.join(self._get_work_root(), f"run_{self.id}")

    def _get_child_pids(self):
        """Pids that may be the run's child: the one recorded at spawn and the one the child wrote in
        its progress file (an attempt whose transaction rolled back recorded nothing). Only hints:
        ``job.signal_job`` checks each before any signal."""
        self.ensure_one()
        return self._get_child_pids_in(self._get_work_dir(), self.pid)

    @api.model
    def _get_child_pids_in(self, work_dir, pid=0):
        pids = [pid] if pid else []
        try:
            reported = job.read_progress(work_dir).get("pid")
        except (OSError, ValueError, AttributeError):
            reported = None
        if isinstance(reported, int) and reported not in pids:
            pids.append(reported)
        return pids

    def _reset_work_dir(self):
        """Start clean; a child left by an attempt whose transaction rolled back is stopped first.

        The directory is recomputed here, never taken from a caller or a record, and returned."""
        work_dir = self._get_work_dir()
        if os.path.isdir(work_dir):
            for pid in self._get_child_pids_in(work_dir):
                if job.signal_job(pid, work_dir, signal.SIGKILL):
                    job.reap(pid, timeout=5)
            attempts = self._read_attempts()
            for name in os.listdir(work_dir):
                if name != ATTEMPTS_FILE:
                    path = os.path.join(work_dir, name)
                    shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)
            if attempts["step"] != "extract":  # the extract step keeps counting its own attempts
                os.remove(self._get_attempts_path())
        os.makedirs(work_dir, exist_ok=True)
        return work_dir

    def _get_attempts_path(self):
        """The step counter's file, in the recomputed work directory."""
        return os.path.join(self._get_work_dir(), ATTEMPTS_FILE)

    def _read_attempts(self):
        data = job.read_json(self._get_attempts_path()) or {}
        return {"step": data.get("step", ""), "count": int(data.get("count", 0))}

    def _count_attempt(self, step):
        """Count a step in a file (files survive the rollback of a killed call, unlike the database).

        A step that fails again and again (the worker killed by its time or memory limit) is then
        seen by ``_get_crash_reason`` and ends the run instead of looping forever.
        """
        self.ensure_one()
        previous = self._read_attempts()
        count = previous["count"] + 1 if previous["step"] == step else 1
        if count > self._get_max_attempts():
            raise RuntimeError(_("step '%(step)s' was interrupted %(count)s times", step=step, count=count - 1))
        job.write_json(self._get_attempts_path(), {"step": step, "count": count})

    def _job_log_tail(self):
        return job.tail(os.path.join(self._get_work_dir(), job.LOG_FILE), 2000).strip() or "-"
