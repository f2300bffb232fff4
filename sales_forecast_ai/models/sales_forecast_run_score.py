"""One row of a run's model comparison table, pooled over every series (the original report's table)."""
from odoo import fields, models


class SalesForecastRunScore(models.Model):
    _name = "sales.forecast.run.score"
    _inherit = "sales.forecast.metrics.mixin"
    _description = "Forecast Run Model Score"
    _order = "run_id desc, mase, id"

    run_id = fields.Many2one("sales.forecast.run", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="run_id.company_id", store=True, index=True)
    family = fields.Char(help="baseline, statistical, intermittent, gbm (LightGBM) or neural")
    n_params = fields.Integer("Parameters", aggregator="max",
                             help="Parameters of the network, or estimated per series for local models.")
    rmse_train = fields.Float("RMSE Train", digits=(16, 4), aggregator="avg")
    rmse_val = fields.Float("RMSE Validation", digits=(16, 4), aggregator="avg")
    wins = fields.Integer(help="Series for which this model is the champion.")
