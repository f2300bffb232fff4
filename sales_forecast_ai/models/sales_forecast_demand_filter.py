"""Let a screen read a few series' demand without reading the whole company's.

Screens want the history of some products by the exact rules the forecast learned from, so they
reuse the demand reader (through ``sales.forecast.history.reader``); the context key
``sales_forecast_chart_filter`` narrows each source in SQL:

* ``product_ids`` (list of ids) or ``product_id`` (one id): only these products;
* ``warehouse_id``: only this warehouse (``False``: sales without a warehouse). Leave the key out
  to read every warehouse.
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
        domain = []
        if "product_ids" in series:
            domain.append((product_path, "in", list(series["product_ids"])))
        elif "product_id" in series:
            domain.append((product_path, "=", series["product_id"]))
        if "warehouse_id" in series:
            domain.append((warehouse_path, "=", series["warehouse_id"] or False))
        return domain
