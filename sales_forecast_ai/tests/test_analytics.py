"""Analytics stored in Odoo: segments, anomalies, KPIs, suggestions and RFM, as the real users see them."""
import datetime

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import FORECAST_MANAGER, FORECAST_USER, create_role_users
from .common_forecast import ForecastCase

SALES_ALL = "sales_team.group_sale_salesman_all_leads"


@tagged("post_install", "-at_install")
class TestAnalytics(ForecastCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = create_role_users(cls.env)
        cls.sales_buyer = new_test_user(cls.env, login="sfai_sales_buyer", groups=f"base.group_user,{FORECAST_USER},{SALES_ALL}")
        cls.salesman = new_test_user(cls.env, login="sfai_salesman",
                                     groups="base.group_user,sales_team.group_sale_salesman")
        for user in (*cls.users.values(), cls.sales_buyer, cls.salesman):
            user.write({"company_ids": [Command.link(cls.company.id)], "company_id": cls.company.id})
        cls.other_manager = new_test_user(cls.env, login="sfai_other_manager", groups=f"base.group_user,{FORECAST_MANAGER}",
                                          company_id=cls.other_company.id, company_ids=[cls.other_company.id])
        cls.customers = cls.env["res.partner"].create([{"name": f"SFAI Client {i}"} for i in range(4)])
        cls.p4 = cls._product("SFAI-P4", name="SFAI Doohickey")

    def _sell(self, partner, days_ago, lines, warehouse=None, confirm=True):
        order = self.env["sale.order"].with_company(self.company).create({
            "partner_id": partner.id, "company_id": self.company.id, "warehouse_id": (warehouse or self.wh1).id,
            "order_line": [Command.create({"product_id": p.id, "product_uom_qty": qty, "price_unit": price})
                           for p, qty, price in lines],
        })
        if confirm:
            order.action_confirm()
        order.date_order = datetime.datetime.combine(self.today - datetime.timedelta(days=days_ago), datetime.time(10))
        return order

    def _weekly_history(self, product, days=91, spike_day=None):
        """Mon-Fri 10, Sat 30, Sun 0 (by weekday, not position), a spike of 200 ``spike_day`` days ago."""
        def qty(i):
            day = self.today - datetime.timedelta(days=days - i)
            if spike_day is not None and day == self.today - datetime.timedelta(days=spike_day):
                return 200.0
            return {5: 30.0, 6: 0.0}.get(day.weekday(), 10.0)
        return self._history(product, self.wh1, days, qty)

    def _refresh(self):
        return self.env["sales.forecast.analytics"]._refresh_company(self.company, today=self.today)

    # -- segments -------------------------------------------------------------------------------
    def test_segments_stored_after_run(self):
        self._weekly_history(self.p1)
        self._history(self.p2, self.wh1, 91, lambda i: 70.0 if i % 14 == 0 else 0.0)
        self._sell(self.customers[0], 5, [(self.p1, 10, 100.0), (self.p2, 1, 10.0), (self.p3, 1, 1.0)])
        run = self._queue_run()
        run._after_done()
        segs = self.env["sales.forecast.segment"].search([("company_id", "=", self.company.id)])
        by_product = {s.product_id: s for s in segs}
        self.assertEqual(set(by_product), {self.p1, self.p2, self.p3})
        # 3 products: A = ceil(0.6) = 1 (p1, revenue 1000), B = ceil(1.5) - 1 = 1 (p2, 10), C = p3
        self.assertEqual([by_product[p].abc_class for p in (self.p1, self.p2, self.p3)], ["a", "b", "c"])
        self.assertEqual(by_product[self.p1].xyz_class, "x")  # weekly totals 80 each week (+10 sold)
        self.assertEqual(by_product[self.p2].xyz_class, "z")  # 70 every other week
        self.assertAlmostEqual(by_product[self.p1].revenue_share, 100.0 * 1000 / 1011, places=2)
        self.assertEqual(by_product[self.p1].strategy_hint[:13], "Tight control")
        self.assertIn("Analytics refreshed", run.log)
        cells = {(c["abc"], c["xyz"]): c for c in self.env["sales.forecast.segment"].with_company(self.company)
                 .get_matrix()}
        self.assertEqual(len(cells), 9)
        self.assertEqual(cells["a", "x"]["count"], 1)
        self.assertAlmostEqual(cells["a", "x"]["revenue_share"], 100.0 * 1000 / 1011, places=2)

    def test_segment_revenue_only_for_sales_users(self):
        self._sell(self.customers[0], 5, [(self.p1, 10, 100.0)])
        self._refresh()
        seg_as_user = self.env["sales.forecast.segment"].with_user(self.users["forecast_user"]).search(
            [("company_id", "=", self.company.id)])
        self.assertEqual(seg_as_user.abc_class, "a")
        with self.assertRaises(AccessError):
            seg_as_user.revenue  # noqa: B018
        cells = self.env["sales.forecast.segment"].with_user(self.users["forecast_user"]).get_matrix()
        self.assertNotIn("revenue", cells[0])
        seg_sales = seg_as_user.with_user(self.sales_buyer)
        self.assertEqual(seg_sales.revenue, 1000.0)
        with self.assertRaises(AccessError):
            self.env["sales.forecast.segment"].with_user(self.users["employee"]).search([])
        # another company's manager sees none of it
        self.assertFalse(self.env["sales.forecast.segment"].with_user(self.other_manager).search([]))

    # -- anomalies ------------------------------------------------------------------------------
    def test_anomalies_spike_found_clean_pattern_quiet_and_exclusion(self):
        self._weekly_history(self.p1, spike_day=10)
        self._weekly_history(self.p2)
        self._refresh()
        Anomaly = self.env["sales.forecast.anomaly"]
        found = Anomaly.search([("company_id", "=", self.company.id), ("product_id", "!=", False)])
        self.assertEqual(len(found), 1, found.mapped("display_name"))
        spike = found
        self.assertEqual((spike.product_id, spike.kind, spike.severity, spike.actual),
                         (self.p1, "spike", "high", 200.0))
        self.assertEqual(spike.date, self.today - datetime.timedelta(days=10))
        self.assertIn(spike.expected, (0.0, 10.0, 30.0))
        # a Forecast User reads it but may not act on it
        as_user = spike.with_user(self.users["forecast_user"])
        self.assertEqual(as_user.kind, "spike")
        with self.assertRaises(UserError):
            as_user.action_acknowledge()
        with self.assertRaises(UserError):
            spike.with_user(self.users["forecast_manager"]).write({"actual": 1.0})
        spike.with_user(self.users["forecast_manager"]).action_exclude()
        self.assertEqual(spike.state, "excluded")
        demand = self.env["sales.forecast.demand"]._get_demand_frame(
            self.company, self.today - datetime.timedelta(days=30), self.today)
        day = demand[(demand["product_id"] == self.p1.id) & (demand["date"] == str(spike.date))]
        self.assertEqual(day["quantity"].tolist(), [spike.expected] if spike.expected else [])
        # a new refresh keeps the user's decision
        self._refresh()
        self.assertEqual(spike.state, "excluded")
        self.assertFalse(Anomaly.search([("id", "!=", spike.id), ("product_id", "=", self.p1.id),
                                         ("date", "=", spike.date)]))
        self.assertFalse(Anomaly.with_user(self.other_manager).search([]))

    def test_only_product_spikes_can_be_excluded(self):
        self._weekly_history(self.p1)
        self._refresh()
        drop = self.env["sales.forecast.anomaly"].sudo().create({
            "company_id": self.company.id, "product_id": self.p1.id, "date": self.today, "kind": "drop",
            "expected": 10, "actual": 0, "zscore": -5, "severity": "high"})
        with self.assertRaises(UserError):
            drop.action_exclude()
        self.assertEqual(drop.state, "new")

    # -- KPIs -----------------------------------------------------------------------------------
    def test_kpis_on_tiny_dataset_and_roles(self):
        self._sell(self.customers[0], 2, [(self.p1, 4, 25.0)])
        self._sell(self.customers[1], 3, [(self.p1, 2, 25.0), (self.p2, 5, 10.0)])
        self._sell(self.customers[1], 4, [(self.p2, 1, 10.0)], confirm=False)
        self._sell(self.customers[0], 40, [(self.p1, 8, 25.0)])
        dozen_order = self._sell(self.customers[0], 45, [(self.p2, 1, 60.0)])
        dozen_order.order_line.write({"product_uom": self.dozen.id, "price_unit": 60.0})
        self.p1.with_company(self.company).standard_price = 15.0
        self.p2.with_company(self.company).standard_price = 4.0
        self.env["stock.quant"]._update_available_quantity(self.p1, self.wh1.lot_stock_id, 12.0)
        Kpi = self.env["sales.forecast.kpi"].with_company(self.company)
        rows = {r["code"]: r for r in Kpi.with_user(self.sales_buyer).get_kpis("30d")}
        self.assertGreaterEqual(len(rows), 30)
        self.assertEqual(rows["revenue"]["value"], 200.0)       # 4x25 + 2x25 + 5x10
        self.assertEqual(rows["revenue"]["previous"], 260.0)    # 8x25 40 days ago, 1 dozen p2 at 60 45 days ago
        self.assertEqual(rows["revenue"]["trend"], "down")
        self.assertEqual(rows["units_sold"]["previous"], 20.0)  # 8 + 12 units (a dozen)
        self.assertEqual(rows["orders"]["value"], 2.0)
        self.assertEqual(rows["orders"]["previous"], 2.0)
        self.assertEqual(rows["order_growth"]["value"], 0.0)
        self.assertEqual(rows["units_sold"]["value"], 11.0)
        self.assertEqual(rows["active_customers"]["value"], 2.0)
        self.assertEqual(rows["quotation_conversion"]["value"], round(200 / 3, 2))
        self.assertEqual(rows["gross_margin"]["value"], round(100 * (200 - 6 * 15 - 5 * 4) / 200, 2))
        self.assertEqual(rows["avg_order_value"]["value"], 100.0)
        self.assertEqual(rows["active_products"]["value"], 2.0)
        self.assertEqual(rows["average_price"]["value"], round(200 / 11, 2))
        self.assertEqual(rows["fulfilment_rate"]["value"], 0.0)  # nothing delivered yet
        # 4 deliveries scheduled this period (at confirmation), none done: a late rate, no on-time rate
        self.assertIsNotNone(rows["late_orders"]["value"])
        self.assertIsNone(rows["on_time_delivery"]["value"])
        self.assertIsNone(rows["late_orders"]["previous"])
        self.assertEqual(rows["stockouts"]["value"], 1.0)        # p2: sold, nothing on hand
        self.assertEqual(rows["stock_value"]["value"], 180.0)    # 12 x 15
        self.assertEqual(rows["days_of_cover"]["value"], round(12 / (11 / 30), 2))
        self.assertEqual(rows["low_stock_count"]["value"], 0.0)  # p1: 12 >= 14 days x 6/30 a day
        self.assertGreaterEqual(rows["total_products"]["value"], 4.0)  # p1..p4 at least (and the demo goods)
        for row in rows.values():
            self.assertEqual(set(row), {"code", "name", "unit", "value", "previous", "trend", "category", "better"})
        # a plain Forecast User gets the quantity KPIs, never the money
        as_buyer = {r["code"] for r in Kpi.with_user(self.users["forecast_user"]).get_kpis("30d")}
        self.assertIn("orders", as_buyer)
        self.assertFalse(as_buyer & {"revenue", "gross_margin", "avg_order_value", "revenue_growth",
                                     "average_price", "revenue_per_product", "customers_at_risk"})
        with self.assertRaises(AccessError):
            Kpi.with_user(self.users["employee"]).get_kpis("30d")
        with self.assertRaises(UserError):
            Kpi.get_kpis("fortnight")
        with self.assertRaises(UserError):
            Kpi.get_kpis("30d", warehouse_id=self.other_wh.id)
        wh2 = {r["code"]: r for r in Kpi.get_kpis("30d", warehouse_id=self.wh2.id)}
        self.assertEqual(wh2["orders"]["value"], 0.0)

    # -- suggestions and RFM --------------------------------------------------------------------
    def test_quotation_panel_and_customer_suggestions(self):
        c0, c1, c2, c3 = self.customers
        for days, customer in ((100, c0), (110, c1), (120, c2)):
            self._sell(customer, days, [(self.p1, 1, 10.0), (self.p2, 1, 10.0)])
        self._sell(c3, 100, [(self.p1, 1, 10.0)])
        self._sell(c3, 20, [(self.p4, 1, 10.0)])
        self._refresh()
        Reco = self.env["sales.forecast.recommendation"]
        for_c3 = Reco.search([("partner_id", "=", c3.id), ("kind", "=", "customer")])
        # p2 goes with what c3 bought; p1 (bought 100 days ago, not recently) may come back as a habit
        self.assertIn(self.p2, for_c3[:2].recommended_product_id)
        self.assertLessEqual(set(for_c3[:2].recommended_product_id.ids), {self.p1.id, self.p2.id})
        self.assertNotIn(self.p4, for_c3.recommended_product_id)  # bought 20 days ago: recently
        together = Reco.search([("product_id", "=", self.p1.id), ("kind", "=", "together")])
        self.assertEqual(together[:1].recommended_product_id, self.p2)
        self.assertIn(self.p2, c3.with_user(self.salesman).sf_recommendation_ids.recommended_product_id)
        # the salesman's quotation shows p2 and adds it in one click
        quote = self.env["sale.order"].with_user(self.salesman).with_company(self.company).create({
            "partner_id": c3.id, "company_id": self.company.id,
            "order_line": [Command.create({"product_id": self.p3.id, "product_uom_qty": 1})]})
        panel = quote.sf_suggestion_ids
        self.assertIn(self.p2, panel[:2].recommended_product_id)
        self.assertNotIn(self.p3, panel.recommended_product_id)
        suggestion = panel.filtered(lambda r: r.recommended_product_id == self.p2)
        suggestion.with_context(sf_order_id=quote.id).action_add_to_order()
        self.assertIn(self.p2, quote.order_line.product_id)
        self.assertNotIn(self.p2, quote.sf_suggestion_ids.recommended_product_id)
        quote.action_confirm()
        with self.assertRaises(UserError):
            suggestion.with_context(sf_order_id=quote.id).action_add_to_order()
        # not for Forecast Users without sales rights, not across companies
        with self.assertRaises(AccessError):
            Reco.with_user(self.users["forecast_user"]).search([])
        other_salesman = new_test_user(self.env, login="sfai_other_salesman",
                                       groups="base.group_user,sales_team.group_sale_salesman",
                                       company_id=self.other_company.id, company_ids=[self.other_company.id])
        self.assertFalse(Reco.with_user(other_salesman).search([]))
        # a salesperson on their own documents does not see what a colleague's customer is offered
        colleague = new_test_user(self.env, login="sfai_colleague",
                                  groups="base.group_user,sales_team.group_sale_salesman",
                                  company_id=self.company.id, company_ids=[self.company.id])
        c3.user_id = colleague
        self.assertFalse(c3.with_user(self.salesman).sf_recommendation_ids)
        self.assertFalse(Reco.with_user(self.salesman).search([("partner_id", "=", c3.id)]))
        self.assertTrue(Reco.with_user(self.salesman).search([("kind", "=", "together")]))
        self.assertEqual(Reco.with_user(colleague).search([("partner_id", "=", c3.id)]), for_c3)
        team_lead = new_test_user(self.env, login="sfai_all_docs",
                                  groups="base.group_user,sales_team.group_sale_salesman_all_leads",
                                  company_id=self.company.id, company_ids=[self.company.id])
        self.assertEqual(Reco.with_user(team_lead).search([("partner_id", "=", c3.id)]), for_c3)

    def test_rfm_and_churn_on_partner(self):
        c0, c1 = self.customers[:2]
        for days in (100, 90, 80, 70):  # every 10 days, silent for 70: at risk
            self._sell(c0, days, [(self.p1, 1, 10.0)])
        for days in (12, 8, 4):
            self._sell(c1, days, [(self.p1, 1, 10.0)])
        self._refresh()
        Partner = self.env["res.partner"].with_user(self.sales_buyer).with_company(self.company)
        self.assertTrue(Partner.browse(c0.id).sf_churn_risk)
        self.assertFalse(Partner.browse(c1.id).sf_churn_risk)
        self.assertIn(c0, Partner.search([("sf_churn_risk", "=", True)]))
        self.assertNotIn(c1, Partner.search([("sf_churn_risk", "=", True)]))
        row = self.env["sales.forecast.customer"].search([("partner_id", "=", c0.id)])
        self.assertEqual((row.frequency, row.recency, row.cadence), (4, 70, 10.0))
        self.assertEqual(Partner.browse(c0.id).sf_rfm_segment, row.segment)
        with self.assertRaises(AccessError):
            self.env["sales.forecast.customer"].with_user(self.users["forecast_manager"]).search([])
        with self.assertRaises(AccessError):
            c0.with_user(self.users["forecast_user"]).sf_churn_risk  # noqa: B018

    def test_settings_drive_the_refresh(self):
        from odoo.exceptions import ValidationError
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].create({"sf_anomaly_threshold": 0.0})
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].create({"sf_anomaly_high": 2.0, "sf_anomaly_medium": 3.0})
        self.env["res.config.settings"].create({"sf_abc_method": "cumulative", "sf_churn_factor": 3.0}).execute()
        self.assertEqual(self.env["sales.forecast.segment"]._get_abc_method(), "cumulative")
        self.assertEqual(self.env["sales.forecast.customer"]._get_churn_factor(), 3.0)
        # revenue 500 / 300 / 150 / 50: cumulative shares before each 0 / 50 / 80 / 95 % -> A A B C
        # (by rank it would be A B C C: 1 A = ceil(20% of 4), 1 B)
        self._sell(self.customers[0], 5, [(self.p1, 5, 100.0), (self.p2, 3, 100.0), (self.p3, 3, 50.0),
                                          (self.p4, 1, 50.0)])
        self._refresh()
        segs = {s.product_id: s.abc_class for s in self.env["sales.forecast.segment"].search(
            [("company_id", "=", self.company.id)])}
        self.assertEqual([segs[p] for p in (self.p1, self.p2, self.p3, self.p4)], ["a", "a", "b", "c"])
        self.param.set_param("sales_forecast_ai.abc_method", "rank")
        self._refresh()
        segs = {s.product_id: s.abc_class for s in self.env["sales.forecast.segment"].search(
            [("company_id", "=", self.company.id)])}
        self.assertEqual([segs[p] for p in (self.p1, self.p2, self.p3, self.p4)], ["a", "b", "c", "c"])

    def test_a_failing_part_never_fails_the_run(self):
        from unittest.mock import patch
        self._sell(self.customers[0], 5, [(self.p1, 10, 100.0)])
        run = self._queue_run()
        Segment = self.env.registry["sales.forecast.segment"]
        logger = "odoo.addons.sales_forecast_ai.models.sales_forecast_analytics"
        with patch.object(Segment, "_refresh", side_effect=ValueError("boom")), self.assertLogs(logger, "ERROR"):
            run._after_done()
        self.assertIn("Analytics not refreshed: segments: boom", run.log)
        self.assertTrue(self.env["sales.forecast.customer"].search([("company_id", "=", self.company.id)]))
        with patch.object(Segment, "_get_demand", side_effect=ValueError("no demand")), \
                self.assertLogs(logger, "ERROR"):
            run._after_done()
        self.assertIn("demand: no demand", run.log)
