"""Let the product chart read one series' demand without reading the whole company's.

The chart wants the history of one product x warehouse by the exact rules the forecast learned
from, so it reuses the demand reader; the context key ``sales_forecast_chart_filter``
(``{"product_id": int, "warehouse_id": int or False}``) narrows each source to that series in SQL.
"""
from odoo import api, models

FILTER_KEY = "sales_forecast_chart_filter"


class SalesForecastDemand(models.AbstractModel):
    _inherit = "sales.forecast.demand"

    @api.model
    def _get_sale_domain(self, company, date_from, date_to):
        return super()._get_sale_domain(company, date_from, date_to) + self._get_series_filter_domain(
            "product_id", "warehouse_id")

    @api.model
    def _get_return_domain(self, company, date_from, date_to):
        return super()._get_return_domain(company, date_from, date_to) + self._get_series_filter_domain(
            "product_id", "sale_line_id.order_id.warehouse_id")

    @api.model
    def _get_history_domain(self, company, date_from, date_to):
        return super()._get_history_domain(company, date_from, date_to) + self._get_series_filter_domain(
            "product_id", "warehouse_id")

    @api.model
    def _get_series_filter_domain(self, product_path, warehouse_path):
        series = self.env.context.get(FILTER_KEY)
        if not series:
            return []
        return [(product_path, "=", series["product_id"]), (warehouse_path, "=", series.get("warehouse_id") or False)]
