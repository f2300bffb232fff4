"""The demo company: master data, and a sales history that Odoo reads exactly like real confirmed sales."""
import datetime
from collections import defaultdict

from odoo.tests import TransactionCase, tagged

from odoo.addons.sales_forecast_ai.demo import catalog, simulation

from .common import MODULE


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.casablanca = cls.env.ref(f"{MODULE}.demo_warehouse_casablanca", raise_if_not_found=False)
        if cls.casablanca:
            cls.lyon = cls.env.ref("stock.warehouse0")
            cls.products = {p.key: cls.env.ref(f"{MODULE}.demo_product_{p.key}") for p in catalog.PRODUCTS}
            cls.customers = cls.env["res.partner"].browse(
                cls.env.ref(f"{MODULE}.demo_customer_{c.key}").id for c in catalog.CUSTOMERS)
            cls.orders = cls.env["sale.order"].search([("partner_id", "in", cls.customers.ids)])
            cls.product_ids = [p.id for p in cls.products.values()]

    def setUp(self):
        super().setUp()
        if not self.casablanca:
            self.skipTest("the add-on was installed without demo data")

    def _report_totals(self, groupby):
        groups = self.env["sale.report"]._read_group(
            [("product_id", "in", self.product_ids), ("partner_id", "in", self.customers.ids)],
            groupby=groupby, aggregates=["product_uom_qty:sum"])
        return {tuple(getattr(g, "id", g) for g in key): qty for *key, qty in groups}

    def test_master_data(self):
        products = self.env["product.product"].browse(self.product_ids)
        self.assertEqual(len(products), 40)
        self.assertTrue(all(products.mapped("is_storable")))
        self.assertEqual(len(products.categ_id), 4)
        for product in products:
            self.assertTrue(product.seller_ids, product.display_name)
            self.assertTrue(all(s.delay > 0 and s.min_qty > 0 and s.partner_id.supplier_rank for s in product.seller_ids))
        self.assertEqual({self.lyon.name, self.casablanca.name}, {"Lyon", "Casablanca"})
        self.assertEqual(self.casablanca.company_id, self.lyon.company_id)
        on_hand = self.env["stock.quant"].search([("product_id", "in", self.product_ids),
                                                  ("location_id.usage", "=", "internal")])
        self.assertEqual(on_hand.warehouse_id, self.lyon | self.casablanca)

    def test_history_is_confirmed_sales_without_pickings(self):
        lines = self.orders.order_line
        self.assertTrue(20_000 <= len(lines) <= 60_000, len(lines))
        self.assertEqual(set(self.orders.mapped("state")), {"sale"})
        self.assertFalse(self.orders.picking_ids)
        self.assertEqual(self.orders.warehouse_id, self.lyon | self.casablanca)
        self.assertEqual(lines.warehouse_id, self.lyon | self.casablanca)
        dates = self.orders.mapped("date_order")
        self.assertGreaterEqual((max(dates) - min(dates)).days, simulation.HISTORY_DAYS - 10)
        self.assertEqual(len(set(self.orders.mapped("name"))), len(self.orders))

    def test_sale_report_sees_every_line(self):
        lines = self.env["sale.order.line"]._read_group(
            [("order_id", "in", self.orders.ids)], groupby=["product_id", "warehouse_id"],
            aggregates=["product_uom_qty:sum", "price_subtotal:sum"])
        report = self._report_totals(["product_id", "warehouse_id"])
        self.assertEqual(len(report), len(lines))
        for product, warehouse, qty, _subtotal in lines:
            self.assertAlmostEqual(report[product.id, warehouse.id], qty)
        total = sum(order.amount_untaxed for order in self.orders)
        self.assertAlmostEqual(total, sum(subtotal for *_k, _q, subtotal in lines), places=2)

    def test_history_is_the_simulation(self):
        """Odoo holds exactly the simulated demand (for the day before installation)."""
        stored = defaultdict(float)
        for (product_id, warehouse_id), qty in self._report_totals(["product_id", "warehouse_id"]).items():
            stored[product_id, warehouse_id] = qty
        last_day = max(self.orders.mapped("date_order")).date()
        warehouses = {"main": self.lyon.id, "casablanca": self.casablanca.id}
        # The last simulated day may have no order at all (a public holiday in both cities).
        for end_date in (last_day, last_day + datetime.timedelta(days=1)):
            sim = simulation.simulate(end_date)
            expected = {(self.products[p].id, warehouses[w]): float(q.sum()) for (p, w), q in sim.quantities.items()
                        if q.sum()}
            if expected == dict(stored):
                return
        self.fail("the stored history matches no simulation ending on %s or the day after" % last_day)

    def test_weekly_seasonality_is_visible(self):
        per_day = self._report_totals(["date:day"])
        by_weekday = defaultdict(list)
        for (day,), qty in per_day.items():
            by_weekday[day.weekday()].append(qty)
        mean = {weekday: sum(q) / len(q) for weekday, q in by_weekday.items()}
        self.assertGreater(mean[5], 1.3 * mean[1])   # Saturday vs Tuesday
        self.assertEqual(min(mean, key=mean.get), 6)  # Sunday

    def test_cloned_rows_are_what_the_orm_computes(self):
        """Recompute every derived stored field of a sample: the SQL-cloned values must not change."""
        lines = self.env["sale.order.line"].search([("order_id", "in", self.orders.ids)], limit=400, order="id desc")
        lines |= self.env["sale.order.line"].search([("order_id", "in", self.orders.ids), ("discount", ">", 0)],
                                                    limit=100)
        for records in (lines, lines.order_id):
            names = [name for name, field in records._fields.items()
                     if field.store and field.compute and field.readonly and field.type not in ("one2many", "binary")]
            before = records.read(names)
            for name in names:
                self.env.add_to_compute(records._fields[name], records)
            records.flush_recordset()
            self.env.invalidate_all()
            for old, new in zip(before, records.read(names)):
                for name in names:
                    if isinstance(old[name], float):
                        self.assertAlmostEqual(old[name], new[name], places=4, msg=f"{records._name}.{name}")
                    else:
                        self.assertEqual(old[name], new[name], f"{records._name}.{name}")

    def test_generation_runs_once(self):
        count = self.env["sale.order.line"].search_count([])
        self.env["sales.forecast.demo"]._generate_demo_data()
        self.assertEqual(self.env["sale.order.line"].search_count([]), count)
