"""Unusual sales days (spikes and drops), per product x warehouse and for the company's total.

Found after each forecast run by engine/anomalies.py on the daily demand of the last
``_get_scan_days`` days (the scores use that whole window, only the last ``_get_report_days`` days
are reported). The detector and its thresholds are system parameters:
``sales_forecast_ai.anomaly_method`` (``robust``: weekday medians and MAD, the default, or
``zscore``), ``sales_forecast_ai.anomaly_threshold`` (3), ``..._anomaly_high`` (4),
``..._anomaly_medium`` (3), ``..._anomaly_low`` (2.5).

A refresh replaces the anomalies still "new"; the ones a user acknowledged or excluded stay.
An excluded spike is removed from the history the forecast learns from (the day counts as its
expected value, see sales_forecast_demand_anomaly.py).
"""
import datetime

import numpy as np
import pandas as pd

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from ..engine import anomalies


class SalesForecastAnomaly(models.Model):
    _name = "sales.forecast.anomaly"
    _description = "Sales Anomaly"
    _order = "date desc, abs_zscore desc, id desc"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    product_id = fields.Many2one("product.product", index=True, readonly=True, ondelete="cascade", check_company=True,
                                 help="Empty for the company's total sales.")
    warehouse_id = fields.Many2one("stock.warehouse", index=True, readonly=True, ondelete="cascade",
                                   check_company=True)
    date = fields.Date(required=True, index=True, readonly=True)
    kind = fields.Selection([("spike", "Spike"), ("drop", "Drop")], required=True, readonly=True, index=True)
    expected = fields.Float(readonly=True, digits=(16, 2), help="The usual demand of that day (same weekday).")
    actual = fields.Float(readonly=True, digits=(16, 2))
    zscore = fields.Float("Z-Score", readonly=True, digits=(16, 2), aggregator="avg")
    abs_zscore = fields.Float(readonly=True, digits=(16, 2), aggregator="max")
    severity = fields.Selection([("high", "High"), ("medium", "Medium"), ("low", "Low")], required=True,
                                readonly=True, index=True)
    method = fields.Selection([("robust", "Weekly Profile (robust)"), ("zscore", "Z-Score")], readonly=True)
    state = fields.Selection([("new", "New"), ("acknowledged", "Acknowledged"), ("excluded", "Excluded from Training")],
                             required=True, default="new", index=True, readonly=True)
    acknowledged_by = fields.Many2one("res.users", readonly=True)

    @api.depends("product_id", "warehouse_id", "date", "kind")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"].selection)
        for anomaly in self:
            what = anomaly.product_id.display_name or _("All products")
            anomaly.display_name = f"{what} · {anomaly.date} · {kinds.get(anomaly.kind, '')}"

    # -- CRUD -----------------------------------------------------------------------------------
    def write(self, vals):
        # What was detected is a fact of the refresh; users only move the state (by the buttons).
        if not self.env.su and set(vals) - {"state", "acknowledged_by"}:
            raise UserError(_("Detected anomalies cannot be edited; acknowledge or exclude them instead."))
        return super().write(vals)

    # -- actions --------------------------------------------------------------------------------
    def action_acknowledge(self):
        self._check_manager()
        self.filtered(lambda a: a.state == "new").write({"state": "acknowledged",
                                                         "acknowledged_by": self.env.user.id})
        return True

    def action_exclude(self):
        """Leave these spikes out of the history the next forecast learns from."""
        self._check_manager()
        if any(a.kind != "spike" or not a.product_id for a in self):
            raise UserError(_("Only a product's spike can be excluded from training: a drop is demand that "
                              "did not happen, and the company total is not a training series."))
        self.write({"state": "excluded", "acknowledged_by": self.env.user.id})
        return True

    def action_reset(self):
        self._check_manager()
        self.write({"state": "new", "acknowledged_by": False})
        return True

    def _check_manager(self):
        if not self.env.user.has_group("sales_forecast_ai.group_forecast_manager"):
            raise UserError(_("Only a Forecast Manager can acknowledge or exclude anomalies."))
        self.check_access("write")

    # -- refresh --------------------------------------------------------------------------------
    @api.model
    def _refresh(self, company, demand, today=None):
        """Detect the company's anomalies in ``demand`` (the demand reader's frame) and store them."""
        # Today is not over: its sales so far would look like a drop.
        date_to = today or fields.Date.context_today(self)
        date_from = date_to - datetime.timedelta(days=self._get_scan_days())
        n_days = (date_to - date_from).days
        params = self._get_detector_params()
        # sudo: anomalies are system data rebuilt for the whole company (users only read them)
        Anomaly = self.sudo().with_company(company)
        Anomaly.search([("company_id", "=", company.id), ("state", "=", "new")]).unlink()
        kept = {(a.product_id.id, a.warehouse_id.id, a.date) for a in
                Anomaly.search([("company_id", "=", company.id), ("date", ">=", date_from)])}
        start = pd.Timestamp(date_from)
        demand = demand[(demand["date"] >= start) & (demand["date"] < pd.Timestamp(date_to))]
        days = pd.date_range(start, periods=n_days, freq="D")
        weekdays = days.weekday.to_numpy()
        day_index = (demand["date"] - start).dt.days.to_numpy()
        pairs, codes = np.unique(demand[["product_id", "warehouse_id"]].to_numpy(), axis=0, return_inverse=True) \
            if len(demand) else (np.zeros((0, 2), dtype=int), np.zeros(0, dtype=int))
        matrix = np.zeros((len(pairs), n_days))
        np.add.at(matrix, (codes.ravel(), day_index), demand["quantity"].to_numpy())
        series = [((int(p), int(w)), matrix[i]) for i, (p, w) in enumerate(pairs)]
        if len(pairs):
            series.append(((0, 0), matrix.sum(axis=0)))  # the company's total
        vals = []
        for (product_id, warehouse_id), y in series:
            for a in anomalies.detect(y, weekdays, last=self._get_report_days(), **params):
                day = days[a.index].date()
                if (product_id or False, warehouse_id or False, day) in kept:
                    continue
                vals.append({"company_id": company.id, "product_id": product_id or False,
                             "warehouse_id": warehouse_id or False, "date": day, "kind": a.kind,
                             "expected": a.expected, "actual": a.actual, "zscore": a.zscore,
                             "abs_zscore": abs(a.zscore), "severity": a.severity, "method": params["method"]})
        return Anomaly.create(vals)

    @api.model
    def _get_detector_params(self):
        # sudo: technical settings, read whoever triggers the refresh
        get = self.env["ir.config_parameter"].sudo().get_param

        def number(key, default):
            try:
                value = float(get(f"sales_forecast_ai.{key}", default))
            except (TypeError, ValueError):
                return default
            return value if value > 0 else default

        method = get("sales_forecast_ai.anomaly_method", anomalies.ROBUST)
        return {
            "method": method if method in (anomalies.ROBUST, anomalies.ZSCORE) else anomalies.ROBUST,
            "threshold": number("anomaly_threshold", 3.0),
            "cuts": {"high": number("anomaly_high", 4.0), "medium": number("anomaly_medium", 3.0),
                     "low": number("anomaly_low", 2.5)},
        }

    @api.model
    def _get_scan_days(self):
        return 182

    @api.model
    def _get_report_days(self):
        return 35
