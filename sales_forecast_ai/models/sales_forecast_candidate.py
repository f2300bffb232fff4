"""One candidate model's backtest scores for one product x warehouse of a run."""
from odoo import fields, models


class SalesForecastCandidate(models.Model):
    _name = "sales.forecast.candidate"
    _inherit = "sales.forecast.metrics.mixin"
    _description = "Forecast Candidate Score"
    _order = "result_id, is_champion desc, mase, id"

    result_id = fields.Many2one("sales.forecast.result", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="result_id.company_id", store=True)
    product_id = fields.Many2one(related="result_id.product_id", store=True)
    is_champion = fields.Boolean("Champion")
