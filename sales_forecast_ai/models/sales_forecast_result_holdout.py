"""The held-out score of a series' model selection, beside the candidates' in-sample scores.

The candidates' backtest scores are what the champion was chosen on, so the champion's own score
among them is optimistic. The engine replays the whole selection on every backtest window but the
last and scores its pick on the last one, which the replay never saw: that is the figure a buyer
can trust (see engine/pipeline.py ``_holdout``). Empty with a single backtest window.
"""
from odoo import fields, models


class SalesForecastResult(models.Model):
    _inherit = "sales.forecast.result"

    holdout_model = fields.Char(
        "Held-out Pick", readonly=True,
        help="Model the selection picked when replayed without the last backtest window. Its scores below are "
             "held-out: scored on the last backtest window, not used to choose the model. Empty with one "
             "backtest fold.")
    holdout_mase = fields.Float(
        "Held-out MASE", readonly=True, digits=(16, 4), aggregator="avg",
        help="Out-of-sample MASE of the held-out pick on the last backtest window, not used to choose the "
             "model (below 1: better than the naive forecast).")
    holdout_wape = fields.Float(
        "Held-out WAPE (%)", readonly=True, digits=(16, 2), aggregator="avg",
        help="Out-of-sample WAPE of the held-out pick on the last backtest window, not used to choose the model.")
    holdout_bias = fields.Float(
        "Held-out Bias (%)", readonly=True, digits=(16, 2), aggregator="avg",
        help="Out-of-sample bias of the held-out pick on the last backtest window, not used to choose the "
             "model: forecast minus actual over the actual demand, above 0 over-forecasts.")
