from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

PROFILE_SELECTION = [("retail", "Retail"), ("pharmacy", "Pharmacy"), ("luxury", "Luxury")]


class ResCompany(models.Model):
    """Replenishment policy of the company: the defaults of its purchase suggestions."""

    _inherit = "res.company"

    forecast_replenishment_profile = fields.Selection(
        [("custom", "Own settings")] + PROFILE_SELECTION, string="Sector Profile", default="custom", required=True,
        help="Service level, review cycle and safety days of a sector; 'Own settings' uses the target service "
             "level, review cycle and safety days set here. A product category can use another profile.")
    forecast_review_days = fields.Integer(
        "Review Cycle (days)", default=7,
        help="Days between two orders of a product: the order-up-to level covers this much demand past the "
             "reorder point.")
    forecast_safety_days = fields.Float(
        "Safety Days", default=0.0,
        help="Floor of the safety stock in days of demand, and the safety days of the simple rule.")
    forecast_urgency_now_days = fields.Integer(
        "Order Now Below (days of cover)", default=7,
        help="Products below their reorder point, or whose stock covers fewer days than this, are ORDER NOW.")
    forecast_urgency_watch_days = fields.Integer(
        "Watch Below (days of cover)", default=14,
        help="Products whose stock covers fewer days than this (and not ORDER NOW) are WATCH.")
    forecast_orderpoint_trigger = fields.Selection(
        [("auto", "Auto"), ("manual", "Manual")], string="New Reordering Rules", default="auto", required=True,
        help="Trigger of the reordering rules created from suggestions; existing rules keep theirs.")
    forecast_policy_backtest_months = fields.Integer(
        "Policy Backtest (months)", default=12, help="Months of past demand the policy backtest replays.")

    @api.constrains("forecast_review_days", "forecast_safety_days", "forecast_urgency_now_days",
                    "forecast_urgency_watch_days", "forecast_policy_backtest_months")
    def _check_forecast_replenishment(self):
        for company in self:
            if not 0 <= company.forecast_review_days <= 365:
                raise ValidationError(_("%(company)s: the review cycle must be between 0 and 365 days (got %(days)s).",
                                        company=company.name, days=company.forecast_review_days))
            if not 0 <= company.forecast_safety_days <= 365:
                raise ValidationError(_("%(company)s: safety days must be between 0 and 365 (got %(days)s).",
                                        company=company.name, days=company.forecast_safety_days))
            if not 0 <= company.forecast_urgency_now_days <= company.forecast_urgency_watch_days <= 365:
                raise ValidationError(_("%(company)s: the ORDER NOW threshold (%(now)s days) must be between 0 and "
                                        "the WATCH threshold (%(watch)s days), itself at most 365.",
                                        company=company.name, now=company.forecast_urgency_now_days,
                                        watch=company.forecast_urgency_watch_days))
            if not 1 <= company.forecast_policy_backtest_months <= 36:
                raise ValidationError(_("%(company)s: the policy backtest replays 1 to 36 months (got %(months)s).",
                                        company=company.name, months=company.forecast_policy_backtest_months))
