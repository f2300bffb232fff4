from odoo import api, fields, models


class SalesHistoryImportColumn(models.TransientModel):
    _name = "sales.history.import.column"
    _description = "Sales History Import File Column"
    _order = "position"

    wizard_id = fields.Many2one("sales.history.import", required=True, ondelete="cascade")
    name = fields.Char(required=True)
    position = fields.Integer()
    sample = fields.Char()

    @api.depends("name", "sample")
    def _compute_display_name(self):
        for column in self:
            column.display_name = f"{column.name} ({column.sample})" if column.sample else column.name
