"""Building a run's suggestions: forecast over the lead time, stock on hand, incoming moves, open RFQs
and each product's main vendor, each read once for all products (aggregated reads, no per-product
query), then engine.policy over all rows at once; the reason text and the buyer's to-do."""
import datetime
import math
from collections import defaultdict

import numpy as np
from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.tools import float_round

from ..engine import policy

URGENCY = [("order_now", "Order Now"), ("watch", "Watch"), ("ok", "OK")]
ABC = [("A", "A"), ("B", "B"), ("C", "C")]
OPEN_RFQ_STATES = ("draft", "sent", "to approve")
from .sales_forecast_suggestion import OPEN_RFQ_STATES


class SalesForecastSuggestion(models.Model):
    _inherit = "sales.forecast.suggestion"

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
