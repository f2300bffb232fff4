"""The "Forecast" smart button of a product variant and the chart it opens."""
from odoo import _, fields, models


class ProductProduct(models.Model):
    _inherit = "product.product"

    forecast_total_30 = fields.Float("Forecast 30 Days", compute="_compute_forecast_total_30",
                                     digits="Product Unit of Measure",
                                     groups="sales_forecast_ai.group_forecast_user",
                                     help="Forecast demand of the next 30 days over every warehouse (latest run).")

    def _compute_forecast_total_30(self):
        totals = dict(self.env["sales.forecast.result"]._read_group(
            [("product_id", "in", self.ids), ("is_latest", "=", True)],
            groupby=["product_id"], aggregates=["total_30:sum"]))
        for product in self:
            product.forecast_total_30 = totals.get(product, 0.0)

    def action_open_forecast_chart(self):
        self.ensure_one()
        return self._get_forecast_chart_action()

    def _get_forecast_chart_action(self, warehouse=None):
        """The chart client action for this product (and warehouse), or its results when the chart
        action is not installed."""
        self.ensure_one()
        if self.env.ref("sales_forecast_ai.action_sales_forecast_chart", raise_if_not_found=False):
            action = self.env["ir.actions.actions"]._for_xml_id("sales_forecast_ai.action_sales_forecast_chart")
            params = {"product_id": self.id}
            if warehouse:
                params["warehouse_id"] = warehouse.id
            action["params"] = params
            action["context"] = {"active_model": "product.product", "active_id": self.id}
            return action
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_forecast_ai.action_sales_forecast_result")
        action["domain"] = [("product_id", "=", self.id)]
        action["context"] = {"search_default_filter_latest": 1}
        action["display_name"] = _("Forecast of %s", self.display_name)
        return action
