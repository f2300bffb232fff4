from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    """Forecast settings that differ per company: each company has its own history, suppliers and
    stock policy. Edited in Settings > Sales Forecast; copied onto each forecast run when it starts."""

    _inherit = "res.company"

    forecast_history_days = fields.Integer(
        "Forecast History Window (days)", default=730,
        help="How many days of past sales each forecast learns from.")
    forecast_horizon_days = fields.Integer(
        "Forecast Horizon (days)", default=90,
        help="How many days ahead forecasts are made.")
    forecast_backtest_folds = fields.Integer(
        "Backtest Folds", default=2,
        help="How many past periods every model is tested on before the best one is chosen per product.")
    forecast_lead_time_days = fields.Integer(
        "Default Vendor Lead Time (days)", default=7,
        help="Lead time used for purchase suggestions when a product's vendor does not state one.")
    forecast_service_level = fields.Float(
        "Target Service Level (%)", default=95.0,
        help="Share of demand to serve from stock; sets the safety stock of purchase suggestions.")

    @api.constrains("forecast_history_days", "forecast_horizon_days", "forecast_backtest_folds",
                    "forecast_lead_time_days", "forecast_service_level")
    def _check_forecast_settings(self):
        for company in self:
            if company.forecast_history_days < 28:
                raise ValidationError(_("%(company)s: the forecast history window must cover at least 28 days "
                                        "(got %(days)s).", company=company.name, days=company.forecast_history_days))
            if not 1 <= company.forecast_horizon_days <= 730:
                raise ValidationError(_("%(company)s: the forecast horizon must be between 1 and 730 days "
                                        "(got %(days)s).", company=company.name, days=company.forecast_horizon_days))
            if not 1 <= company.forecast_backtest_folds <= 10:
                raise ValidationError(_("%(company)s: backtest folds must be between 1 and 10 (got %(folds)s).",
                                        company=company.name, folds=company.forecast_backtest_folds))
            if not 0 <= company.forecast_lead_time_days <= 365:
                raise ValidationError(_("%(company)s: the default vendor lead time must be between 0 and 365 days "
                                        "(got %(days)s).", company=company.name, days=company.forecast_lead_time_days))
            if not 50 <= company.forecast_service_level < 100:
                raise ValidationError(_("%(company)s: the target service level is a percentage from 50 to 99.9 "
                                        "(got %(level)s).", company=company.name, level=company.forecast_service_level))
