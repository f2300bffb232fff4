"""What the forecast dashboard and the product chart show, read in a few aggregated queries.

Everything is read with the user's own rights and for the current company only (``env.company``),
so record rules decide what a user sees; nothing here needs ``sudo``. Past sales come from
``sales.forecast.history.reader`` (daily quantities only), so buyers and warehouse staff, who may
not read sale orders, see them too.
"""
import datetime

from odoo import api, fields, models
from odoo.exceptions import UserError

TOP_PRODUCTS = 10
RECENT_RUNS = 8
CHART_HISTORY_DAYS = 180


class SalesForecastDashboard(models.AbstractModel):
    _name = "sales.forecast.dashboard"
    _description = "Sales Forecast Dashboard"

    @api.model
    def get_overview(self):
        """The dashboard in one call: the company's latest done run and what it found."""
        Run = self.env["sales.forecast.run"]
        company = self.env.company
        run = Run.search([("company_id", "=", company.id), ("state", "=", "done")],
                         order="date_end desc, id desc", limit=1)
        active = Run.search([("company_id", "=", company.id), ("state", "in", ("queued", "running"))],
                            order="id desc", limit=1)
        recent = Run.search([("company_id", "=", company.id)], order="id desc", limit=RECENT_RUNS)
        overview = {
            "is_manager": self.env.user.has_group("sales_forecast_ai.group_forecast_manager"),
            "active_run": self._prepare_run(active) if active else False,
            "run": self._prepare_run(run) if run else False,
            "recent_runs": [self._prepare_run(r) for r in recent],
            "kpis": {"products": 0, "series": 0, "total_7": 0.0, "total_30": 0.0, "total_90": 0.0},
            "shares": {"demand_class": [], "trend": [], "champion": []},
            "models": [],
            "top_products": [],
            "multi_warehouse": False,
        }
        if run:
            domain = self._get_result_domain(run)
            overview["kpis"] = self._get_kpis(domain)
            overview["shares"] = {name: self._get_shares(domain, name)
                                  for name in ("demand_class", "trend", "champion")}
            overview["models"] = [self._prepare_score(score) for score in run.score_ids]
            overview["top_products"] = self._get_top_products(domain)
            warehouses = {row["warehouse_id"] for row in overview["top_products"]}
            overview["multi_warehouse"] = len(warehouses) > 1
        return overview

    @api.model
    def get_chart_data(self, product_id, warehouse_id=False):
        """One product's recent daily demand and its latest forecast with 80/95 % bands.

        Without a warehouse, the product's series with the largest 30-day forecast is shown; the
        other warehouses forecast for it are listed so the chart can switch to them.
        """
        company = self.env.company
        product = self.env["product.product"].browse(int(product_id)).exists()
        if not product:
            raise UserError(self.env._("This product no longer exists; it may have been deleted."))
        product.check_access("read")
        warehouse_id = int(warehouse_id) if warehouse_id else False
        results = self.env["sales.forecast.result"].search(
            [("product_id", "=", product.id), ("company_id", "=", company.id), ("is_latest", "=", True)],
            order="total_30 desc, id")
        result = results.filtered(lambda r: r.warehouse_id.id == warehouse_id) if warehouse_id else results
        result = result[:1]
        # A product never forecast still shows its sales, warehouse by warehouse.
        warehouses = results.warehouse_id or self.env["stock.warehouse"].search([("company_id", "=", company.id)])
        if result:
            warehouse_id = result.warehouse_id.id
        elif not warehouse_id:
            warehouse_id = warehouses[:1].id
        warehouse = self.env["stock.warehouse"].browse(warehouse_id or []).exists()
        today = fields.Date.context_today(self)
        history, history_note = self._get_chart_history(product, warehouse_id, today)
        return {
            "product": {"id": product.id, "name": product.display_name, "uom": product.uom_id.name},
            "warehouse_id": warehouse_id or False,
            "warehouse_name": warehouse.display_name or "",
            "warehouses": [{"id": w.id, "name": w.display_name} for w in warehouses],
            "today": fields.Date.to_string(today),
            "history": history,
            "history_note": history_note,
            "forecast": self._prepare_points(result) if result else [],
            "result": self._prepare_result(result) if result else False,
        }

    # -- overview parts -------------------------------------------------------------------------
    @api.model
    def _get_kpis(self, domain):
        Result = self.env["sales.forecast.result"]
        [(products, series, total_7, total_30, total_90)] = Result._read_group(
            domain, aggregates=["product_id:count_distinct", "__count", "total_7:sum", "total_30:sum",
                                "total_90:sum"])
        return {"products": products, "series": series, "total_7": total_7 or 0.0,
                "total_30": total_30 or 0.0, "total_90": total_90 or 0.0}

    @api.model
    def _get_shares(self, domain, field_name):
        """Share of the run's series per value of ``field_name``, largest first."""
        Result = self.env["sales.forecast.result"]
        groups = Result._read_group(domain, groupby=[field_name], aggregates=["__count"], order="__count desc")
        total = sum(count for _value, count in groups) or 1
        return [{"key": value or "none", "label": self._selection_label(Result, field_name, value),
                 "count": count, "share": count / total} for value, count in groups]

    @api.model
    def _get_top_products(self, domain):
        results = self.env["sales.forecast.result"].search(domain, order="total_30 desc, id", limit=TOP_PRODUCTS)
        return [{
            "result_id": r.id,
            "product_id": r.product_id.id,
            "product_name": r.product_id.display_name,
            "warehouse_id": r.warehouse_id.id or False,
            "warehouse_name": r.warehouse_id.display_name or "",
            "champion": r.champion or "",
            "trend": r.trend or False,
            "confidence": r.confidence,
            "total_7": r.total_7,
            "total_30": r.total_30,
            "total_90": r.total_90,
        } for r in results]

    # -- chart parts ----------------------------------------------------------------------------
    @api.model
    def _get_chart_history(self, product, warehouse_id, today):
        """Daily demand of the last CHART_HISTORY_DAYS days, by the same rules the forecast learned
        from (confirmed sales net of returns, imported history before Odoo).

        Returns (points, note): the note says why there are no points.
        """
        date_from = today - datetime.timedelta(days=self._get_chart_history_days())
        rows = self.env["sales.forecast.history.reader"].get_daily_quantities(
            product.ids, warehouse_id or False, date_from, today)
        # Without a warehouse the reader returns every warehouse; the chart shows the series without one.
        quantities = {fields.Date.to_date(row["date"]): row["qty"] for row in rows
                      if row["warehouse_id"] == (warehouse_id or False)}
        if not quantities:
            return [], self.env._("No sales recorded in the last %s days.", self._get_chart_history_days())
        # The reader only returns days with demand; a day without sales is a real 0 on the chart,
        # from the first day the product sold (earlier zeros would only mean "not sold yet").
        first = min(quantities)
        return [{"date": fields.Date.to_string(first + datetime.timedelta(days=offset)),
                 "qty": quantities.get(first + datetime.timedelta(days=offset), 0.0)}
                for offset in range((today - first).days + 1)], ""

    @api.model
    def _prepare_points(self, result):
        points = self.env["sales.forecast.point"].search_read(
            [("result_id", "=", result.id)], ["date", "forecast", "lo_80", "hi_80", "lo_95", "hi_95"], order="date")
        for point in points:
            point.pop("id")
            point["date"] = fields.Date.to_string(point["date"])
        return points

    @api.model
    def _prepare_result(self, result):
        return {
            "id": result.id,
            "run_id": result.run_id.id,
            "run_name": result.run_id.name,
            "status": result.status,
            "champion": result.champion or "",
            "reason": result.reason or "",
            "demand_class": result.demand_class or False,
            "demand_class_label": self._selection_label(result, "demand_class", result.demand_class),
            "trend": result.trend or False,
            "confidence": result.confidence,
            "total_7": result.total_7,
            "total_30": result.total_30,
            "total_90": result.total_90,
            "candidates": [{
                "model": candidate.model,
                "is_champion": candidate.is_champion,
                **{metric: candidate[metric] for metric in ("rmse", "mae", "smape", "mase", "wape", "bias")},
            } for candidate in result.candidate_ids],
        }

    # -- shared helpers and hooks ---------------------------------------------------------------
    @api.model
    def _prepare_run(self, run):
        return {
            "id": run.id,
            "name": run.name,
            "state": run.state,
            "state_label": self._selection_label(run, "state", run.state),
            "progress": run.progress,
            "date_start": fields.Datetime.to_string(run.date_start) if run.date_start else False,
            "date_end": fields.Datetime.to_string(run.date_end) if run.date_end else False,
            "duration": run.duration,
            "series_total": run.series_total,
            "series_done": run.series_done,
            "series_failed": run.series_failed,
        }

    @api.model
    def _prepare_score(self, score):
        return {field: score[field] for field in (
            "model", "family", "n_params", "rmse", "mae", "smape", "mase", "wape", "bias", "rmse_train",
            "rmse_val", "wins")} | {"id": score.id, "family": score.family or ""}

    @api.model
    def _selection_label(self, records, field_name, value):
        """Human label of a selection value (translated), the value itself for other field types."""
        if not value:
            return self.env._("Not set")
        field = records._fields[field_name]
        if field.type == "selection":
            return dict(field._description_selection(self.env)).get(value, value)
        return str(value)

    @api.model
    def _get_result_domain(self, run):
        """Series of a run the dashboard counts: those the engine could forecast."""
        return [("run_id", "=", run.id), ("status", "!=", "failed")]

    @api.model
    def _get_chart_history_days(self):
        return CHART_HISTORY_DAYS
