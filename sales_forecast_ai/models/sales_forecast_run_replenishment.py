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

    def unlink(self):
        # Through the ORM, not the database cascade: the buyers' to-dos on the suggestions go with them
        # (an orphan activity makes the web client show "Missing Record" to its user).
        self.env["sales.forecast.suggestion"].search([("run_id", "in", self.ids)]).unlink()
        return super().unlink()
