from odoo.tests import HttpCase, tagged

from .dashboard_fixtures import create_forecast_fixture
from .tour_screenshots import start_tour_with_screenshots


@tagged("post_install", "-at_install")
class TestForecastDashboardTour(HttpCase):
    # Tall enough for the whole dashboard to fit in one screenshot.
    browser_size = "1440x1700"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data = create_forecast_fixture(cls.env)
        # The ABC/XYZ matrix and the anomalies read what the real analytics refresh stores.
        cls.env["sales.forecast.analytics"]._refresh_company(cls.data["company"], today=cls.data["today"])

    def _start_tour_with_screenshots(self, tour, label=""):
        """Run ``tour`` as admin, saving a PNG each time it logs ``sfai_screenshot:<name>``; returns the names."""
        return start_tour_with_screenshots(self, "/odoo/sales-forecast", tour, "admin",
                                           lambda name: f"sfai_{name}{label}_")

    def test_dashboard_tour(self):
        shots = self._start_tour_with_screenshots("sales_forecast_ai_dashboard_tour")
        self.assertEqual(shots, ["dashboard"])

    def test_dashboard_in_french_and_arabic(self):
        """The dashboard drawn in each language the add-on ships (Arabic right to left), for a screenshot
        a person looks at: a missing translation or a broken RTL layout shows there first."""
        admin = self.env.ref("base.user_admin")
        # Tall enough for every panel; the last pass is a tablet held upright, in English.
        for lang, size in (("fr_FR", "1440x2600"), ("ar_001", "1440x2600"), ("en_US", "820x4200")):
            if lang != "en_US":
                self.env["res.lang"]._activate_lang(lang)
                self.env["ir.module.module"]._load_module_terms(
                    ["base", "web", "uom", "product", "sales_forecast_ai"], [lang], overwrite=True)
            admin.lang = lang
            self.browser_size = size
            with self.subTest(lang=lang):
                shots = self._start_tour_with_screenshots("sales_forecast_ai_dashboard_lang_tour",
                                                          label=f"_{lang}_{size}")
                self.assertEqual(shots, ["dashboard_lang"])

    def test_empty_dashboard(self):
        runs = self.env["sales.forecast.run"].search([("company_id", "=", self.data["company"].id)])
        runs.write({"state": "cancelled"})
        runs.unlink()
        shots = self._start_tour_with_screenshots("sales_forecast_ai_empty_dashboard_tour")
        self.assertEqual(shots, ["empty_dashboard"])
        queued = self.env["sales.forecast.run"].search([("company_id", "=", self.data["company"].id)])
        self.assertEqual(queued.mapped("state"), ["queued"], "the Run now button queued one run")

    def test_chart_from_url(self):
        url = "/odoo/sales-forecast-chart?product_id=%d&warehouse_id=%d" % (
            self.data["product_a"].id, self.data["warehouse_2"].id)
        self.start_tour(url, "sales_forecast_ai_chart_url_tour", login="admin")

    def test_chart_from_product_button(self):
        template = self.data["product_a"].product_tmpl_id
        self.start_tour(f"/odoo/product.template/{template.id}", "sales_forecast_ai_product_button_tour",
                        login="admin")
