"""One unit for every score a user reads: percent (0-100).

The engine speaks in ratios (confidence 0-1, WAPE and bias as shares of the demand, interval
coverage as a share of days) and in percent for sMAPE (0-200). Users compare these figures across
the Forecasts list, the dashboard, the product chart, the run's comparison table and XML-RPC, so
the run stores them all in percent when it saves the engine's output; every screen then shows the
stored value with a "%" and never converts again.
"""
from odoo import models

# Engine ratios stored as percent; sMAPE is already a percentage in the engine (metrics.py).
RESULT_RATIOS = ("confidence", "coverage_80", "coverage_95")
METRIC_RATIOS = ("wape", "bias")


def to_percent(vals, names):
    """``vals`` with the ratios of ``names`` turned into percent (missing values stay missing)."""
    return {**vals, **{name: vals[name] * 100.0 for name in names if isinstance(vals.get(name), (int, float))}}


class SalesForecastRun(models.Model):
    _inherit = "sales.forecast.run"

    def _prepare_result_vals(self, series, product_id, warehouse_id):
        return to_percent(super()._prepare_result_vals(series, product_id, warehouse_id), RESULT_RATIOS)

    def _prepare_candidate_vals(self, result, series):
        return [to_percent(vals, METRIC_RATIOS) for vals in super()._prepare_candidate_vals(result, series)]

    def _prepare_score_vals(self, pooled):
        return [to_percent(vals, METRIC_RATIOS) for vals in super()._prepare_score_vals(pooled)]
