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
import functools

from odoo import api, fields, models
from odoo.exceptions import AccessError

from ..engine import dashboard as shaping

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

    # -- helpers ----------------------------------------------------------------------------------
    @api.model
    def _unavailable(self, reason):
        return {"available": False, "reason": reason}

    @api.model
    def _prepare_currency(self, company):
        currency = company.currency_id
        return {"symbol": currency.symbol, "position": currency.position, "digits": currency.decimal_places}
