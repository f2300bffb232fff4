"""The "Forecast" smart button on the product form (template), opening its variant's chart."""
from odoo import _, fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    forecast_total_30 = fields.Float("Forecast 30 Days", compute="_compute_forecast_total_30",
                                     digits="Product Unit of Measure",
                                     groups="sales_forecast_ai.group_forecast_user",
                                     help="Forecast demand of the next 30 days over every variant and warehouse.")

    def _compute_forecast_total_30(self):
        totals = dict(self.env["sales.forecast.result"]._read_group(
            [("product_tmpl_id", "in", self.ids), ("is_latest", "=", True)],
            groupby=["product_tmpl_id"], aggregates=["total_30:sum"]))
        for template in self:
            template.forecast_total_30 = totals.get(template, 0.0)

    def action_open_forecast_chart(self):
        """One variant: its chart. Several: the latest results of every variant, to pick one."""
        self.ensure_one()
        if len(self.product_variant_ids) == 1:
            return self.product_variant_ids._get_forecast_chart_action()
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_forecast_ai.action_sales_forecast_result")
        action["domain"] = [("product_tmpl_id", "=", self.id)]
        action["context"] = {"search_default_filter_latest": 1}
        action["display_name"] = _("Forecast of %s", self.display_name)
        return action
