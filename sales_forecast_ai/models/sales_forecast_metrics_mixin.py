"""The backtest metric columns shared by a run's comparison table and a series' candidates."""
from odoo import fields, models


class SalesForecastMetricsMixin(models.AbstractModel):
    _name = "sales.forecast.metrics.mixin"
    _description = "Forecast Backtest Metrics"

    model = fields.Char(required=True)
    rmse = fields.Float("RMSE", digits=(16, 4), aggregator="avg")
    mae = fields.Float("MAE", digits=(16, 4), aggregator="avg")
    smape = fields.Float("sMAPE", digits=(16, 4), aggregator="avg")
    mase = fields.Float("MASE", digits=(16, 4), aggregator="avg")
    wape = fields.Float("WAPE", digits=(16, 4), aggregator="avg")
    bias = fields.Float(digits=(16, 4), aggregator="avg")
