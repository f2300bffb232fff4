"""Analytics settings: ABC method, anomaly detector and thresholds, churn factor (system parameters,
read by the analytics models at each refresh)."""
from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    sf_abc_method = fields.Selection(
        [("rank", "By rank: top 20% / next 30% / last 50% of products"),
         ("cumulative", "By cumulative revenue: 80% / 15% / 5%")],
        string="ABC Classes", default="rank", config_parameter="sales_forecast_ai.abc_method")
    sf_anomaly_method = fields.Selection(
        [("robust", "Weekly profile (a normal Saturday peak is not an anomaly)"), ("zscore", "Plain z-score")],
        string="Anomaly Detector", default="robust", config_parameter="sales_forecast_ai.anomaly_method")
    sf_anomaly_threshold = fields.Float("Anomaly Threshold (|z|)", default=3.0,
                                        config_parameter="sales_forecast_ai.anomaly_threshold")
    sf_anomaly_high = fields.Float("High Severity from |z|", default=4.0, config_parameter="sales_forecast_ai.anomaly_high")
    sf_anomaly_medium = fields.Float("Medium Severity from |z|", default=3.0,
                                     config_parameter="sales_forecast_ai.anomaly_medium")
    sf_churn_factor = fields.Float("Churn Factor", default=2.0, config_parameter="sales_forecast_ai.churn_factor",
                                   help="A customer is at risk when the days since their last order exceed their "
                                        "usual gap between orders times this factor.")

    @api.constrains("sf_anomaly_threshold", "sf_anomaly_high", "sf_anomaly_medium", "sf_churn_factor")
    def _check_sf_analytics(self):
        for settings in self:
            if min(settings.sf_anomaly_threshold, settings.sf_anomaly_high, settings.sf_anomaly_medium,
                   settings.sf_churn_factor) <= 0:
                raise ValidationError(_("Anomaly thresholds and the churn factor must be positive."))
            if settings.sf_anomaly_high < settings.sf_anomaly_medium:
                raise ValidationError(_("The high-severity threshold cannot be below the medium one."))
