from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .res_company_replenishment import PROFILE_SELECTION


class ProductCategory(models.Model):
    """A category can follow another sector's policy than its company: medicines at 99% in a shop."""

    _inherit = "product.category"

    forecast_replenishment_profile = fields.Selection(
        PROFILE_SELECTION, string="Replenishment Profile",
        help="Sector profile of this category's purchase suggestions. Empty: the company's.")
    forecast_service_level = fields.Float(
        "Service Level (%)", help="Target service level of this category. 0: the profile's or the company's.")

    @api.constrains("forecast_service_level")
    def _check_forecast_service_level(self):
        for categ in self:
            if categ.forecast_service_level and not 50 <= categ.forecast_service_level < 100:
                raise ValidationError(_("%(categ)s: the service level is a percentage from 50 to 99.9 (got %(level)s).",
                                        categ=categ.display_name, level=categ.forecast_service_level))
