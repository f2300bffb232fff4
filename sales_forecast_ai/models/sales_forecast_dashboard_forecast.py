"""The latest forecast summed per warehouse x product category x day, stored for the dashboard.

The sales curve continues the sold quantities with the forecast of every product in the filters;
summing the daily points of tens of thousands of series on each opening cost most of a second, so
the sums are written once when a run finishes (and with the stored daily sales). A single product's
curve still reads its own points, which are indexed by product.
"""
from odoo import api, fields, models


class SalesForecastDashboardForecast(models.Model):
    _name = "sales.forecast.dashboard.forecast"
    _description = "Dashboard Forecast Totals"
    _order = "date, id"
    _log_access = False

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    warehouse_id = fields.Many2one("stock.warehouse", readonly=True, ondelete="cascade")
    categ_id = fields.Many2one("product.category", string="Product Category", readonly=True, ondelete="cascade")
    date = fields.Date(required=True, readonly=True)
    forecast = fields.Float(readonly=True)
    lo_80 = fields.Float("Low 80%", readonly=True)
    hi_80 = fields.Float("High 80%", readonly=True)
    lo_95 = fields.Float("Low 95%", readonly=True)
    hi_95 = fields.Float("High 95%", readonly=True)

    @api.model
    def _refresh_company(self, company):
        """Rebuild the company's totals from its latest forecast (failed series left out)."""
        cr = self.env.cr
        cr.execute("DELETE FROM sales_forecast_dashboard_forecast WHERE company_id = %s", [company.id])
        cr.execute("""
            INSERT INTO sales_forecast_dashboard_forecast (company_id, warehouse_id, categ_id, date, forecast,
                                                          lo_80, hi_80, lo_95, hi_95)
            SELECT r.company_id, r.warehouse_id, r.categ_id, p.date, SUM(p.forecast), SUM(p.lo_80), SUM(p.hi_80),
                   SUM(p.lo_95), SUM(p.hi_95)
              FROM sales_forecast_point p
              JOIN sales_forecast_result r ON r.id = p.result_id
             WHERE r.company_id = %s AND r.is_latest AND r.status != 'failed'
             GROUP BY r.company_id, r.warehouse_id, r.categ_id, p.date
        """, [company.id])
        self.invalidate_model()
        return cr.rowcount
