"""A finished run refreshes the analytics, on the history it has just learned from."""
from odoo import _, models


class SalesForecastRun(models.Model):
    _inherit = "sales.forecast.run"

    def _after_done(self):
        super()._after_done()
        timings = self.env["sales.forecast.analytics"]._refresh_company(self.company_id)
        failed = {part: error for part, error in timings.items() if isinstance(error, str)}
        if failed:
            self._append_log(_("Analytics not refreshed: %s",
                               "; ".join(f"{part}: {error}" for part, error in failed.items())))
        else:
            self._append_log(_("Analytics refreshed in %.1f s.", sum(timings.values())))
