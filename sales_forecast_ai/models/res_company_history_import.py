from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..engine.csv_reader import DEFAULT_MAX_QUANTITY, MAX_CEILING


class ResCompany(models.Model):
    _inherit = "res.company"

    forecast_import_max_quantity = fields.Float(
        "History Import Quantity Ceiling", default=DEFAULT_MAX_QUANTITY,
        help="An imported row whose quantity is above this is refused: such a value (1e308 from a broken export) "
             "would overflow every forecast model.")

    @api.constrains("forecast_import_max_quantity")
    def _check_forecast_import_max_quantity(self):
        for company in self:
            if not 0 < company.forecast_import_max_quantity <= MAX_CEILING:
                raise ValidationError(_("%(company)s: the history import quantity ceiling must be above 0 and at "
                                        "most %(ceiling)s (got %(value)s).", company=company.name,
                                        ceiling=format(MAX_CEILING, "g"), value=company.forecast_import_max_quantity))
