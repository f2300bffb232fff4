"""Suggested products: per customer (collaborative filtering) and per product (bought together).

Computed by engine/recommender.py from confirmed sale lines of the last ``_get_history_days``
days, after each forecast run and by the daily scheduled action. A customer's suggestions leave
out what they bought in the last ``_get_recent_days`` days.

Readable by salespeople (they are the ones quoting); a suggestion reveals at most which products
look alike to the company's customers, no amount.
"""
import datetime
import logging
import time

import pandas as pd

from odoo import _, api, fields, models
from odoo.tools import SQL
from odoo.exceptions import UserError

from ..engine import recommender

_logger = logging.getLogger(__name__)


class SalesForecastRecommendation(models.Model):
    _name = "sales.forecast.recommendation"
    _description = "Product Recommendation"
    _order = "kind, rank, id"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    kind = fields.Selection([("customer", "For the Customer"), ("together", "Bought Together")], required=True,
                            index=True, readonly=True)
    partner_id = fields.Many2one("res.partner", "Customer", index=True, readonly=True, ondelete="cascade")
    product_id = fields.Many2one("product.product", "For Product", index=True, readonly=True, ondelete="cascade",
                                 check_company=True, help="The product the suggestion goes with (bought together).")
    recommended_product_id = fields.Many2one("product.product", "Suggested Product", required=True, index=True,
                                             readonly=True, ondelete="cascade", check_company=True)
    score = fields.Float(readonly=True, digits=(16, 4))
    rank = fields.Integer(readonly=True)

    # -- actions --------------------------------------------------------------------------------
    def action_add_to_order(self):
        """Add the suggested product to the quotation in the context (one click on the panel)."""
        self.ensure_one()
        order = self.env["sale.order"].browse(self.env.context.get("sf_order_id")).exists()
        if not order:
            raise UserError(_("Save the quotation first, then add the suggested product."))
        if order.state not in ("draft", "sent"):
            raise UserError(_("Products can only be added to a quotation, not to a confirmed or cancelled order."))
        order.check_access("write")
        self.env["sale.order.line"].create({"order_id": order.id, "product_id": self.recommended_product_id.id})
        return True

    @api.model
    def _cron_refresh(self):
        for company in self.env["res.company"].search([]):
            self._refresh(company)
            self.env["sales.forecast.customer"]._refresh(company)

    # -- refresh --------------------------------------------------------------------------------
    @api.model
    def _refresh(self, company, today=None):
        started = time.perf_counter()
        today = today or fields.Date.context_today(self)
        date_from = today - datetime.timedelta(days=self._get_history_days())
        frame = self._get_purchase_frame(company, date_from, today + datetime.timedelta(days=1))
        # sudo: suggestions are system data rebuilt for the whole company (salespeople only read them)
        Reco = self.sudo().with_company(company)
        Reco.search([("company_id", "=", company.id)]).unlink()
        if not len(frame):
            return Reco
        n = self._get_top_n()
        model = recommender.ItemKNN().fit(frame["partner"].to_numpy(), frame["product"].to_numpy(),
                                          frame["order"].to_numpy())
        recent_from = pd.Timestamp(today - datetime.timedelta(days=self._get_recent_days()))
        recent = frame[frame["date"] >= recent_from].groupby("partner")["product"].agg(set).to_dict()
        vals = []
        for partner, recs in model.recommend_all(n=n, exclude=recent).items():
            vals += [{"company_id": company.id, "kind": "customer", "partner_id": int(partner),
                      "recommended_product_id": int(item), "score": score, "rank": rank}
                     for rank, (item, score) in enumerate(recs, 1)]
        for product, recs in recommender.bought_together(frame["order"].to_numpy(), frame["product"].to_numpy(),
                                                          n=n).items():
            vals += [{"company_id": company.id, "kind": "together", "product_id": int(product),
                      "recommended_product_id": int(item), "score": score, "rank": rank}
                     for rank, (item, score) in enumerate(recs, 1)]
        Reco._insert_rows(vals)
        _logger.info("recommendations of %s: %s rows in %.1f s", company.name, len(vals),
                     time.perf_counter() - started)
        return Reco.search([("company_id", "=", company.id)])

    def _insert_rows(self, vals):
        """One INSERT for all rows: a company of 5,000 customers gets 50,000 suggestions, which the ORM
        would create one by one. The model has no computed field; every column is written here."""
        if not vals:
            return
        self.env.flush_all()

        def column(name):
            return [v.get(name) or None for v in vals]

        uid = self.env.uid
        self.env.cr.execute(SQL(
            """
            INSERT INTO sales_forecast_recommendation (company_id, kind, partner_id, product_id,
                                                       recommended_product_id, score, rank,
                                                       create_uid, create_date, write_uid, write_date)
            SELECT t.c, t.k, t.pa, t.pr, t.r, t.s, t.n, %s, now() AT TIME ZONE 'UTC', %s, now() AT TIME ZONE 'UTC'
              FROM unnest(%s::int[], %s::varchar[], %s::int[], %s::int[], %s::int[], %s::float8[], %s::int[])
                   AS t(c, k, pa, pr, r, s, n)
            """, uid, uid, column("company_id"), column("kind"), column("partner_id"), column("product_id"),
            column("recommended_product_id"), [float(v["score"]) for v in vals], column("rank")))
        self.invalidate_model()

    @api.model
    def _get_purchase_frame(self, company, date_from, date_to):
        """partner, product, order, date: one row per product on a confirmed order of the window."""
        # sudo: a system refresh reads the company's sales in aggregate (one row per order x product)
        Demand = self.env["sales.forecast.demand"].sudo()
        lines = Demand._demand_env(company)["sale.order.line"].sudo()
        domain = Demand._get_sale_domain(company, date_from, date_to) + [("product_id.sale_ok", "=", True)]
        rows = Demand._read_group_rows(lines, domain, ["order_partner_id", "product_id", "order_id",
                                                       "forecast_order_date:day"], "__count")
        frame = pd.DataFrame(rows, columns=["partner", "product", "order", "day", "count"])
        frame["date"] = pd.to_datetime(frame["day"].astype("int64").to_numpy(), unit="D") if len(frame) \
            else pd.Series(dtype="datetime64[ns]")
        return frame.dropna(subset=["partner", "product"])

    @api.model
    def _get_history_days(self):
        return 730

    @api.model
    def _get_recent_days(self):
        return 90

    @api.model
    def _get_top_n(self):
        return 10
