"""The order date as a (non-stored) field of the line, so demand can be grouped by day in SQL."""
from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    # No column: _read_group joins the order. Grouping by "forecast_order_date:day" buckets lines by
    # order day in the context's time zone, in the same query that sums them (sales.forecast.demand).
    forecast_order_date = fields.Datetime(related="order_id.date_order", string="Order Date")
