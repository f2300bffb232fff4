"""The quotation's Suggested Products panel in the browser: one click adds the product."""
import datetime

from odoo import Command, fields
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestQuotationSuggestionsTour(HttpCase):
    def test_add_suggested_product_from_quotation(self):
        env = self.env(context=dict(self.env.context, tracking_disable=True))
        company = env.ref("base.main_company")
        kettle, teapot = env["product.product"].create([
            {"name": name, "type": "consu", "is_storable": True, "list_price": 20.0}
            for name in ("SFAI Tour Kettle", "SFAI Tour Teapot")])
        customers = env["res.partner"].create([{"name": f"SFAI Tour Client {i}"} for i in range(4)])
        today = fields.Date.context_today(env["sale.order"])

        def sell(partner, days_ago, products):
            order = env["sale.order"].create({
                "partner_id": partner.id, "company_id": company.id,
                "order_line": [Command.create({"product_id": p.id, "product_uom_qty": 1}) for p in products]})
            order.action_confirm()
            order.date_order = datetime.datetime.combine(today - datetime.timedelta(days=days_ago), datetime.time(9))

        for i, partner in enumerate(customers[:3]):
            sell(partner, 100 + i, kettle | teapot)
        sell(customers[3], 100, kettle)
        env["sales.forecast.recommendation"]._refresh(company)
        quote = env["sale.order"].create({"partner_id": customers[3].id, "company_id": company.id})
        self.assertIn(teapot, quote.sf_suggestion_ids.recommended_product_id)
        self.start_tour(f"/odoo/sale.order/{quote.id}", "sales_forecast_quotation_suggestions", login="admin")
        self.assertIn(teapot, quote.order_line.product_id)
