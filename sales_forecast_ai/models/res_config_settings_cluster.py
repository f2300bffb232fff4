"""The "Forecast cluster" setting: where the forecast job runs its per-series shards on Dask.

Both values are system parameters that only administrators see or change (``groups``): an address
tells the job where to send the company's sales history, which a Forecast Manager must not redirect.
"""
import json
import logging
import subprocess
import sys
import tempfile

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..engine import job
from ..engine.cluster_address import DEFAULT_PORT, MAX_WORKERS, parse_scheduler_address, parse_workers

_logger = logging.getLogger(__name__)
CHECK_MODULE = "sales_forecast_ai.engine.cluster_check"


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    forecast_dask_scheduler = fields.Char(
        "Forecast Cluster", config_parameter="sales_forecast_ai.dask_scheduler", groups="base.group_system",
        help="Address of an existing Dask scheduler that runs the forecast's per-product work, e.g. "
             "tcp://dask-scheduler:8786 or tls://10.0.0.5:8786. The sales history of the run is sent to it. "
             "Empty: a local cluster on this server, one worker process per CPU unless set below.")
    forecast_dask_workers = fields.Integer(
        "Local Cluster Workers", config_parameter="sales_forecast_ai.dask_workers", groups="base.group_system",
        help="Worker processes of the local cluster when no address is set (0: one per CPU). "
             "An existing cluster keeps its own workers.")

    @api.constrains("forecast_dask_scheduler", "forecast_dask_workers")
    def _check_forecast_cluster(self):
        for settings in self:
            settings._get_forecast_cluster_address()
            try:
                parse_workers(settings.forecast_dask_workers)
            except ValueError:
                raise ValidationError(_(
                    "The number of local cluster workers must be from 0 (one per CPU) to %(max)s, got %(value)s.",
                    max=MAX_WORKERS, value=settings.forecast_dask_workers)) from None

    def action_forecast_check_cluster(self):
        """Connect to the address on the page (saved or not) as a run would, and say what was found."""
        if not self.env.user._is_system():
            raise AccessError(_("Only administrators can test the forecast cluster."))
        self.ensure_one()
        address = self._get_forecast_cluster_address()
        if not address:
            message, notif_type = _("No address: forecasts run on a local Dask cluster on this server."), "info"
        else:
            report = self._run_forecast_cluster_check(address)
            message, notif_type = self._prepare_forecast_cluster_message(address, report)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"title": _("Forecast cluster"), "message": message, "type": notif_type, "sticky": True},
        }

    def _get_forecast_cluster_address(self):
        """The page's address, checked ("" for a local cluster); ValidationError when it is not one."""
        self.ensure_one()
        try:
            return parse_scheduler_address(self.forecast_dask_scheduler)
        except ValueError:
            raise ValidationError(_(
                "The forecast cluster must be the address of a Dask scheduler, tcp://host:port or "
                "tls://host:port with a port from 1 to 65535 (e.g. tcp://dask-scheduler:%(port)s), or empty "
                "for a local cluster on this server. Got: %(value)s",
                port=DEFAULT_PORT, value=self.forecast_dask_scheduler)) from None

    @api.model
    def _get_forecast_cluster_check_timeout(self):
        return 10.0

    @api.model
    def _run_forecast_cluster_check(self, address):
        """engine.cluster_check's report, run in its own process (the server never loads Dask)."""
        timeout = self._get_forecast_cluster_check_timeout()
        with tempfile.TemporaryDirectory(prefix="sfai-cluster-check-") as work_dir:
            try:
                # The address was parsed above (no option, no blank can get in) and goes as one argument.
                done = subprocess.run(
                    [sys.executable, "-m", CHECK_MODULE, "--timeout", str(timeout), address],
                    cwd=work_dir, env=job.child_env(work_dir, threads=1), stdin=subprocess.DEVNULL,
                    capture_output=True, text=True, timeout=3 * timeout + 30, check=False)
            except (OSError, subprocess.TimeoutExpired) as exc:
                return {"ok": False, "error": str(exc)}
        try:
            return json.loads(done.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            _logger.warning("forecast cluster check gave no report: %s", done.stderr[-2000:])
            return {"ok": False, "error": (done.stderr.strip().splitlines() or ["no output"])[-1]}

    @api.model
    def _prepare_forecast_cluster_message(self, address, report):
        """(message, notification type) of a check report."""
        if report.get("ok"):
            return _("The cluster at %(address)s is ready: %(workers)s worker(s), %(threads)s thread(s), the same "
                     "package versions as this server, the engine importable.", address=address,
                     workers=report.get("workers"), threads=report.get("threads")), "success"
        problems = [report["error"]] if report.get("error") else []
        if report.get("mismatches"):
            problems.append(_("package versions differ: %s", "; ".join(report["mismatches"])))
        if report.get("engine_missing"):
            problems.append(_("workers that cannot import the add-on's engine (PYTHONPATH): %s",
                              ", ".join(report["engine_missing"])))
        return _("The cluster at %(address)s cannot run forecasts: %(problems)s", address=address,
                 problems=" / ".join(problems) or _("unknown reason")), "danger"
