"""The dashboard's KPI cards on the hand-made dataset (dashboard_panels_case), as the users who open
them: values, previous period, trend, click-through to what the user may read, a missing figure explained."""
from odoo import Command
from odoo.tests import new_test_user, tagged

from .dashboard_panels_case import DashboardPanelsCase


@tagged("post_install", "-at_install")
class TestDashboardKpiCards(DashboardPanelsCase):

    def test_builtin_kpis_values_previous_and_drilldown(self):
        # The built-in cards stay in front of the catalogue's (when it is installed).
        panel = self._panels(self.manager).get_panel_kpis()
        self.assertEqual(panel["source"], "catalogue" if "sales.forecast.kpi" in self.env else "builtin")
        self.assertEqual([kpi["code"] for kpi in panel["kpis"][:3]], ["units_sold", "products_sold", "forecast_30"])
        self.assertEqual(len({kpi["code"] for kpi in panel["kpis"]}), len(panel["kpis"]), "no card twice")
        self.assertLessEqual(len(panel["kpis"]), 13, "a handful of cards, not the whole catalogue")
        kpis = {kpi["code"]: kpi for kpi in panel["kpis"]}
        sold = self._history_sum(self._days_ago(29), self.today) + 7.0  # imported history + the Odoo sale
        before = self._history_sum(self._days_ago(59), self._days_ago(30))
        self.assertAlmostEqual(kpis["units_sold"]["value"], sold)
        self.assertAlmostEqual(kpis["units_sold"]["previous"], before)
        self.assertEqual(kpis["units_sold"]["trend"], "up" if sold > before else "down")
        self.assertAlmostEqual(kpis["units_sold"]["change"], (sold - before) / before)
        self.assertEqual((kpis["products_sold"]["value"], kpis["products_sold"]["previous"]), (1, 1))
        self.assertEqual(kpis["products_sold"]["trend"], "flat")
        self.assertEqual(kpis["forecast_30"]["value"], 450.0, "the failed series is not counted")
        self.assertFalse(kpis["forecast_30"]["previous"])
        # Click-through: the records behind each figure, with the same filters.
        action = kpis["forecast_30"]["action"]
        results = self.env["sales.forecast.result"].with_user(self.manager).search(action["domain"])
        self.assertEqual(results, self.data["result_a1"] | self.data["result_a2"] | self.data["result_b1"])
        lines = self.env[kpis["units_sold"]["action"]["res_model"]].with_user(self.manager).search(
            kpis["units_sold"]["action"]["domain"])
        self.assertEqual(lines, self.data["sale_order"].order_line)

        by_warehouse = {k["code"]: k for k in self._panels(self.manager).get_panel_kpis(
            {"warehouse_id": self.data["warehouse_2"].id})["kpis"]}
        self.assertEqual(by_warehouse["units_sold"]["value"], 0.0)
        self.assertEqual(by_warehouse["forecast_30"]["value"], 100.0)
        other_category = self.env["product.category"].create({"name": "SFAI Empty Category"})
        by_category = {k["code"]: k for k in self._panels(self.manager).get_panel_kpis(
            {"categ_id": other_category.id})["kpis"]}
        self.assertEqual((by_category["units_sold"]["value"], by_category["forecast_30"]["value"]), (0.0, 0.0))

    def test_buyer_without_sales_rights_sees_quantities_not_sale_lines(self):
        panels = self._panels(self.buyer)
        kpis = {kpi["code"]: kpi for kpi in panels.get_panel_kpis()["kpis"]}
        if "units_sold" in kpis:
            self.assertAlmostEqual(kpis["units_sold"]["value"], self._history_sum(self._days_ago(29), self.today) + 7.0)
            self.assertFalse(kpis["units_sold"]["action"], "no drill-down into sale lines it cannot open")
        top = panels.get_panel_top_products()
        self.assertEqual([row["product_id"] for row in top["by_qty"]], self.data["product_a"].ids)
        # An Inventory User reads sale lines through deliveries, but not the amounts: quantities only.
        clerk = new_test_user(self.env, login="sfai_panels_clerk", company_id=self.company.id,
                              company_ids=[Command.set(self.company.ids)], groups="base.group_user,stock.group_stock_user")
        clerk_top = self._panels(clerk).get_panel_top_products()
        self.assertEqual([row["product_id"] for row in clerk_top["by_qty"]], self.data["product_a"].ids)
        self.assertFalse(clerk_top["by_revenue"]["available"])
        self.assertFalse(top["by_revenue"]["available"])
        self.assertIn("sales access", top["by_revenue"]["reason"])
        self.assertIn("sales access", top["source_note"])

    def test_catalogue_kpis_click_through_to_what_the_user_may_read(self):
        if "sales.forecast.kpi" not in self.env:
            self.skipTest("the KPI catalogue is not in this branch")
        purchase_user = new_test_user(self.env, login="sfai_panels_purchase", company_id=self.company.id,
                                      company_ids=[Command.set(self.company.ids)],
                                      groups="base.group_user,purchase.group_purchase_user")
        for user in (self.manager, self.buyer, purchase_user):
            with self.subTest(user=user.login):
                kpis = {k["code"]: k for k in self._panels(user).get_panel_kpis()["kpis"]}
                actions = {code: kpi["action"] for code, kpi in kpis.items() if kpi["action"]}
                for code, action in actions.items():
                    # Every click-through opens: the model is readable and the domain searchable.
                    self.assertTrue(self.env[action["res_model"]].with_user(user).has_access("read"), code)
                    self.env[action["res_model"]].with_user(user).search_count(action["domain"])
                self.assertEqual(actions["products_with_model"]["res_model"], "sales.forecast.result")
                results = self.env["sales.forecast.result"].with_user(user).search(
                    actions["products_with_model"]["domain"])
                self.assertEqual(results, self.data["result_a1"] | self.data["result_a2"] | self.data["result_b1"])
                self.assertEqual(actions["last_training_date"]["res_model"], "sales.forecast.run")
                self.assertIn(actions["stockouts"]["res_model"], ("product.product",))
                if "sales.forecast.anomaly" in self.env:
                    self.assertEqual(actions["anomalies_30d"]["res_model"], "sales.forecast.anomaly")
                expected = "sales.forecast.suggestion" if "sales.forecast.suggestion" in self.env else "product.product"
                self.assertEqual(actions["below_rop"]["res_model"], expected)
                if self.env["sale.order"].with_user(user).has_access("read"):
                    self.assertEqual(actions["orders"]["res_model"], "sale.order")
                    orders = self.env["sale.order"].with_user(user).search(actions["orders"]["domain"])
                    self.assertEqual(orders, self.data["sale_order"])
                else:
                    self.assertNotIn("orders", actions, "no click-through to orders a buyer cannot read")
                    self.assertFalse({"sale.order", "sale.order.line"} & {a["res_model"] for a in actions.values()})

    def test_a_forecast_error_not_measurable_yet_says_why(self):
        panels = self._panels(self.buyer)
        hint = "Once forecast days pass"
        self.assertEqual(panels._get_kpi_hint({"code": "forecast_wape", "value": None}), hint)
        self.assertEqual(panels._get_kpi_hint({"code": "forecast_smape", "value": None}), hint)
        self.assertEqual(panels._get_kpi_hint({"code": "forecast_wape", "value": 12.5}), "")
        self.assertEqual(panels._get_kpi_hint({"code": "stockouts", "value": None}), "")
        if "sales.forecast.kpi" not in self.env:
            return
        wape = {k["code"]: k for k in panels.get_panel_kpis()["kpis"]}["forecast_wape"]
        self.assertEqual(wape["hint"], hint if wape["value"] is False else "")
