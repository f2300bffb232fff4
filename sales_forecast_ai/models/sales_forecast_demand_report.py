"""Quantities sold per day, product and warehouse: the sales analysis buyers and warehouse staff may open.

``sale.report`` also holds revenue per customer and salesperson, so it stays with the sales team.
This view holds only what a forecast needs to be understood: confirmed quantities of goods, in the
product's unit (``sale.report``'s conversion), per day of the company's time zone. Customer returns
and imported history are not in it (the dashboard and the product chart show demand net of those,
through ``sales.forecast.history.reader``).
"""
from odoo import fields, models, tools
from odoo.tools import SQL


class SalesForecastDemandReport(models.Model):
    _name = "sales.forecast.demand.report"
    _description = "Quantities Sold per Day"
    _auto = False
    _order = "date desc"
    _rec_name = "date"

    date = fields.Date("Day", readonly=True)
    product_id = fields.Many2one("product.product", readonly=True)
    product_tmpl_id = fields.Many2one("product.template", "Product Template", readonly=True)
    categ_id = fields.Many2one("product.category", "Product Category", readonly=True)
    warehouse_id = fields.Many2one("stock.warehouse", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    quantity = fields.Float("Quantity Sold", digits="Product Unit of Measure", readonly=True, aggregator="sum")

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(SQL(
            """
            CREATE OR REPLACE VIEW %(table)s AS (
                SELECT MIN(l.id) AS id,
                       (o.date_order AT TIME ZONE 'UTC' AT TIME ZONE COALESCE(NULLIF(cp.tz, ''), 'UTC'))::date AS date,
                       l.product_id, pp.product_tmpl_id, pt.categ_id, l.warehouse_id, l.company_id,
                       SUM(l.product_uom_qty / line_uom.factor * product_uom.factor) AS quantity
                  FROM sale_order_line l
                  JOIN sale_order o ON o.id = l.order_id
                  JOIN product_product pp ON pp.id = l.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                  JOIN uom_uom line_uom ON line_uom.id = l.product_uom
                  JOIN uom_uom product_uom ON product_uom.id = pt.uom_id
                  JOIN res_company c ON c.id = l.company_id
                  JOIN res_partner cp ON cp.id = c.partner_id
                 WHERE l.display_type IS NULL
                   AND o.state IN %(states)s
                   AND pt.type = 'consu'
              GROUP BY 2, l.product_id, pp.product_tmpl_id, pt.categ_id, l.warehouse_id, l.company_id
            )
            """,
            table=SQL.identifier(self._table),
            states=tuple(self.env["sale.report"]._get_done_states()),
        ))
