"""ABC x XYZ class of each product x warehouse, refreshed after every forecast run.

ABC ranks a warehouse's products by revenue over the last ``_get_segment_days`` days (365); XYZ
is the coefficient of variation of their weekly demand over the same window (the demand the
forecast learns from, see ``sales.forecast.demand``). The method (``rank`` 20/30/50 % of
products, or ``cumulative`` 80/15/5 % of revenue) is the system parameter
``sales_forecast_ai.abc_method``; engine/segmentation.py documents both.

Who sees what: every Forecast User reads the classes (buyers size stock by them); the revenue
and revenue share behind them are sales figures, readable only by users who see every sale
(``sales_team.group_sale_salesman_all_leads``, and sales managers who imply it).
"""
import datetime

import numpy as np
import pandas as pd

from odoo import api, fields, models

from ..engine import segmentation

ABC = [("a", "A"), ("b", "B"), ("c", "C")]
XYZ = [("x", "X"), ("y", "Y"), ("z", "Z")]
SALES_MONEY_GROUPS = "sales_team.group_sale_salesman_all_leads"


class SalesForecastSegment(models.Model):
    _name = "sales.forecast.segment"
    _description = "Product ABC/XYZ Segment"
    _order = "company_id, warehouse_id, abc_class, xyz_class, revenue_rank, id"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    product_id = fields.Many2one("product.product", required=True, index=True, readonly=True, ondelete="cascade",
                                 check_company=True)
    product_tmpl_id = fields.Many2one(related="product_id.product_tmpl_id", store=True, index=True)
    categ_id = fields.Many2one(related="product_id.categ_id", string="Product Category", store=True)
    warehouse_id = fields.Many2one("stock.warehouse", index=True, readonly=True, ondelete="cascade",
                                   check_company=True)
    abc_class = fields.Selection(ABC, string="ABC", required=True, readonly=True, index=True,
                                 help="Revenue class within the warehouse: A the best sellers, C the tail.")
    xyz_class = fields.Selection(XYZ, string="XYZ", required=True, readonly=True, index=True,
                                 help="Demand variability: X steady (weekly CV < 0.3), Y variable (< 0.7), "
                                      "Z erratic or no demand.")
    segment = fields.Char(compute="_compute_segment", store=True, index=True, help="ABC and XYZ, e.g. AX.")
    revenue = fields.Monetary(readonly=True, currency_field="currency_id", groups=SALES_MONEY_GROUPS,
                              help="Untaxed revenue of confirmed sales over the segmentation window.")
    revenue_share = fields.Float("Revenue Share (%)", readonly=True, digits=(16, 2), groups=SALES_MONEY_GROUPS,
                                 help="Share of the warehouse's revenue over the window.")
    revenue_rank = fields.Integer("Rank", readonly=True, help="1 = the warehouse's best seller.")
    currency_id = fields.Many2one(related="company_id.currency_id")
    cv = fields.Float("Weekly CV", readonly=True, digits=(16, 3), aggregator="avg",
                      help="Coefficient of variation of weekly demand; empty without demand.")
    weekly_mean = fields.Float("Mean Weekly Demand", readonly=True, digits=(16, 2))
    strategy_hint = fields.Char(compute="_compute_segment", store=True)
    date_refreshed = fields.Datetime("Refreshed", readonly=True)

    @api.depends("abc_class", "xyz_class")
    def _compute_segment(self):
        for seg in self:
            key = ((seg.abc_class or "").upper(), (seg.xyz_class or "").upper())
            seg.segment = "".join(key)
            seg.strategy_hint = segmentation.STRATEGY_HINTS.get(key, False)

    @api.depends("product_id", "warehouse_id", "abc_class", "xyz_class")
    def _compute_display_name(self):
        for seg in self:
            names = [seg.product_id.display_name or "", seg.segment or ""]
            if seg.warehouse_id:
                names.insert(1, seg.warehouse_id.code or seg.warehouse_id.name)
            seg.display_name = " / ".join(names)

    # -- actions --------------------------------------------------------------------------------
    @api.model
    def action_open_matrix(self):
        """The 3x3 matrix as a pivot (ABC rows x XYZ columns, product counts; revenue share for users
        who may see it)."""
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_forecast_ai.action_sales_forecast_segment_matrix")
        return action

    @api.model
    def get_matrix(self, warehouse_id=False):
        """The nine cells of the current company: ``abc, xyz, count, revenue_share, hint`` (``revenue``
        and ``revenue_share`` only for users allowed to see sales figures), for the dashboard."""
        domain = [("company_id", "=", self.env.company.id)]
        if warehouse_id:
            domain.append(("warehouse_id", "=", warehouse_id))
        money = self.env.user.has_group(SALES_MONEY_GROUPS)
        aggregates = ["__count", "revenue:sum"] if money else ["__count"]
        # sudo: revenue sums are only requested for users in SALES_MONEY_GROUPS (checked just above)
        reader = self.sudo() if money else self
        groups = {(abc, xyz): vals for abc, xyz, *vals in reader._read_group(
            domain, groupby=["abc_class", "xyz_class"], aggregates=aggregates)}
        total = sum(v[1] for v in groups.values()) if money else 0.0
        cells = []
        for abc, _label in ABC:
            for xyz, _label in XYZ:
                vals = groups.get((abc, xyz), [0, 0.0])
                cell = {"abc": abc, "xyz": xyz, "count": vals[0],
                        "hint": segmentation.STRATEGY_HINTS[(abc.upper(), xyz.upper())]}
                if money:
                    cell.update(revenue=vals[1], revenue_share=100.0 * vals[1] / total if total else 0.0)
                cells.append(cell)
        return cells

    # -- refresh --------------------------------------------------------------------------------
    @api.model
    def _refresh(self, company, demand=None, today=None):
        """Recompute the company's segments from its demand and revenue over the window."""
        today = today or fields.Date.context_today(self)
        date_to = today + datetime.timedelta(days=1)
        date_from = date_to - datetime.timedelta(days=self._get_segment_days())
        if demand is None:
            demand = self._get_demand(company, date_from, date_to)
        demand = demand[(demand["date"] >= pd.Timestamp(date_from)) & (demand["date"] < pd.Timestamp(date_to))]
        revenue = self._get_revenue(company, date_from, date_to)
        keys = pd.concat([demand[["product_id", "warehouse_id"]], revenue[["product_id", "warehouse_id"]]])
        pairs = keys.drop_duplicates().sort_values(["warehouse_id", "product_id"]).reset_index(drop=True)
        # sudo: segments are system data rebuilt for the whole company (users only read them)
        Segment = self.sudo().with_company(company)
        Segment.search([("company_id", "=", company.id)]).unlink()
        if not len(pairs):
            return Segment
        pairs["code"] = np.arange(len(pairs))
        rows = demand.merge(pairs, on=["product_id", "warehouse_id"])
        n_days = (date_to - date_from).days
        day_index = (rows["date"] - pd.Timestamp(date_from)).dt.days.to_numpy()
        weekly = segmentation.weekly_matrix(rows["code"].to_numpy(), len(pairs), day_index,
                                            rows["quantity"].to_numpy(), n_days)
        pairs = pairs.merge(revenue, on=["product_id", "warehouse_id"], how="left").sort_values("code")
        pairs["revenue"] = pairs["revenue"].fillna(0.0)
        method, now, vals = self._get_abc_method(), fields.Datetime.now(), []
        for warehouse_id, group in pairs.groupby("warehouse_id", sort=True):
            codes = group["code"].to_numpy()
            revenues = group["revenue"].to_numpy()
            out = segmentation.segment(revenues, weekly[codes], method=method)
            ranks = np.empty(len(codes), dtype=int)
            ranks[np.argsort(-revenues, kind="stable")] = np.arange(1, len(codes) + 1)
            for i, (product_id, seg) in enumerate(zip(group["product_id"], out)):
                vals.append({
                    "company_id": company.id, "product_id": int(product_id),
                    "warehouse_id": int(warehouse_id) or False,
                    "abc_class": seg["abc"].lower(), "xyz_class": seg["xyz"].lower(),
                    "revenue": float(revenues[i]), "revenue_share": 100.0 * seg["revenue_share"],
                    "revenue_rank": int(ranks[i]), "cv": seg["cv"] if seg["cv"] is not None else 0.0,
                    "weekly_mean": float(weekly[codes[i]].mean()), "date_refreshed": now,
                })
        return Segment.create(vals)

    @api.model
    def _get_demand(self, company, date_from, date_to):
        # sudo: a system refresh reads the whole company's demand in aggregate
        return self.env["sales.forecast.demand"].sudo()._get_demand_frame(company, date_from, date_to)

    @api.model
    def _get_revenue(self, company, date_from, date_to):
        """Untaxed revenue per product x warehouse in the company's currency (confirmed lines of the
        window, the demand reader's sale domain)."""
        # sudo: aggregated revenue for the stored segments, whose revenue fields carry sales groups
        Demand = self.env["sales.forecast.demand"].sudo()
        lines = Demand._demand_env(company)["sale.order.line"].sudo()
        rows = Demand._read_group_rows(lines, Demand._get_sale_domain(company, date_from, date_to),
                                       ["product_id", "warehouse_id", "currency_id"], "price_subtotal:sum")
        frame = pd.DataFrame(rows, columns=["product_id", "warehouse_id", "currency_id", "revenue"])
        if not len(frame):
            return pd.DataFrame(columns=["product_id", "warehouse_id", "revenue"]).astype(
                {"product_id": np.int64, "warehouse_id": np.int64, "revenue": float})
        rates = {}
        for currency in self.env["res.currency"].browse(frame["currency_id"].dropna().unique().tolist()):
            rates[currency.id] = currency._convert(1.0, company.currency_id, company, date_to, round=False)
        frame["revenue"] = frame["revenue"].fillna(0.0) * frame["currency_id"].map(rates).fillna(1.0)
        frame["warehouse_id"] = frame["warehouse_id"].fillna(0).astype(np.int64)
        frame["product_id"] = frame["product_id"].astype(np.int64)
        return frame.groupby(["product_id", "warehouse_id"], as_index=False)["revenue"].sum()

    @api.model
    def _get_segment_days(self):
        return 365

    @api.model
    def _get_abc_method(self):
        """System parameter ``sales_forecast_ai.abc_method``: ``rank`` (default) or ``cumulative``."""
        # sudo: a technical setting, read whoever triggers the refresh
        value = self.env["ir.config_parameter"].sudo().get_param("sales_forecast_ai.abc_method", "rank")
        return value if value in (segmentation.ABC_RANK, segmentation.ABC_CUMULATIVE) else segmentation.ABC_RANK

    @api.model
    def _get_service_level(self, product, warehouse=False):
        """Service level (%) the product's class calls for in the current company, from the company's
        settings (``res.company._get_forecast_abc_service_levels``, the mapping replenishment uses);
        the company's target level without a class or with class levels switched off."""
        company = self.env.company
        seg = self.search([("company_id", "=", company.id), ("product_id", "=", product.id),
                           ("warehouse_id", "=", warehouse.id if warehouse else False)], limit=1)
        levels = company._get_forecast_abc_service_levels()
        return levels.get((seg.abc_class or "").upper()) or company.forecast_service_level
