"""Honest champion scores of a run, stored beside the in-sample ones, and each series' held-out score.

The engine reports two pooled scores of the champions (result.json): ``champion_scores_in_sample``,
on the backtest windows the champions were chosen on (optimistic), and ``champion_scores``, the
selection replayed without the last window and scored on it (held-out, out-of-sample). Per series,
``holdout`` is ``{"model": pick, metric: score}``. Both are saved in the unit every screen uses:
WAPE and bias in percent (sales_forecast_run_units.py), MASE as is. A missing score (NaN in the
engine, null in the file) stays empty.
"""
import math

from odoo import fields, models

from .sales_forecast_run_units import METRIC_RATIOS, to_percent

# Pooled champion metrics stored on the run, per kind of score.
CHAMPION_METRICS = ("mase", "wape", "bias")
# Per-series held-out metrics stored on the result.
HOLDOUT_METRICS = ("mase", "wape", "bias")


def _stored(value):
    """A finite score as is; None, NaN or anything else as empty (never a NaN in the database)."""
    return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else False


class SalesForecastRun(models.Model):
    _inherit = "sales.forecast.run"

    champion_mase_holdout = fields.Float(
        "Held-out Champion MASE", readonly=True, copy=False, digits=(16, 4), aggregator="avg",
        help="Out-of-sample: the champion selection replayed without the last backtest window and scored on it "
             "(held-out: scored on the last backtest window, not used to choose the model). Below 1: better "
             "than the naive forecast. Empty with one backtest fold.")
    champion_wape_holdout = fields.Float(
        "Held-out Champion WAPE (%)", readonly=True, copy=False, digits=(16, 2), aggregator="avg",
        help="Out-of-sample WAPE of the champions (held-out: scored on the last backtest window, not used to "
             "choose the model). Empty with one backtest fold.")
    champion_bias_holdout = fields.Float(
        "Held-out Champion Bias (%)", readonly=True, copy=False, digits=(16, 2), aggregator="avg",
        help="Out-of-sample bias of the champions (held-out: scored on the last backtest window, not used to "
             "choose the model): forecast minus actual over the actual demand, above 0 over-forecasts.")
    champion_mase_in_sample = fields.Float(
        "In-sample Champion MASE", readonly=True, copy=False, digits=(16, 4), aggregator="avg",
        help="In-sample for the selection: the champions' score on the backtest windows they were chosen on, "
             "so it is optimistic. Compare with the held-out score.")
    champion_wape_in_sample = fields.Float(
        "In-sample Champion WAPE (%)", readonly=True, copy=False, digits=(16, 2), aggregator="avg",
        help="In-sample for the selection: the champions' WAPE on the backtest windows they were chosen on "
             "(optimistic).")
    champion_bias_in_sample = fields.Float(
        "In-sample Champion Bias (%)", readonly=True, copy=False, digits=(16, 2), aggregator="avg",
        help="In-sample for the selection: the champions' bias on the backtest windows they were chosen on "
             "(optimistic).")

    def _finish(self):
        # Before super(): it ends the run and forgets the engine's output.
        meta = self._results().meta
        self.write(self._prepare_champion_score_vals(meta.get("champion_scores") or {},
                                                     meta.get("champion_scores_in_sample") or {}))
        return super()._finish()

    # -- hooks ----------------------------------------------------------------------------------
    def _prepare_champion_score_vals(self, holdout, in_sample):
        """Run values of the pooled champion scores, in the screens' unit; a missing score is empty."""
        vals = {}
        for suffix, engine_scores in (("holdout", holdout), ("in_sample", in_sample)):
            scores = to_percent({m: engine_scores.get(m) for m in CHAMPION_METRICS}, METRIC_RATIOS)
            for metric, value in scores.items():
                vals[f"champion_{metric}_{suffix}"] = _stored(value)
        return vals

    def _prepare_result_vals(self, series, product_id, warehouse_id):
        vals = super()._prepare_result_vals(series, product_id, warehouse_id)
        holdout = series.get("holdout") or {}
        scores = to_percent({m: holdout.get(m) for m in HOLDOUT_METRICS}, METRIC_RATIOS)
        vals["holdout_model"] = holdout.get("model") or False
        vals.update({f"holdout_{metric}": _stored(value) for metric, value in scores.items()})
        return vals
