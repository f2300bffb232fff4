from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    forecast_replenishment_profile = fields.Selection(related="company_id.forecast_replenishment_profile",
                                                      readonly=False)
    forecast_review_days = fields.Integer(related="company_id.forecast_review_days", readonly=False)
    forecast_safety_days = fields.Float(related="company_id.forecast_safety_days", readonly=False)
    forecast_urgency_now_days = fields.Integer(related="company_id.forecast_urgency_now_days", readonly=False)
    forecast_urgency_watch_days = fields.Integer(related="company_id.forecast_urgency_watch_days", readonly=False)
    forecast_orderpoint_trigger = fields.Selection(related="company_id.forecast_orderpoint_trigger", readonly=False)
    forecast_policy_backtest_months = fields.Integer(related="company_id.forecast_policy_backtest_months",
                                                     readonly=False)
    forecast_abc_service_level = fields.Boolean(related="company_id.forecast_abc_service_level", readonly=False)
    forecast_service_level_a = fields.Float(related="company_id.forecast_service_level_a", readonly=False)
    forecast_service_level_b = fields.Float(related="company_id.forecast_service_level_b", readonly=False)
    forecast_service_level_c = fields.Float(related="company_id.forecast_service_level_c", readonly=False)
