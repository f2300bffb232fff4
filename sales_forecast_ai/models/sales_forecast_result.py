"""What a run found for one product x warehouse: champion, class, trend, totals and its forecast.

Dashboards, purchase suggestions and the chat read these rows (``is_latest`` for the current
forecast) instead of recomputing anything.
"""
from odoo import api, fields, models

STATUS = [
    ("ok", "Forecast"),
    ("short_history", "Short History"),
    ("empty", "No History"),
    ("all_zero", "No Sales"),
    ("failed", "Failed"),
]
DEMAND_CLASS = [("smooth", "Smooth"), ("erratic", "Erratic"), ("intermittent", "Intermittent"), ("lumpy", "Lumpy")]
TREND = [("UP", "Up"), ("DOWN", "Down"), ("STABLE", "Stable")]


class SalesForecastResult(models.Model):
    _name = "sales.forecast.result"
    _description = "Forecast Result"
    _order = "run_id desc, total_30 desc, id"
    _check_company_auto = True

    run_id = fields.Many2one("sales.forecast.run", required=True, index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    product_id = fields.Many2one("product.product", required=True, index=True, readonly=True, check_company=True,
                                 ondelete="cascade")
    product_tmpl_id = fields.Many2one(related="product_id.product_tmpl_id", store=True, index=True)
    categ_id = fields.Many2one(related="product_id.categ_id", string="Product Category", store=True)
    warehouse_id = fields.Many2one("stock.warehouse", index=True, readonly=True, check_company=True,
                                   ondelete="cascade")
    run_date = fields.Datetime(related="run_id.date_start", string="Run Date")
    status = fields.Selection(STATUS, required=True, default="ok", readonly=True, index=True)
    message = fields.Char(readonly=True, help="Why the status is not a normal forecast, or what was done about it.")
    champion = fields.Char(readonly=True, index=True, help="Model with the best backtest score for this series.")
    reason = fields.Char(readonly=True, help="Why the champion won.")
    demand_class = fields.Selection(DEMAND_CLASS, readonly=True, index=True,
                                    help="Smooth, erratic, intermittent or lumpy (ADI and CV2 of the history).")
    trend = fields.Selection(TREND, readonly=True, default="STABLE",
                             help="Slope of the smoothed history: above 0.2 is up, below -0.2 is down.")
    confidence = fields.Float("Confidence (%)", readonly=True, digits=(16, 1), aggregator="avg",
                              help="0-100 %: data coverage, variability and sample size.")
    total_7 = fields.Float("Next 7 Days", readonly=True, digits=(16, 2))
    total_30 = fields.Float("Next 30 Days", readonly=True, digits=(16, 2))
    total_90 = fields.Float("Next 90 Days", readonly=True, digits=(16, 2))
    history_mean = fields.Float("Mean Daily Demand", readonly=True, digits=(16, 3), aggregator="sum")
    residual_std = fields.Float("Error Std Dev", readonly=True, digits=(16, 3), aggregator="avg",
                                help="Standard deviation of the champion's one-step backtest errors.")
    coverage_80 = fields.Float("80% Interval Coverage (%)", readonly=True, digits=(16, 1), aggregator="avg",
                               help="Percent of backtest days inside the 80% interval.")
    coverage_95 = fields.Float("95% Interval Coverage (%)", readonly=True, digits=(16, 1), aggregator="avg",
                               help="Percent of backtest days inside the 95% interval.")
    is_latest = fields.Boolean("Latest", readonly=True, index=True,
                               help="Result of the company's latest successful run.")
    point_ids = fields.One2many("sales.forecast.point", "result_id", string="Forecast", readonly=True)
    candidate_ids = fields.One2many("sales.forecast.candidate", "result_id", string="Candidates", readonly=True)

    @api.depends("product_id", "warehouse_id")
    def _compute_display_name(self):
        for result in self:
            names = [result.product_id.display_name or ""]
            if result.warehouse_id:
                names.append(result.warehouse_id.code or result.warehouse_id.name)
            result.display_name = " / ".join(names)

    def action_open_forecast_chart(self):
        self.ensure_one()
        return self.product_id._get_forecast_chart_action(self.warehouse_id)
