"""A finished forecast run refreshes the dashboard's stored daily sales of its company."""
from odoo import models


class SalesForecastRun(models.Model):
    _inherit = "sales.forecast.run"

    def _after_done(self):
        super()._after_done()
        self.env["sales.forecast.dashboard.daily"]._refresh_company(self.company_id)
