"""What to buy, from whom, how much and how urgently: one row per product x warehouse of a run.

Built after each successful run (``_refresh_run``) from the run's results and forecast points, the
stock on hand, incoming moves, open RFQs and each product's main vendor, all read in aggregated
queries; the policy itself is ``engine.policy`` (pure numpy). Rows are kept per run, ``is_latest``
marks the company's current ones, like forecast results.
"""
from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError


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
    def _names_of(self, records, limit=5):
        names = records.mapped("display_name")
        return ", ".join(names[:limit]) + (_(" and %s more", len(names) - limit) if len(names) > limit else "")

    @api.model
    def _notify(self, title, message, kind, sticky=False, reload=False):
        params = {"title": title, "message": message, "type": kind, "sticky": sticky}
        if reload:
            params["next"] = {"type": "ir.actions.client", "tag": "soft_reload"}
        return {"type": "ir.actions.client", "tag": "display_notification", "params": params}
