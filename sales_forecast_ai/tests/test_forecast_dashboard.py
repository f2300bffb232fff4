import datetime

from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged

from .dashboard_fixtures import HORIZON, create_forecast_fixture


@tagged("post_install", "-at_install")
class TestForecastDashboard(TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.data = create_forecast_fixture(cls.env)
        company = cls.data["company"]
        cls.user = new_test_user(
            cls.env, login="sfai_dash_user", company_id=company.id, company_ids=[Command.set(company.ids)],
            groups="sales_forecast_ai.group_forecast_user,sales_team.group_sale_salesman_all_leads")
        cls.buyer = new_test_user(
            cls.env, login="sfai_dash_buyer", company_id=company.id, company_ids=[Command.set(company.ids)],
            groups="sales_forecast_ai.group_forecast_user")
        cls.other_company = cls.env["res.company"].create({"name": "SFAI Other Company"})
        cls.other_user = new_test_user(
            cls.env, login="sfai_dash_other", company_id=cls.other_company.id,
            company_ids=[Command.set(cls.other_company.ids)],
            groups="sales_forecast_ai.group_forecast_manager,sales_team.group_sale_salesman_all_leads")

    def _dashboard(self, user):
        return self.env["sales.forecast.dashboard"].with_user(user).with_company(user.company_id)

    def test_overview_shape_and_figures(self):
        overview = self._dashboard(self.user).get_overview()
        data = self.data
        self.assertEqual(overview["run"]["id"], data["run"].id)
        self.assertEqual(overview["run"]["series_failed"], 1)
        self.assertAlmostEqual(overview["run"]["duration"], 252.0, delta=1.0)
        self.assertFalse(overview["is_manager"])
        self.assertFalse(overview["active_run"])
        # The failed series is left out of every figure.
        self.assertEqual(overview["kpis"], {
            "products": 2, "series": 3, "total_7": 105.0, "total_30": 450.0, "total_90": 1350.0})
        trend = {row["key"]: (row["count"], round(row["share"], 3)) for row in overview["shares"]["trend"]}
        self.assertEqual(trend, {"UP": (1, 0.333), "STABLE": (1, 0.333), "DOWN": (1, 0.333)})
        champion = {row["key"]: row["count"] for row in overview["shares"]["champion"]}
        self.assertEqual(champion, {"mlp": 2, "ets": 1})
        self.assertEqual(overview["shares"]["champion"][0]["key"], "mlp", "largest share first")
        classes = {row["key"]: row["label"] for row in overview["shares"]["demand_class"]}
        self.assertEqual(classes, {"smooth": "Smooth", "erratic": "Erratic", "intermittent": "Intermittent"})
        self.assertEqual([s["model"] for s in overview["models"]], ["mlp", "ets"], "best MASE first")
        self.assertEqual(overview["models"][0]["n_params"], 1345)
        self.assertEqual(overview["models"][0]["wins"], 2)
        top = overview["top_products"]
        self.assertEqual([(r["product_id"], r["warehouse_id"], r["total_30"]) for r in top], [
            (data["product_a"].id, data["warehouse_1"].id, 300.0),
            (data["product_a"].id, data["warehouse_2"].id, 100.0),
            (data["product_b"].id, data["warehouse_1"].id, 50.0),
        ])
        self.assertEqual(top[0]["trend"], "UP")
        self.assertAlmostEqual(top[0]["confidence"], 82.0)
        self.assertTrue(overview["multi_warehouse"])
        self.assertIn(data["run"].id, [r["id"] for r in overview["recent_runs"]])

    def test_overview_shows_latest_done_run_and_active_run(self):
        company = self.data["company"]
        Run = self.env["sales.forecast.run"]
        failed = Run.create({"company_id": company.id})
        failed.write({"state": "failed", "date_start": fields.Datetime.now()})
        queued = Run.create({"company_id": company.id})
        overview = self._dashboard(self.user).get_overview()
        self.assertEqual(overview["run"]["id"], self.data["run"].id, "a failed run never replaces the last done one")
        self.assertEqual(overview["active_run"]["id"], queued.id)
        self.assertEqual(overview["active_run"]["state_label"], "Queued")
        self.assertEqual([r["id"] for r in overview["recent_runs"]][:2], [queued.id, failed.id])

    def test_chart_data_default_and_selected_warehouse(self):
        data = self.data
        chart = self._dashboard(self.user).get_chart_data(data["product_a"].id)
        # Without a warehouse: the product's largest series.
        self.assertEqual(chart["warehouse_id"], data["warehouse_1"].id)
        self.assertEqual({w["id"] for w in chart["warehouses"]}, {data["warehouse_1"].id, data["warehouse_2"].id})
        self.assertEqual(chart["result"]["champion"], "mlp")
        self.assertEqual(chart["result"]["demand_class_label"], "Smooth")
        self.assertEqual(chart["result"]["total_30"], 300.0)
        self.assertEqual([(c["model"], c["is_champion"]) for c in chart["result"]["candidates"]],
                         [("mlp", True), ("ets", False)])
        self.assertEqual(chart["result"]["candidates"][1]["mase"], 0.78)
        self.assertEqual(len(chart["forecast"]), HORIZON)
        first = chart["forecast"][0]
        self.assertEqual(set(first), {"date", "forecast", "lo_80", "hi_80", "lo_95", "hi_95"})
        self.assertEqual(first["date"], fields.Date.to_string(data["today"] + datetime.timedelta(days=1)))
        self.assertLessEqual(first["lo_95"], first["lo_80"])
        self.assertLessEqual(first["hi_80"], first["hi_95"])
        self.assertEqual(chart["today"], fields.Date.to_string(data["today"]))
        # Imported history, then the Odoo sale; every day in between is on the chart, 0 when nothing sold.
        history = chart["history"]
        first_day = min(data["history"].mapped("date"))
        self.assertEqual(history[0]["date"], fields.Date.to_string(first_day))
        self.assertEqual(history[-1]["date"], chart["today"])
        self.assertEqual(len(history), (data["today"] - first_day).days + 1, "one point per day")
        by_day = {point["date"]: point["qty"] for point in history}
        self.assertEqual(by_day[fields.Date.to_string(data["sale_day"])], 7.0)
        self.assertAlmostEqual(sum(by_day.values()), sum(data["history"].mapped("quantity")) + 7.0)
        skipped = data["today"] - datetime.timedelta(days=90)  # no imported row that day
        self.assertNotIn(skipped, data["history"].mapped("date"))
        self.assertEqual(by_day[fields.Date.to_string(skipped)], 0.0)
        self.assertEqual(chart["product"]["uom"], data["product_a"].uom_id.name)

        other = self._dashboard(self.user).get_chart_data(data["product_a"].id, data["warehouse_2"].id)
        self.assertEqual(other["warehouse_id"], data["warehouse_2"].id)
        self.assertEqual(other["result"]["total_30"], 100.0)
        self.assertEqual(other["history"], [], "the sale was made from the other warehouse")
        self.assertIn("No sales recorded", other["history_note"])
        self.assertEqual(chart["history_note"], "")

    def test_chart_of_product_without_forecast(self):
        data = self.data
        product = self.env["product.product"].create({"name": "SFAI New Product", "is_storable": True})
        self.env["sales.forecast.history"].create({
            "product_id": product.id, "warehouse_id": data["warehouse_2"].id, "quantity": 4.0,
            "date": data["today"] - datetime.timedelta(days=2)})
        chart = self._dashboard(self.user).get_chart_data(product.id, data["warehouse_2"].id)
        self.assertFalse(chart["result"])
        self.assertEqual(chart["forecast"], [])
        self.assertEqual([p["qty"] for p in chart["history"]], [4.0, 0.0, 0.0], "its sales still show")
        # Every warehouse of the company can be picked, since none has a forecast yet.
        company_warehouses = self.env["stock.warehouse"].search([("company_id", "=", data["company"].id)])
        self.assertEqual({w["id"] for w in chart["warehouses"]}, set(company_warehouses.ids))

    def test_user_without_sales_rights_sees_history(self):
        # No right on sale orders: the history still shows, read as daily quantities only.
        with self.assertRaises(AccessError):
            self.env["sale.order.line"].with_user(self.buyer).search_count([])
        chart = self._dashboard(self.buyer).get_chart_data(self.data["product_a"].id)
        self.assertEqual(chart["result"]["total_30"], 300.0)
        seller_chart = self._dashboard(self.user).get_chart_data(self.data["product_a"].id)
        self.assertEqual(chart["history"], seller_chart["history"])
        by_day = {point["date"]: point["qty"] for point in chart["history"]}
        self.assertEqual(by_day[fields.Date.to_string(self.data["sale_day"])], 7.0)
        self.assertEqual(chart["history_note"], "")

    def test_other_company_sees_nothing(self):
        dashboard = self._dashboard(self.other_user)
        overview = dashboard.get_overview()
        self.assertFalse(overview["run"])
        self.assertEqual(overview["recent_runs"], [])
        self.assertEqual(overview["top_products"], [])
        self.assertEqual(overview["models"], [])
        self.assertEqual(overview["kpis"], {"products": 0, "series": 0, "total_7": 0.0, "total_30": 0.0,
                                            "total_90": 0.0})
        self.assertEqual(overview["shares"], {"demand_class": [], "trend": [], "champion": []})
        self.assertTrue(overview["is_manager"])
        chart = dashboard.get_chart_data(self.data["product_a"].id)
        self.assertFalse(chart["result"])
        self.assertEqual(chart["forecast"], [])
        self.assertEqual(chart["history"], [], "another company's sales never show")
        other_warehouses = {w["id"] for w in chart["warehouses"]}
        self.assertFalse(other_warehouses & {self.data["warehouse_1"].id, self.data["warehouse_2"].id})

    def test_other_company_cannot_force_company_context(self):
        # Asking for a company the user does not belong to is refused, not silently served.
        with self.assertRaises(AccessError):
            self.env["sales.forecast.dashboard"].with_user(self.other_user).with_context(
                allowed_company_ids=self.data["company"].ids).get_overview()
