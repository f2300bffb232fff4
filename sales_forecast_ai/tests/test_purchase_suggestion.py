"""Purchase suggestions after a real (quick) forecast run: policy values, RFQs, orderpoints, rights, companies."""
import datetime
import math

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import FORECAST_MANAGER, FORECAST_USER, MODULE, create_role_users
from .common_forecast import CHEAP_POOL, ForecastCase


class SuggestionRunMixin:
    @classmethod
    def _run_forecast(cls, company):
        """Queue a run of ``company`` and drive the scheduled action until it is done, like ir.cron."""
        Run = cls.env["sales.forecast.run"]
        run = Run.create({**Run._prepare_run_vals(company, trigger="manual"), "model_pool": CHEAP_POOL})
        cron = cls.env.ref(f"{MODULE}.ir_cron_forecast_run")
        for __ in range(40):
            if run.state not in ("queued", "running"):
                break
            cron_, progress = cron._add_progress()
            Run.with_context(ir_cron_progress_id=progress.id, cron_id=cron_.id, forecast_call_budget=60,
                             forecast_poll_interval=0.2)._cron_process(schedule=False)
        assert run.state == "done", run.log
        return run


@tagged("post_install", "-at_install")
class TestPurchaseSuggestion(SuggestionRunMixin, ForecastCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = create_role_users(cls.env)
        for user in cls.users.values():
            user.company_ids |= cls.company
        cls.stock_manager = cls.users["stock_manager"]
        cls.purchase_manager = new_test_user(
            cls.env, login="sfai_purchase_manager", groups="base.group_user,purchase.group_purchase_manager",
            company_id=cls.company.id, company_ids=[Command.set(cls.company.ids)])
        cls.vendor_a = cls.env["res.partner"].create({"name": "SFAI Vendor A", "supplier_rank": 1,
                                                      "buyer_id": cls.users["forecast_purchase_user"].id})
        cls.vendor_b = cls.env["res.partner"].create({"name": "SFAI Vendor B", "supplier_rank": 1})
        cls.p1.seller_ids = [Command.create({"partner_id": cls.vendor_a.id, "delay": 5, "min_qty": 500.0,
                                             "price": 3.5, "company_id": cls.company.id})]
        cls.p2.seller_ids = [Command.create({"partner_id": cls.vendor_b.id, "delay": 3, "min_qty": 0.0,
                                             "price": 2.0, "company_id": cls.company.id})]
        # p1 sells 10 a day in both warehouses, p2 6 a day in WH1, p3 (no vendor) 4 a day in WH1.
        cls.p1.standard_price = 2.0
        cls._history(cls.p1, cls.wh1, 100, lambda i: 10.0 + (i % 3 - 1))
        cls._history(cls.p1, cls.wh2, 100, 10.0)
        cls._history(cls.p2, cls.wh1, 100, lambda i: 6.0 + (i % 2))
        cls._history(cls.p3, cls.wh1, 100, 4.0)
        Quant = cls.env["stock.quant"].with_context(inventory_mode=True)
        Quant.create([
            {"product_id": cls.p1.id, "location_id": cls.wh1.lot_stock_id.id, "inventory_quantity": 5.0},
            {"product_id": cls.p2.id, "location_id": cls.wh1.lot_stock_id.id, "inventory_quantity": 5000.0},
        ]).action_apply_inventory()
        # 3 of p1's 5 units were delivered 10 days ago: p1 / WH1 has a stock history, p2 has none.
        delivery = cls.env["stock.move"].create({
            "name": "SFAI delivery", "product_id": cls.p1.id, "product_uom_qty": 3.0, "product_uom": cls.unit.id,
            "location_id": cls.wh1.lot_stock_id.id, "company_id": cls.company.id,
            "location_dest_id": cls.env.ref("stock.stock_location_customers").id})
        delivery._action_confirm()
        delivery._action_assign()
        delivery.write({"quantity": 3.0, "picked": True})
        delivery._action_done()
        delivery.date = datetime.datetime.now() - datetime.timedelta(days=10)
        cls.forecast_run = cls._run_forecast(cls.company)
        cls.Suggestion = cls.env["sales.forecast.suggestion"]
        cls.Suggestion._cron_refresh()

    def _line(self, product, warehouse):
        line = self.Suggestion.search([("product_id", "=", product.id), ("warehouse_id", "=", warehouse.id),
                                       ("is_latest", "=", True)])
        self.assertEqual(len(line), 1, f"{product.display_name} / {warehouse.code}")
        return line

    def test_suggestions_follow_the_run(self):
        lines = self.Suggestion.search([("run_id", "=", self.forecast_run.id)])
        self.assertEqual(len(lines), 4, "one per stocked product x warehouse of the run")
        self.assertTrue(all(lines.mapped("is_latest")))
        cron = self.env.ref(f"{MODULE}.ir_cron_purchase_suggestion_refresh")
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]), "the run woke the refresh up")
        p1 = self._line(self.p1, self.wh1)
        self.assertEqual((p1.partner_id, p1.lead_time_days, p1.moq), (self.vendor_a, 5, 500.0))
        self.assertAlmostEqual(p1.qty_available, 2.0)
        self.assertAlmostEqual(p1.reorder_point, p1.demand_lead_time + p1.safety_stock, places=4)
        self.assertGreater(p1.safety_stock, 0.0, "the champion's backtest error gives safety stock")
        self.assertGreater(p1.demand_lead_time, 30.0)  # ~10 a day over 5 days
        self.assertEqual(p1.urgency, "order_now")
        self.assertEqual(p1.qty_suggested, 500.0, "raised to the vendor's minimum")
        self.assertEqual(p1.qty_to_order, 500.0)
        self.assertTrue(p1.stockout_date and p1.stockout_date <= self.today + datetime.timedelta(days=1))
        self.assertIn("SFAI Vendor A", p1.reason)
        self.assertIn("minimum", p1.reason)
        # The run refreshed the segments: p1's level is its ABC class's, from the company's settings.
        self.assertTrue(p1.abc_class, "the run's analytics refresh classed p1")
        self.assertEqual(p1.service_level, self.company._get_forecast_abc_service_levels()[p1.abc_class])
        p2 = self._line(self.p2, self.wh1)
        self.assertEqual((p2.urgency, p2.qty_suggested), ("ok", 0.0), "5,000 in stock")
        self.assertFalse(p2.stockout_date)
        p3 = self._line(self.p3, self.wh1)
        self.assertFalse(p3.partner_id)
        self.assertEqual(p3.lead_time_days, self.company.forecast_lead_time_days)
        self.assertIn("no vendor", p3.reason)
        self.assertEqual(p3.qty_suggested, math.ceil(p3.qty_suggested), "units are ordered whole")

    def test_refresh_keeps_manual_quantity_and_category_profile(self):
        p2 = self._line(self.p2, self.wh1)
        p2.qty_to_order = 42.0
        self.assertEqual((p2.qty_to_order_manual, p2.qty_suggested), (42.0, 0.0))
        medicines = self.env["product.category"].create({"name": "SFAI Medicines",
                                                         "forecast_replenishment_profile": "pharmacy"})
        self.p1.categ_id = medicines
        before = self._line(self.p1, self.wh1).safety_stock
        self.Suggestion._refresh_run(self.forecast_run)
        self.assertEqual(self.Suggestion.search_count([("run_id", "=", self.forecast_run.id)]), 4, "no duplicate")
        self.assertEqual(self._line(self.p2, self.wh1).qty_to_order, 42.0, "the buyer's quantity stays")
        p1 = self._line(self.p1, self.wh1)
        self.assertEqual((p1.service_level, p1.review_days, p1.safety_days), (99.0, 7, 7.0))
        self.assertGreater(p1.safety_stock, before)
        self.assertIn("Pharmacy", p1.reason)
        medicines.forecast_service_level = 99.5
        self.Suggestion._refresh_run(self.forecast_run)
        self.assertEqual(self._line(self.p1, self.wh1).service_level, 99.5, "the category's own level first")
        with self.assertRaises(ValidationError):
            medicines.forecast_service_level = 100.0
        with self.assertRaises(ValidationError):
            self.company.forecast_urgency_now_days = 30  # above the WATCH threshold (14)
        with self.assertRaises(ValidationError):
            self.company.forecast_service_level_a = 100.0
        with self.assertRaises(ValidationError):
            self.company.forecast_service_level_c = 40.0

    def test_rfqs_grouped_by_vendor_and_warehouse_and_never_duplicated(self):
        buyer = self.users["forecast_purchase_user"]
        lines = self.Suggestion.with_user(buyer).search([("is_latest", "=", True), ("company_id", "=", self.company.id)])
        self._line(self.p2, self.wh1).with_user(buyer).qty_to_order = 30.0
        result = lines.action_create_rfq()
        self.assertEqual(result["tag"], "display_notification")
        self.assertIn("without a vendor", result["params"]["message"])
        self.assertIn("SFAI Gizmo", result["params"]["message"], "the line without vendor is named")
        orders = self.env["purchase.order"].search([("partner_id", "in", (self.vendor_a | self.vendor_b).ids)])
        # Vendor A x WH1, vendor A x WH2, vendor B x WH1.
        self.assertEqual(len(orders), 3)
        self.assertEqual(set(orders.mapped("state")), {"draft"})
        for line in lines.filtered("purchase_line_id"):
            self.assertEqual(line.purchase_order_id.picking_type_id, line.warehouse_id.in_type_id)
        p1_line = self._line(self.p1, self.wh1).purchase_line_id
        self.assertEqual((p1_line.product_qty, p1_line.price_unit, p1_line.product_uom),
                         (500.0, 3.5, self.p1.uom_po_id))
        self.assertIn("SFAI Widget", p1_line.name)
        self.assertEqual(p1_line.date_planned.date(), p1_line.order_id.date_order.date() + datetime.timedelta(days=5),
                         "planned with the vendor's lead time")
        self.assertEqual(self._line(self.p2, self.wh1).purchase_line_id.product_qty, 30.0, "the manual quantity")
        self.assertFalse(self._line(self.p3, self.wh1).purchase_line_id)
        # Again: nothing new.
        again = lines.action_create_rfq()
        self.assertIn("already on a request for quotation", again["params"]["message"])
        self.assertEqual(self.env["purchase.order"].search_count(
            [("partner_id", "in", (self.vendor_a | self.vendor_b).ids)]), 3)
        self.assertEqual(len(orders.order_line), 3)
        # The open RFQs count as incoming at the next refresh: nothing left to suggest for p1 / WH1.
        second = self._run_forecast(self.company)
        self.Suggestion._refresh_run(second)
        p1 = self._line(self.p1, self.wh1)
        self.assertEqual(p1.run_id, second)
        self.assertAlmostEqual(p1.qty_incoming, 500.0)
        self.assertFalse(self.Suggestion.search([("run_id", "=", self.forecast_run.id), ("is_latest", "=", True)]))
        # Refreshing the older run again does not take the latest flag back, and keeps its RFQ links.
        self.Suggestion._refresh_run(self.forecast_run)
        self.assertEqual(self._line(self.p1, self.wh1).run_id, second)
        old = self.Suggestion.search([("run_id", "=", self.forecast_run.id), ("product_id", "=", self.p1.id),
                                      ("warehouse_id", "=", self.wh1.id)])
        self.assertEqual(old.purchase_line_id, p1_line)

    def test_rfq_lines_of_a_cancelled_order_can_be_reordered(self):
        buyer = self.users["forecast_purchase_user"]
        line = self._line(self.p1, self.wh2).with_user(buyer)
        line.action_create_rfq()
        order = line.purchase_order_id
        order.button_cancel()
        line.action_create_rfq()
        self.assertNotEqual(line.purchase_order_id, order)

    def test_apply_orderpoints(self):
        manual = self.env["stock.warehouse.orderpoint"].create({
            "product_id": self.p2.id, "location_id": self.wh1.lot_stock_id.id, "trigger": "manual",
            "product_min_qty": 1.0, "product_max_qty": 2.0, "company_id": self.company.id})
        manual.active = False
        lines = self.Suggestion.search([("is_latest", "=", True), ("warehouse_id", "=", self.wh1.id)])
        with self.assertRaises(AccessError):
            lines.with_user(self.users["forecast_purchase_user"]).action_apply_orderpoints()
        lines.with_user(self.stock_manager).action_apply_orderpoints()
        Orderpoint = self.env["stock.warehouse.orderpoint"]
        for line in lines:
            op = Orderpoint.search([("product_id", "=", line.product_id.id),
                                    ("location_id", "=", self.wh1.lot_stock_id.id)])
            self.assertEqual(len(op), 1)
            self.assertEqual(op.product_min_qty, math.ceil(line.reorder_point))
            self.assertEqual(op.product_max_qty, max(math.ceil(line.order_up_to), op.product_min_qty))
        self.assertTrue(manual.active, "an archived rule is reused, not duplicated")
        self.assertEqual(manual.trigger, "manual", "the buyer's trigger stays")
        new = Orderpoint.search([("product_id", "=", self.p1.id), ("location_id", "=", self.wh1.lot_stock_id.id)])
        self.assertEqual(new.trigger, "auto")
        lines.with_user(self.stock_manager).action_apply_orderpoints()
        self.assertEqual(Orderpoint.search_count([("product_id", "in", lines.product_id.ids),
                                                  ("location_id", "=", self.wh1.lot_stock_id.id)]), 3)

    def test_access_rights(self):
        line = self._line(self.p1, self.wh1)
        forecast_user = self.users["forecast_user"]
        self.assertEqual(line.with_user(forecast_user).reorder_point, line.reorder_point, "forecast users read")
        with self.assertRaisesRegex(UserError, "Creating RFQs needs Purchase rights"):
            line.with_user(forecast_user).action_create_rfq()
        with self.assertRaises(AccessError):
            line.with_user(forecast_user).qty_to_order = 3.0
        with self.assertRaises(AccessError):
            line.with_user(self.users["employee"]).read(["qty_suggested"])
        buyer = self.users["forecast_purchase_user"]
        line.with_user(buyer).qty_to_order = 600.0
        with self.assertRaises(UserError):
            line.with_user(buyer).write({"reorder_point": 1.0})
        with self.assertRaises(UserError):
            line.with_user(buyer).write({"purchase_line_id": False, "qty_to_order": 2.0})
        with self.assertRaises(AccessError):
            self.Suggestion.with_user(buyer).action_refresh()
        plain_buyer = new_test_user(self.env, login="sfai_plain_buyer", groups="base.group_user,purchase.group_purchase_user",
                                    company_id=self.company.id, company_ids=[Command.set(self.company.ids)])
        self.assertTrue(plain_buyer.has_group(FORECAST_USER), "Purchase users are forecast users")
        self.assertEqual(len(self.Suggestion.with_user(plain_buyer).search([("is_latest", "=", True)])), 4)
        manager = self.users["forecast_manager"]
        self.assertTrue(manager.has_group(FORECAST_MANAGER))
        self.Suggestion.with_user(manager).with_company(self.company).action_refresh()

    def test_inventory_admin_needs_purchase_rights_for_rfqs(self):
        line = self._line(self.p1, self.wh1)  # ORDER NOW, 500 to order
        inventory_admin = self.stock_manager
        self.assertTrue(inventory_admin.has_group(FORECAST_MANAGER))
        self.assertFalse(inventory_admin.has_group("purchase.group_purchase_user"), "no Purchase rights by install")
        with self.assertRaisesRegex(UserError, "Creating RFQs needs Purchase rights"):
            line.with_user(inventory_admin).action_create_rfq()
        self.assertFalse(line.purchase_line_id)
        line.with_user(inventory_admin).action_apply_orderpoints()  # reordering rules stay their job
        buyer = self.users["purchase_user"]  # a plain Purchase User, forecast role implied
        line.with_user(buyer).action_create_rfq()
        self.assertEqual(line.purchase_order_id.create_uid, buyer)
        self.assertEqual(line.purchase_order_id.state, "draft")

    def test_multi_company_isolation(self):
        other_product = self._product("SFAI-OTHER", company_id=self.other_company.id)
        other_run = self.env["sales.forecast.run"].create({"company_id": self.other_company.id, "state": "done"})
        other = self.Suggestion.create({
            "run_id": other_run.id, "company_id": self.other_company.id, "product_id": other_product.id,
            "warehouse_id": self.other_wh.id, "is_latest": True, "urgency": "order_now", "qty_suggested": 3.0})
        own_only = new_test_user(self.env, login="sfai_own_buyer",
                                 groups=f"base.group_user,purchase.group_purchase_user,{FORECAST_USER}",
                                 company_id=self.company.id, company_ids=[Command.set(self.company.ids)])
        visible = self.Suggestion.with_user(own_only).search([])
        self.assertTrue(visible)
        self.assertNotIn(other, visible)
        with self.assertRaises(AccessError):
            other.with_user(own_only).read(["qty_suggested"])
        # The other company's refresh leaves this company's latest suggestions alone.
        self.Suggestion._refresh_run(other_run)
        self.assertFalse(other.exists(), "a run without results has no suggestions")
        self.assertEqual(self.Suggestion.search_count([("company_id", "=", self.company.id),
                                                       ("is_latest", "=", True)]), 4)

    def test_policy_backtest_and_activity(self):
        lines = self.Suggestion.search([("is_latest", "=", True), ("company_id", "=", self.company.id)])
        result = lines.with_user(self.users["forecast_purchase_user"]).action_policy_backtest()
        self.assertIn("fill rate", result["params"]["message"])
        p1 = self._line(self.p1, self.wh1)
        self.assertTrue(0.0 < p1.backtest_fill_rate <= 1.0)
        self.assertGreater(p1.backtest_stock_value, 0.0)
        # p1 / WH1: 5 units counted today, 3 delivered 10 days before; so no stock on any of its 100 days
        # of sales. p2 never shipped anything: no stock history to compare with.
        self.assertTrue(p1.backtest_has_actual)
        self.assertEqual((p1.actual_stockout_days, p1.actual_fill_rate), (100, 0.0))
        self.assertGreater(p1.backtest_fill_rate, 0.5)
        p2 = self._line(self.p2, self.wh1)
        self.assertFalse(p2.backtest_has_actual)
        self.assertGreater(p2.backtest_fill_rate, 0.5)
        self.assertIn("whose stock moves tell what happened", result["params"]["message"])
        # ORDER NOW items of vendor A are on a to-do for its buyer.
        activities = self.env["mail.activity"].search([("res_model", "=", "sales.forecast.suggestion"),
                                                       ("res_id", "in", lines.ids)])
        mine = activities.filtered(lambda a: a.user_id == self.users["forecast_purchase_user"])
        self.assertEqual(len(mine), 1)
        self.assertIn("SFAI Widget", str(mine.note))
        self.assertIn("2 product(s)", mine.summary)
        # The product without vendor has nobody in charge: the purchase manager gets it.
        others = activities - mine
        self.assertIn("SFAI Gizmo", str(others.note))
        self.assertTrue(all(user.has_group("purchase.group_purchase_manager") for user in others.user_id))
        # Deleting the run takes its suggestions and their to-dos along.
        self.forecast_run.unlink()
        self.assertFalse(activities.exists())


@tagged("post_install", "-at_install")
class TestDemoSuggestions(SuggestionRunMixin, ForecastCase):
    """On the demo company: a quick run, then what a buyer sees."""

    def test_demo_buyer_orders_now(self):
        lyon = self.env.ref("stock.warehouse0")
        if not self.env.ref(f"{MODULE}.demo_warehouse_casablanca", raise_if_not_found=False):
            self.skipTest("the add-on was installed without demo data")
        company = lyon.company_id
        company.forecast_history_days = 180
        company.forecast_horizon_days = 30
        company.forecast_backtest_folds = 1
        run = self._run_forecast(company)
        Suggestion = self.env["sales.forecast.suggestion"]
        Suggestion._cron_refresh()
        lines = Suggestion.search([("run_id", "=", run.id)])
        self.assertEqual(len(lines), len(run.result_ids.filtered(lambda r: r.status != "failed")))
        self.assertTrue(all(lines.mapped("partner_id")), "every demo product has a vendor")
        urgent = lines.filtered(lambda s: s.urgency == "order_now")
        self.assertTrue(urgent, "the demo stock leaves some products to reorder now")
        self.assertTrue(all(line.reason and line.qty_suggested > 0 for line in urgent))
        buyer = create_role_users(self.env)["forecast_purchase_user"]
        action = urgent.with_user(buyer).action_create_rfq()
        self.assertEqual(action["params"]["type"], "success")
        orders = urgent.purchase_order_id
        self.assertEqual(len(orders), len({(s.partner_id, s.warehouse_id) for s in urgent}))

    def test_demo_service_level_per_abc_class(self):
        # Forecast run and analytics refresh together, as after a scheduled run: the segments' classes
        # pick the service levels set in Settings, and the reason says which class set it.
        lyon = self.env.ref("stock.warehouse0")
        if not self.env.ref(f"{MODULE}.demo_warehouse_casablanca", raise_if_not_found=False):
            self.skipTest("the add-on was installed without demo data")
        company = lyon.company_id
        company.write({"forecast_history_days": 180, "forecast_horizon_days": 30, "forecast_backtest_folds": 1,
                       "forecast_replenishment_profile": "custom", "forecast_service_level": 93.0,
                       "forecast_abc_service_level": True, "forecast_service_level_a": 97.5,
                       "forecast_service_level_b": 94.0, "forecast_service_level_c": 85.0})
        run = self._run_forecast(company)
        self.env["sales.forecast.analytics"]._refresh_company(company)
        Suggestion = self.env["sales.forecast.suggestion"]
        Suggestion._refresh_run(run)
        segments = {(s.product_id, s.warehouse_id): s.abc_class for s in self.env["sales.forecast.segment"].search(
            [("company_id", "=", company.id)])}
        lines = Suggestion.search([("run_id", "=", run.id)]).filtered(
            lambda s: not s.product_id.categ_id.forecast_service_level
            and not s.product_id.categ_id.forecast_replenishment_profile)
        for line in lines:
            self.assertEqual(line.abc_class, (segments.get((line.product_id, line.warehouse_id)) or "").upper()
                             or False, line.display_name)
        a_line = lines.filtered(lambda s: s.abc_class == "A")[:1]
        c_line = lines.filtered(lambda s: s.abc_class == "C")[:1]
        self.assertTrue(a_line and c_line, "the demo data has A and C products with suggestions")
        self.assertEqual(a_line.service_level, 97.5)
        self.assertIn("97.5% service level (A class", a_line.reason)
        self.assertEqual(c_line.service_level, 85.0)
        self.assertIn("85.0% service level (C class", c_line.reason)
        # The same line, class levels off: the company's level, and the reason no longer names a class.
        product, warehouse = a_line.product_id, a_line.warehouse_id
        company.forecast_abc_service_level = False
        Suggestion._refresh_run(run)
        a_again = Suggestion.search([("run_id", "=", run.id), ("product_id", "=", product.id),
                                     ("warehouse_id", "=", warehouse.id)])
        self.assertEqual(a_again.service_level, 93.0)
        self.assertNotIn("A class", a_again.reason)
