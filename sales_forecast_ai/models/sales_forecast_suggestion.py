"""What to buy, from whom, how much and how urgently: one row per product x warehouse of a run.

Built after each successful run (``_refresh_run``) from the run's results and forecast points, the
stock on hand, incoming moves, open RFQs and each product's main vendor, all read in aggregated
queries; the policy itself is ``engine.policy`` (pure numpy). Rows are kept per run, ``is_latest``
marks the company's current ones, like forecast results.
"""
import datetime
import math
from collections import defaultdict

import numpy as np
from markupsafe import Markup

from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import float_round

from ..engine import policy

URGENCY = [("order_now", "Order Now"), ("watch", "Watch"), ("ok", "OK")]
ABC = [("A", "A"), ("B", "B"), ("C", "C")]
OPEN_RFQ_STATES = ("draft", "sent", "to approve")


class SalesForecastSuggestion(models.Model):
    _name = "sales.forecast.suggestion"
    _inherit = ["mail.thread", "mail.activity.mixin"]  # the buyer's ORDER NOW to-do hangs on a suggestion
    _description = "Purchase Suggestion"
    _order = "urgency_rank, stockout_date, id"
    _check_company_auto = True

    run_id = fields.Many2one("sales.forecast.run", required=True, index=True, ondelete="cascade", readonly=True)
    result_id = fields.Many2one("sales.forecast.result", string="Forecast", readonly=True, ondelete="set null")
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    is_latest = fields.Boolean("Latest", readonly=True, index=True,
                               help="Suggestion of the company's latest successful forecast run.")
    product_id = fields.Many2one("product.product", required=True, index=True, readonly=True, check_company=True,
                                 ondelete="cascade")
    categ_id = fields.Many2one(related="product_id.categ_id", string="Product Category", store=True)
    uom_id = fields.Many2one(related="product_id.uom_id", string="Unit")
    warehouse_id = fields.Many2one("stock.warehouse", required=True, index=True, readonly=True, check_company=True,
                                   ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Vendor", index=True, readonly=True,
                                 help="The product's main vendor: its first valid vendor line (lowest sequence).")
    abc_class = fields.Selection(ABC, string="ABC Class", readonly=True,
                                 help="From the segmentation, when there is one; it sets the service level.")
    # Read-only figures have no digits: rounding each value on create costs more than the whole policy
    # when a refresh writes thousands of rows (the client shows 2 decimals anyway).
    qty_available = fields.Float("On Hand", readonly=True)
    qty_incoming = fields.Float("Incoming", readonly=True,
                                help="Expected receipts and open requests for quotation.")
    qty_reserved = fields.Float("Reserved", readonly=True)
    lead_time_days = fields.Integer("Lead Time (days)", readonly=True, aggregator="avg")
    demand_lead_time = fields.Float("Forecast over Lead Time", readonly=True)
    mean_daily = fields.Float("Daily Demand", readonly=True)
    service_level = fields.Float("Service Level (%)", readonly=True, aggregator="avg")
    review_days = fields.Integer("Review Cycle (days)", readonly=True, aggregator="avg")
    safety_stock = fields.Float(readonly=True)
    reorder_point = fields.Float("Reorder Point", readonly=True)
    simple_reorder_point = fields.Float("Simple Rule ROP", readonly=True,
                                        help="Daily demand x (lead time + safety days), for comparison.")
    order_up_to = fields.Float("Order-up-to", readonly=True)
    moq = fields.Float("Vendor MOQ", readonly=True)
    safety_days = fields.Float("Safety Days", readonly=True,
                               help="Floor of the safety stock, in days of demand (from the sector profile).")
    qty_suggested = fields.Float("Suggested", readonly=True)
    qty_to_order_manual = fields.Float("Manual Quantity", digits="Product Unit of Measure", copy=False)
    qty_to_order = fields.Float(
        "To Order", compute="_compute_qty_to_order", inverse="_inverse_qty_to_order", store=True,
        digits="Product Unit of Measure", help="The suggestion, unless you set your own quantity.")
    price_unit = fields.Float("Vendor Price", readonly=True, aggregator=False)
    days_of_cover = fields.Float("Days of Cover", readonly=True, aggregator="avg")
    urgency = fields.Selection(URGENCY, required=True, default="ok", readonly=True, index=True)
    urgency_rank = fields.Integer(compute="_compute_urgency_rank", store=True)
    stockout_date = fields.Date("Expected Stock-out", readonly=True)
    reason = fields.Text(readonly=True)
    purchase_line_id = fields.Many2one("purchase.order.line", string="RFQ Line", readonly=True, copy=False,
                                       index="btree_not_null", ondelete="set null")
    purchase_order_id = fields.Many2one(related="purchase_line_id.order_id", string="RFQ")
    # Policy backtest (action_policy_backtest): the policy replayed on past demand vs what happened.
    backtest_fill_rate = fields.Float("Policy Fill Rate", readonly=True, aggregator="avg")
    backtest_stockout_days = fields.Integer("Policy Stock-out Days", readonly=True)
    backtest_stock_value = fields.Float("Policy Avg Stock Value", readonly=True)
    backtest_has_actual = fields.Boolean("Stock History", readonly=True,
                                         help="Deliveries in the period tell what the stock really was.")
    actual_fill_rate = fields.Float("Actual Fill Rate", readonly=True, aggregator="avg")
    actual_stockout_days = fields.Integer("Actual Stock-out Days", readonly=True)
    actual_stock_value = fields.Float("Actual Avg Stock Value", readonly=True)

    @api.depends("qty_suggested", "qty_to_order_manual")
    def _compute_qty_to_order(self):
        for line in self:
            line.qty_to_order = line.qty_to_order_manual or line.qty_suggested

    def _inverse_qty_to_order(self):
        for line in self:
            line.qty_to_order_manual = line.qty_to_order if line.qty_to_order != line.qty_suggested else 0.0

    @api.depends("urgency")
    def _compute_urgency_rank(self):
        ranks = {key: rank for rank, (key, __) in enumerate(URGENCY)}
        for line in self:
            line.urgency_rank = ranks.get(line.urgency, len(ranks))

    @api.depends("product_id", "warehouse_id")
    def _compute_display_name(self):
        for line in self:
            line.display_name = " / ".join(filter(None, [line.product_id.display_name,
                                                         line.warehouse_id.code or line.warehouse_id.name]))

    @api.constrains("qty_to_order_manual")
    def _check_qty_to_order(self):
        if any(line.qty_to_order_manual < 0 for line in self):
            raise ValidationError(_("The quantity to order cannot be negative."))

    def write(self, vals):
        # Buyers edit only their quantity; everything else is computed (or linked by the buttons).
        if not self.env.su and not self.env.user.has_group("sales_forecast_ai.group_forecast_manager"):
            technical = [name for name in vals if name not in self._get_buyer_writable_fields()]
            if technical:
                raise UserError(_("Only the quantity to order of a purchase suggestion can be changed (not: %s).",
                                  ", ".join(technical)))
        return super().write(vals)

    # -- actions --------------------------------------------------------------------------------
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

    def action_policy_backtest(self):
        """Replay the policy of the selected (or all latest) suggestions on the last months of demand
        and store the figures beside what actually happened; a notification gives the totals."""
        lines = self or self.search([("is_latest", "=", True), ("company_id", "in", self.env.companies.ids)])
        if not lines:
            raise UserError(_("There is no suggestion to backtest yet: run a forecast first."))
        parts = []
        for company in lines.company_id:
            t = lines.filtered(lambda s: s.company_id == company)._policy_backtest(company)
            parts.append(self.env._(
                "%(company)s, %(days)s days, %(series)s products: policy fill rate %(fill).1f%%, %(so)s stock-out "
                "days, average stock value %(val).0f.", company=company.name, days=t["days"], series=t["series"],
                fill=100 * t["fill_rate"], so=t["stockout_days"], val=t["avg_stock_value"]))
            if t["compared"]:
                parts.append(self.env._(
                    "On the %(n)s products whose stock moves tell what happened: policy %(fill).1f%% fill rate, "
                    "%(so)s stock-out days, stock value %(val).0f; actual %(afill).1f%%, %(aso)s days, %(aval).0f.",
                    n=t["compared"], fill=100 * t["compared_fill_rate"], so=t["compared_stockout_days"],
                    val=t["compared_stock_value"], afill=100 * t["actual_fill_rate"], aso=t["actual_stockout_days"],
                    aval=t["actual_avg_stock_value"]))
            else:
                parts.append(self.env._("No product has delivered sales in stock moves over the period, so there "
                                        "is no actual stock history to compare with."))
        return self._notify(_("Policy backtest"), " ".join(parts), "info", sticky=True)

    def action_refresh(self):
        """Rebuild the current company's suggestions from its latest run (managers, from the list; the
        selected rows, if any, do not matter)."""
        self.check_access("create")
        run = self.env["sales.forecast.run"].search(
            [("company_id", "=", self.env.company.id), ("state", "=", "done")], order="date_end desc, id desc",
            limit=1)
        if not run:
            raise UserError(_("No finished forecast run for %s yet: run a forecast first.", self.env.company.name))
        count = self.browse()._refresh_run(run)
        return self._notify(_("Purchase suggestions"), _("%(count)s suggestion(s) computed from %(run)s.",
                                                         count=count, run=run.name), "success", reload=True)

    # -- refresh --------------------------------------------------------------------------------
    @api.model
    def _cron_refresh(self):
        """Suggestions for every company whose latest done run has none yet (triggered by runs)."""
        Run = self.env["sales.forecast.run"]
        for company in self.env["res.company"].search([]):
            run = Run.search([("company_id", "=", company.id), ("state", "=", "done")],
                             order="date_end desc, id desc", limit=1)
            if run and not self.search_count([("run_id", "=", run.id)], limit=1):
                self._refresh_run(run)
                self.env["ir.cron"]._notify_progress(done=1, remaining=0)

    @api.model
    def _refresh_run(self, run):
        """(Re)build the suggestions of ``run``; returns how many. Reads are aggregated: results,
        points, quants, moves, RFQ lines, vendors and packagings in one query each."""
        company = run.company_id
        results = self.with_company(company).env["sales.forecast.result"].search_fetch(
            [("run_id", "=", run.id), ("warehouse_id", "!=", False), ("product_id.is_storable", "=", True),
             ("status", "!=", "failed")],
            ["product_id", "warehouse_id", "residual_std", "champion", "history_mean", "status"])
        previous = self.search([("run_id", "=", run.id)])
        kept = {(s.product_id.id, s.warehouse_id.id): s for s in previous}
        if not results:
            previous.unlink()
            return 0
        products, warehouses = results.product_id, results.warehouse_id
        today = fields.Date.context_today(self.with_context(tz=company.partner_id.tz or "UTC"))
        forecast = self._get_forecast_matrix(results, today, run.horizon)
        stock = self._get_stock_levels(company, products, warehouses)
        incoming = self._get_incoming(company, products, warehouses)
        vendors = self._get_main_vendors(company, products, today)
        packs = self._get_pack_sizes(products)
        abc = self._get_abc_classes(company, products, warehouses)
        settings = self._get_policy_settings(company, products, abc, results)
        keys = [(r.product_id.id, r.warehouse_id.id) for r in results]
        rmse = self._get_champion_rmse(results)
        default_lead = company.forecast_lead_time_days
        inputs = {
            "lead_time": np.array([vendors[p][0].delay if p in vendors else default_lead for p, __ in keys],
                                  dtype=float),
            "moq": np.array([vendors[p][1] if p in vendors else 0.0 for p, __ in keys]),
            "pack": np.array([packs.get(p, 0.0) for p, __ in keys]),
            "on_hand": np.array([stock.get(k, (0.0, 0.0))[0] for k in keys]),
            "incoming": np.array([incoming.get(k, 0.0) for k in keys]),
            "reserved": np.array([stock.get(k, (0.0, 0.0))[1] for k in keys]),
        }
        out = policy.compute_policy(
            forecast, **inputs, residual_std=results.mapped("residual_std"), rmse=rmse,
            service_level=settings["service_level"], review_days=settings["review_days"],
            safety_days=settings["safety_days"], rounding=self._get_order_roundings([r.product_id for r in results]),
            now_days=company.forecast_urgency_now_days, watch_days=company.forecast_urgency_watch_days)
        out.update(inputs)
        vals_list, texts = [], self._get_reason_texts()
        for i, result in enumerate(results):
            product_id, warehouse_id = keys[i]
            seller = vendors.get(product_id, (None, 0.0))[0]
            vals = self._prepare_suggestion_vals(run, result, seller, abc.get(keys[i]), settings, out, i, today,
                                                 texts)
            old = kept.get(keys[i])
            if old:  # a refresh of the same run keeps the buyer's quantity and the RFQ link
                vals.update(qty_to_order_manual=old.qty_to_order_manual, purchase_line_id=old.purchase_line_id.id)
            vals_list.append(vals)
        previous.unlink()
        suggestions = self.with_context(tracking_disable=True, mail_create_nolog=True,
                                        mail_create_nosubscribe=True).create(vals_list)
        if run == self.env["sales.forecast.run"].search([("company_id", "=", company.id), ("state", "=", "done")],
                                                        order="date_end desc, id desc", limit=1):
            self.search([("company_id", "=", company.id), ("is_latest", "=", True),
                         ("run_id", "!=", run.id)]).write({"is_latest": False})
            suggestions.write({"is_latest": True})
        suggestions._schedule_buyer_activities()
        return len(suggestions)

    def _schedule_buyer_activities(self):
        """One to-do per responsible buyer listing their ORDER NOW items (yesterday's are replaced)."""
        urgent = self.filtered(lambda s: s.urgency == "order_now" and s.is_latest)
        if not self:
            return
        Activity = self.env["mail.activity"]
        old = Activity.search([("res_model", "=", self._name),
                               ("res_id", "in", self.search([("company_id", "in", self.company_id.ids),
                                                             ("is_latest", "=", False)]).ids)])
        old.unlink()
        by_buyer = defaultdict(lambda: self.browse())
        responsible = {}
        for line in urgent:
            key = (line.partner_id.buyer_id, line.product_id.responsible_id, line.run_id.user_id, line.company_id)
            if key not in responsible:
                responsible[key] = line._get_responsible_buyer()
            buyer = responsible[key]
            if buyer:
                by_buyer[buyer] |= line
        todo_type = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        for buyer, lines in by_buyer.items():
            items = Markup("").join(
                Markup("<li>%s: %s %s (%s)</li>") % (line.display_name, float_round(line.qty_to_order, 2),
                                                      line.uom_id.name or "", line.partner_id.name or _("no vendor"))
                for line in lines[:50])
            more = Markup("<p>%s</p>") % _("... and %s more.", len(lines) - 50) if len(lines) > 50 else ""
            lines[0].with_context(mail_activity_quick_update=True).activity_schedule(
                activity_type_id=todo_type.id if todo_type else False,
                summary=_("%s product(s) to order now", len(lines)),
                note=Markup("<p>%s</p><ul>%s</ul>%s") % (
                    _("Purchase suggestions below their reorder point or about to run out:"), items, more),
                user_id=buyer.id)

    # -- hooks ----------------------------------------------------------------------------------
    @api.model
    def _get_buyer_writable_fields(self):
        return {"qty_to_order", "qty_to_order_manual"}

    def _get_responsible_buyer(self):
        """The vendor's buyer, else the product's responsible, else whoever started the run, if
        they may buy."""
        self.ensure_one()
        for user in (self.partner_id.buyer_id, self.product_id.responsible_id, self.run_id.user_id):
            if user and user.active and not user.share and user.has_group("purchase.group_purchase_user") \
                    and self.company_id in user.company_ids:
                return user
        # Nobody in charge (e.g. products made by a script, a scheduled run): the purchase manager.
        managers = self.env.ref("purchase.group_purchase_manager").users.filtered(
            lambda u: u.active and not u.share and self.company_id in u.company_ids)
        return managers.sorted("id")[:1]

    @api.model
    def _get_forecast_matrix(self, results, today, horizon):
        """(n, H) daily forecast from today, one aggregated read of the points (ordered by date)."""
        horizon = max(int(horizon or 1), 1)
        groups = self.env["sales.forecast.point"]._read_group(
            [("result_id", "in", results.ids), ("date", ">=", today)], groupby=["result_id"],
            aggregates=["date:array_agg", "forecast:array_agg"])
        matrix = np.zeros((len(results), horizon))
        row = {rid: i for i, rid in enumerate(results.ids)}
        for result, dates, values in groups:
            order = np.argsort(np.array(dates, dtype="datetime64[D]"))
            series = np.nan_to_num(np.array(values, dtype=float)[order])[:horizon]
            matrix[row[result.id], :len(series)] = series
            if len(series) < horizon and len(series):  # a run from days ago: carry its tail on
                matrix[row[result.id], len(series):] = series[-policy.TAIL_DAYS:].mean()
        with_points = {result.id for result, __, __ in groups}
        no_points = [row[r.id] for r in results if r.id not in with_points]
        for i in no_points:  # points pruned: flat at the result's historical mean
            matrix[i] = max(results[i].history_mean, 0.0)
        return matrix

    @api.model
    def _get_stock_levels(self, company, products, warehouses):
        """{(product, warehouse): (on hand, reserved)} from the internal quants, in product UoM."""
        # sudo: stock is read to compute suggestions for whoever refreshes, any Purchase/Forecast role
        Quant = self.env["stock.quant"].sudo()
        groups = Quant._read_group(
            [("product_id", "in", products.ids), ("company_id", "=", company.id),
             ("location_id.usage", "=", "internal"), ("location_id.warehouse_id", "in", warehouses.ids)],
            groupby=["product_id", "location_id"], aggregates=["quantity:sum", "reserved_quantity:sum"])
        levels = defaultdict(lambda: [0.0, 0.0])
        for product, location, qty, reserved in groups:
            key = (product.id, location.warehouse_id.id)
            levels[key][0] += qty
            levels[key][1] += reserved
        return {k: tuple(v) for k, v in levels.items()}

    @api.model
    def _get_incoming(self, company, products, warehouses):
        """{(product, warehouse): qty} expected: receipts not done yet, plus open RFQ lines (no move yet)."""
        # sudo: as in _get_stock_levels, moves and RFQs are read for the computation only
        incoming = defaultdict(float)
        moves = self.env["stock.move"].sudo()._read_group(
            [("product_id", "in", products.ids), ("company_id", "=", company.id),
             ("state", "not in", ("draft", "cancel", "done")), ("location_dest_id.usage", "=", "internal"),
             ("location_id.usage", "not in", ("internal", "transit")),
             ("location_dest_id.warehouse_id", "in", warehouses.ids)],
            groupby=["product_id", "location_dest_id"], aggregates=["product_qty:sum"])
        for product, location, qty in moves:
            incoming[product.id, location.warehouse_id.id] += qty
        rfqs = self.env["purchase.order.line"].sudo()._read_group(
            [("product_id", "in", products.ids), ("company_id", "=", company.id),
             ("state", "in", OPEN_RFQ_STATES), ("display_type", "=", False)],
            groupby=["product_id", "order_id"], aggregates=["product_uom_qty:sum"])
        for product, order, qty in rfqs:
            if order.picking_type_id.warehouse_id:
                incoming[product.id, order.picking_type_id.warehouse_id.id] += qty
        return incoming

    @api.model
    def _get_main_vendors(self, company, products, today):
        """{product id: (supplierinfo, MOQ in product UoM)}: the first valid vendor line by sequence."""
        sellers = self.env["product.supplierinfo"].sudo().search(
            [("product_tmpl_id", "in", products.product_tmpl_id.ids), ("company_id", "in", (False, company.id)),
             ("partner_id.active", "=", True), "|", ("date_start", "=", False), ("date_start", "<=", today),
             "|", ("date_end", "=", False), ("date_end", ">=", today)],
            order="sequence, min_qty, price, id")
        by_template = defaultdict(list)
        for seller in sellers:
            by_template[seller.product_tmpl_id.id].append(seller)
        vendors = {}
        for product in products:
            for seller in by_template.get(product.product_tmpl_id.id, ()):
                if seller.product_id and seller.product_id != product:
                    continue
                uom = seller.product_uom or product.uom_id
                moq = uom._compute_quantity(seller.min_qty, product.uom_id, round=False) if uom != product.uom_id \
                    else seller.min_qty
                vendors[product.id] = (seller, moq)
                break
        return vendors

    @api.model
    def _get_order_roundings(self, products):
        """Per product (in read order): whole units for goods counted in units, else the UoM rounding."""
        unit_category = self.env.ref("uom.product_uom_categ_unit", raise_if_not_found=False)
        return np.array([max(p.uom_id.rounding, 1.0) if p.uom_id.category_id == unit_category else p.uom_id.rounding
                         for p in products])

    @api.model
    def _get_pack_sizes(self, products):
        """{product id: smallest purchase packaging quantity}: orders are rounded up to it."""
        packs = {}
        for packaging in self.env["product.packaging"].sudo().search(
                [("product_id", "in", products.ids), ("purchase", "=", True), ("qty", ">", 0)], order="qty"):
            packs.setdefault(packaging.product_id.id, packaging.qty)
        return packs

    @api.model
    def _get_abc_classes(self, company, products, warehouses):
        """{(product, warehouse): "A"/"B"/"C"} from the segmentation model, when it is installed."""
        if "sales.forecast.segment" not in self.env:
            return {}
        Segment = self.env["sales.forecast.segment"].sudo()
        domain = [("product_id", "in", products.ids), ("warehouse_id", "in", warehouses.ids)]
        if "company_id" in Segment._fields:
            domain.append(("company_id", "=", company.id))
        if "is_latest" in Segment._fields:
            domain.append(("is_latest", "=", True))
        classes = {}
        for product, warehouse, abc, __ in Segment._read_group(domain, ["product_id", "warehouse_id", "abc_class"],
                                                               ["__count"]):
            # The segments store "a"/"b"/"c"; this model shows "A"/"B"/"C".
            abc = (abc or "").upper()
            if abc in dict(ABC):
                classes[product.id, warehouse.id] = abc
        return classes

    @api.model
    def _get_champion_rmse(self, results):
        """Champion RMSE per result (daily error when the residual spread was not stored)."""
        rmse = dict(self.env["sales.forecast.candidate"]._read_group(
            [("result_id", "in", results.ids), ("is_champion", "=", True)], ["result_id"], ["rmse:max"]))
        return np.array([rmse.get(r, 0.0) or 0.0 for r in results])

    @api.model
    def _get_policy_settings(self, company, products, abc, results):
        """Service level, review cycle and safety days per result: the category's profile if it has
        one, else the company's (its own figures, or a sector profile). The service level is the
        category's own when it sets one (level or profile), else the ABC class's from the company's
        settings (``res.company._get_forecast_abc_service_levels``), else the profile's."""
        own = policy.Profile("company", company.forecast_service_level, company.forecast_review_days,
                             company.forecast_safety_days)
        base = policy.resolve_profile(company.forecast_replenishment_profile, own)
        labels = dict(self.env["res.company"]._fields["forecast_replenishment_profile"]._description_selection(
            self.env))
        labels["company"] = labels.get("custom", "company")
        class_levels = company._get_forecast_abc_service_levels()
        class_label = _("%s class")
        levels, review, safety, names, fixed = [], [], [], [], []
        for result in results:
            categ = result.product_id.categ_id
            profile = policy.resolve_profile(categ.forecast_replenishment_profile, base)
            level = categ.forecast_service_level or profile.service_level
            levels.append(level)
            review.append(profile.review_days)
            safety.append(profile.safety_days)
            fixed.append(bool(categ.forecast_service_level) or categ.forecast_replenishment_profile in policy.PROFILES)
            names.append(labels.get(profile.name, profile.name))
        keys = [(r.product_id.id, r.warehouse_id.id) for r in results]
        classes = [abc.get(k, "") for k in keys]
        # What set each level, for the reason text: the class when its level was used.
        names = [class_label % abc_class if abc_class in class_levels and not fixed[i] else names[i]
                 for i, abc_class in enumerate(classes)]
        return {"service_level": policy.abc_service_level(np.array(levels), classes, class_levels, fixed),
                "review_days": np.array(review), "safety_days": np.array(safety), "profile": names}

    def _prepare_suggestion_vals(self, run, result, seller, abc, settings, out, i, today, texts):
        stockout = out["stockout_day"][i]
        cover = out["days_of_cover"][i]
        return {
            "run_id": run.id,
            "result_id": result.id,
            "company_id": run.company_id.id,
            "product_id": result.product_id.id,
            "warehouse_id": result.warehouse_id.id,
            "partner_id": seller.partner_id.id if seller else False,
            "price_unit": seller.price if seller else 0.0,
            "abc_class": abc or False,
            "qty_available": float(out["on_hand"][i]),
            "qty_incoming": float(out["incoming"][i]),
            "qty_reserved": float(out["reserved"][i]),
            "moq": float(out["moq"][i]),
            "lead_time_days": int(round(out["lead_time"][i])),
            "safety_days": float(settings["safety_days"][i]),
            **self._policy_values(out, i),
            "service_level": float(settings["service_level"][i]),
            "review_days": int(settings["review_days"][i]),
            "days_of_cover": float(min(cover, 9999.0)),
            "stockout_date": today + datetime.timedelta(days=math.floor(stockout)) if stockout == stockout else False,
            "reason": self._reason(result, seller, settings, out, i, texts),
        }

    @api.model
    def _policy_values(self, out, i):
        return {name: float(out[name][i]) for name in ("demand_lead_time", "mean_daily", "safety_stock",
                                                       "reorder_point", "simple_reorder_point", "order_up_to",
                                                       "qty_suggested")} | {"urgency": str(out["urgency"][i])}

    @api.model
    def _get_reason_texts(self):
        """The reason's sentences, translated once per refresh rather than once per row."""
        return {
            "forecast": _("%(model)s forecast: %(demand).1f over the %(lead).0f-day lead time (%(origin)s)."),
            "vendor": _("vendor %s"),
            "no_vendor": _("default lead time, no vendor"),
            "fallback": _("fallback"),
            "policy": _("Safety stock %(ss).1f at %(level).1f%% service level (%(profile)s, error %(sigma).1f over "
                        "the lead time); reorder point %(rop).1f, order-up-to %(s).1f with a %(review)s-day review."),
            "below": _("Stock position %(pos).1f is below the reorder point."),
            "cover": _("Stock position %(pos).1f covers %(days).1f days."),
            "moq": _("Raised from %(need).1f to the vendor's minimum %(moq).1f."),
            "pack": _("Rounded up from %(need).1f to packs of %(pack)g."),
        }

    def _reason(self, result, seller, settings, out, i, texts):
        parts = [
            texts["forecast"] % {
                "model": result.champion or texts["fallback"], "demand": out["demand_lead_time"][i],
                "lead": out["lead_time"][i],
                "origin": texts["vendor"] % seller.partner_id.name if seller else texts["no_vendor"]},
            texts["policy"] % {
                "ss": out["safety_stock"][i], "level": settings["service_level"][i], "profile": settings["profile"][i],
                "sigma": out["sigma_lead_time"][i], "rop": out["reorder_point"][i], "s": out["order_up_to"][i],
                "review": int(settings["review_days"][i])},
        ]
        if out["position"][i] < out["reorder_point"][i] - 1e-9:
            parts.append(texts["below"] % {"pos": out["position"][i]})
        elif out["days_of_cover"][i] < 9999:
            parts.append(texts["cover"] % {"pos": out["position"][i], "days": out["days_of_cover"][i]})
        if out["moq_applied"][i]:
            parts.append(texts["moq"] % {"need": out["qty_needed"][i], "moq": out["moq"][i]})
        elif out["pack"][i] > 0 and out["qty_suggested"][i] > out["qty_needed"][i] + 1e-6:
            parts.append(texts["pack"] % {"need": out["qty_needed"][i], "pack": out["pack"][i]})
        return " ".join(parts)

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

    @api.model
    def _names_of(self, records, limit=5):
        names = records.mapped("display_name")
        return ", ".join(names[:limit]) + (_(" and %s more", len(names) - limit) if len(names) > limit else "")

    @api.model
    def _notify(self, title, message, kind, sticky=False, reload=False):
        params = {"title": title, "message": message, "type": kind, "sticky": sticky}
        if reload:
            params["next"] = {"type": "ir.actions.client", "tag": "soft_reload"}
        return {"type": "ir.actions.client", "tag": "display_notification", "params": params}

    # -- policy backtest ------------------------------------------------------------------------
    def _policy_backtest(self, company):
        """Replay these suggestions' policies on the last ``forecast_backtest_months`` of demand."""
        months = company.forecast_policy_backtest_months or 12
        days = months * 30
        window = policy.TAIL_DAYS
        today = fields.Date.context_today(self.with_context(tz=company.partner_id.tz or "UTC"))
        date_from = today - datetime.timedelta(days=days + window)
        # sudo: buyers get per-product policy figures, not sale lines; the reader aggregates the
        # company's demand exactly as the forecast that made these suggestions read it
        frame = self.env["sales.forecast.demand"].sudo()._get_demand_frame(company, date_from, today)
        keys = [(s.product_id.id, s.warehouse_id.id) for s in self]
        row = {k: i for i, k in enumerate(keys)}
        history = np.zeros((len(self), days + window))
        if len(frame):
            day_index = ((frame["date"].to_numpy(dtype="datetime64[D]") - np.datetime64(date_from, "D"))
                         .astype(int))
            for (p, w, d, q) in zip(frame["product_id"], frame["warehouse_id"], day_index, frame["quantity"]):
                i = row.get((int(p), int(w)))
                if i is not None and 0 <= d < days + window:
                    history[i, d] += q
        actual, known = self._get_actual_stock(company, keys, date_from + datetime.timedelta(days=window), days)
        out = policy.backtest_policy(
            history, days, lead_time=self.mapped("lead_time_days"),
            residual_std=[s.result_id.residual_std for s in self], service_level=self.mapped("service_level"),
            review_days=self.mapped("review_days"), safety_days=self.mapped("safety_days"),
            moq=self.mapped("moq"), unit_cost=[s.product_id.standard_price for s in self],
            actual_stock=actual, window=window)
        # sudo: computed figures, which buyers (who may run the backtest) cannot write themselves
        for i, line in enumerate(self.sudo()):
            line.write({
                "backtest_fill_rate": out["fill_rate"][i], "backtest_stockout_days": int(out["stockout_days"][i]),
                "backtest_stock_value": out["avg_stock_value"][i], "backtest_has_actual": bool(known[i]),
                "actual_fill_rate": out["actual_fill_rate"][i] if known[i] else 0.0,
                "actual_stockout_days": int(out["actual_stockout_days"][i]) if known[i] else 0,
                "actual_stock_value": out["actual_avg_stock_value"][i] if known[i] else 0.0,
            })
        totals = dict(out["totals"])
        # Like for like: policy and actual over the products with a stock history only.
        demand = out["demand"][known]
        served = out["fill_rate"][known] * demand
        actual_served = out["actual_fill_rate"][known] * demand
        totals.update(
            compared=int(known.sum()),
            compared_fill_rate=float(served.sum() / demand.sum()) if demand.sum() > 0 else 1.0,
            compared_stockout_days=int(out["stockout_days"][known].sum()),
            compared_stock_value=float(out["avg_stock_value"][known].sum()),
            actual_fill_rate=float(actual_served.sum() / demand.sum()) if demand.sum() > 0 else 1.0,
            actual_stockout_days=int(out["actual_stockout_days"][known].sum()),
            actual_avg_stock_value=float(out["actual_avg_stock_value"][known].sum()))
        return totals

    def _get_actual_stock(self, company, keys, date_from, days):
        """(n, days) end-of-day stock that really was, rebuilt backwards from today's quants with
        the done moves in and out of each warehouse (one aggregated read), and (n,) whether it
        means anything: only where sales left the warehouse as deliveries in the period (sales
        without pickings, e.g. imported or invoiced-only, leave the stock history blank)."""
        products = self.env["product.product"].browse({k[0] for k in keys})
        warehouses = self.env["stock.warehouse"].browse({k[1] for k in keys})
        stock = self._get_stock_levels(company, products, warehouses)
        row = {k: i for i, k in enumerate(keys)}
        net = np.zeros((len(keys), days + 1))  # net receipts per day; the last column: after the window
        groups = self.env["stock.move"].sudo()._read_group(
            [("product_id", "in", products.ids), ("company_id", "=", company.id), ("state", "=", "done"),
             ("date", ">=", datetime.datetime.combine(date_from, datetime.time.min))],
            groupby=["product_id", "location_id", "location_dest_id", "date:day"], aggregates=["product_qty:sum"])
        known = np.zeros(len(keys), dtype=bool)
        for product, source, dest, day, qty in groups:
            src_wh = source.warehouse_id.id if source.usage == "internal" else False
            dst_wh = dest.warehouse_id.id if dest.usage == "internal" else False
            if src_wh == dst_wh:
                continue
            if src_wh and dest.usage == "customer" and (product.id, src_wh) in row:
                known[row[product.id, src_wh]] = True
            day = day.date() if isinstance(day, datetime.datetime) else day
            d = min(max((day - date_from).days, 0), days)
            for wh, sign in ((dst_wh, 1.0), (src_wh, -1.0)):
                i = row.get((product.id, wh)) if wh else None
                if i is not None:
                    net[i, d] += sign * qty
        now = np.array([stock.get(k, (0.0, 0.0))[0] for k in keys])
        # Evening of day t = today's stock minus everything received (net) after day t.
        after = np.cumsum(net[:, ::-1], axis=1)[:, ::-1]  # after[:, t] = net from day t onwards
        return now[:, None] - after[:, 1:], known
