"""The quotation's "Suggested Products" panel: what this customer may want, and what goes with
the products already on the quotation, minus what is on it."""
from odoo import api, fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    sf_suggestion_ids = fields.Many2many("sales.forecast.recommendation", compute="_compute_sf_suggestion_ids",
                                         string="Suggested Products")

    @api.depends("partner_id", "order_line.product_id", "company_id")
    def _compute_sf_suggestion_ids(self):
        Reco = self.env["sales.forecast.recommendation"]
        if not Reco.has_access("read"):
            self.sf_suggestion_ids = False
            return
        for order in self:
            order.sf_suggestion_ids = order._get_sf_suggestions()

    def _get_sf_suggestions(self, limit=10):
        """Customer suggestions first, then bought-together ones; one line per suggested product."""
        self.ensure_one()
        Reco = self.env["sales.forecast.recommendation"]
        on_order = set(self.order_line.product_id.ids)
        partner = self.partner_id.commercial_partner_id | self.partner_id
        candidates = Reco.search([("company_id", "=", self.company_id.id), ("kind", "=", "customer"),
                                  ("partner_id", "in", partner.ids)], order="rank, score desc")
        if on_order:
            candidates |= Reco.search([("company_id", "=", self.company_id.id), ("kind", "=", "together"),
                                       ("product_id", "in", list(on_order))], order="score desc", limit=50)
        seen, out = set(on_order), Reco
        for reco in candidates:
            product = reco.recommended_product_id
            if product.id in seen or not product.sale_ok or not product.active:
                continue
            seen.add(product.id)
            out |= reco
            if len(out) >= limit:
                break
        return out
