from odoo import models

SUGGESTION_CRON = "sales_forecast_ai.ir_cron_purchase_suggestion_refresh"


class SalesForecastRun(models.Model):
    _inherit = "sales.forecast.run"

    def _after_done(self):
        """Purchase suggestions follow each finished run, in their own cron transaction: a problem in
        them never undoes the run, and the run's last call stays short."""
        super()._after_done()
        cron = self.env.ref(SUGGESTION_CRON, raise_if_not_found=False)
        if cron:
            cron._trigger()
