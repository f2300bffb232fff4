"""Daily customer demand per product x warehouse, read from Odoo in a few aggregated queries.

What counts as demand (each rule is an overridable ``_get_*`` hook):

* Confirmed sales: sale order lines whose order is in a done state (``sale.report``'s
  ``_get_done_states``), so quotations and cancelled orders never count. Read from
  ``sale.order.line`` with ``_read_group``-style SQL aggregation (one query, grouped by product,
  line UoM, warehouse and order day) rather than through ``sale.report``, whose per-line
  sub-aggregation made the read four times slower on half a million lines. Quantities are
  converted to the product's UoM exactly as ``sale.report`` does (``qty / line_uom.factor *
  product_uom.factor``), so 2 Dozens count as 24 Units. Dated on the order date, as a day in the
  company's time zone; warehouse = the line's warehouse (the one that ships it: the order's, or
  the route's). POS sales are not read (a bridge module can add them in ``_get_demand_frame``).
* Returns: goods that came back from the customer on a return that updates the sale
  (done stock moves from a customer location with ``to_refund``; the same moves that lower
  ``qty_delivered``) are subtracted on the ORIGINAL line's day and warehouse, so a returned
  sale is demand that did not happen. Credit notes are NOT netted: a refund without goods coming
  back (a discount, a damaged-on-arrival gesture) does not change what customers took, and a
  credit note for returned goods would count the same return twice. A day never goes below 0.
* Products: storable goods only (``is_storable``); plain consumables as well when the system
  parameter ``sales_forecast_ai.include_consumables`` is 1; services and combos never.
* Imported history (``sales.forecast.history``, years before Odoo) fills the past. Rule against
  double counting: for each product x warehouse, imported quantities are used only for days
  strictly BEFORE that pair's first day of Odoo demand inside the window; from that day on, Odoo
  is the only source. A day therefore never holds both sources.
"""
import datetime

import numpy as np
import pandas as pd
import pytz

from odoo import api, models
from odoo.tools import SQL

FRAME_COLUMNS = ["product_id", "warehouse_id", "date", "quantity"]


class SalesForecastDemand(models.AbstractModel):
    _name = "sales.forecast.demand"
    _description = "Sales Forecast Demand History"

    @api.model
    def _get_demand_frame(self, company, date_from, date_to):
        """Net daily demand of ``company`` for days ``date_from`` <= day < ``date_to`` (local days).

        Returns a DataFrame with FRAME_COLUMNS (ints, ints with 0 for "no warehouse", datetime64
        days, floats), one row per product x warehouse x day with non-zero demand.
        """
        sales = self._get_sale_frame(company, date_from, date_to)
        returns = self._get_return_frame(company, date_from, date_to)
        if len(returns):
            returns = returns.assign(quantity=-returns["quantity"])
        odoo_demand = self._sum_frame(pd.concat([sales, returns], ignore_index=True))
        history = self._get_history_frame(company, date_from, date_to)
        return self._merge_history(odoo_demand, history)

    # -- sources --------------------------------------------------------------------------------
    @api.model
    def _get_sale_frame(self, company, date_from, date_to):
        lines = self._demand_env(company)["sale.order.line"]
        rows = self._read_group_rows(lines, self._get_sale_domain(company, date_from, date_to),
                                     ["product_id", "warehouse_id", "forecast_order_date:day", "product_uom"],
                                     "product_uom_qty:sum")
        if not rows:
            return self._frame([])
        frame = pd.DataFrame(rows, columns=[*FRAME_COLUMNS[:3], "uom_id", "quantity"])
        frame["quantity"] *= self._get_uom_ratios(frame["product_id"], frame["uom_id"])
        return self._frame(frame[FRAME_COLUMNS])

    @api.model
    def _get_return_frame(self, company, date_from, date_to):
        """Returned quantities per product x warehouse x ORIGINAL order day, in the product's UoM."""
        env = self._demand_env(company)
        groups = env["stock.move"]._read_group(
            self._get_return_domain(company, date_from, date_to),
            groupby=["sale_line_id", "product_uom"],
            aggregates=["quantity:sum"],
        )
        if not groups:
            return self._frame([])
        tz = self._get_timezone(company)
        rows = []
        for line, uom, qty in groups:
            product = line.product_id
            qty = uom._compute_quantity(qty, product.uom_id, round=False) if uom != product.uom_id else qty
            day = self._local_day(line.order_id.date_order, tz)
            rows.append((product.id, line.warehouse_id.id, day, qty))
        return self._frame(rows)

    @api.model
    def _get_history_frame(self, company, date_from, date_to):
        history = self._demand_env(company)["sales.forecast.history"]
        rows = self._read_group_rows(history, self._get_history_domain(company, date_from, date_to),
                                     ["product_id", "warehouse_id", "date:day"], "quantity:sum")
        return self._frame(rows)

    @api.model
    def _get_uom_ratios(self, product_ids, uom_ids):
        """Factor turning a quantity in the line's UoM into the product's UoM, per row (sale.report's
        conversion: qty / line_uom.factor * product_uom.factor)."""
        products = self.env["product.product"].with_context(active_test=False).browse(product_ids.unique().tolist())
        product_factor = {p.id: p.uom_id.factor for p in products}
        uoms = self.env["uom.uom"].with_context(active_test=False).browse(uom_ids.dropna().unique().tolist())
        line_factor = {u.id: u.factor or 1.0 for u in uoms}
        return (product_ids.map(product_factor) / uom_ids.map(line_factor)).fillna(1.0).to_numpy(dtype=float)

    # -- overridable rules ----------------------------------------------------------------------
    @api.model
    def _get_sale_domain(self, company, date_from, date_to):
        """Confirmed order lines of the company in the window. Extend it to exclude, e.g.,
        intercompany sales: ``super()._get_sale_domain(...) + [('order_partner_id', 'not in', ...)]``."""
        dt_from, dt_to = self._utc_bounds(company, date_from, date_to)
        return [
            ("company_id", "=", company.id),
            ("state", "in", self.env["sale.report"]._get_done_states()),
            ("order_id.date_order", ">=", dt_from),
            ("order_id.date_order", "<", dt_to),
            ("display_type", "=", False),
            ("product_id", "!=", False),
            *self._get_product_domain(company, "product_id.product_tmpl_id"),
        ]

    @api.model
    def _get_return_domain(self, company, date_from, date_to):
        """Done customer returns that update their sale line (see module docstring)."""
        dt_from, dt_to = self._utc_bounds(company, date_from, date_to)
        return [
            ("company_id", "=", company.id),
            ("state", "=", "done"),
            ("sale_line_id", "!=", False),
            ("location_id.usage", "=", "customer"),
            ("to_refund", "=", True),
            ("scrapped", "=", False),
            ("sale_line_id.state", "in", self.env["sale.report"]._get_done_states()),
            ("sale_line_id.order_id.date_order", ">=", dt_from),
            ("sale_line_id.order_id.date_order", "<", dt_to),
            *self._get_product_domain(company, "product_id.product_tmpl_id"),
        ]

    @api.model
    def _get_history_domain(self, company, date_from, date_to):
        return [
            ("company_id", "=", company.id),
            ("date", ">=", date_from),
            ("date", "<", date_to),
            *self._get_product_domain(company, "product_id.product_tmpl_id"),
        ]

    @api.model
    def _get_product_domain(self, company, template_path):
        """Which products are forecast: storable goods, or every good when the company says so."""
        domain = [(f"{template_path}.type", "=", "consu")]
        if not self._include_non_storable(company):
            domain.append((f"{template_path}.is_storable", "=", True))
        return domain

    @api.model
    def _include_non_storable(self, company):
        """System parameter ``sales_forecast_ai.include_consumables`` (1/True): forecast goods that are
        not tracked in stock too."""
        # sudo: a technical switch, read whoever runs the forecast
        value = self.env["ir.config_parameter"].sudo().get_param("sales_forecast_ai.include_consumables", "")
        return str(value).strip().lower() in ("1", "true", "yes")

    @api.model
    def _get_timezone(self, company):
        """Days are the company's days: its partner's time zone, else the running user's, else UTC."""
        return company.partner_id.tz or self.env.user.tz or "UTC"

    # -- helpers --------------------------------------------------------------------------------
    @api.model
    def _read_group_rows(self, model, domain, groupby, aggregate):
        """``model._read_group(domain, groupby, [aggregate])`` as plain tuples of ids and values.

        The same query as ``_read_group`` (domain, access rights, record rules, time zone of the
        day buckets), without turning each of the half a million groups of a large company into
        records: at that size the records cost more than the SQL.
        """
        model.browse().check_access("read")
        query = model._search(domain)
        terms = [model._read_group_groupby(spec, query) for spec in groupby]
        query.groupby = SQL(", ").join(terms)
        # Days come back as day numbers (since 1970-01-01): integers are far cheaper to turn into a frame.
        select = [SQL("(%s)::date - DATE '1970-01-01'", term) if spec.endswith(":day") else term
                  for spec, term in zip(groupby, terms)]
        return model.env.execute_query(query.select(*select, model._read_group_select(aggregate, query)))

    @api.model
    def _demand_env(self, company):
        """Environment reading one company's data, with days cut in that company's time zone.

        Restricting ``allowed_company_ids`` also matters for ``sale.report``, whose currency join
        only keeps the allowed companies' rows.
        """
        return self.with_company(company).with_context(
            allowed_company_ids=company.ids, tz=self._get_timezone(company)).env

    @api.model
    def _utc_bounds(self, company, date_from, date_to):
        """Naive UTC datetimes of local midnight on ``date_from`` and ``date_to``."""
        tz = pytz.timezone(self._get_timezone(company))
        out = []
        for day in (date_from, date_to):
            local = tz.localize(datetime.datetime.combine(day, datetime.time.min))
            out.append(local.astimezone(pytz.utc).replace(tzinfo=None))
        return tuple(out)

    @api.model
    def _local_day(self, value, tz_name):
        return pytz.utc.localize(value).astimezone(pytz.timezone(tz_name)).date()

    @api.model
    def _frame(self, rows):
        """FRAME_COLUMNS from a frame or (product id, warehouse id or None, day, quantity) tuples; the
        day is a date or a day number since 1970-01-01."""
        frame = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows, columns=FRAME_COLUMNS)
        frame = frame[frame["product_id"].notna()]
        frame["product_id"] = frame["product_id"].astype(np.int64)
        frame["warehouse_id"] = frame["warehouse_id"].fillna(0).astype(np.int64)
        if pd.api.types.is_integer_dtype(frame["date"]):
            frame["date"] = pd.to_datetime(frame["date"].to_numpy(), unit="D")
        else:
            frame["date"] = pd.to_datetime(frame["date"]).dt.normalize()
        frame["quantity"] = frame["quantity"].fillna(0.0).astype(float)
        return frame.reset_index(drop=True)

    @api.model
    def _sum_frame(self, frame):
        if not len(frame):
            return self._frame([])
        out = frame.groupby(["product_id", "warehouse_id", "date"], as_index=False, sort=True)["quantity"].sum()
        out["quantity"] = out["quantity"].clip(lower=0.0)
        return out[out["quantity"] != 0].reset_index(drop=True)

    @api.model
    def _merge_history(self, odoo_demand, history):
        """Imported days strictly before each pair's first Odoo day (see module docstring)."""
        if not len(history):
            return odoo_demand
        keys = ["product_id", "warehouse_id"]
        first = odoo_demand.groupby(keys, as_index=False)["date"].min().rename(columns={"date": "cutover"})
        history = history.merge(first, on=keys, how="left")
        keep = history["cutover"].isna() | (history["date"] < history["cutover"])
        merged = pd.concat([history.loc[keep, FRAME_COLUMNS], odoo_demand], ignore_index=True)
        return self._sum_frame(merged)
