"""The policy backtest: the suggested policy replayed on the last months of history (engine.policy),
beside what actually happened where past stock can be rebuilt."""
import datetime

import numpy as np

from odoo import _, fields, models
from odoo.exceptions import UserError

from ..engine import policy


class SalesForecastSuggestion(models.Model):
    _inherit = "sales.forecast.suggestion"

    def action_policy_backtest(self):
        """Replay the policy of the selected (or all latest) suggestions on the last months of demand
        and store the figures beside what actually happened; a notification gives the totals."""
        lines = self or self.search([("is_latest", "=", True), ("company_id", "in", self.env.companies.ids)])
        if not lines:
            raise UserError(_("There is no suggestion to backtest yet: run a forecast first."))
        parts = []
        for company in lines.company_id:
            t = lines.filtered(lambda s: s.company_id == company)._policy_backtest(company)
            parts.append(self.env._(
                "%(company)s, %(days)s days, %(series)s products: policy fill rate %(fill).1f%%, %(so)s stock-out "
                "days, average stock value %(val).0f.", company=company.name, days=t["days"], series=t["series"],
                fill=100 * t["fill_rate"], so=t["stockout_days"], val=t["avg_stock_value"]))
            if t["compared"]:
                parts.append(self.env._(
                    "On the %(n)s products whose stock moves tell what happened: policy %(fill).1f%% fill rate, "
                    "%(so)s stock-out days, stock value %(val).0f; actual %(afill).1f%%, %(aso)s days, %(aval).0f.",
                    n=t["compared"], fill=100 * t["compared_fill_rate"], so=t["compared_stockout_days"],
                    val=t["compared_stock_value"], afill=100 * t["actual_fill_rate"], aso=t["actual_stockout_days"],
                    aval=t["actual_avg_stock_value"]))
            else:
                parts.append(self.env._("No product has delivered sales in stock moves over the period, so there "
                                        "is no actual stock history to compare with."))
        return self._notify(_("Policy backtest"), " ".join(parts), "info", sticky=True)

    def _policy_backtest(self, company):
        """Replay these suggestions' policies on the last ``forecast_backtest_months`` of demand."""
        months = company.forecast_policy_backtest_months or 12
        days = months * 30
        window = policy.TAIL_DAYS
        today = fields.Date.context_today(self.with_context(tz=company.partner_id.tz or "UTC"))
        date_from = today - datetime.timedelta(days=days + window)
        # sudo: buyers get per-product policy figures, not sale lines; the reader aggregates the
        # company's demand exactly as the forecast that made these suggestions read it
        frame = self.env["sales.forecast.demand"].sudo()._get_demand_frame(company, date_from, today)
        keys = [(s.product_id.id, s.warehouse_id.id) for s in self]
        row = {k: i for i, k in enumerate(keys)}
        history = np.zeros((len(self), days + window))
        if len(frame):
            day_index = ((frame["date"].to_numpy(dtype="datetime64[D]") - np.datetime64(date_from, "D"))
                         .astype(int))
            for (p, w, d, q) in zip(frame["product_id"], frame["warehouse_id"], day_index, frame["quantity"]):
                i = row.get((int(p), int(w)))
                if i is not None and 0 <= d < days + window:
                    history[i, d] += q
        actual, known = self._get_actual_stock(company, keys, date_from + datetime.timedelta(days=window), days)
        out = policy.backtest_policy(
            history, days, lead_time=self.mapped("lead_time_days"),
            residual_std=[s.result_id.residual_std for s in self], service_level=self.mapped("service_level"),
            review_days=self.mapped("review_days"), safety_days=self.mapped("safety_days"),
            moq=self.mapped("moq"), unit_cost=[s.product_id.standard_price for s in self],
            actual_stock=actual, window=window)
        # sudo: computed figures, which buyers (who may run the backtest) cannot write themselves
        for i, line in enumerate(self.sudo()):
            line.write({
                "backtest_fill_rate": out["fill_rate"][i], "backtest_stockout_days": int(out["stockout_days"][i]),
                "backtest_stock_value": out["avg_stock_value"][i], "backtest_has_actual": bool(known[i]),
                "actual_fill_rate": out["actual_fill_rate"][i] if known[i] else 0.0,
                "actual_stockout_days": int(out["actual_stockout_days"][i]) if known[i] else 0,
                "actual_stock_value": out["actual_avg_stock_value"][i] if known[i] else 0.0,
            })
        totals = dict(out["totals"])
        # Like for like: policy and actual over the products with a stock history only.
        demand = out["demand"][known]
        served = out["fill_rate"][known] * demand
        actual_served = out["actual_fill_rate"][known] * demand
        totals.update(
            compared=int(known.sum()),
            compared_fill_rate=float(served.sum() / demand.sum()) if demand.sum() > 0 else 1.0,
            compared_stockout_days=int(out["stockout_days"][known].sum()),
            compared_stock_value=float(out["avg_stock_value"][known].sum()),
            actual_fill_rate=float(actual_served.sum() / demand.sum()) if demand.sum() > 0 else 1.0,
            actual_stockout_days=int(out["actual_stockout_days"][known].sum()),
            actual_avg_stock_value=float(out["actual_avg_stock_value"][known].sum()))
        return totals

    def _get_actual_stock(self, company, keys, date_from, days):
        """(n, days) end-of-day stock that really was, rebuilt backwards from today's quants with
        the done moves in and out of each warehouse (one aggregated read), and (n,) whether it
        means anything: only where sales left the warehouse as deliveries in the period (sales
        without pickings, e.g. imported or invoiced-only, leave the stock history blank)."""
        products = self.env["product.product"].browse({k[0] for k in keys})
        warehouses = self.env["stock.warehouse"].browse({k[1] for k in keys})
        stock = self._get_stock_levels(company, products, warehouses)
        row = {k: i for i, k in enumerate(keys)}
        net = np.zeros((len(keys), days + 1))  # net receipts per day; the last column: after the window
        groups = self.env["stock.move"].sudo()._read_group(
            [("product_id", "in", products.ids), ("company_id", "=", company.id), ("state", "=", "done"),
             ("date", ">=", datetime.datetime.combine(date_from, datetime.time.min))],
            groupby=["product_id", "location_id", "location_dest_id", "date:day"], aggregates=["product_qty:sum"])
        known = np.zeros(len(keys), dtype=bool)
        for product, source, dest, day, qty in groups:
            src_wh = source.warehouse_id.id if source.usage == "internal" else False
            dst_wh = dest.warehouse_id.id if dest.usage == "internal" else False
            if src_wh == dst_wh:
                continue
            if src_wh and dest.usage == "customer" and (product.id, src_wh) in row:
                known[row[product.id, src_wh]] = True
            day = day.date() if isinstance(day, datetime.datetime) else day
            d = min(max((day - date_from).days, 0), days)
            for wh, sign in ((dst_wh, 1.0), (src_wh, -1.0)):
                i = row.get((product.id, wh)) if wh else None
                if i is not None:
                    net[i, d] += sign * qty
        now = np.array([stock.get(k, (0.0, 0.0))[0] for k in keys])
        # Evening of day t = today's stock minus everything received (net) after day t.
        after = np.cumsum(net[:, ::-1], axis=1)[:, ::-1]  # after[:, t] = net from day t onwards
        return now[:, None] - after[:, 1:], known
