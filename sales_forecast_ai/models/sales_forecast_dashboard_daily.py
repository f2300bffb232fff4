"""Daily sold quantity and revenue per product x warehouse, stored for the dashboard.

The dashboard reads stored results only, so it opens fast whatever the size of the sales history:
reading sale lines live took seconds per panel on 10,000 products. Rows are rebuilt from the demand
reader (same rules as the forecast: confirmed sales net of returns, imported history before Odoo)
after every forecast run, every hour for the last days, and on demand from the dashboard.
"""
import datetime

from odoo import api, fields, models

REFRESH_DAYS = 400
RECENT_DAYS = 3
STAMP_KEY = "sales_forecast_ai.dashboard_daily_refreshed_%s"


class SalesForecastDashboardDaily(models.Model):
    _name = "sales.forecast.dashboard.daily"
    _description = "Dashboard Daily Sales"
    _order = "date desc, id"
    _log_access = False

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    product_id = fields.Many2one("product.product", required=True, index=True, readonly=True, ondelete="cascade")
    warehouse_id = fields.Many2one("stock.warehouse", readonly=True, ondelete="cascade")
    # The product's category when the row was built: panels group by it without joining products.
    categ_id = fields.Many2one("product.category", string="Product Category", readonly=True, index=True)
    date = fields.Date(required=True, readonly=True)
    quantity = fields.Float(readonly=True)
    # Sale prices are for sales users only; the panels check the same rights before showing them.
    amount = fields.Float("Untaxed Revenue", readonly=True, groups="sales_team.group_sale_salesman",
                          help="Confirmed sales, untaxed, in the company currency (imported history has none).")

    def init(self):
        self.env.cr.execute("""CREATE INDEX IF NOT EXISTS sales_forecast_dashboard_daily_company_date_idx
                               ON sales_forecast_dashboard_daily (company_id, date)""")

    # -- refresh ----------------------------------------------------------------------------------
    @api.model
    def _cron_refresh_recent(self):
        """Hourly: today's and the last days' sales, for every company."""
        for company in self.env["res.company"].sudo().search([]):
            self._refresh_company(company, days=RECENT_DAYS)

    @api.model
    def _refresh_company(self, company, days=REFRESH_DAYS):
        """Rebuild the company's rows for the last ``days`` days (today included)."""
        today = fields.Date.context_today(self.with_company(company))
        date_from = today - datetime.timedelta(days=days - 1)
        date_to = today + datetime.timedelta(days=1)
        # sudo: the table is a summary every forecast user may read (quantities; amounts are
        # guarded by field groups and the panels' own check); it must count every sale line.
        Demand = self.env["sales.forecast.demand"].sudo()
        frame = Demand._get_demand_frame(company, date_from, date_to)
        amounts = self._get_amounts(company, date_from, date_to)
        rows = {(int(p), int(w), d.date()): [float(q), 0.0]
                for p, w, d, q in zip(frame["product_id"], frame["warehouse_id"], frame["date"], frame["quantity"])}
        for key, amount in amounts.items():
            rows.setdefault(key, [0.0, 0.0])[1] += amount
        cr = self.env.cr
        cr.execute("DELETE FROM sales_forecast_dashboard_daily WHERE company_id = %s AND date >= %s AND date < %s",
                   [company.id, date_from, date_to])
        if rows:
            keys = list(rows)
            cr.execute("""
                INSERT INTO sales_forecast_dashboard_daily (company_id, product_id, warehouse_id, categ_id, date,
                                                            quantity, amount)
                SELECT %s, t.p, NULLIF(t.w, 0), pt.categ_id, t.d, t.q, t.a
                  FROM unnest(%s::int[], %s::int[], %s::date[], %s::float8[], %s::float8[]) AS t(p, w, d, q, a)
                  JOIN product_product pp ON pp.id = t.p
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
            """, [company.id, [k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys],
                  [rows[k][0] for k in keys], [rows[k][1] for k in keys]])
        self.invalidate_model()
        # sudo: same summary reasoning as above, for the forecast totals of the sales curve
        self.env["sales.forecast.dashboard.forecast"].sudo()._refresh_company(company)
        # sudo: a technical time stamp, written whoever triggered the refresh
        self.env["ir.config_parameter"].sudo().set_param(STAMP_KEY % company.id, fields.Datetime.to_string(
            fields.Datetime.now()))
        return len(rows)

    @api.model
    def _get_amounts(self, company, date_from, date_to):
        """{(product id, warehouse id or 0, day): untaxed amount in the company currency} of confirmed sales."""
        Demand = self.env["sales.forecast.demand"].sudo()
        lines = Demand._demand_env(company)["sale.order.line"].sudo()
        rows = Demand._read_group_rows(
            lines, Demand._get_sale_domain(company, date_from, date_to),
            ["product_id", "warehouse_id", "forecast_order_date:day", "currency_id"], "price_subtotal:sum")
        epoch = datetime.date(1970, 1, 1)
        currencies = self.env["res.currency"].browse({row[3] for row in rows if row[3]})
        today = fields.Date.context_today(self)
        rate = {c.id: (c._convert(1.0, company.currency_id, company, today, round=False)
                       if c != company.currency_id else 1.0) for c in currencies}
        out = {}
        for product_id, warehouse_id, day, currency_id, amount in rows:
            key = (product_id, warehouse_id or 0, epoch + datetime.timedelta(days=int(day)))
            out[key] = out.get(key, 0.0) + (amount or 0.0) * rate.get(currency_id, 1.0)
        return out

    @api.model
    def _get_refreshed_at(self, company):
        # sudo: the technical time stamp written by _refresh_company
        value = self.env["ir.config_parameter"].sudo().get_param(STAMP_KEY % company.id)
        return fields.Datetime.to_datetime(value) if value else False
