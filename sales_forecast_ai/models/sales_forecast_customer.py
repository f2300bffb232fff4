"""RFM scores and churn risk of each customer, per company (engine/rfm.py does the arithmetic).

One row per company x customer (the order's partner) who ordered in the last
``_get_rfm_days`` days; refreshed after each run and by the recommendation cron. The churn
factor is the system parameter ``sales_forecast_ai.churn_factor`` (2: at risk when the time
since the last order exceeds twice the customer's usual gap between orders).

Revenue per customer is sales data: this model is readable only by users who see every sale
(``sales_team.group_sale_salesman_all_leads``), never by plain Forecast Users.
"""
import datetime

import pandas as pd

from odoo import api, fields, models

from ..engine import rfm

SEGMENTS = [("champion", "Champion"), ("loyal", "Loyal"), ("new", "New"), ("at_risk", "At Risk"),
            ("lost", "Lost"), ("regular", "Regular")]


class SalesForecastCustomer(models.Model):
    _name = "sales.forecast.customer"
    _description = "Customer RFM and Churn Risk"
    _order = "churn_risk desc, monetary desc, id"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    partner_id = fields.Many2one("res.partner", "Customer", required=True, index=True, readonly=True,
                                 ondelete="cascade")
    first_order = fields.Date(readonly=True)
    last_order = fields.Date(readonly=True)
    recency = fields.Integer("Days Since Last Order", readonly=True, aggregator="avg")
    frequency = fields.Integer("Orders", readonly=True)
    monetary = fields.Monetary("Revenue", readonly=True, currency_field="currency_id")
    currency_id = fields.Many2one(related="company_id.currency_id")
    r_score = fields.Integer("R", readonly=True, aggregator="avg")
    f_score = fields.Integer("F", readonly=True, aggregator="avg")
    m_score = fields.Integer("M", readonly=True, aggregator="avg")
    rfm_score = fields.Char("RFM", readonly=True, help="Recency, frequency and monetary scores, 1 (low) to 5.")
    segment = fields.Selection(SEGMENTS, readonly=True, index=True)
    cadence = fields.Float("Usual Gap (days)", readonly=True, digits=(16, 1), aggregator="avg",
                           help="Mean number of days between this customer's orders.")
    churn_risk = fields.Boolean(readonly=True, index=True,
                                help="The time since the last order exceeds the usual gap times the churn factor.")

    _sql_constraints = [("company_partner_uniq", "unique (company_id, partner_id)", "One RFM row per customer.")]

    @api.model
    def _refresh(self, company, today=None):
        today = today or fields.Date.context_today(self)
        date_from = today - datetime.timedelta(days=self._get_rfm_days())
        frame = self._get_order_frame(company, date_from, today + datetime.timedelta(days=1))
        # sudo: RFM rows are system data rebuilt for the whole company (sales users only read them)
        Customer = self.sudo().with_company(company)
        Customer.search([("company_id", "=", company.id)]).unlink()
        scores = rfm.rfm(frame, today, factor=self._get_churn_factor())
        if not len(scores):
            return Customer
        first_last = frame.set_index("customer")[["first_date", "last_date"]]
        vals = []
        for row in scores.itertuples(index=False):
            first, last = first_last.loc[row.customer]
            vals.append({
                "company_id": company.id, "partner_id": int(row.customer),
                "first_order": first.date(), "last_order": last.date(),
                "recency": int(row.recency), "frequency": int(row.frequency), "monetary": float(row.monetary),
                "r_score": int(row.r), "f_score": int(row.f), "m_score": int(row.m),
                "rfm_score": f"{row.r}{row.f}{row.m}", "segment": row.segment,
                "cadence": float(row.cadence) if row.cadence == row.cadence else 0.0,
                "churn_risk": bool(row.churn_risk),
            })
        return Customer.create(vals)

    @api.model
    def _get_order_frame(self, company, date_from, date_to):
        """customer, first_date, last_date, orders, monetary (company currency) of confirmed orders."""
        Demand = self.env["sales.forecast.demand"]
        dt_from, dt_to = Demand._utc_bounds(company, date_from, date_to)
        # sudo: aggregated per-customer totals, stored in a model only sales managers can read
        orders = Demand._demand_env(company)["sale.order"].sudo()
        groups = orders._read_group(
            [("company_id", "=", company.id), ("state", "in", self.env["sale.report"]._get_done_states()),
             ("date_order", ">=", dt_from), ("date_order", "<", dt_to)],
            groupby=["partner_id", "currency_id"],
            aggregates=["date_order:min", "date_order:max", "__count", "amount_untaxed:sum"])
        columns = ["customer", "first_date", "last_date", "orders", "monetary"]
        if not groups:
            return pd.DataFrame(columns=columns)
        rows = []
        for partner, currency, first, last, count, amount in groups:
            rate = currency._convert(1.0, company.currency_id, company, date_to, round=False) \
                if currency and currency != company.currency_id else 1.0
            rows.append((partner.id, first, last, count, amount * rate))
        frame = pd.DataFrame(rows, columns=columns)
        return frame.groupby("customer", as_index=False).agg(
            first_date=("first_date", "min"), last_date=("last_date", "max"), orders=("orders", "sum"),
            monetary=("monetary", "sum"))

    @api.model
    def _get_rfm_days(self):
        return 730

    @api.model
    def _get_churn_factor(self):
        # sudo: a technical setting, read whoever triggers the refresh
        value = self.env["ir.config_parameter"].sudo().get_param("sales_forecast_ai.churn_factor", "2")
        try:
            return float(value) if float(value) > 0 else 2.0
        except ValueError:
            return 2.0
