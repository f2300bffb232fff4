"""Let the dashboard read demand for one warehouse, product category or product, filtered in SQL.

Context key ``sales_forecast_dashboard_filter``: ``{"warehouse_id": int|False, "categ_id": int|False,
"product_id": int|False}`` (falsy keys do not filter). Same idea as the chart's series filter in
sales_forecast_demand_filter.py, kept apart because the dashboard filters wider sets.
"""
from odoo import api, models
from odoo.tools import SQL

FILTER_KEY = "sales_forecast_dashboard_filter"


class SalesForecastDemand(models.AbstractModel):
    _inherit = "sales.forecast.demand"

    @api.model
    def _get_sale_domain(self, company, date_from, date_to):
        return super()._get_sale_domain(company, date_from, date_to) + self._get_dashboard_filter_domain(
            "product_id", "warehouse_id")

    @api.model
    def _get_return_domain(self, company, date_from, date_to):
        return super()._get_return_domain(company, date_from, date_to) + self._get_dashboard_filter_domain(
            "product_id", "sale_line_id.warehouse_id")

    @api.model
    def _get_history_domain(self, company, date_from, date_to):
        return super()._get_history_domain(company, date_from, date_to) + self._get_dashboard_filter_domain(
            "product_id", "warehouse_id")

    @api.model
    def _get_dashboard_filter_domain(self, product_path, warehouse_path):
        scope = self.env.context.get(FILTER_KEY) or {}
        domain = []
        if scope.get("warehouse_id"):
            domain.append((warehouse_path, "=", scope["warehouse_id"]))
        if scope.get("categ_id"):
            domain.append((f"{product_path}.categ_id", "child_of", scope["categ_id"]))
        if scope.get("product_id"):
            domain.append((product_path, "=", scope["product_id"]))
        return domain

    @api.model
    def _get_uom_ratios(self, product_ids, uom_ids):
        """Same factors as the base method (qty / line_uom.factor * product_uom.factor), read in one
        query: through the ORM, 10,000 products' UoMs cost seconds on every dashboard panel."""
        products = [int(pid) for pid in product_ids.unique()]
        if not products:
            return super()._get_uom_ratios(product_ids, uom_ids)
        rows = self.env.execute_query(SQL("""
            SELECT pp.id, u.factor FROM product_product pp
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
              JOIN uom_uom u ON u.id = pt.uom_id
             WHERE pp.id = ANY(%s)""", products))
        product_factor = dict(rows)
        uoms = [int(u) for u in uom_ids.dropna().unique()]
        line_factor = dict(self.env.execute_query(SQL(
            "SELECT id, factor FROM uom_uom WHERE id = ANY(%s)", uoms))) if uoms else {}
        line_factor = {uid: factor or 1.0 for uid, factor in line_factor.items()}
        return (product_ids.map(product_factor) / uom_ids.map(line_factor)).fillna(1.0).to_numpy(dtype=float)
