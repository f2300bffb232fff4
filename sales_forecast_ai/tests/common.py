"""Shared fixtures of the add-on's Odoo tests: one user per role, created once per test class."""
from odoo.tests import TransactionCase, new_test_user

MODULE = "sales_forecast_ai"
FORECAST_USER = f"{MODULE}.group_forecast_user"
FORECAST_MANAGER = f"{MODULE}.group_forecast_manager"


def create_role_users(env):
    """Users that hold exactly one role each (besides being employees), keyed by role."""
    def user(login, groups):
        return new_test_user(env, login=login, groups=f"base.group_user,{groups}" if groups else "base.group_user",
                             tz="Europe/Paris")
    return {
        "employee": user("sfai_employee", ""),
        "forecast_user": user("sfai_forecast_user", FORECAST_USER),
        "forecast_purchase_user": user("sfai_forecast_buyer", f"{FORECAST_USER},purchase.group_purchase_user"),
        # Plain Purchase and Inventory users: the forecast role comes with their app, nothing else.
        "purchase_user": user("sfai_purchase_user", "purchase.group_purchase_user"),
        "stock_user": user("sfai_stock_user", "stock.group_stock_user"),
        "forecast_manager": user("sfai_forecast_manager", FORECAST_MANAGER),
        "stock_manager": user("sfai_stock_manager", "stock.group_stock_manager"),
        "admin": user("sfai_admin", f"base.group_system,{FORECAST_MANAGER}"),
    }


class SalesForecastCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = create_role_users(cls.env)
