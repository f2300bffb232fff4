"""The dashboard's KPI cards: its own three cards, then the KPI catalogue's that a manager acts on,
each with its trend coloured by the KPI's own sense and a click-through to the records behind it
when the user may read them."""
import datetime

from odoo import api, fields, models

from ..engine import dashboard as shaping
from .sales_forecast_demand_dashboard_filter import FILTER_KEY
from .sales_forecast_dashboard_panels import DASHBOARD_KPIS, panel_method


class SalesForecastDashboard(models.AbstractModel):
    _inherit = "sales.forecast.dashboard"

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
        catalogue = [{**self._prepare_kpi({**kpi, "action": self._get_kpi_action(kpi["code"], scope)}),
                      "hint": self._get_kpi_hint(kpi)}
                     for kpi in sorted(kpis, key=lambda kpi: order.get(kpi["code"], len(order)))]
        return {"available": True, "source": "catalogue", "kpis": builtin + catalogue}

    # -- KPIs -------------------------------------------------------------------------------------------
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
    def _get_kpi_hint(self, kpi):
        """The line under a catalogue card that has no previous period: why a figure is missing."""
        if kpi.get("value") is None and kpi.get("code") in ("forecast_wape", "forecast_smape"):
            # The forecast is compared with what was sold since: nothing to compare on a fresh run.
            return self.env._("Once forecast days pass")
        return ""

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
