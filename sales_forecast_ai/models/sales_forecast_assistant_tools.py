"""The assistant's read-only tools, run AS THE CURRENT USER in the current company.

Each tool returns plain JSON-able data for the model (or the built-in renderer) and appends the
records it used to ``records`` so the widget can link to them. No tool writes, none reads with
raw SQL, and only one reads with sudo: sales quantities for users without sales rights (see
``_chat_sales_groups``). Tools over models that other parts of the add-on provide (suggestions,
segments, anomalies, KPIs) are offered only when those models exist in the database.
"""
import datetime

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..engine.chat.intents import match_product, resolve_period
from ..engine.chat.tools import TOOL_SPECS

try:
    # Once runs store their ratios in percent (sales_forecast_run_units.py), they are shown as stored.
    from .sales_forecast_run_units import METRIC_RATIOS, RESULT_RATIOS
    STORED_AS_RATIO = ()
except ImportError:
    METRIC_RATIOS, RESULT_RATIOS = ("wape", "bias"), ("confidence", "coverage_80", "coverage_95")
    STORED_AS_RATIO = METRIC_RATIOS + RESULT_RATIOS

MAX_PERIOD_DAYS = 3 * 366
TOP_LIMIT = 10
FORECAST_DAYS_SHOWN = 7

# Tool name -> (method name, model that must exist for the tool to be offered, or None).
CHAT_TOOLS = {
    "get_sales": ("_chat_tool_get_sales", None),
    "get_top_products": ("_chat_tool_get_top_products", None),
    "get_product_forecast": ("_chat_tool_get_product_forecast", None),
    "explain_model_comparison": ("_chat_tool_explain_model_comparison", None),
    "get_purchase_suggestions": ("_chat_tool_get_purchase_suggestions", "sales.forecast.suggestion"),
    "get_abc_xyz": ("_chat_tool_get_abc_xyz", "sales.forecast.segment"),
    "get_anomalies": ("_chat_tool_get_anomalies", "sales.forecast.anomaly"),
    "get_kpis": ("_chat_tool_get_kpis", "sales.forecast.kpi"),
}


class SalesForecastAssistant(models.AbstractModel):
    _inherit = "sales.forecast.assistant"

    @api.model
    def _get_chat_tools(self):
        """{name: {"spec", "method"}} of the tools this database can answer."""
        tools = {}
        for name, (method, required_model) in CHAT_TOOLS.items():
            if required_model and required_model not in self.env:
                continue
            tools[name] = {"spec": TOOL_SPECS[name], "method": getattr(self, method)}
        return tools

    @api.model
    def _get_chat_tool_specs(self):
        return [tool["spec"] for tool in self._get_chat_tools().values()]

    # -- sales ------------------------------------------------------------------------------------
    @api.model
    def _chat_tool_get_sales(self, records, period=None, date_from=None, date_to=None, product=None,
                             group_by="none", days=None):
        start, end = self._chat_period(period or "last_30_days", date_from, date_to, days)
        product_rec = self._chat_find_product(product) if product else None
        if product and not product_rec:
            return {"error": self.env._("no product matches %r", product)}
        group_by = group_by if group_by in ("product", "warehouse", "month") else "none"
        rows, with_amounts, note = self._chat_sales_groups(start, end, group_by, product_rec)
        total_qty = sum(row[1] for row in rows)
        data = {
            "date_from": fields.Date.to_string(start),
            "date_to": fields.Date.to_string(end - datetime.timedelta(days=1)),
            "product": product_rec.display_name if product_rec else None,
            "quantity": round(total_qty, 3),
            "amount": round(sum(row[2] or 0.0 for row in rows), 2) if with_amounts else None,
            "currency": self.env.company.currency_id.name if with_amounts else None,
            "note": note,
        }
        if group_by != "none":
            rows = sorted(rows, key=lambda row: -row[1])
            data["rows"] = [{"name": self._chat_label(key, records), "quantity": round(qty, 3),
                             **({"amount": round(amount or 0.0, 2)} if with_amounts else {})}
                            for key, qty, amount in rows]
        if product_rec:
            self._chat_record(records, product_rec)
        return data

    @api.model
    def _chat_tool_get_top_products(self, records, period=None, date_from=None, date_to=None, limit=TOP_LIMIT,
                                    days=None):
        start, end = self._chat_period(period or "last_30_days", date_from, date_to, days)
        limit = max(1, min(int(limit or TOP_LIMIT), 20))
        rows, with_amounts, note = self._chat_sales_groups(start, end, "product", None)
        rows = sorted(rows, key=lambda row: (-row[1], row[0].id))[:limit]
        for product, _qty, _amount in rows:
            self._chat_record(records, product)
        return {
            "date_from": fields.Date.to_string(start),
            "date_to": fields.Date.to_string(end - datetime.timedelta(days=1)),
            "currency": self.env.company.currency_id.name if with_amounts else None,
            "rows": [{"product": product.display_name, "quantity": round(qty, 3),
                      **({"amount": round(amount or 0.0, 2)} if with_amounts else {})}
                     for product, qty, amount in rows],
            "note": note,
        }

    @api.model
    def _chat_sales_groups(self, start, end, group_by, product):
        """[(key record or month label, quantity, amount or None)], whether amounts are given, a note.

        Users with sales rights read ``sale.report`` with their own rights (record rules such as
        "own documents only" apply) and see amounts. Others (buyers, warehouse staff) get the
        quantities the forecasts learn from, per product, never prices or customers.
        """
        company = self.env.company
        Demand = self.env["sales.forecast.demand"]
        if self._chat_can_read_sales():
            dt_from, dt_to = Demand._utc_bounds(company, start, end)
            domain = [("company_id", "=", company.id), ("state", "in", self.env["sale.report"]._get_done_states()),
                      ("date", ">=", dt_from), ("date", "<", dt_to), ("product_id", "!=", False)]
            if product:
                domain.append(("product_id", "=", product.id))
            groupby = {"product": ["product_id"], "warehouse": ["warehouse_id"], "month": ["date:month"]}.get(
                group_by, [])
            groups = self.env["sale.report"]._read_group(domain, groupby=groupby,
                                                         aggregates=["product_uom_qty:sum", "price_subtotal:sum"])
            rows = [(group[0] if groupby else None, group[-2] or 0.0, group[-1] or 0.0) for group in groups]
            return rows, True, ""
        # sudo: aggregated quantities only (no price, customer or order), of the current company,
        # which is one of the user's companies; sale lines themselves stay out of reach.
        frame = Demand.sudo()._get_demand_frame(company, start, end)
        visible = self.env["product.product"].with_context(active_test=False).search(
            [("id", "in", frame["product_id"].unique().tolist())]).ids
        frame = frame[frame["product_id"].isin(visible)]
        if product:
            frame = frame[frame["product_id"] == product.id]
        note = self.env._("Quantities only (your access rights do not include sales amounts); net of customer "
                          "returns, goods only.")
        if group_by == "none":
            return [(None, float(frame["quantity"].sum()), None)], False, note
        if group_by == "month":
            keys = frame["date"].dt.strftime("%Y-%m")
        elif group_by == "warehouse":
            keys = frame["warehouse_id"]
        else:
            keys = frame["product_id"]
        sums = frame.groupby(keys)["quantity"].sum()
        model = {"product": "product.product", "warehouse": "stock.warehouse"}.get(group_by)
        rows = []
        for key, qty in sums.items():
            label = self.env[model].browse(int(key)) if model and key else key
            rows.append((label, float(qty), None))
        return rows, False, note

    @api.model
    def _chat_can_read_sales(self):
        """Sales amounts are for salespeople: warehouse staff may read sale lines in Odoo (to ship
        them) and Forecast Users may read forecasts, neither makes revenue their business."""
        return (self.env.user.has_group("sales_team.group_sale_salesman")
                and self.env["sale.report"].has_access("read"))

    # -- forecasts ----------------------------------------------------------------------------------
    @api.model
    def _chat_tool_get_product_forecast(self, records, product=None):
        query = (product or "").strip()
        product_rec = self._chat_find_product(query)
        if not product_rec:
            return {"query": query, "found": False}
        self._chat_record(records, product_rec)
        results = self.env["sales.forecast.result"].search(
            [("product_id", "=", product_rec.id), ("company_id", "=", self.env.company.id), ("is_latest", "=", True)],
            order="total_30 desc, id")
        data = {"query": query, "found": True, "product": product_rec.display_name,
                "uom": product_rec.uom_id.name, "series": []}
        if results:
            data["run"] = results[0].run_id.name
            data["run_date"] = fields.Datetime.to_string(results[0].run_id.date_end or results[0].run_id.date_start)
        for result in results:
            self._chat_record(records, result)
            points = self.env["sales.forecast.point"].search(
                [("result_id", "=", result.id)], order="date", limit=FORECAST_DAYS_SHOWN)
            data["series"].append({
                "warehouse": result.warehouse_id.display_name or "",
                "status": result.status,
                "message": result.message or "",
                "total_7": result.total_7, "total_30": result.total_30, "total_90": result.total_90,
                "trend": result.trend or "", "confidence_pct": self._chat_percent(result, "confidence"),
                "demand_class": result.demand_class or "", "champion": result.champion or "",
                "reason": result.reason or "",
                "candidates": [{"model": c.model, "is_champion": c.is_champion, **self._chat_metrics(c)}
                               for c in result.candidate_ids],
                "next_days": [{"date": fields.Date.to_string(p.date), "forecast": round(p.forecast, 2),
                               "lo_80": round(p.lo_80, 2), "hi_80": round(p.hi_80, 2)} for p in points],
            })
        return data

    @api.model
    def _chat_tool_explain_model_comparison(self, records):
        run = self.env["sales.forecast.run"].search(
            [("company_id", "=", self.env.company.id), ("state", "=", "done")], order="date_end desc, id desc",
            limit=1)
        if not run:
            return {"run": None, "rows": []}
        self._chat_record(records, run)
        return {
            "run": run.name,
            "run_date": fields.Datetime.to_string(run.date_end) if run.date_end else None,
            "series": run.series_total,
            "rows": [{"model": s.model, "family": s.family or "", **self._chat_metrics(s), "rmse": round(s.rmse, 3),
                      "wins": s.wins} for s in run.score_ids.sorted("mase")],
        }

    # -- tools over models provided by other parts of the add-on --------------------------------------
    @api.model
    def _chat_tool_get_purchase_suggestions(self, records, urgency="any", product=None, limit=15):
        Suggestion = self.env["sales.forecast.suggestion"]
        domain = self._chat_company_domain(Suggestion)
        if "is_latest" in Suggestion._fields:
            domain.append(("is_latest", "=", True))
        if product:
            product_rec = self._chat_find_product(product)
            if not product_rec:
                return {"error": self.env._("no product matches %r", product)}
            domain.append(("product_id", "=", product_rec.id))
        counts = dict(Suggestion._read_group(domain, groupby=["urgency"], aggregates=["__count"]))
        wanted = [urgency] if urgency in ("order_now", "watch", "ok") else ["order_now", "watch"]
        limit = max(1, min(int(limit or 15), 25))
        rows = Suggestion
        for level in wanted:
            if len(rows) >= limit:
                break
            rows |= Suggestion.search(domain + [("urgency", "=", level)], order="stockout_date, id",
                                      limit=limit - len(rows))
        for row in rows:
            self._chat_record(records, row)
        return {
            "counts": {key: value for key, value in counts.items() if key},
            "rows": [{
                "product": row.product_id.display_name, "warehouse": row.warehouse_id.display_name or "",
                "vendor": row.partner_id.display_name or False, "qty_suggested": row.qty_suggested,
                "qty_to_order": row.qty_to_order, "urgency": row.urgency,
                "stockout_date": fields.Date.to_string(row.stockout_date) if row.stockout_date else False,
                "reason": row.reason or "",
            } for row in rows],
        }

    @api.model
    def _chat_tool_get_abc_xyz(self, records, product=None, abc_class=None, xyz_class=None):
        Segment = self.env["sales.forecast.segment"]
        domain = self._chat_company_domain(Segment)
        if product:
            product_rec = self._chat_find_product(product)
            if not product_rec:
                return {"error": self.env._("no product matches %r", product)}
            domain.append(("product_id", "=", product_rec.id))
        if abc_class in ("a", "b", "c"):
            domain.append(("abc_class", "=", abc_class))
        if xyz_class in ("x", "y", "z"):
            domain.append(("xyz_class", "=", xyz_class))
        matrix = Segment._read_group(domain, groupby=["abc_class", "xyz_class"], aggregates=["__count"])
        segments = Segment.search(domain, limit=25)
        for segment in segments:
            self._chat_record(records, segment.product_id)
        return {
            "count": Segment.search_count(domain),
            "matrix": {f"{(abc or '-').upper()}{(xyz or '-').upper()}": count for abc, xyz, count in matrix},
            "rows": [{"product": s.product_id.display_name, "warehouse": s.warehouse_id.display_name or "",
                      "abc_class": s.abc_class or "", "xyz_class": s.xyz_class or ""} for s in segments],
        }

    @api.model
    def _chat_tool_get_anomalies(self, records, period=None, date_from=None, date_to=None, product=None,
                                 severity="any", days=None):
        Anomaly = self.env["sales.forecast.anomaly"]
        start, end = self._chat_period(period or "last_30_days", date_from, date_to, days)
        domain = self._chat_company_domain(Anomaly) + [("date", ">=", start), ("date", "<", end)]
        if product:
            product_rec = self._chat_find_product(product)
            if not product_rec:
                return {"error": self.env._("no product matches %r", product)}
            domain.append(("product_id", "=", product_rec.id))
        if severity in ("high", "medium", "low"):
            domain.append(("severity", "=", severity))
        anomalies = Anomaly.search(domain, order="date desc, id desc", limit=25)
        for anomaly in anomalies:
            self._chat_record(records, anomaly)
        return {
            "date_from": fields.Date.to_string(start),
            "date_to": fields.Date.to_string(end - datetime.timedelta(days=1)),
            "count": Anomaly.search_count(domain),
            "rows": [{"date": fields.Date.to_string(a.date),
                      "product": a.product_id.display_name or self.env._("All products"),
                      "warehouse": a.warehouse_id.display_name or "", "kind": a.kind, "expected": a.expected,
                      "actual": a.actual, "zscore": round(a.zscore or 0.0, 2), "severity": a.severity,
                      "state": a.state} for a in anomalies],
        }

    @api.model
    def _chat_tool_get_kpis(self, records, period=None, days=None):
        # KPIs cover the last N days up to today ("30d"): a named period gives its length.
        start, end = self._chat_period(period or "last_30_days", days=days)
        span = f"{(end - start).days}d"
        kpis = self.env["sales.forecast.kpi"].get_kpis(span)
        keys = ("code", "name", "unit", "value", "previous", "trend")
        labels = {"currency": self.env.company.currency_id.name, "percent": "%", "count": "", "ratio": "",
                  "date": "", "units": self.env._("units"), "days": self.env._("days")}
        return {"period": self.env._("last %s days", (end - start).days),
                "rows": [{**{key: kpi.get(key) for key in keys}, "unit_label": labels.get(kpi.get("unit"), "")}
                         for kpi in kpis or []]}

    # -- helpers ------------------------------------------------------------------------------------
    @api.model
    def _chat_period(self, period, date_from=None, date_to=None, days=None):
        """(start, end) dates of the period, end exclusive; explicit dates win over a named period."""
        today = fields.Date.context_today(self)
        if date_from or date_to:
            try:
                start = fields.Date.to_date(date_from) if date_from else today - datetime.timedelta(days=29)
                end = (fields.Date.to_date(date_to) if date_to else today) + datetime.timedelta(days=1)
            except ValueError as exc:
                raise UserError(self.env._("Dates are written YYYY-MM-DD (got %(from)s, %(to)s).",
                                           **{"from": date_from, "to": date_to})) from exc
        else:
            start, end = resolve_period(period, today, days)
        if end <= start:
            raise UserError(self.env._("The period ends before it starts."))
        if (end - start).days > MAX_PERIOD_DAYS:
            raise UserError(self.env._("Ask about at most three years at a time."))
        return start, end

    @api.model
    def _chat_find_product(self, query):
        """The product ``query`` (or the question being answered) names, among those the user may read."""
        Product = self.env["product.product"]
        question = self.env.context.get("sales_forecast_chat_question") or query or ""
        query = (query or "").strip()
        direct = Product
        if query:
            direct = Product.search(["|", ("name", "ilike", query), ("default_code", "ilike", query)], limit=20)
        candidates = direct
        if query and not direct:
            # Word by word, but match_product then asks for most of the query's words: "Secret B
            # Widget" must not land on any product that merely shares one word with it.
            for word in [w for w in query.replace("[", " ").replace("]", " ").split() if len(w) >= 3][:5]:
                candidates |= Product.search(["|", ("name", "ilike", word), ("default_code", "ilike", word)],
                                             limit=20)
        if question != query or not query:
            # Products forecast for the company: their names are matched anywhere in the question.
            groups = self.env["sales.forecast.result"]._read_group(
                [("company_id", "=", self.env.company.id), ("is_latest", "=", True)], groupby=["product_id"],
                limit=2000)
            forecast_ids = [product.id for (product,) in groups]
            candidates |= Product.search([("id", "in", forecast_ids)]) if forecast_ids else Product
        if not candidates:
            return Product
        product_id = match_product(question, query, [(p.id, p.name, p.default_code) for p in candidates])
        if product_id is None and direct:
            product_id = direct[0].id
        return Product.browse(product_id) if product_id else Product

    @api.model
    def _chat_percent(self, record, field_name):
        """A score in percent, whichever unit the run stored it in."""
        value = record[field_name] or 0.0
        return round(value * 100.0 if field_name in STORED_AS_RATIO else value, 1)

    @api.model
    def _chat_metrics(self, record):
        """Backtest errors with their units in the key: MASE is a ratio, the others percent."""
        return {"mase": round(record.mase, 3), "wape_pct": self._chat_percent(record, "wape"),
                "bias_pct": self._chat_percent(record, "bias"), "smape_pct": round(record.smape, 2)}

    @api.model
    def _chat_company_domain(self, model):
        return [("company_id", "=", self.env.company.id)] if "company_id" in model._fields else []

    @api.model
    def _chat_record(self, records, record):
        records.append({"model": record._name, "id": record.id, "name": record.display_name})

    @api.model
    def _chat_label(self, key, records):
        if isinstance(key, models.BaseModel):
            if key._name == "product.product":
                self._chat_record(records, key)
            return key.display_name or self.env._("None")
        if key is None or key is False:
            return self.env._("None")
        return str(key)
