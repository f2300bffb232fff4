"""Buyers and warehouse staff read past sales as daily quantities, and nothing more."""
import datetime

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common_forecast import ForecastCase

ROW_KEYS = {"product_id", "warehouse_id", "date", "qty"}


@tagged("post_install", "-at_install")
class TestHistoryReader(ForecastCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        def day(days):
            return cls.today - datetime.timedelta(days=days)

        cls.day_3, cls.day_2 = day(days=3), day(days=2)
        cls._order(cls.day_3, [(cls.p1, 5.0), (cls.p1, 2.0, cls.dozen)])          # 5 + 24 units, WH1
        cls._order(cls.day_2, [(cls.p2, 4.0)], warehouse=cls.wh2)
        cls._order(cls.day_2, [(cls.p1, 100.0)], confirm=False)                     # a quotation: not demand
        cls._order(cls.day_2, [(cls.p1, 9.0)], warehouse=cls.other_wh, company=cls.other_company)
        # Imported history counts before the series' first Odoo sale, never after it.
        cls.old_history, __ = cls.env["sales.forecast.history"].create([
            {"company_id": cls.company.id, "product_id": cls.p1.id, "warehouse_id": cls.wh1.id,
             "date": day(days=40), "quantity": 3.0},
            {"company_id": cls.company.id, "product_id": cls.p1.id, "warehouse_id": cls.wh1.id,
             "date": day(days=1), "quantity": 50.0},
        ])
        cls.other_product = cls._product("SFAI-OTHER", company_id=cls.other_company.id)
        common = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)], "tz": "Europe/Paris"}
        cls.buyer = new_test_user(cls.env, "sfai_hr_buyer", groups="purchase.group_purchase_user", **common)
        cls.storekeeper = new_test_user(cls.env, "sfai_hr_stock", groups="stock.group_stock_user", **common)
        cls.employee = new_test_user(cls.env, "sfai_hr_employee", groups="base.group_user", **common)

    def _reader(self, user):
        return self.env["sales.forecast.history.reader"].with_user(user).with_context(
            allowed_company_ids=user.company_ids.ids)

    def _iso(self, day):
        return day.isoformat()

    def test_buyer_and_storekeeper_read_daily_quantities(self):
        date_from = self.today - datetime.timedelta(days=60)
        expected = [
            {"product_id": self.p1.id, "warehouse_id": self.wh1.id, "date": self._iso(self.old_history.date),
             "qty": 3.0},
            {"product_id": self.p1.id, "warehouse_id": self.wh1.id, "date": self._iso(self.day_3), "qty": 29.0},
            {"product_id": self.p2.id, "warehouse_id": self.wh2.id, "date": self._iso(self.day_2), "qty": 4.0},
        ]
        for user in (self.buyer, self.storekeeper):
            with self.subTest(user=user.login):
                # Neither may read the sales analysis (revenue per customer and salesperson)...
                with self.assertRaises(AccessError):
                    self.env["sale.report"].with_user(user).search_count([])
                # ...yet both see what sold, by the forecast's rules: confirmed sales in the product's unit,
                # imported history only before the first Odoo sale, their own company only.
                rows = self._reader(user).get_daily_quantities(
                    (self.p1 | self.p2).ids, date_from=date_from, date_to=self.today)
                self.assertEqual(rows, expected)
                self.assertTrue(all(set(row) == ROW_KEYS for row in rows), "quantities only, no price or customer")

    def test_warehouse_and_daily_totals(self):
        reader = self._reader(self.buyer)
        rows = reader.get_daily_quantities([self.p1.id, self.p2.id], self.wh2.id, self.day_3, self.today)
        self.assertEqual([(r["product_id"], r["warehouse_id"], r["qty"]) for r in rows],
                         [(self.p2.id, self.wh2.id, 4.0)])
        totals = reader.get_daily_totals([self.p1.id, self.p2.id], date_from=self.day_3, date_to=self.today)
        self.assertEqual(totals, [
            {"date": self._iso(self.day_3), "qty": 29.0},
            {"date": self._iso(self.day_2), "qty": 4.0},
            {"date": self._iso(self.today - datetime.timedelta(days=1)), "qty": 0.0},
            {"date": self._iso(self.today), "qty": 0.0},
        ], "every day of the range, zero when nothing sold")
        self.assertEqual(reader.get_daily_totals([], date_from=self.day_2, date_to=self.day_2),
                         [{"date": self._iso(self.day_2), "qty": 0.0}])

    def test_refusals(self):
        reader = self._reader(self.buyer)
        with self.assertRaises(AccessError):
            self._reader(self.employee).get_daily_quantities(self.p1.ids)
        with self.assertRaises(AccessError, msg="another company's product"):
            reader.get_daily_quantities(self.other_product.ids)
        with self.assertRaises(AccessError, msg="another company's warehouse"):
            reader.get_daily_quantities(self.p1.ids, self.other_wh.id)
        with self.assertRaises(AccessError, msg="a company the user does not work in"):
            self.env["sales.forecast.history.reader"].with_user(self.buyer).with_context(
                allowed_company_ids=self.other_company.ids).get_daily_quantities(self.p1.ids)
        with self.assertRaisesRegex(UserError, "after the last day"):
            reader.get_daily_quantities(self.p1.ids, date_from=self.today, date_to=self.day_2)
        with self.assertRaisesRegex(UserError, "YYYY-MM-DD"):
            reader.get_daily_quantities(self.p1.ids, date_from="yesterday")
        with self.assertRaisesRegex(UserError, "days at most"):
            reader.get_daily_quantities(self.p1.ids, date_from="2000-01-01")

    def test_user_of_two_companies_reads_both(self):
        both = self.company | self.other_company
        user = new_test_user(self.env, "sfai_hr_both", groups="purchase.group_purchase_user",
                             company_id=self.company.id, company_ids=[Command.set(both.ids)])
        rows = self._reader(user).get_daily_quantities(self.p1.ids, date_from=self.day_3, date_to=self.today)
        self.assertEqual(sorted((r["warehouse_id"], r["qty"]) for r in rows),
                         sorted([(self.wh1.id, 29.0), (self.other_wh.id, 9.0)]))
        only_one = self._reader(user).with_context(allowed_company_ids=self.company.ids)
        rows = only_one.get_daily_quantities(self.p1.ids, date_from=self.day_3, date_to=self.today)
        self.assertEqual([(r["warehouse_id"], r["qty"]) for r in rows], [(self.wh1.id, 29.0)],
                         "only the companies selected in the switcher")

    def test_quantities_sold_report(self):
        # The Analysis menu's report for buyers and clerks: quantities per day, nothing about money or people.
        Report = self.env["sales.forecast.demand.report"]
        private = [name for name, field in Report._fields.items()
                   if field.type == "monetary" or field.comodel_name in ("res.partner", "res.users", "sale.order",
                                                                         "sale.order.line", "crm.team")]
        self.assertEqual(private, [], "only quantities")
        self.env.flush_all()
        for user in (self.buyer, self.storekeeper):
            with self.subTest(user=user.login):
                groups = Report.with_user(user).with_context(allowed_company_ids=user.company_ids.ids)._read_group(
                    [("date", ">=", self.day_3)], groupby=["product_id", "warehouse_id", "date:day"],
                    aggregates=["quantity:sum"])
                self.assertEqual(
                    sorted((p.id, w.id, d, q) for p, w, d, q in groups),
                    sorted([(self.p1.id, self.wh1.id, self.day_3, 29.0), (self.p2.id, self.wh2.id, self.day_2, 4.0)]),
                    "confirmed sales in the product's unit, of the user's company only")
