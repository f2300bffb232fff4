from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import FORECAST_MANAGER, FORECAST_USER, SalesForecastCase


@tagged("post_install", "-at_install")
class TestAccessRights(SalesForecastCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.vendor = cls.env["res.partner"].create({"name": "SFAI Test Vendor", "supplier_rank": 1})

    def _create_rfq(self, user):
        return self.env["purchase.order"].with_user(user).create({"partner_id": self.vendor.id})

    def test_group_implications(self):
        users = self.users
        self.assertTrue(users["stock_manager"].has_group(FORECAST_MANAGER))
        self.assertFalse(users["employee"].has_group(FORECAST_USER))
        self.assertTrue(users["forecast_manager"].has_group(FORECAST_USER))
        self.assertFalse(users["forecast_user"].has_group(FORECAST_MANAGER))
        # The Inventory/Purchase groups bring the matching forecast role with them.
        implications = {
            "stock.group_stock_user": FORECAST_USER,
            "purchase.group_purchase_user": FORECAST_USER,
            "stock.group_stock_manager": FORECAST_MANAGER,
            "purchase.group_purchase_manager": FORECAST_MANAGER,
        }
        for group, forecast_group in implications.items():
            self.assertIn(self.env.ref(forecast_group), self.env.ref(group).trans_implied_ids, group)
        self.assertTrue(self.env.ref("base.user_admin").has_group(FORECAST_MANAGER))

    def test_forecast_user_cannot_create_rfqs(self):
        with self.assertRaises(AccessError):
            self._create_rfq(self.users["forecast_user"])

    def test_purchase_rights_allow_rfqs(self):
        for role in ("forecast_purchase_user", "purchase_user"):
            rfq = self._create_rfq(self.users[role])
            self.assertEqual(rfq.state, "draft", role)
            self.assertEqual(rfq.create_uid, self.users[role])

    def test_forecast_roles_do_not_grant_purchase(self):
        # The add-on makes Inventory Administrators Forecast Managers; that must not make them buyers.
        self.assertNotIn(self.env.ref("purchase.group_purchase_user"),
                         self.env.ref(FORECAST_MANAGER).trans_implied_ids)
        for role in ("forecast_manager", "stock_manager"):
            user = self.users[role]
            self.assertTrue(user.has_group(FORECAST_MANAGER), role)
            self.assertFalse(user.has_group("purchase.group_purchase_user"), role)
            with self.assertRaises(AccessError, msg=role):
                self._create_rfq(user)

    def test_forecast_user_cannot_change_settings(self):
        user = self.users["forecast_user"]
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(user).create({"forecast_horizon_days": 30})
        settings = self.env["res.config.settings"].with_user(self.users["admin"]).create({"forecast_horizon_days": 30})
        horizon = self.env.company.forecast_horizon_days
        with self.assertRaises(AccessError):
            settings.with_user(user).write({"forecast_horizon_days": 45})
        with self.assertRaises(AccessError):
            settings.with_user(user).execute()
        with self.assertRaises(AccessError):
            self.env.company.with_user(user).write({"forecast_horizon_days": 45})
        self.env.invalidate_all()
        self.assertEqual(self.env.company.forecast_horizon_days, horizon)

    def test_only_administrators_save_settings(self):
        # Odoo's rule (res.config.settings.execute): a Forecast Manager who is not an administrator
        # runs forecasts and creates RFQs, but saving Settings stays with administrators.
        settings = self.env["res.config.settings"].with_user(self.users["admin"]).create({"forecast_horizon_days": 30})
        with self.assertRaises(AccessError):
            settings.with_user(self.users["forecast_manager"]).execute()
        settings.execute()
        self.assertEqual(self.env.company.forecast_horizon_days, 30)

    def test_forecast_users_do_not_read_sales_reports(self):
        # sale.report shows revenue per customer and salesperson: a forecast role never opens it. Buyers
        # and warehouse staff see quantities through sales.forecast.history.reader (test_history_reader).
        for role in ("forecast_user", "forecast_purchase_user", "forecast_manager"):
            with self.assertRaises(AccessError, msg=role):
                self.env["sale.report"].with_user(self.users[role]).search_count([])
