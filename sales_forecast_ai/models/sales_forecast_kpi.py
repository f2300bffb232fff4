"""KPIs for the dashboard and the chat: ``get_kpis(period, warehouse_id=False)``.

Each KPI of the catalogue (engine/kpis.py) is worked out from a few aggregated reads per period
(grouped ORM reads and grouped SQL, never a loop over sale lines): this period, and the one
before it for the previous value and the trend (and the one before that, for the previous value
of growth rates and turnover).

Periods: ``"7d"``, ``"30d"``, ``"90d"``, ``"365d"`` (the last N days up to today included), or
``"week"``, ``"month"``, ``"quarter"``, ``"year"`` (the same as 7/30/91/365 days).

Who sees what: any Forecast User gets the quantity, delivery, stock, product and forecast KPIs;
revenue-bearing KPIs (revenue, growth, margin, order value, prices) only go to users who see every
sale (``sales_team.group_sale_salesman_all_leads``). The figures are read with sudo because a
buyer may not read sale orders one by one; only these aggregates leave this model.
"""
import datetime

import pandas as pd

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..engine import kpis
from . import sales_forecast_kpi_terms  # noqa: F401 - the catalogue names, for the .pot

PERIOD_DAYS = {"week": 7, "month": 30, "quarter": 91, "year": 365}
SALES_MONEY_GROUPS = "sales_team.group_sale_salesman_all_leads"


class SalesForecastKpi(models.AbstractModel):
    _name = "sales.forecast.kpi"
    _description = "Sales Forecast KPIs"

    @api.model
    def get_kpi_catalogue(self):
        """[{code, name, unit, category, better}] of the KPIs this user may see."""
        self._check_kpi_access()
        money = self._can_see_sales_money()
        return [{"code": code, "name": self.env._(name), "unit": unit, "category": category, "better": better}
                for code, name, unit, category, sales_money, better in kpis.CATALOGUE if money or not sales_money]

    @api.model
    def get_kpis(self, period="30d", warehouse_id=False, codes=None):
        """[{code, name, unit, value, previous, trend, category, better}] for the current company."""
        self._check_kpi_access()
        days = self._period_days(period)
        company = self.env.company
        warehouse = self.env["stock.warehouse"].browse(int(warehouse_id)) if warehouse_id else None
        if warehouse and (not warehouse.exists() or warehouse.company_id != company):
            raise UserError(_("This warehouse does not belong to the current company."))
        end = fields.Date.context_today(self) + datetime.timedelta(days=1)
        bounds = [(end - datetime.timedelta(days=days * (k + 1)), end - datetime.timedelta(days=days * k))
                  for k in range(3)]
        # sudo: aggregated figures only (see the module docstring); revenue KPIs are filtered below
        raws = self.sudo().with_company(company)._get_raws(company, warehouse, bounds)
        current = kpis.compute(raws[0], raws[1])
        previous = kpis.compute(raws[1], raws[2])
        visible = {k["code"] for k in self.get_kpi_catalogue()}
        wanted = visible & set(codes) if codes else visible
        rows = kpis.build(current, previous, codes=wanted)
        names = {k["code"]: k["name"] for k in self.get_kpi_catalogue()}
        for row in rows:
            row["name"] = names[row["code"]]
            if row["code"] == "last_training_date" and row["value"]:
                row["value"], row["previous"] = str(row["value"]), row["previous"] and str(row["previous"])
        return rows

    # -- helpers --------------------------------------------------------------------------------
    @api.model
    def _check_kpi_access(self):
        if not self.env.user.has_group("sales_forecast_ai.group_forecast_user"):
            raise AccessError(_("KPIs are for Forecast Users."))

    @api.model
    def _can_see_sales_money(self):
        return self.env.user.has_group(SALES_MONEY_GROUPS)

    @api.model
    def _period_days(self, period):
        period = str(period or "30d").strip().lower()
        if period in PERIOD_DAYS:
            return PERIOD_DAYS[period]
        # A bare number is a number of days too (the dashboard passes its filter's span as is).
        digits = period[:-1] if period.endswith("d") else period
        if digits.isdigit() and 0 < int(digits) <= 3660:
            return int(digits)
        raise UserError(_("Unknown KPI period %(period)r: use a number of days (7, 30d, ...), week, month, quarter or year.",
                          period=period))

    @api.model
    def _get_raws(self, company, warehouse, bounds):
        """The aggregated figures of each period of ``bounds`` ([(date_from, date_to)], newest first;
        engine/kpis.py ``RAW_KEYS``). Sales are read for all periods in one grouped query."""
        self.env.flush_all()  # part of it is plain SQL
        Demand = self.env["sales.forecast.demand"]
        utc = [Demand._utc_bounds(company, date_from, date_to) for date_from, date_to in bounds]
        sales = self._get_sales_raws(company, warehouse, utc, bounds[0][1])
        stocks = self._get_stock_raws(company, warehouse, utc, sales[0]["product_cost"])
        products = self._get_product_raws(company, utc)
        deliveries = self._get_delivery_raws(company, warehouse, utc)
        raws = []
        for (date_from, date_to), (dt_from, dt_to), *parts in zip(bounds, utc, sales, stocks, products, deliveries):
            raw = {"period_days": (date_to - date_from).days}
            for part in parts:
                raw.update(part)
            raw.update(self._get_forecast_raw(company, warehouse, date_from, date_to, dt_to))
            raw.update(self._get_purchase_raw(company, warehouse, dt_from, dt_to))
            raws.append(raw)
        raws[0]["customers_at_risk"] = self.env["sales.forecast.customer"].search_count(
            [("company_id", "=", company.id), ("churn_risk", "=", True)])
        return raws

    @api.model
    def _wh_domain(self, warehouse, path):
        return [(path, "=", warehouse.id)] if warehouse else []

    @api.model
    def _period_case(self, column, utc):
        """SQL CASE giving the index of the period (of ``utc`` bounds, newest first) ``column`` falls in."""
        whens = SQL(" ").join(SQL("WHEN %s >= %s AND %s < %s THEN %s", column, dt_from, column, dt_to, k)
                              for k, (dt_from, dt_to) in enumerate(utc))
        return SQL("CASE %s END", whens)

    @api.model
    def _get_sales_raws(self, company, warehouse, utc, date_to):
        """Sales figures per period: one grouped query over lines, one over orders, one over returns
        (grouped SQL: the ORM's ``order_id.date_order`` sub-select made the read five times slower).
        Quantities are in the product's unit, converted as ``sale.report`` does (2 Dozens = 24 Units)."""
        done = tuple(self.env["sale.report"]._get_done_states())
        first, last = min(b[0] for b in utc), max(b[1] for b in utc)
        wh = SQL("AND o.warehouse_id = %s", warehouse.id) if warehouse else SQL()
        line_wh = SQL("AND l.warehouse_id = %s", warehouse.id) if warehouse else SQL()
        period = self._period_case(SQL("o.date_order"), utc)
        lines = self.env.execute_query(SQL(
            """
            SELECT %(period)s, l.product_id, l.currency_id, sum(l.price_subtotal),
                   sum(l.product_uom_qty / COALESCE(NULLIF(lu.factor, 0), 1) * COALESCE(pu.factor, 1)),
                   sum(l.qty_delivered / COALESCE(NULLIF(lu.factor, 0), 1) * COALESCE(pu.factor, 1))
              FROM sale_order_line l
              JOIN sale_order o ON o.id = l.order_id
              JOIN product_product pp ON pp.id = l.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
              LEFT JOIN uom_uom lu ON lu.id = l.product_uom
              LEFT JOIN uom_uom pu ON pu.id = pt.uom_id
             WHERE o.company_id = %(company)s AND o.state IN %(done)s AND l.display_type IS NULL
               AND l.product_id IS NOT NULL AND o.date_order >= %(first)s AND o.date_order < %(last)s %(wh)s
             GROUP BY 1, 2, 3
            """, period=period, company=company.id, done=done, first=first, last=last, wh=line_wh))
        orders = {row[0]: row[1:] for row in self.env.execute_query(SQL(
            """
            SELECT %(period)s, count(*) FILTER (WHERE o.state IN %(done)s),
                   count(DISTINCT o.partner_id) FILTER (WHERE o.state IN %(done)s), count(*)
              FROM sale_order o
             WHERE o.company_id = %(company)s AND o.date_order >= %(first)s AND o.date_order < %(last)s %(wh)s
             GROUP BY 1
            """, period=period, company=company.id, done=done, first=first, last=last, wh=wh))}
        ret_wh = SQL("AND ld.warehouse_id = %s", warehouse.id) if warehouse else SQL()
        returns = dict(self.env.execute_query(SQL(
            """
            SELECT %(period)s, sum(m.product_qty)
              FROM stock_move m
              JOIN stock_location ls ON ls.id = m.location_id
              JOIN stock_location ld ON ld.id = m.location_dest_id
             WHERE m.company_id = %(company)s AND m.state = 'done' AND ls.usage = 'customer'
               AND ld.usage = 'internal' AND m.date >= %(first)s AND m.date < %(last)s %(wh)s
             GROUP BY 1
            """, period=self._period_case(SQL("m.date"), utc), company=company.id, first=first, last=last,
            wh=ret_wh)))
        rates = {}
        for currency in self.env["res.currency"].browse({row[2] for row in lines if row[2]}):
            rates[currency.id] = currency._convert(1.0, company.currency_id, company, date_to, round=False) \
                if currency != company.currency_id else 1.0
        cost_of = self._get_costs(company, {row[1] for row in lines})
        out = []
        for k in range(len(utc)):
            revenue = units = delivered = 0.0
            demand = {}
            for period_k, product_id, currency_id, subtotal, qty, qty_delivered in lines:
                if period_k != k:
                    continue
                revenue += (subtotal or 0.0) * rates.get(currency_id, 1.0)
                units += qty or 0.0
                delivered += qty_delivered or 0.0
                demand[product_id] = demand.get(product_id, 0.0) + (qty or 0.0)
            n_done, customers, n_all = orders.get(k, (0, 0, 0))
            out.append({
                "revenue": revenue, "cost": sum(q * cost_of.get(p, 0.0) for p, q in demand.items()),
                "units": units, "delivered_units": delivered, "returned_units": returns.get(k) or 0.0,
                "orders": n_done, "customers": customers, "quotations": n_all,
                "products_sold": sum(1 for q in demand.values() if q > 0), "demand": demand,
                "product_cost": cost_of,
            })
        return out

    @api.model
    def _get_delivery_raws(self, company, warehouse, utc):
        """Outgoing pickings of each period, in one query: scheduled in it (and late: done after their
        deadline, or still open past it), done in it (and on time), days from order to delivery."""
        wh = SQL("AND t.warehouse_id = %s", warehouse.id) if warehouse else SQL()
        due = SQL("COALESCE(p.date_deadline, p.scheduled_date)")
        columns = []
        for dt_from, dt_to in utc:
            in_period = SQL("p.scheduled_date >= %s AND p.scheduled_date < %s", dt_from, dt_to)
            done = SQL("p.state = 'done' AND p.date_done >= %s AND p.date_done < %s", dt_from, dt_to)
            columns += [
                SQL("count(*) FILTER (WHERE %s)", in_period),
                SQL("count(*) FILTER (WHERE %s AND ((p.state = 'done' AND p.date_done > %s) OR "
                    "(p.state NOT IN ('done', 'cancel') AND p.scheduled_date < now() AT TIME ZONE 'UTC')))",
                    in_period, due),
                SQL("count(*) FILTER (WHERE %s)", done),
                SQL("count(*) FILTER (WHERE %s AND p.date_done <= %s)", done, due),
                SQL("COALESCE(sum(EXTRACT(EPOCH FROM p.date_done - so.date_order) / 86400.0) "
                    "FILTER (WHERE %s AND so.id IS NOT NULL), 0)", done),
                SQL("count(so.id) FILTER (WHERE %s)", done),
            ]
        first = min(b[0] for b in utc)
        [row] = self.env.execute_query(SQL(
            """
            SELECT %s
              FROM stock_picking p
              JOIN stock_picking_type t ON t.id = p.picking_type_id
              LEFT JOIN sale_order so ON so.id = p.sale_id
             WHERE p.company_id = %s AND t.code = 'outgoing' AND p.state != 'cancel' %s
               AND (p.scheduled_date >= %s OR p.date_done >= %s)
            """, SQL(", ").join(columns), company.id, wh, first, first))
        keys = ("deliveries", "deliveries_late", "deliveries_done", "deliveries_on_time", "cycle_days", "cycle_orders")
        return [dict(zip(keys, (float(v or 0) for v in row[6 * k:6 * k + 6]))) for k in range(len(utc))]

    @api.model
    def _get_stock_raws(self, company, warehouse, utc, cost_of):
        """Per period: on-hand per product at its end (today's quants minus the done moves since), its
        value at today's cost, the cost of goods shipped in it, and the reorder minimums. Quants and
        reorder points are read once, the moves of all periods in one grouped query."""
        env = self.env
        quants = env["stock.quant"]._read_group(
            [("company_id", "=", company.id), ("location_id.usage", "=", "internal"),
             *self._wh_domain(warehouse, "location_id.warehouse_id")],
            groupby=["product_id"], aggregates=["quantity:sum"])
        on_hand = {p.id: q for p, q in quants}
        reorder = env["stock.warehouse.orderpoint"]._read_group(
            [("company_id", "=", company.id), ("trigger", "in", ("auto", "manual")),
             *self._wh_domain(warehouse, "warehouse_id")],
            groupby=["product_id"], aggregates=["product_min_qty:sum"])
        reorder_min = {p.id: q for p, q in reorder if q > 0}
        in_wh = SQL("AND ld.warehouse_id = %s", warehouse.id) if warehouse else SQL()
        out_wh = SQL("AND ls.warehouse_id = %s", warehouse.id) if warehouse else SQL()
        incoming = SQL("(ld.usage = 'internal' AND ls.usage != 'internal' %s)", in_wh)
        outgoing = SQL("(ls.usage = 'internal' AND ld.usage != 'internal' %s)", out_wh)
        signed = SQL("CASE WHEN %s THEN m.product_qty WHEN %s THEN -m.product_qty ELSE 0 END", incoming, outgoing)
        columns = []
        for dt_from, dt_to in utc:
            columns.append(SQL("COALESCE(sum(%s) FILTER (WHERE m.date >= %s), 0)", signed, dt_to))
            columns.append(SQL("COALESCE(sum(m.product_qty) FILTER (WHERE %s AND ld.usage = 'customer' "
                               "AND m.date >= %s AND m.date < %s), 0)", outgoing, dt_from, dt_to))
        rows = env.execute_query(SQL(
            """
            SELECT m.product_id, %s
              FROM stock_move m
              JOIN stock_location ls ON ls.id = m.location_id
              JOIN stock_location ld ON ld.id = m.location_dest_id
             WHERE m.company_id = %s AND m.state = 'done' AND m.date >= %s AND (%s OR %s)
             GROUP BY m.product_id
            """, SQL(", ").join(columns), company.id, min(b[0] for b in utc), incoming, outgoing))
        missing = ({row[0] for row in rows} | set(on_hand)) - set(cost_of)
        cost_of = {**cost_of, **self._get_costs(company, missing)}
        out = []
        for k in range(len(utc)):
            stock = dict(on_hand)
            shipped = {}
            for row in rows:
                net_since, qty_shipped = row[1 + 2 * k], row[2 + 2 * k]
                if net_since:
                    stock[row[0]] = stock.get(row[0], 0.0) - net_since
                if qty_shipped:
                    shipped[row[0]] = qty_shipped
            out.append({
                "stock": stock,
                "stock_value": sum(max(q, 0.0) * cost_of.get(p, 0.0) for p, q in stock.items()),
                "cogs": sum(q * cost_of.get(p, 0.0) for p, q in shipped.items()),
                "reorder_min": reorder_min,
            })
        return out

    @api.model
    def _get_costs(self, company, product_ids):
        """{product id: cost in ``company``}. The company-dependent cost is read from its JSON column:
        browsing it product by product cost more than all the KPI queries together."""
        if not product_ids:
            return {}
        self.env["product.product"].flush_model(["standard_price"])
        return dict(self.env.execute_query(SQL(
            "SELECT id, COALESCE((standard_price->>%s)::float8, 0) FROM product_product WHERE id IN %s",
            str(company.id), tuple(product_ids))))

    @api.model
    def _get_product_raws(self, company, utc):
        """Goods (templates of type goods, the company's or shared) existing at each period's end, and
        created in the 30 days before it."""
        columns = []
        for _dt_from, dt_to in utc:
            columns.append(SQL("count(*) FILTER (WHERE pp.create_date < %s)", dt_to))
            columns.append(SQL("count(*) FILTER (WHERE pp.create_date < %s AND pp.create_date >= %s)",
                               dt_to, dt_to - datetime.timedelta(days=30)))
        [row] = self.env.execute_query(SQL(
            """
            SELECT %s
              FROM product_product pp
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
             WHERE pp.active AND pt.type = 'consu' AND (pt.company_id = %s OR pt.company_id IS NULL)
            """, SQL(", ").join(columns), company.id))
        return [{"total_products": row[2 * k], "new_products": row[2 * k + 1]} for k in range(len(utc))]

    @api.model
    def _get_forecast_raw(self, company, warehouse, date_from, date_to, dt_to):
        env = self.env
        run = env["sales.forecast.run"].search([("company_id", "=", company.id), ("state", "=", "done"),
                                                ("date_end", "<", dt_to)], order="date_end desc, id desc", limit=1)
        anomaly_domain = [("company_id", "=", company.id), *self._wh_domain(warehouse, "warehouse_id")]
        Anomaly = env["sales.forecast.anomaly"]
        raw = {
            "anomalies_7d": Anomaly.search_count(anomaly_domain + [("date", ">=", date_to - datetime.timedelta(days=7)),
                                                                   ("date", "<", date_to)]),
            "anomalies_30d": Anomaly.search_count(anomaly_domain + [
                ("date", ">=", date_to - datetime.timedelta(days=30)), ("date", "<", date_to)]),
        }
        if not run:
            return raw
        result_domain = [("run_id", "=", run.id), *self._wh_domain(warehouse, "warehouse_id")]
        raw["products_with_model"] = env["sales.forecast.result"].search_count(result_domain + [("status", "=", "ok")])
        raw["last_training_date"] = run.date_end.date()
        # Accuracy on the days that have happened: the run's forecast against what was then sold.
        today = fields.Date.context_today(self)
        last = min(date_to, today)
        if date_from >= last:
            return raw
        points = env["sales.forecast.point"]._read_group(
            [("result_id.run_id", "=", run.id), ("date", ">=", date_from), ("date", "<", last),
             *self._wh_domain(warehouse, "warehouse_id")],
            groupby=["product_id", "warehouse_id", "date:day"], aggregates=["forecast:sum"])
        if not points:
            return raw
        forecast = pd.DataFrame([(p.id, w.id or 0, pd.Timestamp(d), f) for p, w, d, f in points],
                                columns=["product_id", "warehouse_id", "date", "forecast"])
        actual = env["sales.forecast.demand"]._get_demand_frame(company, date_from, last)
        merged = forecast.merge(actual, on=["product_id", "warehouse_id", "date"], how="left").fillna(0.0)
        error = (merged["forecast"] - merged["quantity"]).abs()
        both = merged["forecast"].abs() + merged["quantity"].abs()
        raw.update(forecast_abs_error=float(error.sum()), forecast_actual=float(merged["quantity"].sum()),
                   forecast_smape_sum=float((200.0 * error[both > 0] / both[both > 0]).sum()),
                   forecast_points=int((both > 0).sum()))
        return raw

    @api.model
    def _get_purchase_raw(self, company, warehouse, dt_from, dt_to):
        wh = SQL("AND t.warehouse_id = %s", warehouse.id) if warehouse else SQL()
        [row] = self.env.execute_query(SQL(
            """
            SELECT COALESCE(sum(EXTRACT(EPOCH FROM p.date_done - po.date_approve) / 86400.0), 0), count(*)
              FROM stock_picking p
              JOIN stock_picking_type t ON t.id = p.picking_type_id
              JOIN stock_move m ON m.picking_id = p.id
              JOIN purchase_order_line pol ON pol.id = m.purchase_line_id
              JOIN purchase_order po ON po.id = pol.order_id
             WHERE p.company_id = %s AND t.code = 'incoming' AND p.state = 'done'
               AND p.date_done >= %s AND p.date_done < %s AND po.date_approve IS NOT NULL %s
               AND m.id = (SELECT min(m2.id) FROM stock_move m2 WHERE m2.picking_id = p.id
                           AND m2.purchase_line_id IS NOT NULL)
            """, company.id, dt_from, dt_to, wh))
        return {"lead_days": float(row[0] or 0), "receipts": float(row[1] or 0)}
