"""Every panel method of the dashboard but the KPI cards (test_dashboard_kpi_cards) on a hand-made
dataset in a company of its own (dashboard_panels_case), as the users who open it."""
import datetime

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .dashboard_fixtures import HORIZON
from .dashboard_panels_case import FORECAST_MANAGER, SALES, DashboardPanelsCase


@tagged("post_install", "-at_install")
class TestDashboardPanels(DashboardPanelsCase):

    # -- filters and scope ------------------------------------------------------------------------
    def test_filters_defaults_and_choices(self):
        meta = self._panels(self.manager).get_panel_filters()
        self.assertEqual(meta["filters"], {
            "period": "30", "date_from": fields.Date.to_string(self._days_ago(29)),
            "date_to": fields.Date.to_string(self.today), "company_id": self.company.id,
            "warehouse_id": False, "categ_id": False})
        self.assertEqual({w["id"] for w in meta["warehouses"]},
                         {self.data["warehouse_1"].id, self.data["warehouse_2"].id})
        self.assertEqual([c["id"] for c in meta["companies"]], self.company.ids)
        self.assertTrue(meta["is_manager"])
        self.assertTrue(meta["sales_access"])
        self.assertFalse(self._panels(self.buyer).get_panel_filters()["sales_access"])
        custom = self._panels(self.manager).get_panel_filters(
            {"period": "custom", "date_from": "2026-01-01", "date_to": "2026-01-31"})
        self.assertEqual((custom["filters"]["date_from"], custom["filters"]["date_to"]), ("2026-01-01", "2026-01-31"))

    def test_bad_filters_get_clear_messages(self):
        panels = self._panels(self.manager)
        for filters, message in (
            ({"period": "custom", "date_from": "2026-02-01", "date_to": "2026-01-01"}, "starts after it ends"),
            ({"period": "custom", "date_from": "2020-01-01", "date_to": "2026-01-01"}, "at most"),
            ({"period": "custom", "date_from": "not a date", "date_to": "2026-01-01"}, "start and an end"),
            ({"period": "12"}, "Unknown period"),
        ):
            with self.subTest(filters=filters), self.assertRaisesRegex(UserError, message):
                panels.get_panel_kpis(filters)
        other_warehouse = self.env["stock.warehouse"].search([("company_id", "=", self.other_company.id)], limit=1)
        with self.assertRaisesRegex(UserError, "does not belong"):
            panels.get_panel_kpis({"warehouse_id": other_warehouse.id})

    def test_company_isolation(self):
        # Asking for a company the user does not belong to is refused, whatever the panel.
        for method in ("get_panel_filters", "get_panel_kpis", "get_panel_sales_curve", "get_panel_model_quality",
                       "get_panel_stock_status", "get_panel_top_products"):
            with self.subTest(method=method), self.assertRaises(AccessError):
                getattr(self._panels(self.other), method)({"company_id": self.company.id})
        # In their own company, nothing of ours shows.
        other = self._panels(self.other)
        kpis = {k["code"]: k for k in other.get_panel_kpis()["kpis"]}
        self.assertEqual((kpis["units_sold"]["value"], kpis["forecast_30"]["value"]), (0.0, 0.0))
        curve = other.get_panel_sales_curve()
        self.assertEqual(curve["forecast"], [])
        self.assertFalse(any(point["qty"] for point in curve["history"]))
        self.assertEqual(curve["products"], [])
        self.assertFalse(other.get_panel_model_quality()["run"])
        self.assertTrue(other.get_panel_stock_status()["empty"])
        self.assertEqual(other.get_panel_top_products()["by_qty"], [])

    # -- curves and shapes ------------------------------------------------------------------------
    def test_sales_curve_history_forecast_and_bands(self):
        panels = self._panels(self.manager)
        product = self.data["product_a"]
        curve = panels.get_panel_sales_curve({"period": "90"}, granularity="day", product_id=product.id)
        self.assertEqual(curve["granularity"], "day")
        self.assertEqual(len(curve["history"]), 90, "one point per day, 0 when nothing sold")
        by_day = {point["date"]: point["qty"] for point in curve["history"]}
        self.assertEqual(by_day[fields.Date.to_string(self.data["sale_day"])], 7.0)
        self.assertAlmostEqual(sum(by_day.values()), self._history_sum(self._days_ago(89), self.today) + 7.0)
        # Both of the product's warehouses are summed, bands included.
        self.assertEqual(len(curve["forecast"]), HORIZON)
        first_day = self.today + datetime.timedelta(days=1)
        points = self.env["sales.forecast.point"].search([("product_id", "=", product.id), ("date", "=", first_day)])
        first = curve["forecast"][0]
        self.assertEqual(first["date"], fields.Date.to_string(first_day))
        for key in ("forecast", "lo_80", "hi_80", "lo_95", "hi_95"):
            self.assertAlmostEqual(first[key], sum(points.mapped(key)), places=2)
        self.assertEqual(curve["products"][0]["id"], product.id, "the largest forecast first in the picker")

        # Every product: the stored totals of the three forecast series, bands summed.
        everything = panels.get_panel_sales_curve({"period": "90"})
        day_points = self.env["sales.forecast.point"].search([
            ("date", "=", first_day), ("result_id.status", "!=", "failed"),
            ("result_id.run_id", "=", self.data["run"].id)])
        self.assertEqual(len(day_points), 3)
        for key in ("forecast", "lo_80", "hi_95"):
            self.assertAlmostEqual(everything["forecast"][0][key], sum(day_points.mapped(key)), places=2)
        only_wh2 = panels.get_panel_sales_curve({"period": "90", "warehouse_id": self.data["warehouse_2"].id})
        self.assertAlmostEqual(only_wh2["forecast"][0]["forecast"],
                               sum(day_points.filtered(lambda p: p.warehouse_id == self.data["warehouse_2"]).mapped(
                                   "forecast")), places=2)

        weekly = panels.get_panel_sales_curve({"period": "90"}, granularity="week", product_id=product.id)
        self.assertEqual(weekly["granularity"], "week")
        self.assertAlmostEqual(sum(p["qty"] for p in weekly["history"]), sum(by_day.values()))
        self.assertAlmostEqual(sum(p["forecast"] for p in weekly["forecast"]),
                               sum(p["forecast"] for p in curve["forecast"]), places=2)
        self.assertTrue(all(fields.Date.to_date(p["date"]).weekday() == 0 for p in weekly["history"]),
                        "weeks start on Monday")
        # Years of days are too many points: the server switches to a coarser bucket.
        long = panels.get_panel_sales_curve({"period": "custom", "date_from": "2024-01-01",
                                             "date_to": fields.Date.to_string(self.today)}, granularity="day")
        self.assertEqual(long["granularity"], "week")
        self.assertLessEqual(len(long["history"]), 400)

    def test_heatmaps_and_distribution(self):
        panels = self._panels(self.manager)
        sold = self._history_sum(self._days_ago(29), self.today) + 7.0
        heatmaps = panels.get_panel_heatmaps()
        weekday = heatmaps["weekday"]
        self.assertEqual(len(weekday["matrix"]), 7)
        self.assertAlmostEqual(sum(v for row in weekday["matrix"] for v in row if v is not None), sold)
        # The fixture sells more on Fridays and Saturdays.
        totals = [sum(v or 0 for v in row) for row in weekday["matrix"]]
        self.assertIn(totals.index(max(totals)), (4, 5))
        days_in = sum(1 for row in weekday["matrix"] for v in row if v is not None)
        self.assertEqual(days_in, 30, "days outside the period are None, not 0")
        category = heatmaps["category"]
        self.assertEqual([row["id"] for row in category["rows"]], self.data["product_a"].categ_id.ids)
        self.assertAlmostEqual(sum(category["rows"][0]["values"]), sold)

        distribution = panels.get_panel_distribution()
        [group] = distribution["groups"]
        self.assertEqual(group["id"], self.data["product_a"].categ_id.id)
        self.assertEqual(sum(group["counts"]), 30, "every day of the period is in the histogram")
        self.assertEqual(group["box"]["days"], 30)
        self.assertLessEqual(group["box"]["q1"], group["box"]["median"])
        self.assertLessEqual(group["box"]["median"], group["box"]["q3"])
        self.assertAlmostEqual(group["box"]["mean"] * 30, sold)
        self.assertEqual(len(distribution["edges"]), len(group["counts"]) + 1)

    def test_top_products_by_quantity_and_revenue(self):
        top = self._panels(self.manager).get_panel_top_products()
        [row] = top["by_qty"]
        self.assertEqual(row["product_id"], self.data["product_a"].id)
        self.assertAlmostEqual(row["value"], self._history_sum(self._days_ago(29), self.today) + 7.0)
        [revenue] = top["by_revenue"]["items"]
        self.assertEqual(revenue["product_id"], self.data["product_a"].id)
        self.assertAlmostEqual(revenue["value"], self.data["sale_order"].amount_untaxed)

    def test_stock_status(self):
        data = self.data
        Quant = self.env["stock.quant"].with_company(self.company)
        Quant._update_available_quantity(data["product_a"], data["warehouse_2"].lot_stock_id, 1000.0)
        Quant._update_available_quantity(data["product_b"], data["warehouse_1"].lot_stock_id, 5.0)
        status = self._panels(self.manager).get_panel_stock_status()
        # A/wh1: nothing on hand; A/wh2: 1000 for 100 per 30 days = 300 days; B/wh1: 5 for 50 per 30 days = 3 days.
        self.assertEqual(status["counts"], {"out": 1, "low": 1, "adequate": 0, "over": 1})
        self.assertEqual(status["low_days"], 10, "the company's vendor lead time")
        self.assertEqual([(i["status"], i["product_id"]) for i in status["items"]],
                         [("out", data["product_a"].id), ("low", data["product_b"].id)])
        self.assertAlmostEqual(status["items"][1]["cover"], 3.0)
        self.assertEqual(status["product_ids"]["over"], data["product_a"].ids)
        only_wh2 = self._panels(self.manager).get_panel_stock_status({"warehouse_id": data["warehouse_2"].id})
        self.assertEqual(only_wh2["counts"], {"out": 0, "low": 0, "adequate": 0, "over": 1})

    def test_model_quality(self):
        Run = self.env["sales.forecast.run"]
        failed = Run.create({"company_id": self.company.id})
        failed.write({"state": "failed", "date_start": fields.Datetime.now()})
        quality = self._panels(self.buyer).get_panel_model_quality()
        self.assertEqual(quality["run"]["id"], self.data["run"].id, "the comparison comes from the last done run")
        self.assertEqual(quality["last_run"]["id"], failed.id, "the status shows the latest run, even failed")
        self.assertEqual(quality["last_run"]["state_label"], "Failed")
        self.assertEqual([m["model"] for m in quality["models"]], ["mlp", "ets"])
        self.assertEqual(quality["models"][0]["wins"], 2)

    # -- panels fed by other parts of the add-on ------------------------------------------------------
    def test_panels_of_models_not_installed_say_so(self):
        panels = self._panels(self.manager)
        for model, method in (("sales.forecast.segment", "get_panel_abc_xyz"),
                              ("sales.forecast.anomaly", "get_panel_anomalies"),
                              ("sales.forecast.suggestion", "get_panel_suggestions")):
            with self.subTest(model=model):
                result = getattr(panels, method)()
                if model in self.env:
                    self.assertTrue(result["available"])
                else:
                    self.assertEqual(set(result), {"available", "reason"})
                    self.assertFalse(result["available"])
                    self.assertIn("not installed", result["reason"])

    def test_abc_xyz_cells_when_segmentation_exists(self):
        if "sales.forecast.segment" not in self.env:
            self.skipTest("sales.forecast.segment is not in this branch")
        Segment = self.env["sales.forecast.segment"]
        company = {"company_id": self.company.id} if "company_id" in Segment._fields else {}
        Segment.create([
            {**company, "product_id": self.data["product_a"].id, "warehouse_id": self.data["warehouse_1"].id,
             "abc_class": "a", "xyz_class": "x", "revenue": 900.0, "revenue_share": 0.9, "cv": 0.2},
            {**company, "product_id": self.data["product_b"].id, "warehouse_id": self.data["warehouse_1"].id,
             "abc_class": "c", "xyz_class": "z", "revenue": 100.0, "revenue_share": 0.1, "cv": 1.4},
        ])
        matrix = self._panels(self.manager).get_panel_abc_xyz()
        cells = {(c["abc"], c["xyz"]): c for c in matrix["cells"]}
        self.assertEqual(len(cells), 9)
        self.assertEqual((cells["a", "x"]["count"], cells["a", "x"]["revenue"]), (1, 900.0))
        self.assertEqual(cells["c", "z"]["count"], 1)
        self.assertEqual(cells["b", "y"]["count"], 0)
        products = Segment.search(matrix["domain"] + [("abc_class", "=", "a"), ("xyz_class", "=", "x")])
        self.assertEqual(products.product_id, self.data["product_a"])
        self.assertFalse(self._panels(self.other).get_panel_abc_xyz()["cells"][0]["count"])
        # A buyer sees the counts, not the revenue behind them.
        buyer_cells = {(c["abc"], c["xyz"]): c for c in self._panels(self.buyer).get_panel_abc_xyz()["cells"]}
        self.assertEqual((buyer_cells["a", "x"]["count"], buyer_cells["a", "x"]["revenue"]), (1, 0.0))

    def test_abc_xyz_and_anomalies_from_the_analytics_refresh(self):
        if "sales.forecast.analytics" not in self.env:
            self.skipTest("the analytics are not in this branch")
        self.env["sales.forecast.analytics"]._refresh_company(self.company, today=self.today)
        segments = self.env["sales.forecast.segment"].search([("company_id", "=", self.company.id)])
        self.assertTrue(segments, "the refresh segments the fixture's products")
        matrix = self._panels(self.manager).get_panel_abc_xyz({"period": "365"})
        self.assertEqual(sum(c["count"] for c in matrix["cells"]), len(segments))
        for cell in matrix["cells"]:
            found = self.env[matrix["model"]].search_count(
                matrix["domain"] + [("abc_class", "=", cell["abc"]), ("xyz_class", "=", cell["xyz"])])
            self.assertEqual(found, cell["count"], (cell["abc"], cell["xyz"]))
        anomalies = self.env["sales.forecast.anomaly"].search([("company_id", "=", self.company.id)])
        panel = self._panels(self.manager).get_panel_anomalies({"period": "365"})
        self.assertEqual(panel["total"], len(anomalies.filtered(lambda a: a.date >= self._days_ago(364))))

    # -- empty database ---------------------------------------------------------------------------
    def test_every_panel_on_an_empty_company(self):
        empty = self.env["res.company"].create({"name": "SFAI Empty Co"})
        user = new_test_user(self.env, login="sfai_panels_empty", company_id=empty.id,
                             company_ids=[Command.set(empty.ids)], groups=f"base.group_user,{FORECAST_MANAGER},{SALES}")
        panels = self._panels(user)
        methods = [name for name in dir(type(panels)) if name.startswith("get_panel_")]
        self.assertEqual(len(methods), 11)
        for method in methods:
            with self.subTest(method=method):
                result = getattr(panels, method)({"period": "365"})
                self.assertIn("available", result)
        self.assertTrue(panels.get_panel_model_quality()["empty"])
        self.assertTrue(panels.get_panel_heatmaps()["empty"])
        self.assertTrue(panels.get_panel_distribution()["empty"])
        self.assertTrue(panels.get_panel_stock_status()["empty"])
        curve = panels.get_panel_sales_curve()
        self.assertEqual((curve["forecast"], curve["products"]), ([], []))
        self.assertEqual(len(curve["history"]), 30)

    # -- stored daily sales -----------------------------------------------------------------------
    def test_stored_daily_sales_refresh(self):
        panels = self._panels(self.manager)
        Daily = self.env["sales.forecast.dashboard.daily"]
        rows = Daily.search([("company_id", "=", self.company.id)])
        self.assertAlmostEqual(sum(rows.mapped("quantity")), sum(self.data["history"].mapped("quantity")) + 7.0)
        sale_row = rows.filtered(lambda r: r.date == self.data["sale_day"])
        self.assertAlmostEqual(sale_row.amount, self.data["sale_order"].amount_untaxed)
        self.assertTrue(panels.get_panel_filters()["data_as_of"])

        def units_sold():
            return {k["code"]: k for k in panels.get_panel_kpis()["kpis"]}["units_sold"]["value"]

        before = units_sold()
        self.env["sales.forecast.history"].create({
            "company_id": self.company.id, "product_id": self.data["product_b"].id,
            "warehouse_id": self.data["warehouse_1"].id, "date": self._days_ago(1), "quantity": 5.0})
        self.assertEqual(units_sold(), before, "the dashboard reads the stored table, not the live lines")
        with self.assertRaises(AccessError):
            self._panels(self.buyer).action_refresh_data()
        panels.action_refresh_data()
        self.assertAlmostEqual(units_sold(), before + 5.0)
        # Amounts are for sales users only, quantities for every forecast user.
        buyer_rows = Daily.with_user(self.buyer).search([("company_id", "=", self.company.id)])
        self.assertTrue(buyer_rows.mapped("quantity"))
        with self.assertRaises(AccessError):
            buyer_rows.mapped("amount")
        self.assertFalse(Daily.with_user(self.other).search([]), "another company's rows stay hidden")

    def test_finished_run_refreshes_stored_sales(self):
        self.env["sales.forecast.history"].create({
            "company_id": self.company.id, "product_id": self.data["product_b"].id,
            "warehouse_id": self.data["warehouse_1"].id, "date": self._days_ago(2), "quantity": 4.0})
        self.data["run"]._after_done()
        row = self.env["sales.forecast.dashboard.daily"].search([
            ("company_id", "=", self.company.id), ("product_id", "=", self.data["product_b"].id)])
        self.assertEqual(row.quantity, 4.0)
