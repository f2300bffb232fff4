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
    forecast_abc_service_level = fields.Boolean(
        "Service Level by ABC Class", default=True,
        help="When products have an ABC class (Analysis > ABC/XYZ), order for the service level of their class "
             "instead of the company's or sector's. A category's own level or profile still comes first.")
    forecast_service_level_a = fields.Float(
        "A Class Service Level (%)", default=98.0, help="Target service level of A products (the best sellers).")
    forecast_service_level_b = fields.Float("B Class Service Level (%)", default=95.0,
                                            help="Target service level of B products.")
    forecast_service_level_c = fields.Float(
        "C Class Service Level (%)", default=90.0, help="Target service level of C products (the tail).")

    @api.constrains("forecast_review_days", "forecast_safety_days", "forecast_urgency_now_days",
                    "forecast_urgency_watch_days", "forecast_policy_backtest_months", "forecast_service_level_a",
                    "forecast_service_level_b", "forecast_service_level_c")
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
            for abc, level in company._get_forecast_abc_service_levels(enabled_only=False).items():
                if not 50 <= level < 100:
                    raise ValidationError(_("%(company)s: the %(abc)s class service level must be at least 50%% "
                                            "and below 100%% (got %(level)s).",
                                            company=company.name, abc=abc, level=level))

    def _get_forecast_abc_service_levels(self, enabled_only=True):
        """{"A": level, "B": level, "C": level} in percent: the one place that says which service level
        an ABC class calls for (replenishment and the segments use it); {} when it is switched off."""
        self.ensure_one()
        if enabled_only and not self.forecast_abc_service_level:
            return {}
        return {"A": self.forecast_service_level_a, "B": self.forecast_service_level_b,
                "C": self.forecast_service_level_c}
