"""A forecast run: one company's history, trained and forecast by the engine in a child process.

The run is a small state machine advanced by the scheduled action (sales_forecast_run_cron.py)
and filled with results by sales_forecast_run_import.py; this file holds what a user sees and
the buttons.
"""
import re

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

ACTIVE_STATES = ("queued", "running")
# Levels whose bounds the point model stores (lo_80/hi_80, lo_95/hi_95).
STORED_LEVELS = (80, 95)


class SalesForecastRun(models.Model):
    _name = "sales.forecast.run"
    _description = "Forecast Run"
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(required=True, readonly=True, copy=False, default=lambda self: _("New"))
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True,
                                 default=lambda self: self.env.company)
    state = fields.Selection(
        [("queued", "Queued"), ("running", "Running"), ("done", "Done"), ("failed", "Failed"),
         ("cancelled", "Cancelled")],
        required=True, default="queued", readonly=True, index=True, copy=False)
    phase = fields.Selection(
        [("extract", "Reading history"), ("train", "Training and forecasting"), ("import", "Saving results"),
         ("finish", "Finishing")],
        readonly=True, copy=False)
    trigger = fields.Selection([("cron", "Scheduled"), ("manual", "Manual")], required=True, default="manual",
                               readonly=True)
    user_id = fields.Many2one("res.users", string="Started by", readonly=True, default=lambda self: self.env.user)
    # Parameters, copied from the company's settings when the run is queued.
    history_days = fields.Integer("History Window (days)", required=True, default=730,
                                  help="Days of sales history the models learn from, counted back from yesterday.")
    horizon = fields.Integer("Horizon (days)", required=True, default=90, help="Days forecast ahead.")
    folds = fields.Integer("Backtest Folds", required=True, default=2,
                           help="Rolling-origin backtest windows each candidate is scored on.")
    levels = fields.Char("Interval Levels", required=True, default="80,95",
                         help="Prediction interval levels in percent, comma separated; 80 and 95 are stored.")
    model_pool = fields.Char(
        help="Comma-separated engine model names (e.g. naive,seasonal_naive,ets,mlp). Empty: every model.")
    # Timings and counts.
    date_start = fields.Datetime("Started", readonly=True, copy=False)
    date_end = fields.Datetime("Ended", readonly=True, copy=False)
    duration = fields.Float("Duration (s)", compute="_compute_duration", store=True, aggregator="avg")
    time_extract = fields.Float("History Reading (s)", readonly=True, copy=False, aggregator="avg")
    time_train = fields.Float("Training (s)", readonly=True, copy=False, aggregator="avg")
    time_write = fields.Float("Saving (s)", readonly=True, copy=False, aggregator="avg")
    engine_timings = fields.Text(readonly=True, copy=False, help="Engine phases, as reported by the engine.")
    series_total = fields.Integer("Series", readonly=True, copy=False)
    series_done = fields.Integer("Series Saved", readonly=True, copy=False)
    series_failed = fields.Integer("Series Failed", readonly=True, copy=False,
                                   help="Series the engine could not forecast or whose result could not be saved.")
    import_offset = fields.Integer(readonly=True, copy=False, help="Series of the engine output handled so far.")
    progress = fields.Float("Progress (%)", readonly=True, copy=False, aggregator=False)
    # The child process.
    pid = fields.Integer("Process ID", readonly=True, copy=False)
    host = fields.Char(readonly=True, copy=False)
    work_dir = fields.Char(readonly=True, copy=False)
    heartbeat = fields.Datetime("Last Sign of Life", readonly=True, copy=False)
    child_peak_rss = fields.Float("Training Peak Memory (MB)", readonly=True, copy=False)
    points_pruned = fields.Boolean(readonly=True, copy=False,
                                   help="Daily forecast points were deleted by the retention setting.")
    log = fields.Text(readonly=True, copy=False)
    error_message = fields.Text(readonly=True, copy=False)
    score_ids = fields.One2many("sales.forecast.run.score", "run_id", string="Model Comparison", readonly=True)
    result_ids = fields.One2many("sales.forecast.result", "run_id", string="Results", readonly=True)
    result_count = fields.Integer(compute="_compute_result_count")

    # The database itself refuses a second running run of one company, even from two workers at once.
    _sql_constraints = [
        ("one_running_per_company", "EXCLUDE (company_id WITH =) WHERE (state = 'running')",
         "A forecast run is already running for this company; two runs of one company never run at once."),
    ]

    @api.depends("date_start", "date_end")
    def _compute_duration(self):
        for run in self:
            run.duration = (run.date_end - run.date_start).total_seconds() if run.date_start and run.date_end else 0.0

    def _compute_result_count(self):
        counts = dict(self.env["sales.forecast.result"]._read_group(
            [("run_id", "in", self.ids)], groupby=["run_id"], aggregates=["__count"]))
        for run in self:
            run.result_count = counts.get(run, 0)

    @api.constrains("horizon", "history_days", "folds", "levels", "model_pool")
    def _check_parameters(self):
        for run in self:
            if run.horizon < 1 or run.horizon > 730:
                raise ValidationError(_("The horizon must be between 1 and 730 days (got %s).", run.horizon))
            if run.history_days < 28:
                raise ValidationError(_("The history window must cover at least 28 days (got %s).",
                                        run.history_days))
            if run.folds < 1 or run.folds > 10:
                raise ValidationError(_("Backtest folds must be between 1 and 10 (got %s).", run.folds))
            run._get_levels()
            if run.model_pool and not re.fullmatch(r"\s*[\w-]+(\s*,\s*[\w-]+)*\s*", run.model_pool):
                raise ValidationError(_("The model pool is a comma-separated list of model names, e.g. "
                                        "'naive,ets,mlp' (got %r).", run.model_pool))

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", _("New")) == _("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code("sales.forecast.run") or _("New")
        return super().create(vals_list)

    def unlink(self):
        if any(run.state == "running" for run in self):
            raise UserError(_("Cancel a running forecast run before deleting it."))
        return super().unlink()

    # -- buttons --------------------------------------------------------------------------------
    @api.model
    def action_run_now(self):
        """Queue a run of the current company and wake the scheduled action up."""
        self.check_access("create")
        company = self.env.company
        active = self.search([("company_id", "=", company.id), ("state", "in", ACTIVE_STATES)], limit=1)
        if active:
            raise UserError(_("%(run)s is already %(state)s for %(company)s; wait for it to finish or cancel it.",
                              run=active.name, state=dict(self._fields["state"].selection)[active.state],
                              company=company.name))
        run = self.create(self._prepare_run_vals(company, trigger="manual"))
        self.env.ref("sales_forecast_ai.ir_cron_forecast_run")._trigger()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": run.id,
            "views": [(False, "form")],
            "target": "current",
        }

    def action_cancel(self):
        for run in self:
            if run.state not in ACTIVE_STATES:
                raise UserError(_("%(run)s is %(state)s: only queued or running runs can be cancelled.",
                                  run=run.name, state=dict(self._fields["state"].selection)[run.state]))
        for run in self:
            if run.state == "running":
                run._stop_child()
            run.write({"state": "cancelled", "date_end": fields.Datetime.now(), "phase": False})
            run._append_log(_("Cancelled by %s.", self.env.user.name))
        return True

    def action_view_results(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_forecast_ai.action_sales_forecast_result")
        action["domain"] = [("run_id", "=", self.id)]
        action["context"] = {}  # not only the latest run's results: this run's
        action["display_name"] = _("Results of %s", self.name)
        return action

    # -- helpers and hooks ----------------------------------------------------------------------
    def _get_levels(self):
        """The interval levels as a tuple of ints; ValidationError when the text is not one."""
        self.ensure_one()
        try:
            levels = tuple(sorted({int(v) for v in (self.levels or "").split(",") if v.strip()}))
        except ValueError:
            levels = ()
        if not levels or any(v <= 0 or v >= 100 for v in levels):
            raise ValidationError(_("Interval levels are percentages between 1 and 99 separated by commas, e.g. "
                                    "'80,95' (got %r).", self.levels))
        return levels

    def _get_model_pool(self):
        self.ensure_one()
        return [m.strip() for m in (self.model_pool or "").split(",") if m.strip()] or None

    def _append_log(self, line):
        """Add a line to the run's log, timestamped (the log is what an admin reads first)."""
        for run in self:
            stamp = fields.Datetime.now().strftime("%Y-%m-%d %H:%M:%S")
            run.log = f"{run.log or ''}{stamp} {line}\n"

    @api.model
    def _prepare_run_vals(self, company, trigger):
        """Values of a new run: the company's forecast settings at the time it is queued."""
        vals = {"company_id": company.id, "trigger": trigger, "user_id": self.env.user.id}
        for field_name, setting in self._get_setting_fields().items():
            if company[setting]:
                vals[field_name] = company[setting]
        # sudo: the model pool is a system parameter (Settings), read for whoever queues the run
        pool = self.env["ir.config_parameter"].sudo().get_param("sales_forecast_ai.model_pool")
        if pool:
            vals["model_pool"] = pool
        return vals

    @api.model
    def _get_setting_fields(self):
        """Run parameter -> res.company setting field it is copied from."""
        return {
            "history_days": "forecast_history_days",
            "horizon": "forecast_horizon_days",
            "folds": "forecast_backtest_folds",
        }
