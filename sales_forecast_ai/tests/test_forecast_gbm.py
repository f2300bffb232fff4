"""The LightGBM candidate in a real run: the job child trains it and its scores reach the run."""
from odoo.tests import tagged

from .common_forecast import ForecastCase


@tagged("post_install", "-at_install")
class TestForecastGbm(ForecastCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for k, (product, warehouse) in enumerate([(cls.p1, cls.wh1), (cls.p2, cls.wh1), (cls.p3, cls.wh2)]):
            cls._history(product, warehouse, 110, lambda i, k=k: float((i * (k + 3)) % 7 + k))
        cls.Run = cls.env["sales.forecast.run"]

    def test_a_run_with_lightgbm_stores_its_scores(self):
        first_id = (self.Run.search([], order="id desc", limit=1).id or 0) + 1
        self.addCleanup(lambda: self._cleanup_work_dirs(self.Run.search([("id", ">=", first_id)])))
        run = self._queue_run(model_pool="naive,lightgbm")
        cron = self.env.ref("sales_forecast_ai.ir_cron_forecast_run")
        for _call in range(30):
            if run.state not in ("queued", "running"):
                break
            cron_rec, progress = cron._add_progress()
            self.Run.with_context(ir_cron_progress_id=progress.id, cron_id=cron_rec.id, forecast_call_budget=120,
                                  forecast_poll_interval=0.2)._cron_process(schedule=False)
        self.assertEqual(run.state, "done", run.log)
        score = run.score_ids.filtered(lambda s: s.model == "lightgbm")
        self.assertEqual(score.family, "gbm")
        self.assertGreater(score.n_params, 0, "leaves of the trees")
        self.assertGreater(score.rmse_train, 0)
        self.assertEqual(len(run.result_ids), 3)
        self.assertTrue(set(run.result_ids.mapped("champion")) <= {"naive", "lightgbm"})

    def test_views_offer_lightgbm(self):
        search = self.env["sales.forecast.result"].get_view(
            self.env.ref("sales_forecast_ai.view_sales_forecast_result_search").id, "search")
        self.assertIn('name="filter_gbm"', search["arch"])
        form = self.env["sales.forecast.run"].get_view(
            self.env.ref("sales_forecast_ai.view_sales_forecast_run_form").id, "form")
        self.assertIn("family not in ('neural', 'gbm')", form["arch"])
