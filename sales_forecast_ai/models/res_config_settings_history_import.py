from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    forecast_import_max_quantity = fields.Float(related="company_id.forecast_import_max_quantity", readonly=False)
