"""The hand-made dataset the dashboard panel tests share (test_dashboard_panels, test_dashboard_kpi_cards):
a company of its own, with a Forecast Manager with sales rights, a Forecast User without (quantities
only), and a manager of another company."""
import datetime

from odoo import Command
from odoo.tests import TransactionCase, new_test_user

from .dashboard_fixtures import create_forecast_fixture

SALES = "sales_team.group_sale_salesman_all_leads"
FORECAST_USER = "sales_forecast_ai.group_forecast_user"
FORECAST_MANAGER = "sales_forecast_ai.group_forecast_manager"


class DashboardPanelsCase(TransactionCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A company of its own: the demo company's sales would make every figure unpredictable.
        cls.company = cls.env["res.company"].create({"name": "SFAI Panels Co", "forecast_lead_time_days": 10})
        cls.env.user.company_ids |= cls.company
        cls.data = create_forecast_fixture(cls.env, cls.company)
        cls.today = cls.data["today"]

        def user(login, groups, company):
            return new_test_user(cls.env, login=login, company_id=company.id, company_ids=[Command.set(company.ids)],
                                 groups=f"base.group_user,{groups}")

        cls.manager = user("sfai_panels_manager", f"{FORECAST_MANAGER},{SALES}", cls.company)
        cls.buyer = user("sfai_panels_buyer", FORECAST_USER, cls.company)
        cls.other_company = cls.env["res.company"].create({"name": "SFAI Panels Other Co"})
        cls.other = user("sfai_panels_other", f"{FORECAST_MANAGER},{SALES}", cls.other_company)

    def _panels(self, user):
        return self.env["sales.forecast.dashboard"].with_user(user).with_company(user.company_id)

    def _history_sum(self, first, last):
        return sum(row.quantity for row in self.data["history"] if first <= row.date <= last)

    def _days_ago(self, days):
        return self.today - datetime.timedelta(days=days)

