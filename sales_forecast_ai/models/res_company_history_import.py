from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..engine.csv_reader import DEFAULT_MAX_QUANTITY


class ResCompany(models.Model):
    _inherit = "res.company"

    forecast_import_max_quantity = fields.Float(
        "History Import Quantity Ceiling", default=DEFAULT_MAX_QUANTITY,
        help="An imported row whose quantity is above this is refused: such a value (1e308 from a broken export) "
             "would overflow every forecast model.")

    @api.constrains("forecast_import_max_quantity")
    def _check_forecast_import_max_quantity(self):
        for company in self:
            if not 0 < company.forecast_import_max_quantity <= 1e15:
                raise ValidationError(_("%(company)s: the history import quantity ceiling must be between 0 and "
                                        "1e15 (got %(value)s).", company=company.name,
                                        value=company.forecast_import_max_quantity))
