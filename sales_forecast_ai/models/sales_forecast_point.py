"""One forecast day of one product x warehouse, with its 80% and 95% prediction intervals.

Written in bulk by the run (sales_forecast_run_import.py); product, warehouse and company are
stored copies of the result's, so charts and record rules filter points without a join. Only
result and product are indexed: a run writes series x horizon rows, every index slows that down.
"""
from odoo import fields, models


class SalesForecastPoint(models.Model):
    _name = "sales.forecast.point"
    _description = "Forecast Point"
    _order = "result_id, date"

    result_id = fields.Many2one("sales.forecast.result", required=True, index=True, ondelete="cascade")
    product_id = fields.Many2one(related="result_id.product_id", store=True, index=True)
    warehouse_id = fields.Many2one(related="result_id.warehouse_id", store=True)
    company_id = fields.Many2one(related="result_id.company_id", store=True)
    date = fields.Date(required=True)
    forecast = fields.Float(digits=(16, 3))
    lo_80 = fields.Float("Low 80%", digits=(16, 3), aggregator="sum")
    hi_80 = fields.Float("High 80%", digits=(16, 3), aggregator="sum")
    lo_95 = fields.Float("Low 95%", digits=(16, 3), aggregator="sum")
    hi_95 = fields.Float("High 95%", digits=(16, 3), aggregator="sum")
