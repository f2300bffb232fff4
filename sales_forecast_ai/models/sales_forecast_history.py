"""Daily demand from before Odoo, imported from the previous system's files.

Read with the sale lines by sales.forecast.demand; the rule that avoids double counting
(imported days only before each product x warehouse's first Odoo day) is documented there.
"""
from odoo import api, fields, models


class SalesForecastHistory(models.Model):
    _name = "sales.forecast.history"
    _description = "Imported Sales History"
    _order = "date desc, product_id, warehouse_id"
    _check_company_auto = True

    # Few indexes on purpose: imports write up to a million rows at once. The unique constraint's
    # index (company, product, warehouse, date) serves the company and date filters of the forecast.
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    product_id = fields.Many2one("product.product", required=True, index=True, check_company=True,
                                 ondelete="cascade")
    warehouse_id = fields.Many2one("stock.warehouse", required=True, check_company=True,
                                   ondelete="cascade")
    date = fields.Date(required=True)
    quantity = fields.Float(digits="Product Unit of Measure", required=True)
    import_batch = fields.Char("Import Batch", index=True, readonly=True,
                               help="Reference shared by every row of one imported file.")
    import_file = fields.Char("Imported File", readonly=True)

    _sql_constraints = [
        ("quantity_positive", "CHECK(quantity >= 0)", "An imported quantity cannot be negative."),
        ("one_row_per_day", "UNIQUE(company_id, product_id, warehouse_id, date)",
         "Imported history has one row per product, warehouse and day."),
    ]

    @api.depends("product_id", "warehouse_id", "date")
    def _compute_display_name(self):
        for row in self:
            row.display_name = f"{row.date} {row.product_id.display_name or ''} / {row.warehouse_id.code or ''}"
