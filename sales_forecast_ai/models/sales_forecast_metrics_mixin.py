"""The backtest metric columns shared by a run's comparison table and a series' candidates."""
from odoo import fields, models


class SalesForecastMetricsMixin(models.AbstractModel):
    _name = "sales.forecast.metrics.mixin"
    _description = "Forecast Backtest Metrics"

    model = fields.Char(required=True)
    rmse = fields.Float("RMSE", digits=(16, 4), aggregator="avg")
    mae = fields.Float("MAE", digits=(16, 4), aggregator="avg")
    # Percent (0-100, sMAPE up to 200), as every screen shows them; RMSE and MAE are in product units,
    # MASE is a ratio to the naive forecast's error (below 1: better than naive).
    smape = fields.Float("sMAPE (%)", digits=(16, 2), aggregator="avg")
    mase = fields.Float("MASE", digits=(16, 4), aggregator="avg")
    wape = fields.Float("WAPE (%)", digits=(16, 2), aggregator="avg")
    bias = fields.Float("Bias (%)", digits=(16, 2), aggregator="avg",
                        help="Forecast minus actual over the actual demand: above 0 over-forecasts.")
