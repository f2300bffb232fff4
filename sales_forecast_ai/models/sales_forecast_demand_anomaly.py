"""Excluded spikes leave the training history: the day counts as what was expected of it.

A Forecast Manager marks a spike "excluded from training" (a one-off bulk order, a data-entry
error); from then on the demand reader caps that product x warehouse x day at the anomaly's
expected value, so the next run neither learns the spike nor loses the day's normal demand.
"""
import pandas as pd

from odoo import api, models


class SalesForecastDemand(models.AbstractModel):
    _inherit = "sales.forecast.demand"

    @api.model
    def _get_demand_frame(self, company, date_from, date_to):
        frame = super()._get_demand_frame(company, date_from, date_to)
        excluded = self._get_excluded_spikes(company, date_from, date_to)
        if not len(frame) or not len(excluded):
            return frame
        keys = ["product_id", "warehouse_id", "date"]
        merged = frame.merge(excluded, on=keys, how="left")
        capped = merged["cap"].notna()
        merged.loc[capped, "quantity"] = merged.loc[capped, ["quantity", "cap"]].min(axis=1)
        return merged.drop(columns="cap")

    @api.model
    def _get_excluded_spikes(self, company, date_from, date_to):
        """(product_id, warehouse_id, date, cap) of the company's excluded spikes in the window."""
        # sudo: which days to leave out is part of the company's training rules, whoever reads demand
        rows = self.env["sales.forecast.anomaly"].sudo().search_read(
            [("company_id", "=", company.id), ("state", "=", "excluded"), ("kind", "=", "spike"),
             ("product_id", "!=", False), ("date", ">=", date_from), ("date", "<", date_to)],
            ["product_id", "warehouse_id", "date", "expected"])
        frame = pd.DataFrame([(r["product_id"][0], r["warehouse_id"][0] if r["warehouse_id"] else 0,
                               pd.Timestamp(r["date"]), max(r["expected"], 0.0)) for r in rows],
                             columns=["product_id", "warehouse_id", "date", "cap"])
        frame["product_id"] = frame["product_id"].astype("int64")
        frame["warehouse_id"] = frame["warehouse_id"].astype("int64")
        frame["date"] = pd.to_datetime(frame["date"])
        return frame.drop_duplicates(["product_id", "warehouse_id", "date"])
