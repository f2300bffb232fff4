"""Refresh of everything analytics stores for a company: segments, anomalies, customers, suggestions.

Called when a forecast run is done (``sales.forecast.run._after_done``) so the analytics describe
the same history the forecast learned from. The demand is read once and shared by segments and
anomalies. Each part runs in its own savepoint: a failing part is logged and the others are kept.
"""
import datetime
import logging
import time

from odoo import api, fields, models

_logger = logging.getLogger(__name__)


class SalesForecastAnalytics(models.AbstractModel):
    _name = "sales.forecast.analytics"
    _description = "Sales Forecast Analytics Refresh"

    @api.model
    def _refresh_company(self, company, today=None):
        """Returns {part: seconds or the error text}."""
        today = today or fields.Date.context_today(self)
        timings = {}
        date_to = today + datetime.timedelta(days=1)
        days = max(self.env["sales.forecast.segment"]._get_segment_days(),
                   self.env["sales.forecast.anomaly"]._get_scan_days())
        started = time.perf_counter()
        try:
            with self.env.cr.savepoint():
                demand = self.env["sales.forecast.segment"]._get_demand(
                    company, date_to - datetime.timedelta(days=days), date_to)
        except Exception as exc:  # noqa: BLE001 - analytics never fail the run that triggers them
            _logger.exception("analytics refresh: demand of %s could not be read", company.name)
            return {"demand": str(exc)}
        timings["demand"] = time.perf_counter() - started
        for part, refresh in self._get_refresh_parts(company, demand, today):
            started = time.perf_counter()
            try:
                with self.env.cr.savepoint():
                    refresh()
            except Exception as exc:  # noqa: BLE001 - one analytics part never blocks the others
                _logger.exception("analytics refresh of %s failed for %s", part, company.name)
                timings[part] = str(exc)
                continue
            timings[part] = time.perf_counter() - started
        return timings

    @api.model
    def _get_refresh_parts(self, company, demand, today):
        return [
            ("segments", lambda: self.env["sales.forecast.segment"]._refresh(company, demand, today)),
            ("anomalies", lambda: self.env["sales.forecast.anomaly"]._refresh(company, demand, today)),
            ("customers", lambda: self.env["sales.forecast.customer"]._refresh(company, today)),
            ("recommendations", lambda: self.env["sales.forecast.recommendation"]._refresh(company, today)),
        ]
