from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestPurchaseSuggestionTour(HttpCase):
    def test_buyer_orders_now_in_the_browser(self):
        admin = self.env.ref("base.user_admin")
        company = admin.company_id
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        vendor = self.env["res.partner"].create({"name": "SFAI Tour Vendor", "supplier_rank": 1})
        product = self.env["product.product"].create({
            "name": "SFAI Tour Product", "is_storable": True,
            "seller_ids": [(0, 0, {"partner_id": vendor.id, "price": 2.0, "delay": 4})]})
        run = self.env["sales.forecast.run"].create({"company_id": company.id, "state": "done"})
        Suggestion = self.env["sales.forecast.suggestion"]
        Suggestion.search([("company_id", "=", company.id)]).write({"is_latest": False})
        line = Suggestion.create({
            "run_id": run.id, "company_id": company.id, "product_id": product.id, "warehouse_id": warehouse.id,
            "partner_id": vendor.id, "is_latest": True, "urgency": "order_now", "qty_suggested": 24.0,
            "reorder_point": 30.0, "reason": "naive forecast: 20.0 over the 4-day lead time (vendor SFAI Tour "
                                            "Vendor). Stock position 3.0 is below the reorder point."})
        self.start_tour("/odoo/purchase-suggestions", "sales_forecast_ai_purchase_suggestion_tour", login="admin")
        self.assertEqual(line.purchase_order_id.partner_id, vendor)
        self.assertEqual(line.purchase_line_id.product_qty, 24.0)
        self.assertEqual(line.purchase_order_id.picking_type_id, warehouse.in_type_id)
