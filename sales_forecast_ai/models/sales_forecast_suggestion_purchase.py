"""Suggestions into Purchase and Inventory: draft RFQs per vendor x warehouse (never twice) and
reordering rules (min = reorder point, max = order-up-to), with the hooks that shape them."""
from collections import defaultdict

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_round


class SalesForecastSuggestion(models.Model):
    _inherit = "sales.forecast.suggestion"

    def action_create_rfq(self):
        """Draft purchase orders for the selected rows: one per vendor x warehouse (a draft RFQ of this
        run for that pair is completed, not duplicated); rows already on an RFQ are left alone."""
        PurchaseOrder = self.env["purchase.order"]
        # Forecast roles do not bring Purchase rights (an Inventory Administrator is a Forecast Manager):
        # say so plainly rather than let the ORM refuse the purchase order.
        if not PurchaseOrder.has_access("create"):
            raise UserError(_("Creating RFQs needs Purchase rights: ask an administrator to make you a Purchase "
                              "User, or send these suggestions to a buyer."))
        self.check_access("write")
        lines = self.filtered(lambda s: not s.purchase_line_id or s.purchase_line_id.state == "cancel")
        already = self - lines
        no_vendor = lines.filtered(lambda s: not s.partner_id)
        nothing = (lines - no_vendor).filtered(lambda s: s.qty_to_order <= 0)
        todo = lines - no_vendor - nothing
        orders = self.env["purchase.order"]
        groups = defaultdict(lambda: self.browse())
        for line in todo:
            groups[line.company_id, line.partner_id, line.warehouse_id] |= line
        line_vals, linked = [], []
        open_rfqs = self._get_open_rfqs(groups)
        missing = [key for key in groups if key not in open_rfqs]
        for company in {key[0] for key in missing}:
            keys = [key for key in missing if key[0] == company]
            created = PurchaseOrder.with_company(company).create(
                [groups[key]._prepare_rfq_vals(*key) for key in keys])
            open_rfqs.update(zip(keys, created))
        for key, group in groups.items():
            order = open_rfqs[key]
            orders |= order
            names = group._get_rfq_line_names(key[1])
            for suggestion in group:
                line_vals.append(suggestion._prepare_rfq_line_vals(order, names[suggestion.product_id.id]))
                linked.append(suggestion)
        if line_vals:
            po_lines = self.env["purchase.order.line"].create(line_vals)
            for suggestion, po_line in zip(linked, po_lines):
                # sudo: the link is technical; the buyer's rights were checked above (create RFQs)
                suggestion.sudo().purchase_line_id = po_line
        messages = []
        if todo:
            messages.append(_("%(lines)s line(s) put on %(orders)s request(s) for quotation.",
                              lines=len(todo), orders=len(orders)))
        if already:
            messages.append(_("%(count)s line(s) already on a request for quotation: %(names)s.",
                              count=len(already), names=self._names_of(already.purchase_order_id)))
        if no_vendor:
            messages.append(_("%(count)s line(s) without a vendor were not ordered (add a vendor on the "
                              "product's Purchase tab): %(names)s.", count=len(no_vendor),
                              names=self._names_of(no_vendor.product_id)))
        if nothing:
            messages.append(_("%(count)s line(s) with nothing to order were skipped.", count=len(nothing)))
        if not orders:
            return self._notify(_("No request for quotation created"), " ".join(messages) or _("Nothing selected."),
                                "warning")
        action = self.env["ir.actions.act_window"]._for_xml_id("purchase.purchase_rfq")
        action.update(domain=[("id", "in", orders.ids)], context={"create": False})
        if len(orders) == 1:
            action.update(view_mode="form", views=[(False, "form")], res_id=orders.id)
        return {
            "type": "ir.actions.client", "tag": "display_notification",
            "params": {"title": _("Requests for quotation"), "message": " ".join(messages),
                       "type": "warning" if no_vendor else "success", "sticky": bool(no_vendor),
                       "next": action},
        }

    def action_apply_orderpoints(self):
        """Write min = reorder point, max = order-up-to into the warehouse's reordering rules, so
        Odoo's Replenishment report and scheduler follow the forecast."""
        Orderpoint = self.env["stock.warehouse.orderpoint"]
        Orderpoint.check_access("create")
        Orderpoint.check_access("write")
        if not self:
            raise UserError(_("Select the suggestions to apply to reordering rules."))
        existing = {(op.product_id.id, op.location_id.id, op.company_id.id): op
                    for op in Orderpoint.with_context(active_test=False).search([
                        ("product_id", "in", self.product_id.ids),
                        ("location_id", "in", self.warehouse_id.lot_stock_id.ids),
                        ("company_id", "in", self.company_id.ids)])}
        created = updated = 0
        new_vals = []
        for line in self:
            vals = line._prepare_orderpoint_vals()
            op = existing.get((line.product_id.id, line.warehouse_id.lot_stock_id.id, line.company_id.id))
            if op:
                # Keep the rule's own trigger and multiple: the buyer chose them.
                op.write({k: v for k, v in vals.items() if k in ("product_min_qty", "product_max_qty", "active")})
                updated += 1
            else:
                new_vals.append(vals)
        if new_vals:
            Orderpoint.create(new_vals)
            created = len(new_vals)
        return self._notify(_("Reordering rules"),
                            _("%(updated)s rule(s) updated and %(created)s created (min = reorder point, "
                              "max = order-up-to).", updated=updated, created=created), "success")

    @api.model
    def _get_open_rfqs(self, groups):
        """{(company, vendor, warehouse): draft RFQ} that the same runs' suggestions already made, to
        complete rather than duplicate (one search). ``groups``: that key -> suggestions."""
        if not groups:
            return {}
        warehouses = self.env["stock.warehouse"].browse({key[2].id for key in groups})
        picking_types = {self._get_picking_type(wh).id: wh for wh in warehouses}
        origins = {key: lines._get_rfq_origin() for key, lines in groups.items()}
        orders = self.env["purchase.order"].search([
            ("company_id", "in", [key[0].id for key in groups]), ("partner_id", "in", [key[1].id for key in groups]),
            ("state", "=", "draft"), ("picking_type_id", "in", list(picking_types)),
            ("origin", "in", list(set(origins.values())))], order="id")
        found = {}
        for order in orders:
            key = (order.company_id, order.partner_id, picking_types[order.picking_type_id.id])
            if key in groups and origins[key] == order.origin:
                found.setdefault(key, order)
        return found

    def _get_rfq_origin(self):
        return ", ".join(sorted(set(self.run_id.mapped("name")))) or _("Purchase Suggestions")

    @api.model
    def _get_picking_type(self, warehouse):
        return warehouse.in_type_id or self.env["purchase.order"]._get_picking_type(warehouse.company_id.id)

    def _prepare_rfq_vals(self, company, partner, warehouse):
        return {
            "partner_id": partner.id,
            "company_id": company.id,
            "picking_type_id": self._get_picking_type(warehouse).id,
            "origin": self._get_rfq_origin(),
            "user_id": self.env.user.id,
        }

    def _get_rfq_line_names(self, partner):
        """{product id: line description} as the vendor knows the products (its codes and names), for
        all of them at once: read one by one, that lookup is half the time of a 500-line order."""
        products = self.product_id.with_context(lang=partner.lang, partner_id=partner.id)
        return {product.id: product.display_name + ("\n" + product.description_purchase
                                                    if product.description_purchase else "")
                for product in products}

    def _prepare_rfq_line_vals(self, order, name):
        """What purchase.order.line._prepare_purchase_order_line gives (vendor price for the quantity,
        purchase UoM, mapped taxes, planned date), with the description computed in bulk."""
        self.ensure_one()
        product, company = self.product_id, self.company_id
        qty = product.uom_id._compute_quantity(self.qty_to_order, product.uom_po_id, rounding_method="HALF-UP")
        today = fields.Date.today()
        day = max(order.date_order.date(), today) if order.date_order else today
        seller = product.with_company(company)._select_seller(
            partner_id=self.partner_id, quantity=qty, date=day, uom_id=product.uom_po_id) or \
            product.seller_ids.filtered(lambda s: s.partner_id == self.partner_id)[:1]  # below the MOQ: its price
        product_taxes = product.supplier_taxes_id.filtered(lambda tax: tax.company_id in company.parent_ids)
        taxes = order.fiscal_position_id.map_tax(product_taxes)
        price = self.env["account.tax"]._fix_tax_included_price_company(
            seller.price, product_taxes, taxes, company) if seller else 0.0
        if price and seller.currency_id != order.currency_id:
            price = seller.currency_id._convert(price, order.currency_id, company, day)
        return {
            "order_id": order.id,
            "name": name,
            "product_id": product.id,
            "product_qty": qty,
            "product_uom": product.uom_po_id.id,
            "price_unit": price,
            "discount": seller.discount or 0.0,
            "taxes_id": [Command.set(taxes.ids)],
            "date_planned": self.env["purchase.order.line"]._get_date_planned(seller, po=order),
        }

    def _prepare_orderpoint_vals(self):
        self.ensure_one()
        rounding = float(self._get_order_roundings(self.product_id)[0]) or 0.01
        rop = float_round(self.reorder_point, precision_rounding=rounding, rounding_method="UP")
        top = max(float_round(self.order_up_to, precision_rounding=rounding, rounding_method="UP"), rop)
        return {
            "product_id": self.product_id.id,
            "warehouse_id": self.warehouse_id.id,
            "location_id": self.warehouse_id.lot_stock_id.id,
            "company_id": self.company_id.id,
            "product_min_qty": rop,
            "product_max_qty": top,
            "trigger": self.company_id.forecast_orderpoint_trigger or "auto",
            "active": True,
        }
