"""Past sales as daily quantities, for every screen a Forecast User sees.

Buyers and warehouse staff forecast what customers took, but they have no right to read sale
orders (prices, customers, salespeople), and the add-on must not give them one. This reader is the
one door through which our screens (dashboard, product chart, chat assistant...) show sales history:

* it returns **only aggregated quantities** per day (and per product x warehouse): no price, no
  customer, no order reference ever leaves it;
* by the same rules the forecast learns from (``sales.forecast.demand``: confirmed sales net of
  customer returns, imported history before Odoo, in the product's unit, days in the company's
  time zone);
* for the **companies the user works in** (``self.env.companies``) and the **products and
  warehouses the user may read** (``check_access``); a Forecast User is required.

Call it as the user, never under sudo, so those checks mean something::

    reader = self.env["sales.forecast.history.reader"]
    rows = reader.get_daily_quantities(product.ids, warehouse.id, date_from, date_to)
    curve = reader.get_daily_totals(products.ids, date_from=date_from, date_to=date_to)
"""
import datetime

import pandas as pd

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from .sales_forecast_demand_filter import FILTER_KEY

DEFAULT_DAYS = 180
MAX_DAYS = 3660


class SalesForecastHistoryReader(models.AbstractModel):
    _name = "sales.forecast.history.reader"
    _description = "Sales History Reader (daily quantities)"

    @api.model
    def get_daily_quantities(self, product_ids, warehouse_id=False, date_from=False, date_to=False):
        """Daily quantities sold per product x warehouse, only the days with demand.

        :param product_ids: product.product ids (or records); each must be readable by the user
        :param warehouse_id: only this warehouse (readable by the user, of an allowed company);
            ``False``: every warehouse of the allowed companies
        :param date_from: first day (date or ``"YYYY-MM-DD"``); default ``DEFAULT_DAYS`` before ``date_to``
        :param date_to: last day, included; default today
        :return: list of ``{"product_id": int, "warehouse_id": int or False, "date": "YYYY-MM-DD",
            "qty": float}`` sorted by product, warehouse and day; quantities in the product's unit
        :raise AccessError: the user is not a Forecast User, or may not read a product or the warehouse
        """
        frame = self._get_quantity_frame(product_ids, warehouse_id, date_from, date_to)
        return [{"product_id": int(product), "warehouse_id": int(warehouse) or False,
                 "date": fields.Date.to_string(day.date()), "qty": float(qty)}
                for product, warehouse, day, qty in zip(frame["product_id"], frame["warehouse_id"], frame["date"],
                                                        frame["quantity"])]

    @api.model
    def get_daily_totals(self, product_ids, warehouse_id=False, date_from=False, date_to=False):
        """Daily quantities summed over the products (and warehouses): a curve ready to plot.

        Same parameters and checks as :meth:`get_daily_quantities`.

        :return: one ``{"date": "YYYY-MM-DD", "qty": float}`` for EVERY day from ``date_from`` to
            ``date_to`` (0.0 when nothing sold), oldest first
        """
        date_from, date_to = self._get_date_range(date_from, date_to)
        frame = self._get_quantity_frame(product_ids, warehouse_id, date_from, date_to)
        totals = {day.date(): float(qty) for day, qty in frame.groupby("date")["quantity"].sum().items()}
        days = (date_from + datetime.timedelta(days=offset) for offset in range((date_to - date_from).days + 1))
        return [{"date": fields.Date.to_string(day), "qty": totals.get(day, 0.0)} for day in days]

    # -- reading ----------------------------------------------------------------------------------
    @api.model
    def _get_quantity_frame(self, product_ids, warehouse_id=False, date_from=False, date_to=False):
        """The checked read behind both public methods: a DataFrame with ``product_id``,
        ``warehouse_id`` (0: none), ``date`` (datetime64 day) and ``quantity`` columns, one row per
        product x warehouse x day with demand. Python callers may use it directly."""
        self._check_reader_access()
        date_from, date_to = self._get_date_range(date_from, date_to)
        products = self._get_readable_products(product_ids)
        series = {"product_ids": products.ids}
        companies = self.env.companies
        if warehouse_id:
            warehouse = self.env["stock.warehouse"].browse(int(warehouse_id)).exists()
            if not warehouse:
                raise UserError(self.env._("This warehouse no longer exists; it may have been deleted."))
            warehouse.check_access("read")
            if warehouse.company_id not in companies:
                raise AccessError(self.env._("The warehouse %s belongs to a company you are not working in.",
                                             warehouse.display_name))
            companies = warehouse.company_id
            series["warehouse_id"] = warehouse.id
        # sudo: Forecast Users may not read sale orders or stock moves; this reader returns only daily
        # quantities of products the user may read, in the user's companies (checked above).
        demand = self.env["sales.forecast.demand"].sudo().with_context(**{FILTER_KEY: series})
        frames = [demand._get_demand_frame(company, date_from, date_to + datetime.timedelta(days=1))
                  for company in companies] if products else []
        frames = [frame for frame in frames if len(frame)]
        if not frames:
            return demand._frame([])
        frame = frames[0] if len(frames) == 1 else demand._sum_frame(pd.concat(frames, ignore_index=True))
        return frame.sort_values(["product_id", "warehouse_id", "date"], ignore_index=True)

    # -- checks and hooks -------------------------------------------------------------------------
    @api.model
    def _check_reader_access(self):
        """Sales history is for Forecast Users (buyers, warehouse staff, managers)."""
        if not self.env.su and not self.env.user.has_group("sales_forecast_ai.group_forecast_user"):
            raise AccessError(self.env._("Only Forecast Users can read the sales history of products."))

    @api.model
    def _get_readable_products(self, product_ids):
        ids = product_ids.ids if isinstance(product_ids, models.BaseModel) else [int(i) for i in product_ids or []]
        products = self.env["product.product"].with_context(active_test=False).browse(ids).exists()
        products.check_access("read")
        return products

    @api.model
    def _get_date_range(self, date_from=False, date_to=False):
        """(first day, last day) as dates, both included; a clear error for a wrong range."""
        try:
            date_to = fields.Date.to_date(date_to) or fields.Date.context_today(self)
            date_from = fields.Date.to_date(date_from) or date_to - datetime.timedelta(days=self._get_default_days())
        except ValueError as exc:
            raise UserError(self.env._("Dates are written YYYY-MM-DD (%s).", exc)) from exc
        if date_from > date_to:
            raise UserError(self.env._("The first day (%(from)s) is after the last day (%(to)s).",
                                       **{"from": date_from, "to": date_to}))
        if (date_to - date_from).days > MAX_DAYS:
            raise UserError(self.env._("Sales history is read %(max)s days at most at a time (asked: %(days)s).",
                                       max=MAX_DAYS, days=(date_to - date_from).days))
        return date_from, date_to

    @api.model
    def _get_default_days(self):
        return DEFAULT_DAYS
