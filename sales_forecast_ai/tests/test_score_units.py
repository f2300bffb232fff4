"""Confidence and scores are stored and shown in one unit: percent."""
from odoo.tests import tagged

from .common_forecast import ForecastCase

# As the engine reports them: confidence, WAPE, bias and coverage are ratios, sMAPE is a percentage.
ENGINE_SERIES = {
    "status": "ok", "champion": "naive", "confidence": 0.82, "coverage": {"80": 0.79, "95": 0.94},
    "totals": {"7": 7.0, "30": 30.0, "90": 90.0},
    "scores": {"naive": {"rmse": 2.0, "mae": 1.5, "smape": 67.79, "mase": 0.9, "wape": 0.31, "bias": -0.29}},
    "holdout": {"model": "seasonal_naive", "rmse": 2.5, "mae": 1.8, "smape": 70.1, "mase": 1.1, "wape": 0.36,
                "bias": -0.12},
}
ENGINE_POOLED = {"naive": {"family": "baseline", "rmse": 2.0, "mae": 1.5, "smape": 67.79, "mase": 0.9,
                           "wape": 0.31, "bias": -0.29, "wins": 1}}


@tagged("post_install", "-at_install")
class TestScoreUnits(ForecastCase):
    def test_run_stores_percent_and_screens_show_it(self):
        run = self._queue_run()
        result = self.env["sales.forecast.result"].create(
            run._prepare_result_vals(ENGINE_SERIES, self.p1.id, self.wh1.id))
        self.assertEqual((result.confidence, result.coverage_80, result.coverage_95), (82.0, 79.0, 94.0))
        self.assertEqual(result.holdout_model, "seasonal_naive")
        self.assertAlmostEqual(result.holdout_mase, 1.1)
        self.assertAlmostEqual(result.holdout_wape, 36.0)
        self.assertAlmostEqual(result.holdout_bias, -12.0)
        run.write(run._prepare_champion_score_vals({"mase": 1.1, "wape": 0.36, "bias": -0.12},
                                                   {"mase": 0.9, "wape": 0.31, "bias": -0.29}))
        self.assertEqual((run.champion_mase_holdout, run.champion_wape_holdout, run.champion_bias_holdout),
                         (1.1, 36.0, -12.0))
        self.assertEqual((run.champion_mase_in_sample, run.champion_wape_in_sample, run.champion_bias_in_sample),
                         (0.9, 31.0, -29.0))
        candidate = self.env["sales.forecast.candidate"].create(run._prepare_candidate_vals(result, ENGINE_SERIES))
        score = self.env["sales.forecast.run.score"].create(run._prepare_score_vals(ENGINE_POOLED))
        for record in (candidate, score):
            self.assertAlmostEqual(record.smape, 67.79, msg="sMAPE is a percentage already")
            self.assertAlmostEqual(record.wape, 31.0)
            self.assertAlmostEqual(record.bias, -29.0)
            self.assertAlmostEqual(record.mase, 0.9, msg="MASE is a ratio to the naive error, not a percent")
        # The dashboard and the chart pass the stored figures on; their JS prints them with a "%".
        dashboard = self.env["sales.forecast.dashboard"]
        self.assertEqual(dashboard._get_top_products([("id", "=", result.id)])[0]["confidence"], 82.0)
        payload = dashboard._prepare_result(result)
        self.assertEqual(payload["confidence"], 82.0)
        self.assertEqual((payload["candidates"][0]["smape"], payload["candidates"][0]["wape"]), (67.79, 31.0))
        self.assertEqual((dashboard._prepare_score(score)["smape"], dashboard._prepare_score(score)["wape"]),
                         (67.79, 31.0))
        # Every label the list, form and pivot views show says the unit.
        labels = {name: self.env[model]._fields[name].string for model, name in (
            ("sales.forecast.result", "confidence"), ("sales.forecast.result", "coverage_80"),
            ("sales.forecast.candidate", "smape"), ("sales.forecast.candidate", "wape"),
            ("sales.forecast.run.score", "smape"), ("sales.forecast.run.score", "wape"),
            ("sales.forecast.run.score", "bias"), ("sales.forecast.result", "holdout_wape"),
            ("sales.forecast.result", "holdout_bias"), ("sales.forecast.run", "champion_wape_holdout"),
            ("sales.forecast.run", "champion_bias_holdout"), ("sales.forecast.run", "champion_wape_in_sample"),
            ("sales.forecast.run", "champion_bias_in_sample"))}
        self.assertTrue(all(label.endswith("(%)") for label in labels.values()), labels)
        # The Forecasts list shows confidence in a 0-100 progress bar: a stored 82 fills 82 %.
        arch = self.env["sales.forecast.result"].get_views([(False, "list")])["views"]["list"]["arch"]
        self.assertIn('name="confidence" widget="progressbar"', arch)

    def test_missing_scores_stay_missing(self):
        run = self._queue_run()
        series = {"status": "failed", "scores": {"naive": {"mase": 1.2}}}
        vals = run._prepare_result_vals(series, self.p1.id, self.wh1.id)
        self.assertEqual(vals["confidence"], 0.0)
        result = self.env["sales.forecast.result"].create(vals)
        [candidate] = run._prepare_candidate_vals(result, series)
        self.assertNotIn("wape", candidate)
        self.assertNotIn("bias", candidate)
        self.assertFalse(result.holdout_model, "one backtest fold: no held-out score")
        # NaN in the engine (null in its file) or a missing metric stays empty, never a NaN in the database.
        vals = run._prepare_champion_score_vals({"mase": float("nan"), "wape": None}, {})
        self.assertEqual(set(vals.values()), {False})
        self.assertEqual(len(vals), 6)
