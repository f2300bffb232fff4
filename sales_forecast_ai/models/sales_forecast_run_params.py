"""Tuning of forecast runs: system parameters ``sales_forecast_ai.<key>`` with safe defaults.

Each is an overridable ``_get_*`` hook; the defaults suit a 2-core server with Odoo's default
cron limits (120 s per call), so most databases never set any of them.
"""
import json
import logging
import os

from odoo import api, models
from odoo.tools import config

_logger = logging.getLogger(__name__)


class SalesForecastRun(models.Model):
    _inherit = "sales.forecast.run"

    def _param(self, key, default):
        # sudo: technical tuning parameters, readable by the cron whoever runs it
        value = self.env["ir.config_parameter"].sudo().get_param(f"sales_forecast_ai.{key}")
        try:
            return type(default)(value) if value not in (None, False, "") else default
        except (TypeError, ValueError):
            return default

    @api.model
    def _get_call_budget(self):
        """Seconds one call may spend: the parameter, and never more than half the cron time limit."""
        budget = float(self.env.context.get("forecast_call_budget") or self._param("cron_call_seconds", 55.0))
        limit = config.get("limit_time_real_cron") or 0
        if limit and limit < 0:
            limit = config.get("limit_time_real") or 0
        return min(budget, 0.5 * limit) if limit and limit > 0 else budget

    @api.model
    def _get_poll_interval(self):
        return float(self.env.context.get("forecast_poll_interval") or 2.0)

    @api.model
    def _get_stale_seconds(self):
        return self._param("stale_seconds", 600.0)

    @api.model
    def _get_max_run_hours(self):
        return self._param("max_run_hours", 12.0)

    @api.model
    def _get_max_attempts(self):
        return self._param("max_attempts", 2)

    @api.model
    def _get_max_parallel_runs(self):
        return self._param("max_parallel_runs", 1)

    @api.model
    def _get_child_threads(self):
        return self._param("child_threads", min(os.cpu_count() or 1, 4))

    @api.model
    def _get_max_log_lines(self):
        return 200

    @api.model
    def _get_seed(self):
        return self._param("seed", 0)

    @api.model
    def _get_model_params(self):
        """Per-model engine options, e.g. ``{"mlp": {"epochs": 5}}`` (JSON system parameter)."""
        raw = self._param("model_params", "")
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            _logger.warning("ignoring sales_forecast_ai.model_params: not JSON")
            return None

    def _get_import_batch_size(self):
        return max(self._param("import_batch_size", 200), 1)

    def _get_retention_days(self):
        """Days the daily points of older runs are kept (system parameter ``sales_forecast_ai.retention_days``,
        30 by default; 0 keeps them forever). The company's latest done run always keeps its points."""
        return self._param("retention_days", 30)
