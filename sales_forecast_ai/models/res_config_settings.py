import datetime
import re
from urllib.parse import urlparse

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..engine.models import REGISTRY as ENGINE_MODELS

CRON_XMLID = "sales_forecast_ai.ir_cron_forecast_run"
DEFAULT_GROQ_MODEL = "llama-3.3-70b-versatile"
DEFAULT_GROQ_BASE_URL = "https://api.groq.com"


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    forecast_history_days = fields.Integer(related="company_id.forecast_history_days", readonly=False)
    forecast_horizon_days = fields.Integer(related="company_id.forecast_horizon_days", readonly=False)
    forecast_backtest_folds = fields.Integer(related="company_id.forecast_backtest_folds", readonly=False)
    forecast_lead_time_days = fields.Integer(related="company_id.forecast_lead_time_days", readonly=False)
    forecast_service_level = fields.Float(related="company_id.forecast_service_level", readonly=False)
    forecast_model_pool = fields.Char(
        "Model Pool", config_parameter="sales_forecast_ai.model_pool",
        help="Comma-separated models that compete in the backtest, e.g. 'naive,ets,mlp,lstm'. "
             "Empty: every available model.")

    # The nightly training is one ir.cron shared by all companies: get_values/set_values read and
    # write it, and tolerate its absence (deleted by hand, or a database without it yet).
    forecast_cron_available = fields.Boolean(readonly=True)
    forecast_cron_active = fields.Boolean("Scheduled Training")
    forecast_cron_interval = fields.Selection(
        [("days", "Every day"), ("weeks", "Every week"), ("custom", "Custom (kept as set on the scheduled action)")],
        string="Training Frequency", default="days")
    forecast_cron_hour = fields.Integer(
        "Training Hour", default=2,
        help="Hour of the day (0-23, in your time zone) at which the next training starts.")

    # Only administrators may see or change the key: `groups` keeps it out of every other user's
    # views, fields_get, read and RPC answers.
    forecast_groq_api_key = fields.Char(
        "Groq API Key", config_parameter="sales_forecast_ai.groq_api_key", groups="base.group_system")
    forecast_groq_model = fields.Char(
        "Groq Model", config_parameter="sales_forecast_ai.groq_model", default=DEFAULT_GROQ_MODEL)
    forecast_groq_base_url = fields.Char(
        "Groq Base URL", config_parameter="sales_forecast_ai.groq_base_url", default=DEFAULT_GROQ_BASE_URL)

    @api.constrains("forecast_cron_hour")
    def _check_forecast_cron_hour(self):
        if any(not 0 <= settings.forecast_cron_hour <= 23 for settings in self):
            raise ValidationError(_("The training hour is an hour of the day, from 0 to 23."))

    @api.model
    def default_get(self, fields):
        # Odoo reads every config_parameter setting with sudo here and ignores field groups, and
        # default_get/onchange are callable over RPC by any user: drop the fields the user may not
        # read, or the Groq key would leak to whoever asks.
        if fields:
            fields = [name for name in fields if name not in self._fields or self._fields[name].is_accessible(self.env)]
        return super().default_get(fields)

    @api.model
    def get_values(self):
        res = super().get_values()
        # sudo: the schedule is no secret, and default_get must not fail for users outside Settings.
        cron = self._get_forecast_cron().sudo()
        if cron:
            res.update(
                forecast_cron_available=True,
                forecast_cron_active=cron.active,
                forecast_cron_interval=(cron.interval_type if cron.interval_number == 1
                                        and cron.interval_type in ("days", "weeks") else "custom"),
                forecast_cron_hour=self._to_user_tz(cron.nextcall).hour,
            )
        return res

    def set_values(self):
        self._check_forecast_text_settings()
        super().set_values()
        cron = self._get_forecast_cron()
        if cron:
            cron.write(self._prepare_forecast_cron_vals(cron))

    def _check_forecast_text_settings(self):
        for settings in self:
            pool = settings.forecast_model_pool
            if pool and not re.fullmatch(r"\s*[\w-]+(\s*,\s*[\w-]+)*\s*", pool):
                raise ValidationError(_("The model pool is a comma-separated list of model names, e.g. "
                                        "'naive,ets,mlp' (got %r).", pool))
            # Checked here rather than in the training child, which would only fail after reading
            # the whole history, hours later and out of the user's sight.
            unknown = [name for name in self._parse_model_pool(pool) if name not in ENGINE_MODELS]
            if unknown:
                raise ValidationError(_("Unknown model(s) in the model pool: %(unknown)s. Available models: "
                                        "%(known)s.", unknown=", ".join(unknown),
                                        known=", ".join(sorted(ENGINE_MODELS))))
            url = urlparse(settings.forecast_groq_base_url or "")
            if settings.forecast_groq_base_url and (url.scheme not in ("http", "https") or not url.netloc):
                raise ValidationError(_("The Groq base URL must be a web address such as %(example)s (got %(url)r).",
                                        example=DEFAULT_GROQ_BASE_URL, url=settings.forecast_groq_base_url))

    def _prepare_forecast_cron_vals(self, cron):
        """Only what changed: re-saving other settings must not move a weekly run that is days away."""
        self.ensure_one()
        vals = {}
        if cron.active != self.forecast_cron_active:
            vals["active"] = self.forecast_cron_active
        interval = self.forecast_cron_interval or "days"
        if interval != "custom" and (cron.interval_number, cron.interval_type) != (1, interval):
            vals.update(interval_number=1, interval_type=interval)
        if self._to_user_tz(cron.nextcall).hour != self.forecast_cron_hour or "interval_type" in vals:
            vals["nextcall"] = self._next_forecast_cron_call(self.forecast_cron_hour)
        return vals

    @api.model
    def _parse_model_pool(self, pool):
        return [name.strip() for name in (pool or "").split(",") if name.strip()]

    @api.model
    def _get_forecast_cron(self):
        """The nightly forecast cron, or an empty recordset if it was deleted or is not installed yet."""
        return self.env.ref(CRON_XMLID, raise_if_not_found=False) or self.env["ir.cron"]

    @api.model
    def _user_tz(self):
        return pytz.timezone(self.env.user.tz or "UTC")

    @api.model
    def _to_user_tz(self, utc_naive):
        return pytz.utc.localize(utc_naive).astimezone(self._user_tz())

    @api.model
    def _next_forecast_cron_call(self, hour):
        """Next time it is `hour` o'clock in the user's time zone, as a naive UTC datetime."""
        tz = self._user_tz()
        now = pytz.utc.localize(fields.Datetime.now()).astimezone(tz)
        candidate = tz.localize(datetime.datetime.combine(now.date(), datetime.time(hour)))
        if candidate <= now:
            candidate = tz.localize(datetime.datetime.combine(now.date() + datetime.timedelta(days=1),
                                                              datetime.time(hour)))
        return candidate.astimezone(pytz.utc).replace(tzinfo=None)
