"""What every dashboard panel reads through: the filter bar's scope (company, warehouse, category,
period), the stored daily quantities and amounts, the latest forecast points, stock on hand."""
import datetime

import pandas as pd

from odoo import api, fields, models
from odoo.exceptions import UserError

from .sales_forecast_dashboard_panels import DEFAULT_PERIOD, MAX_CUSTOM_DAYS, PERIODS, PICKER_PRODUCTS, TOP


class SalesForecastDashboard(models.AbstractModel):
    _inherit = "sales.forecast.dashboard"

    # -- scope ------------------------------------------------------------------------------------------
    @api.model
    def _get_panel_scope(self, filters):
        """Filters checked and completed: company (one of the user's), period bounds, warehouse
        and category (of that company). Bad values get a clear message rather than a silent default."""
        filters = filters or {}
        # panel_method switched the environment to the filter's company.
        company = self.env.company
        today = fields.Date.context_today(self)
        period = str(filters.get("period") or DEFAULT_PERIOD)
        if period == "custom":
            try:
                date_from = fields.Date.to_date(filters.get("date_from"))
                date_to = fields.Date.to_date(filters.get("date_to"))
            except ValueError:
                date_from = date_to = None
            if not date_from or not date_to:
                raise UserError(self.env._("A custom period needs a start and an end date."))
            if date_from > date_to:
                raise UserError(self.env._("The period starts after it ends (%(start)s > %(end)s).",
                                           start=date_from, end=date_to))
            if (date_to - date_from).days + 1 > MAX_CUSTOM_DAYS:
                raise UserError(self.env._("A custom period can cover at most %s days.", MAX_CUSTOM_DAYS))
        elif period in PERIODS:
            date_to = today
            date_from = today - datetime.timedelta(days=int(period) - 1)
        else:
            raise UserError(self.env._("Unknown period %s: choose 7, 30, 90 or 365 days, or a custom one.", period))
        days = (date_to - date_from).days + 1
        warehouse = self.env["stock.warehouse"]
        if filters.get("warehouse_id"):
            warehouse = warehouse.search([("id", "=", int(filters["warehouse_id"])), ("company_id", "=", company.id)])
            if not warehouse:
                raise UserError(self.env._("This warehouse does not belong to %s.", company.name))
        category = self.env["product.category"]
        if filters.get("categ_id"):
            category = category.browse(int(filters["categ_id"])).exists()
            if not category:
                raise UserError(self.env._("This product category no longer exists."))
        return {
            "company": company, "today": today, "period": period, "days": days,
            "date_from": date_from, "date_to": date_to,
            "prev_from": date_from - datetime.timedelta(days=days), "prev_to": date_from - datetime.timedelta(days=1),
            "warehouse": warehouse, "category": category,
        }

    @api.model
    def _prepare_scope(self, scope):
        return {
            "period": scope["period"],
            "date_from": fields.Date.to_string(scope["date_from"]),
            "date_to": fields.Date.to_string(scope["date_to"]),
            "company_id": scope["company"].id,
            "warehouse_id": scope["warehouse"].id or False,
            "categ_id": scope["category"].id or False,
        }

    @api.model
    def _get_scoped_domain(self, model, scope):
        """Company, warehouse and category filters on a model that has those fields (by name)."""
        domain = []
        if "company_id" in model._fields:
            domain.append(("company_id", "=", scope["company"].id))
        elif "warehouse_id" in model._fields:
            domain.append(("warehouse_id.company_id", "=", scope["company"].id))
        if scope["warehouse"] and "warehouse_id" in model._fields:
            domain.append(("warehouse_id", "=", scope["warehouse"].id))
        if scope["category"] and "product_id" in model._fields:
            domain.append(("product_id.categ_id", "child_of", scope["category"].id))
        return domain

    # -- quantities -------------------------------------------------------------------------------------
    @api.model
    def _can_read_sales(self):
        # An Inventory User may read sale lines (through deliveries) yet not the stored amounts,
        # which are for salesmen: both are needed to show money.
        Daily = self.env["sales.forecast.dashboard.daily"]
        return Daily._fields["amount"].is_accessible(self.env) and all(
            self.env[model].has_access("read") for model in self._get_quantity_models())

    @api.model
    def _get_quantity_models(self):
        """What the demand reader reads; reading it with the user's rights needs access to each."""
        return ["sale.order.line", "stock.move", "sales.forecast.history"]

    @api.model
    def _get_quantity_domain(self, scope, date_from, date_to, product=None):
        domain = [("company_id", "=", scope["company"].id), ("date", ">=", date_from), ("date", "<=", date_to)]
        if scope["warehouse"]:
            domain.append(("warehouse_id", "=", scope["warehouse"].id))
        if scope["category"]:
            domain.append(("categ_id", "child_of", scope["category"].id))
        if product:
            domain.append(("product_id", "=", product.id))
        return domain

    @api.model
    def _get_quantity_frame(self, scope, date_from, date_to, product=None, by="product_id"):
        """Daily sold quantities of the scope from the stored daily sales, in one grouped query, as an
        engine frame. ``by``: "product_id", or "categ_id" (the frame's product_id column then holds
        the category: far fewer rows for the panels that only group by category), or False (totals)."""
        Daily = self.env["sales.forecast.dashboard.daily"]
        Demand = self.env["sales.forecast.demand"]
        domain = self._get_quantity_domain(scope, date_from, date_to, product)
        groupby = [by, "date:day"] if by else ["date:day"]
        rows = Demand._read_group_rows(Daily, domain, groupby, "quantity:sum")
        if not by:
            rows = [(0, 0, day, qty) for day, qty in rows]
        else:
            rows = [(key or 0, 0, day, qty) for key, day, qty in rows]
        frame = Demand._frame(rows)
        return frame[frame["quantity"] != 0].reset_index(drop=True)

    @api.model
    def _get_quantity_note(self):
        if self._can_read_sales():
            return ""
        return self.env._("Quantities only: amounts need sales access.")

    @api.model
    def _get_identity_map(self, frame):
        """Group of each key of a frame already grouped by category: the category itself (0: none)."""
        return {int(key): (int(key) or None) for key in frame["product_id"].unique()}

    @api.model
    def _get_category_names(self, ids):
        categories = self.env["product.category"].browse(ids).exists()
        return {c.id: c.complete_name for c in categories}

    @api.model
    def _browse_products(self, ids):
        """A fresh recordset of just these products: records coming out of a large ``_read_group``
        share its prefetch set, and their display names would then be computed for all of them."""
        products = self.env["product.product"].with_context(active_test=False).browse(ids)
        return {p.id: p for p in products}

    @api.model
    def _get_panel_product(self, product_id):
        product = self.env["product.product"]
        if not product_id:
            return product
        product = product.browse(int(product_id)).exists()
        if not product:
            raise UserError(self.env._("This product no longer exists; it may have been deleted."))
        product.check_access("read")
        return product

    # -- forecasts --------------------------------------------------------------------------------------
    @api.model
    def _get_result_scope_domain(self, scope, product=None):
        Result = self.env["sales.forecast.result"]
        domain = self._get_scoped_domain(Result, scope) + [("is_latest", "=", True), ("status", "!=", "failed")]
        if product:
            domain.append(("product_id", "=", product.id))
        return domain

    @api.model
    def _get_forecast_points(self, scope, product=None):
        """The latest forecast's future days, summed over the scope's series, as a frame: one
        product's own points, else the stored totals per warehouse x category x day."""
        if product:
            Model = self.env["sales.forecast.point"]
            domain = [("product_id", "=", product.id), ("company_id", "=", scope["company"].id),
                      ("result_id.is_latest", "=", True), ("result_id.status", "!=", "failed")]
        else:
            Model = self.env["sales.forecast.dashboard.forecast"]
            domain = [("company_id", "=", scope["company"].id)]
            if scope["category"]:
                domain.append(("categ_id", "child_of", scope["category"].id))
        domain.append(("date", ">", scope["today"]))
        if scope["warehouse"]:
            domain.append(("warehouse_id", "=", scope["warehouse"].id))
        columns = ["forecast", "lo_80", "hi_80", "lo_95", "hi_95"]
        groups = Model._read_group(domain, ["date:day"], [f"{c}:sum" for c in columns])
        return pd.DataFrame([(day, *values) for day, *values in groups], columns=["date", *columns])

    @api.model
    def _get_picker_products(self, scope, product):
        """The scope's products with the largest 30-day forecast, and the picked one even if not among them."""
        rows = self.env["sales.forecast.demand"]._read_group_rows(
            self.env["sales.forecast.result"], self._get_result_scope_domain(scope), ["product_id"], "total_30:sum")
        ids = [p for p, _total in sorted(rows, key=lambda row: -(row[1] or 0.0))[:PICKER_PRODUCTS]]
        if product and product.id not in ids:
            ids.append(product.id)
        products = self._browse_products(ids)
        return [{"id": pid, "name": products[pid].display_name} for pid in ids]

    @api.model
    def _get_series_demand(self, scope):
        """{(product id, warehouse id): forecast daily demand} of the latest forecast in the scope."""
        # Plain tuples: one series per product x warehouse, tens of thousands of groups as records
        # cost more than the query.
        rows = self.env["sales.forecast.demand"]._read_group_rows(
            self.env["sales.forecast.result"], self._get_result_scope_domain(scope),
            ["product_id", "warehouse_id"], "total_30:sum")
        return {(p, w or False): (total or 0.0) / 30.0 for p, w, total in rows}

    # -- revenue and stock ------------------------------------------------------------------------------
    @api.model
    def _get_top_revenue(self, scope):
        if not self._can_read_sales():
            return self._unavailable(self.env._("Revenue needs sales access."))
        company = scope["company"]
        Daily = self.env["sales.forecast.dashboard.daily"]
        domain = self._get_quantity_domain(scope, scope["date_from"], scope["date_to"]) + [("amount", "!=", 0)]
        rows = self.env["sales.forecast.demand"]._read_group_rows(Daily, domain, ["product_id"], "amount:sum")
        top = sorted(rows, key=lambda row: -(row[1] or 0.0))[:TOP]
        products = self._browse_products([product_id for product_id, _amount in top])
        return {
            "available": True,
            "currency": self._prepare_currency(company),
            "items": [{"product_id": pid, "name": products[pid].display_name, "value": amount}
                      for pid, amount in top],
        }

    @api.model
    def _get_on_hand(self, scope):
        """{(product id, warehouse id): quantity on hand} in the company's internal locations."""
        Quant = self.env["stock.quant"]
        # No product filter: the company's quants are fewer than its forecast series, and a list
        # of ten thousand ids costs more to plan than the rows it would skip.
        domain = [("company_id", "=", scope["company"].id), ("location_id.usage", "=", "internal")]
        if scope["warehouse"]:
            domain.append(("location_id.warehouse_id", "=", scope["warehouse"].id))
        rows = self.env["sales.forecast.demand"]._read_group_rows(
            Quant, domain, ["product_id", "location_id"], "quantity:sum")
        locations = self.env["stock.location"].browse({location_id for _p, location_id, _q in rows})
        warehouse_of = {loc.id: loc.warehouse_id.id for loc in locations}
        out = {}
        for product_id, location_id, qty in rows:
            key = (product_id, warehouse_of.get(location_id) or False)
            out[key] = out.get(key, 0.0) + (qty or 0.0)
        return out

    @api.model
    def _get_stock_low_days(self, company):
        """Less cover than the vendor lead time means the next order arrives after the shelf is empty."""
        return max(company.forecast_lead_time_days or 0, 7)

    @api.model
    def _get_stock_over_days(self, company):
        return 90
