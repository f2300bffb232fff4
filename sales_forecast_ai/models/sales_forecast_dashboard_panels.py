"""One read method per panel of the manager's dashboard (``get_panel_*``, called with ``orm.call``).

Every method takes the filter bar's dict (period, company, warehouse, product category) and
returns a small JSON dict: ``{"available": True, ...}`` or ``{"available": False, "reason": ...}``
when what the panel shows does not exist (yet) in this database, e.g. purchase suggestions
before their module part is installed. The shaping rules live in ``engine/dashboard.py``.

Access: the company must be one of the user's; records are read with the user's rights, so
record rules apply. Sold quantities and amounts come from the stored daily sales
(``sales.forecast.dashboard.daily``, refreshed after each run, hourly and on demand): reading sale
lines live cost seconds per panel on 10,000 products. Amounts are shown only to users who may read
sale lines; the others see quantities and "needs sales access".
"""
import datetime
import functools

import pandas as pd

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine import dashboard as shaping
from .sales_forecast_demand_dashboard_filter import FILTER_KEY

PERIODS = ("7", "30", "90", "365")
DEFAULT_PERIOD = "30"
MAX_CUSTOM_DAYS = 3 * 366
TOP = 10
PICKER_PRODUCTS = 40
MAX_LIST = 50
MAX_ANOMALIES = 100
URGENCIES = ("order_now", "watch", "ok")
# The catalogue's KPIs a manager acts on, after the built-in cards: all 30+ of them buried the page
# (the chat and the KPI list view still reach the others).
DASHBOARD_KPIS = ("revenue", "orders", "stock_value", "stockouts", "below_rop", "low_stock_count",
                  "anomalies_30d", "products_with_model", "forecast_wape", "last_training_date")


def panel_method(method):
    """Run a panel method in the company the filter bar picked, as the company switcher would:
    record rules and ``env.company`` then follow it. Only the user's own companies are accepted."""
    @functools.wraps(method)
    def wrapper(self, filters=None, *args, **kwargs):
        filters = dict(filters or {})
        company = self.env.company
        if filters.get("company_id"):
            company = self.env["res.company"].browse(int(filters["company_id"])).exists()
            if not company or company not in self.env.user.company_ids:
                raise AccessError(self.env._("You do not have access to this company."))
        dashboard = self.with_company(company).with_context(allowed_company_ids=company.ids)
        return method(dashboard, filters, *args, **kwargs)
    return wrapper


class SalesForecastDashboard(models.AbstractModel):
    _inherit = "sales.forecast.dashboard"

    # -- panels -----------------------------------------------------------------------------------
    @api.model
    @panel_method
    def get_panel_filters(self, filters=None):
        """The filter bar's choices and the filters as understood (defaults filled in), plus the
        header's run status."""
        scope = self._get_panel_scope(filters)
        company = scope["company"]
        Run = self.env["sales.forecast.run"]
        active = Run.search([("company_id", "=", company.id), ("state", "in", ("queued", "running"))],
                            order="id desc", limit=1)
        Daily = self.env["sales.forecast.dashboard.daily"]
        if not Daily._get_refreshed_at(company):
            # First opening in this company: build the stored daily sales once (see the model).
            Daily._refresh_company(company)
        warehouses = self.env["stock.warehouse"].search([("company_id", "=", company.id)])
        categories = self.env["product.category"].search([], order="complete_name", limit=200)
        return {
            "available": True,
            "filters": self._prepare_scope(scope),
            "companies": [{"id": c.id, "name": c.name} for c in self.env.user.company_ids],
            "warehouses": [{"id": w.id, "name": w.name} for w in warehouses],
            "categories": [{"id": c.id, "name": c.complete_name} for c in categories],
            "periods": list(PERIODS),
            "is_manager": self.env.user.has_group("sales_forecast_ai.group_forecast_manager"),
            "sales_access": self._can_read_sales(),
            "active_run": self._prepare_run(active) if active else False,
            "data_as_of": fields.Datetime.to_string(Daily._get_refreshed_at(company)),
        }

    @api.model
    @panel_method
    def get_panel_kpis(self, filters=None):
        """KPI cards: the KPI catalogue's (``sales.forecast.kpi``) when installed, else the basics
        this add-on knows (units sold, products sold, units forecast). Each card has its value,
        the previous period's, a trend and, where records stand behind it, an action to open them."""
        scope = self._get_panel_scope(filters)
        # The built-in cards come first and stay: their units sold include imported CSV history
        # (the stored daily sales) and honour the category filter, which the catalogue's do not.
        builtin = self._get_builtin_kpis(scope)
        if "sales.forecast.kpi" not in self.env:
            return {"available": True, "source": "builtin", "kpis": builtin}
        known = {kpi["code"] for kpi in builtin}
        codes = [code for code in self._get_dashboard_kpi_codes() if code not in known]
        kpis = self.env["sales.forecast.kpi"].with_company(scope["company"]).get_kpis(
            scope["days"], warehouse_id=scope["warehouse"].id or False, codes=codes)
        order = {code: index for index, code in enumerate(codes)}
        catalogue = [self._prepare_kpi({**kpi, "action": self._get_kpi_action(kpi["code"], scope)})
                     for kpi in sorted(kpis, key=lambda kpi: order.get(kpi["code"], len(order)))]
        return {"available": True, "source": "catalogue", "kpis": builtin + catalogue}

    @api.model
    @panel_method
    def get_panel_sales_curve(self, filters=None, granularity="day", product_id=False):
        """Sold quantities per day/week/month over the period, the latest forecast continuing them
        with its 80/95 % bands, and the products the picker offers."""
        scope = self._get_panel_scope(filters)
        product = self._get_panel_product(product_id)
        granularity = shaping.fit_granularity(scope["date_from"], scope["date_to"], granularity)
        frame = self._get_quantity_frame(scope, scope["date_from"], scope["date_to"], product=product, by=False)
        history = shaping.bucket_history(frame, scope["date_from"], scope["date_to"], granularity)
        points = self._get_forecast_points(scope, product)
        forecast = shaping.bucket_forecast(points, granularity)
        return {
            "available": True,
            "granularity": granularity,
            "today": fields.Date.to_string(scope["today"]),
            "uom": product.uom_id.name if product else "",
            "product_id": product.id or False,
            "history": [{"date": fields.Date.to_string(day), "qty": qty} for day, qty in history],
            "forecast": [{**point, "date": fields.Date.to_string(point["date"])} for point in forecast],
            "products": self._get_picker_products(scope, product),
            "source_note": self._get_quantity_note(),
        }

    @api.model
    @panel_method
    def get_panel_heatmaps(self, filters=None):
        """Demand per weekday x week and per product category x month, as matrices the page colours."""
        scope = self._get_panel_scope(filters)
        # Grouped by category in SQL: the frame's product_id column holds the category id.
        frame = self._get_quantity_frame(scope, scope["date_from"], scope["date_to"], by="categ_id")
        weeks, matrix = shaping.weekday_week_heatmap(frame, scope["date_from"], scope["date_to"])
        months, rows = shaping.group_month_heatmap(
            frame, self._get_identity_map(frame), scope["date_from"], scope["date_to"])
        names = self._get_category_names([key for key, _values in rows if key])
        return {
            "available": True,
            "empty": not len(frame),
            "weekday": {"weeks": [fields.Date.to_string(w) for w in weeks], "matrix": matrix},
            "category": {
                "months": [fields.Date.to_string(m) for m in months],
                "rows": [{"id": key or False, "name": names.get(key) or self.env._("Other categories"),
                          "values": values} for key, values in rows],
            },
            "source_note": self._get_quantity_note(),
        }

    @api.model
    @panel_method
    def get_panel_distribution(self, filters=None):
        """Daily sales per product category: a histogram on shared bins and a box plot each."""
        scope = self._get_panel_scope(filters)
        frame = self._get_quantity_frame(scope, scope["date_from"], scope["date_to"], by="categ_id")
        series = shaping.daily_totals_by_group(frame, self._get_identity_map(frame), scope["date_from"],
                                               scope["date_to"])
        edges, counts = shaping.histogram(series)
        names = self._get_category_names([key for key in series if key])
        return {
            "available": True,
            "empty": not series,
            "edges": edges,
            "groups": [{"id": key or False, "name": names.get(key) or self.env._("Without category"),
                        "counts": counts[key], "box": shaping.boxplot(values)} for key, values in series.items()],
            "source_note": self._get_quantity_note(),
        }

    @api.model
    @panel_method
    def get_panel_abc_xyz(self, filters=None):
        """Products per ABC (revenue share) x XYZ (demand variability) class, from the segmentation."""
        if "sales.forecast.segment" not in self.env:
            return self._unavailable(self.env._("The ABC/XYZ segmentation is not installed in this database yet."))
        scope = self._get_panel_scope(filters)
        Segment = self.env["sales.forecast.segment"]
        domain = self._get_scoped_domain(Segment, scope)
        # Revenue is for users who see sales money (a field group); the others get counts only.
        if Segment._fields["revenue"].is_accessible(self.env):
            groups = Segment._read_group(domain, ["abc_class", "xyz_class"], ["__count", "revenue:sum"])
        else:
            groups = [(abc, xyz, count, 0.0) for abc, xyz, count in
                      Segment._read_group(domain, ["abc_class", "xyz_class"], ["__count"])]
        total = sum(count for _abc, _xyz, count, _revenue in groups)
        cells = {(abc, xyz): (count, revenue) for abc, xyz, count, revenue in groups}
        return {
            "available": True,
            "empty": not total,
            "model": Segment._name,
            "domain": domain,
            "cells": [{
                "abc": abc, "xyz": xyz,
                "count": cells.get((abc, xyz), (0, 0.0))[0],
                "revenue": cells.get((abc, xyz), (0, 0.0))[1] or 0.0,
                "share": cells.get((abc, xyz), (0, 0.0))[0] / total if total else 0.0,
            } for abc in ("a", "b", "c") for xyz in ("x", "y", "z")],
            "currency": self._prepare_currency(scope["company"]),
        }

    @api.model
    @panel_method
    def get_panel_anomalies(self, filters=None):
        """Demand spikes and drops found in the period: per-day counts for the timeline and the latest ones."""
        if "sales.forecast.anomaly" not in self.env:
            return self._unavailable(self.env._("Anomaly detection is not installed in this database yet."))
        scope = self._get_panel_scope(filters)
        Anomaly = self.env["sales.forecast.anomaly"]
        domain = self._get_scoped_domain(Anomaly, scope) + [
            ("date", ">=", scope["date_from"]), ("date", "<=", scope["date_to"])]
        per_day = Anomaly._read_group(domain, ["date:day", "kind"], ["__count"])
        anomalies = Anomaly.search(domain, order="date desc, id desc", limit=MAX_ANOMALIES)
        days = {}
        for day, kind, count in per_day:
            days.setdefault(fields.Date.to_string(day), {"spike": 0, "drop": 0})[kind] = count
        return {
            "available": True,
            "empty": not anomalies,
            "model": Anomaly._name,
            "domain": domain,
            "total": sum(count for _day, _kind, count in per_day),
            "days": [{"date": day, **counts} for day, counts in sorted(days.items())],
            "items": [{
                "id": a.id,
                "date": fields.Date.to_string(a.date),
                "product": a.product_id.display_name,
                "warehouse": a.warehouse_id.name or "",
                "kind": a.kind,
                "kind_label": self._selection_label(a, "kind", a.kind),
                "expected": a.expected,
                "actual": a.actual,
                "zscore": a.zscore,
                "severity": self._selection_label(a, "severity", a.severity),
                "state": self._selection_label(a, "state", a.state),
            } for a in anomalies],
        }

    @api.model
    @panel_method
    def get_panel_top_products(self, filters=None):
        """The period's best sellers by quantity (net of returns) and, for users who may see sale
        prices, by untaxed revenue in the company currency."""
        scope = self._get_panel_scope(filters)
        rows = self.env["sales.forecast.demand"]._read_group_rows(
            self.env["sales.forecast.dashboard.daily"],
            self._get_quantity_domain(scope, scope["date_from"], scope["date_to"]), ["product_id"], "quantity:sum")
        top = sorted((row for row in rows if row[1]), key=lambda row: -row[1])[:TOP]
        products = self._browse_products([pid for pid, _qty in top])
        by_qty = [{"product_id": pid, "name": products[pid].display_name, "uom": products[pid].uom_id.name,
                   "value": qty} for pid, qty in top]
        return {
            "available": True,
            "by_qty": by_qty,
            "by_revenue": self._get_top_revenue(scope),
            "source_note": self._get_quantity_note(),
        }

    @api.model
    @panel_method
    def get_panel_stock_status(self, filters=None):
        """Forecast series by stock status: out (nothing on hand), low (less cover than the vendor
        lead time), adequate, over (more than ``_get_stock_over_days`` of cover or no demand)."""
        if not self.env["stock.quant"].has_access("read"):
            return self._unavailable(self.env._("Stock levels need Inventory access."))
        scope = self._get_panel_scope(filters)
        company = scope["company"]
        demand = self._get_series_demand(scope)
        if not demand:
            return {"available": True, "empty": True, "counts": {s: 0 for s in shaping.STOCK_STATUSES},
                    "items": []}
        on_hand = self._get_on_hand(scope)
        low_days, over_days = self._get_stock_low_days(company), self._get_stock_over_days(company)
        rows = []
        for (product_id, warehouse_id), daily in demand.items():
            qty = on_hand.get((product_id, warehouse_id), 0.0)
            rows.append((shaping.stock_status(qty, daily, low_days, over_days), product_id, warehouse_id, qty,
                         daily, shaping.cover_days(qty, daily)))
        counts = {status: 0 for status in shaping.STOCK_STATUSES}
        for row in rows:
            counts[row[0]] += 1
        # Most urgent first: out of stock with the largest demand, then the shortest cover.
        at_risk = sorted((r for r in rows if r[0] in ("out", "low")), key=lambda r: (r[0] != "out", r[5] or 0, -r[4]))
        products = self._browse_products([r[1] for r in at_risk[:TOP]])
        warehouses = self.env["stock.warehouse"].browse([r[2] for r in at_risk[:TOP] if r[2]])
        names = {w.id: w.name for w in warehouses}
        return {
            "available": True,
            "empty": False,
            "low_days": low_days,
            "over_days": over_days,
            "counts": counts,
            "product_ids": {status: [r[1] for r in rows if r[0] == status][:1000] for status in counts},
            "items": [{"status": status, "product_id": pid, "name": products[pid].display_name,
                       "warehouse": names.get(wid, ""), "on_hand": qty, "daily": daily, "cover": cover}
                      for status, pid, wid, qty, daily, cover in at_risk[:TOP]],
        }

    @api.model
    @panel_method
    def get_panel_suggestions(self, filters=None):
        """Purchase suggestions per urgency, the most urgent ones listed with their stock-out date."""
        if "sales.forecast.suggestion" not in self.env:
            return self._unavailable(self.env._("Purchase suggestions are not installed in this database yet."))
        scope = self._get_panel_scope(filters)
        Suggestion = self.env["sales.forecast.suggestion"]
        domain = self._get_scoped_domain(Suggestion, scope)
        if "is_latest" in Suggestion._fields:
            domain.append(("is_latest", "=", True))
        counts = dict(Suggestion._read_group(domain, ["urgency"], ["__count"]))
        urgent = Suggestion.search(domain + [("urgency", "in", ("order_now", "watch"))],
                                   order="stockout_date asc, id", limit=TOP)
        return {
            "available": True,
            "empty": not counts,
            "model": Suggestion._name,
            "domain": domain,
            "counts": [{"urgency": u, "label": self._selection_label(Suggestion, "urgency", u),
                        "count": counts.get(u, 0)} for u in URGENCIES],
            "items": [{
                "id": s.id,
                "product": s.product_id.display_name,
                "warehouse": s.warehouse_id.name or "",
                "partner": s.partner_id.display_name or "",
                "urgency": s.urgency,
                "qty_to_order": s.qty_to_order,
                "stockout_date": fields.Date.to_string(s.stockout_date) if s.stockout_date else False,
                "reason": s.reason or "",
            } for s in urgent],
        }

    @api.model
    @panel_method
    def get_panel_model_quality(self, filters=None):
        """The latest done run's model comparison, and the company's last runs whatever their state."""
        scope = self._get_panel_scope(filters)
        Run = self.env["sales.forecast.run"]
        company_domain = [("company_id", "=", scope["company"].id)]
        done = Run.search(company_domain + [("state", "=", "done")], order="date_end desc, id desc", limit=1)
        recent = Run.search(company_domain, order="id desc", limit=5)
        return {
            "available": True,
            "empty": not recent,
            "run": self._prepare_run(done) if done else False,
            "last_run": self._prepare_run(recent[:1]) if recent else False,
            "recent_runs": [self._prepare_run(run) for run in recent],
            "models": [self._prepare_score(score) for score in done.score_ids],
        }

    @api.model
    @panel_method
    def action_refresh_data(self, filters=None):
        """Rebuild the stored daily sales of the filter's company now (Forecast Managers)."""
        if not self.env.user.has_group("sales_forecast_ai.group_forecast_manager"):
            raise AccessError(self.env._("Only a Forecast Manager can refresh the dashboard's sales."))
        return self.env["sales.forecast.dashboard.daily"]._refresh_company(self.env.company)

    # -- scope ------------------------------------------------------------------------------------
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

    # -- quantities -------------------------------------------------------------------------------
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

    # -- forecasts --------------------------------------------------------------------------------
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

    # -- KPIs -------------------------------------------------------------------------------------
    @api.model
    def _prepare_kpi(self, kpi):
        """A catalogue KPI as the cards show it; its own ``action`` (if any) is the click-through."""
        value, previous = kpi.get("value"), kpi.get("previous")
        if isinstance(value, (int, float)) and isinstance(previous, (int, float, type(None))):
            direction, change = shaping.trend(value, previous)
        else:
            # A date (last training) has no trend; a rate without a base (None) is "no data", not 0.
            direction, change = "flat", None
        trend = kpi.get("trend") or direction
        # Fewer stock-outs is good news: the colour follows the KPI's own sense, the arrow the figure.
        better = kpi.get("better")
        mood = "flat" if trend == "flat" or not better else ("up" if trend == better else "down")
        return {
            "code": kpi.get("code"), "name": kpi.get("name"), "unit": self._get_kpi_unit_label(kpi.get("unit")),
            "value": value if value is not None else False, "previous": previous if previous is not None else False,
            "trend": trend, "mood": mood, "change": change,
            "action": kpi.get("action") or False,
        }

    @api.model
    def _get_builtin_kpis(self, scope):
        Daily = self.env["sales.forecast.dashboard.daily"]

        def totals(date_from, date_to):
            domain = self._get_quantity_domain(scope, date_from, date_to) + [("quantity", "!=", 0)]
            [(quantity, products)] = Daily._read_group(domain, [], ["quantity:sum", "product_id:count_distinct"])
            return float(quantity or 0.0), int(products or 0)

        sold, products = totals(scope["date_from"], scope["date_to"])
        sold_before, products_before = totals(scope["prev_from"], scope["prev_to"])
        Result = self.env["sales.forecast.result"]
        result_domain = self._get_result_scope_domain(scope)
        [(forecast_30, series)] = Result._read_group(result_domain, [], ["total_30:sum", "__count"])
        sales_action = self._get_sale_lines_action(scope) if self._can_read_sales() else False
        kpis = [
            {"code": "units_sold", "name": self.env._("Units sold"), "unit": "", "value": sold,
             "previous": sold_before, "action": sales_action},
            {"code": "products_sold", "name": self.env._("Products sold"), "unit": "", "value": products,
             "previous": products_before, "action": sales_action},
            {"code": "forecast_30", "name": self.env._("Forecast, next 30 days"), "unit": "",
             "value": forecast_30 or 0.0, "previous": None, "hint": self.env._("%s series", series),
             "action": {
                 "type": "ir.actions.act_window", "name": self.env._("Latest forecasts"),
                 "res_model": "sales.forecast.result", "views": [[False, "list"], [False, "form"]],
                 "domain": result_domain, "target": "current"}},
        ]
        return [{**self._prepare_kpi(kpi), "hint": kpi.get("hint", "")} for kpi in kpis]

    @api.model
    def _get_dashboard_kpi_codes(self):
        """Catalogue KPI codes shown as cards, in order (a hook to show others)."""
        return list(DASHBOARD_KPIS)

    @api.model
    def _get_kpi_unit_label(self, unit):
        """What follows a figure on its card: the catalogue's unit codes are not for people."""
        labels = {"percent": "%", "days": self.env._("days"), "currency": self.env.company.currency_id.symbol or ""}
        if unit in labels:
            return labels[unit]
        return "" if unit in ("count", "units", "ratio", "date") else (unit or "")

    @api.model
    def _get_kpi_action(self, code, scope):
        """The records behind a catalogue KPI, as an action the current user can open, else False
        (a card the user could click only to meet an access error is worse than no click)."""
        action = self._prepare_kpi_action(code, scope)
        if not action or not self.env[action["res_model"]].has_access("read"):
            return False
        return {"type": "ir.actions.act_window", "views": [[False, "list"], [False, "form"]],
                "target": "current", "context": {"create": False}, **action}

    @api.model
    def _prepare_kpi_action(self, code, scope):
        """{name, res_model, domain} of the records a KPI code counts, or None when nothing stands behind it."""
        today = fields.Date.context_today(self)
        if code in ("anomalies_7d", "anomalies_30d") and "sales.forecast.anomaly" in self.env:
            Anomaly = self.env["sales.forecast.anomaly"]
            days = 7 if code == "anomalies_7d" else 30
            return {"name": self.env._("Anomalies"), "res_model": Anomaly._name,
                    "domain": self._get_scoped_domain(Anomaly, scope) + [
                        ("date", ">", fields.Date.to_string(today - datetime.timedelta(days=days))),
                        ("date", "<=", fields.Date.to_string(today))]}
        if code in ("products_with_model", "forecast_wape", "forecast_smape"):
            return {"name": self.env._("Latest forecasts"), "res_model": "sales.forecast.result",
                    "domain": self._get_result_scope_domain(scope)}
        if code == "last_training_date":
            Run = self.env["sales.forecast.run"]
            return {"name": self.env._("Forecast runs"), "res_model": Run._name,
                    "domain": self._get_scoped_domain(Run, scope)}
        if code in ("below_rop", "low_stock_count"):
            if "sales.forecast.suggestion" in self.env:
                Suggestion = self.env["sales.forecast.suggestion"]
                domain = self._get_scoped_domain(Suggestion, scope) + [("urgency", "in", ("order_now", "watch"))]
                if "is_latest" in Suggestion._fields:
                    domain.append(("is_latest", "=", True))
                return {"name": self.env._("Purchase suggestions"), "res_model": Suggestion._name, "domain": domain}
            domain = [("is_storable", "=", True)]
            if self.env["stock.warehouse.orderpoint"].has_access("read"):
                domain.append(("orderpoint_ids.company_id", "=", scope["company"].id))
            return {"name": self.env._("Products"), "res_model": "product.product",
                    "domain": domain + self._get_kpi_category_domain(scope)}
        if code in ("stockouts", "stock_value", "days_of_cover", "inventory_turnover"):
            domain = [("is_storable", "=", True), ("company_id", "in", (False, scope["company"].id))]
            if code == "stockouts":
                domain.append(("qty_available", "<=", 0))
            return {"name": self.env._("Products"), "res_model": "product.product",
                    "domain": domain + self._get_kpi_category_domain(scope)}
        if code in ("active_products", "total_products", "new_products"):
            domain = [("sale_ok", "=", True), ("company_id", "in", (False, scope["company"].id))]
            if code == "new_products":
                domain.append(("create_date", ">=", fields.Datetime.to_string(
                    datetime.datetime.combine(today - datetime.timedelta(days=30), datetime.time.min))))
            return {"name": self.env._("Products"), "res_model": "product.product",
                    "domain": domain + self._get_kpi_category_domain(scope)}
        if code in ("revenue", "revenue_growth", "orders", "order_growth", "avg_order_value", "active_customers",
                    "quotation_conversion") and self._can_read_sales():
            domain = [("company_id", "=", scope["company"].id),
                      ("date_order", ">=", fields.Datetime.to_string(
                          datetime.datetime.combine(scope["date_from"], datetime.time.min))),
                      ("date_order", "<", fields.Datetime.to_string(
                          datetime.datetime.combine(scope["date_to"] + datetime.timedelta(days=1), datetime.time.min)))]
            if code != "quotation_conversion":
                domain.append(("state", "=", "sale"))
            if scope["warehouse"]:
                domain.append(("warehouse_id", "=", scope["warehouse"].id))
            return {"name": self.env._("Sales orders"), "res_model": "sale.order", "domain": domain}
        if code in ("gross_margin", "revenue_per_product", "average_price", "return_rate") and self._can_read_sales():
            return {"name": self.env._("Sales of the period"), "res_model": "sale.order.line",
                    "domain": self._get_sale_lines_action(scope)["domain"]}
        return None

    @api.model
    def _get_kpi_category_domain(self, scope):
        return [("categ_id", "child_of", scope["category"].id)] if scope["category"] else []

    @api.model
    def _get_sale_lines_action(self, scope):
        domain = self.env["sales.forecast.demand"].with_context(**{FILTER_KEY: {
            "warehouse_id": scope["warehouse"].id or False, "categ_id": scope["category"].id or False,
        }})._get_sale_domain(scope["company"], scope["date_from"], scope["date_to"] + datetime.timedelta(days=1))
        return {
            "type": "ir.actions.act_window", "name": self.env._("Sales of the period"),
            "res_model": "sale.order.line", "views": [[False, "list"], [False, "form"]],
            "domain": domain, "context": {"create": False}, "target": "current",
        }

    # -- revenue and stock --------------------------------------------------------------------------
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

    # -- helpers ----------------------------------------------------------------------------------
    @api.model
    def _unavailable(self, reason):
        return {"available": False, "reason": reason}

    @api.model
    def _prepare_currency(self, company):
        currency = company.currency_id
        return {"symbol": currency.symbol, "position": currency.position, "digits": currency.decimal_places}
