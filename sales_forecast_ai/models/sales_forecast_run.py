"""A forecast run: one company's history, trained and forecast by the engine in a child process.

The run is a small state machine advanced by the scheduled action (sales_forecast_run_cron.py)
and filled with results by sales_forecast_run_import.py; this file holds what a user sees and
the buttons.

Why no user writes a run: its row steers the server. The scheduled action deletes the work files of
ended runs and signals their child process, so a state, path or pid that a user could set would let
them delete any directory the server can (the filestore included) or kill any of its processes.
Hence:

- runs are created and changed by the server only: the access rights give read to Forecast Users
  and read/delete to Forecast Managers, and whatever rights someone adds later, ``create`` is
  refused outside superuser mode (defaults from the context would fill the fields too) and so is
  ``write`` of any field (``_get_user_writable_fields`` is empty). The
  buttons (``action_run_now``, ``action_cancel``) check the user's right explicitly, then write
  under sudo with values the server chooses (``default_*`` context keys are dropped);
- nothing stored is trusted for a path or a process, even if a row were forged another way (SQL,
  a restored dump): the work directory is always recomputed from the configuration, the database
  and the run id (``_get_work_dir``), and a pid is signalled only after ``engine.job`` has checked
  that it runs this run's job with the secret token written in that directory at spawn;
- the children the server starts are reaped when their end is seen, so a server that runs for
  months does not collect one ``<defunct>`` process per run.
"""
import re

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import clean_context

ACTIVE_STATES = ("queued", "running")
# Levels whose bounds the point model stores (lo_80/hi_80, lo_95/hi_95).
STORED_LEVELS = (80, 95)
MANAGER_GROUP = "sales_forecast_ai.group_forecast_manager"


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
    work_dir = fields.Char("Work Directory", compute="_compute_work_dir", groups="base.group_system",
                           help="Where the running job's files are: recomputed by the server, never read back.")
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

    @api.depends("state")
    def _compute_work_dir(self):
        for run in self:
            run.work_dir = run._get_work_dir() if run.state == "running" and isinstance(run.id, int) else False

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
        if not self.env.su:
            raise AccessError(_("Forecast runs are created by the server only: use the Run Now button."))
        for vals in vals_list:
            if vals.get("name", _("New")) == _("New"):
                vals["name"] = self.env["ir.sequence"].next_by_code("sales.forecast.run") or _("New")
        return super().create(vals_list)

    def write(self, vals):
        self._check_server_only(vals)
        return super().write(vals)

    def unlink(self):
        if any(run.state == "running" for run in self):
            raise UserError(_("Cancel a running forecast run before deleting it."))
        # A cancelled run's child may still be finishing: stop it while the run's token proves it.
        self._remove_work_dir()
        return super().unlink()

    # -- buttons --------------------------------------------------------------------------------
    @api.model
    def action_run_now(self, *_selected_ids):
        """Queue a run of the current company and wake the scheduled action up.

        The list's header button sends the selected runs' ids along (as for any button): a new run is
        for the current company whatever is selected, so they are ignored."""
        self._check_manager()
        company = self.env.company  # refused when the context asks for a company the user may not use
        active = self.search([("company_id", "=", company.id), ("state", "in", ACTIVE_STATES)], limit=1)
        if active:
            raise UserError(_("%(run)s is already %(state)s for %(company)s; wait for it to finish or cancel it.",
                              run=active.name, state=dict(self._fields["state"].selection)[active.state],
                              company=company.name))
        vals = self._prepare_run_vals(company, trigger="manual")
        # sudo: users never create runs themselves (see the module docstring); the right was checked
        # above, the values are the server's and the caller's default_* keys cannot add others.
        run = self.sudo().with_context(clean_context(self.env.context)).create(vals)
        self.env.ref("sales_forecast_ai.ir_cron_forecast_run")._trigger()
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": run.id,
            "views": [(False, "form")],
            "target": "current",
        }

    def action_cancel(self):
        self._check_manager()
        self.check_access("read")  # only runs of the user's companies
        for run in self:
            if run.state not in ACTIVE_STATES:
                raise UserError(_("%(run)s is %(state)s: only queued or running runs can be cancelled.",
                                  run=run.name, state=dict(self._fields["state"].selection)[run.state]))
        for run in self:
            if run.state == "running":
                run._stop_child()
            # sudo: the state is the server's to write, for a manager whose right was checked above
            run.sudo().write({"state": "cancelled", "date_end": fields.Datetime.now(), "phase": False})
            run.sudo()._append_log(_("Cancelled by %s.", self.env.user.name))
        return True

    def action_view_results(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_forecast_ai.action_sales_forecast_result")
        action["domain"] = [("run_id", "=", self.id)]
        action["context"] = {}  # not only the latest run's results: this run's
        action["display_name"] = _("Results of %s", self.name)
        return action

    # -- helpers and hooks ----------------------------------------------------------------------
    def _check_manager(self):
        """The right behind the buttons, which then write under sudo: the access rights give no user
        create or write on runs, so they cannot be what is checked."""
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(_("Only Forecast Managers can start or cancel forecast runs."))

    def _check_server_only(self, vals):
        """Refuse values a user sends for a run: every stored field steers or records the server's
        work, so only the server (superuser mode) writes them."""
        if self.env.su:
            return
        refused = sorted(set(vals) - self._get_user_writable_fields())
        if refused:
            raise AccessError(_("Forecast runs are created and updated by the server only; use the Run Now "
                                "and Cancel buttons. Refused fields: %s", ", ".join(refused)))

    @api.model
    def _get_user_writable_fields(self):
        """Fields a user (with write access) may set on a run; none by default."""
        return frozenset()

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
