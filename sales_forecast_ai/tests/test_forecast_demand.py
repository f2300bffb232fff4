"""Demand history read from hand-made orders: what counts, where, on which day, and how much."""
import datetime

from odoo.tests import tagged

from .common_forecast import ForecastCase


@tagged("post_install", "-at_install")
class TestForecastDemand(ForecastCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        day = datetime.timedelta(days=1)
        cls.d1, cls.d2, cls.d3 = cls.today - 20 * day, cls.today - 15 * day, cls.today - 10 * day
        # Counted: 5 units + 1 dozen of P1 in WH1 on d1.
        cls._order(cls.d1, [(cls.p1, 5), (cls.p1, 1, cls.dozen)])
        # Not counted: a cancelled order, a quotation, services, plain consumables.
        cancelled = cls._order(cls.d1, [(cls.p1, 100)])
        cancelled._action_cancel()
        cls._order(cls.d1, [(cls.p1, 1000)], confirm=False)
        cls._order(cls.d1, [(cls.service, 7), (cls.consumable, 9)])
        # Another warehouse: its own series.
        cls._order(cls.d2, [(cls.p1, 3)], warehouse=cls.wh2)
        # Another company: never seen by this company's forecast.
        cls._order(cls.d2, [(cls.p1, 50)], warehouse=cls.other_wh, company=cls.other_company)
        # 23:30 UTC is already the next day in Paris (the company's time zone).
        cls._order(cls.d2, [(cls.p3, 2)], hour=23)
        cls.returned_order = cls._order(cls.d3, [(cls.p2, 10)])

    def _frame(self):
        demand = self.env["sales.forecast.demand"]
        frame = demand._get_demand_frame(self.company, self.today - datetime.timedelta(days=60), self.today)
        return {(r.product_id, r.warehouse_id, r.date.date()): r.quantity for r in frame.itertuples()}

    def _deliver_and_return(self, order, delivered, returned):
        picking = order.picking_ids
        self.env["stock.quant"]._update_available_quantity(order.order_line.product_id,
                                                           order.warehouse_id.lot_stock_id, delivered)
        picking.action_assign()
        picking.move_ids.quantity = delivered
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        wizard = self.env["stock.return.picking"].with_context(active_id=picking.id, active_model="stock.picking") \
            .create({})
        wizard.product_return_moves.quantity = returned
        return_picking = self.env["stock.picking"].browse(wizard.action_create_returns()["res_id"])
        return_picking.move_ids.quantity = returned
        return_picking.move_ids.picked = True
        return_picking.button_validate()
        self.assertEqual(return_picking.state, "done")
        return return_picking

    def test_confirmed_sales_per_product_warehouse_day(self):
        frame = self._frame()
        self.assertEqual(frame.pop((self.p1.id, self.wh1.id, self.d1)), 17.0,
                         "5 units + 1 dozen = 17 units; cancelled and quotation orders are left out")
        self.assertEqual(frame.pop((self.p1.id, self.wh2.id, self.d2)), 3.0)
        self.assertEqual(frame.pop((self.p3.id, self.wh1.id, self.d2 + datetime.timedelta(days=1))), 2.0,
                         "an order at 23:30 UTC belongs to the next day in Paris")
        self.assertEqual(frame.pop((self.p2.id, self.wh1.id, self.d3)), 10.0)
        self.assertEqual(frame, {}, "no service, consumable or other company's line may appear")

    def test_consumables_counted_when_configured(self):
        self.param.set_param("sales_forecast_ai.include_consumables", "1")
        frame = self._frame()
        self.assertEqual(frame.get((self.consumable.id, self.wh1.id, self.d1)), 9.0)
        self.assertNotIn((self.service.id, self.wh1.id, self.d1), frame, "services are never demand")

    def test_returns_are_netted_on_the_order_day(self):
        self._deliver_and_return(self.returned_order, delivered=10, returned=4)
        self.assertEqual(self.returned_order.order_line.qty_delivered, 6.0)
        self.assertEqual(self._frame()[(self.p2.id, self.wh1.id, self.d3)], 6.0)

    def test_window_bounds(self):
        demand = self.env["sales.forecast.demand"]
        frame = demand._get_demand_frame(self.company, self.d1 + datetime.timedelta(days=1), self.d3)
        keys = {(r.product_id, r.warehouse_id, r.date.date()) for r in frame.itertuples()}
        self.assertEqual(keys, {(self.p1.id, self.wh2.id, self.d2),
                                (self.p3.id, self.wh1.id, self.d2 + datetime.timedelta(days=1))},
                         "date_from is included, date_to excluded")

    def test_imported_history_before_the_first_odoo_day_only(self):
        # P1/WH1: imported 1/day over the last 30 days; Odoo starts on d1 -> imported days before d1 only.
        self._history(self.p1, self.wh1, 30, 1.0)
        # P2/WH2: no Odoo sale at all -> every imported day counts.
        self._history(self.p2, self.wh2, 30, 2.0)
        frame = self._frame()
        p1 = {d: q for (p, w, d), q in frame.items() if (p, w) == (self.p1.id, self.wh1.id)}
        self.assertEqual(min(p1), self.today - datetime.timedelta(days=30))
        self.assertEqual(p1[self.d1], 17.0, "the first Odoo day is Odoo's only, never both sources")
        self.assertTrue(all(q == 1.0 for d, q in p1.items() if d < self.d1))
        self.assertEqual(sorted(d for d in p1 if d > self.d1), [], "after the cutover, Odoo alone (no sale)")
        p2 = [q for (p, w, d), q in frame.items() if (p, w) == (self.p2.id, self.wh2.id)]
        self.assertEqual(p2, [2.0] * 30)

    def test_domain_hook_can_exclude_sales(self):
        """Another module narrows what counts (e.g. intercompany sales) by overriding the domain hook."""
        Demand = type(self.env["sales.forecast.demand"])
        original = Demand._get_sale_domain

        def without_wh2(model, company, date_from, date_to):
            return original(model, company, date_from, date_to) + [("warehouse_id", "!=", self.wh2.id)]

        Demand._get_sale_domain = without_wh2
        try:
            self.assertNotIn((self.p1.id, self.wh2.id, self.d2), self._frame())
        finally:
            Demand._get_sale_domain = original
