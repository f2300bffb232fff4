"""The dashboard and a product's chart, as a buyer and as a warehouse clerk, on a real demo run."""

from odoo.tests import HttpCase, new_test_user, tagged

from .demo_forecast import has_demo_data, remove_work_dir, run_demo_forecast
from .tour_screenshots import start_tour_with_screenshots

ROLES = {
    "purchase_user": "purchase.group_purchase_user",
    "stock_user": "stock.group_stock_user",
}


@tagged("post_install", "-at_install")
class TestToursAsUsers(HttpCase):
    browser_size = "1440x1700"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.demo_run = None
        if not has_demo_data(cls.env):
            return
        cls.company = cls.env.ref("base.main_company")
        cls.demo_run = run_demo_forecast(cls.env, cls.company)
        cls.addClassCleanup(remove_work_dir, cls.demo_run)
        # Exactly one application role each: what a buyer and a warehouse clerk are given.
        cls.users = {role: new_test_user(cls.env, login=f"sfai_tour_{role}", groups=group,
                                         company_id=cls.company.id, tz="Europe/Paris")
                     for role, group in ROLES.items()}

    def setUp(self):
        super().setUp()
        if not self.demo_run:
            self.skipTest("the tours as users need the demo data (install with demo)")
        self.assertEqual(self.demo_run.state, "done", self.demo_run.log)

    def _dashboard(self, user):
        return self.env["sales.forecast.dashboard"].with_user(user).with_context(
            allowed_company_ids=self.company.ids)

    def _start_tour(self, url, tour, login):
        """Run ``tour`` as ``login``, saving a PNG each time it logs ``sfai_screenshot:<name>``."""
        return start_tour_with_screenshots(self, url, tour, login, lambda name: f"sfai_{login}_{name}_")

    def test_demo_run_feeds_the_screens(self):
        results = self.demo_run.result_ids.filtered(lambda r: r.status == "ok")
        self.assertGreater(len(results), 20, "the demo forecasts dozens of series")
        for role, user in self.users.items():
            with self.subTest(role=role):
                overview = self._dashboard(user).get_overview()
                self.assertEqual(overview["run"]["id"], self.demo_run.id)
                top = overview["top_products"][0]
                result = self.env["sales.forecast.result"].browse(top["result_id"])
                # One unit: what is stored is what the dashboard and the chart receive (percent).
                self.assertEqual(top["confidence"], result.confidence)
                chart = self._dashboard(user).get_chart_data(top["product_id"], top["warehouse_id"])
                self.assertEqual(chart["result"]["confidence"], result.confidence)
                self.assertTrue(chart["history"], "the history curve of the series")
                self.assertTrue(chart["forecast"])
                self.assertEqual(chart["history_note"], "")
                rows = self.env["sales.forecast.history.reader"].with_user(user).with_context(
                    allowed_company_ids=self.company.ids).get_daily_quantities(
                        [top["product_id"]], top["warehouse_id"], chart["history"][0]["date"], chart["today"])
                self.assertAlmostEqual(sum(r["qty"] for r in rows), sum(p["qty"] for p in chart["history"]))
        confidences = results.mapped("confidence")
        self.assertTrue(all(0.0 <= c <= 100.0 for c in confidences))
        self.assertGreater(max(confidences), 1.0, "confidence is stored in percent, not as a 0-1 ratio")
        wapes = [w for w in self.demo_run.score_ids.mapped("wape") if w]
        self.assertTrue(wapes and min(wapes) > 1.0, f"WAPE in percent: {wapes}")

    def test_dashboard_and_chart_tours(self):
        for role, user in self.users.items():
            with self.subTest(role=role):
                shots = self._start_tour("/odoo/sales-forecast", "sales_forecast_ai_user_dashboard_tour",
                                         user.login)
                self.assertEqual(shots, ["dashboard", "chart"])

    def test_product_button_tours(self):
        top = self._dashboard(self.users["purchase_user"]).get_overview()["top_products"][0]
        template = self.env["product.product"].browse(top["product_id"]).product_tmpl_id
        for role, user in self.users.items():
            with self.subTest(role=role):
                self._start_tour(f"/odoo/product.template/{template.id}",
                                 "sales_forecast_ai_user_product_button_tour", user.login)
