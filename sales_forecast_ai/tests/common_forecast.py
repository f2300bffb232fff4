"""Fixtures of the forecasting tests: a company of their own, so demo data never leaks in."""
import datetime
import os
import shutil

from odoo import Command, fields
from odoo.tests import TransactionCase

# Cheap engine models, so a real child process trains and forecasts in seconds.
CHEAP_POOL = "naive,seasonal_naive"


class ForecastCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, mail_create_nolog=True))
        cls.company = cls.env["res.company"].create({
            "name": "SFAI Forecast Test Co",
            "country_id": cls.env.ref("base.fr").id,
            "forecast_history_days": 120,
            "forecast_horizon_days": 14,
            "forecast_backtest_folds": 1,
        })
        cls.company.partner_id.tz = "Europe/Paris"
        cls.other_company = cls.env["res.company"].create({"name": "SFAI Other Co"})
        cls.env.user.company_ids |= cls.company | cls.other_company
        cls.wh1 = cls.env["stock.warehouse"].search([("company_id", "=", cls.company.id)], limit=1)
        cls.wh1.code = "SFW1"
        cls.wh2 = cls.env["stock.warehouse"].create({"name": "SFAI Second", "code": "SFW2",
                                                     "company_id": cls.company.id})
        cls.other_wh = cls.env["stock.warehouse"].search([("company_id", "=", cls.other_company.id)], limit=1)
        cls.unit = cls.env.ref("uom.product_uom_unit")
        cls.dozen = cls.env.ref("uom.product_uom_dozen")
        cls.customer = cls.env["res.partner"].create({"name": "SFAI Customer"})
        cls.p1 = cls._product("SFAI-P1", barcode="3760000000011", name="SFAI Widget")
        cls.p2 = cls._product("SFAI-P2", name="SFAI Gadget")
        cls.p3 = cls._product("SFAI-P3", name="SFAI Gizmo")
        cls.service = cls._product("SFAI-SRV", type="service", is_storable=False)
        cls.consumable = cls._product("SFAI-CON", is_storable=False)
        cls.today = fields.Date.context_today(cls.env["sales.forecast.run"].with_context(tz="Europe/Paris"))
        cls.param = cls.env["ir.config_parameter"].sudo()
        cls.param.set_param("sales_forecast_ai.model_pool", CHEAP_POOL)

    @classmethod
    def _product(cls, code, type="consu", is_storable=True, **vals):
        return cls.env["product.product"].create({
            "name": vals.pop("name", code), "default_code": code, "type": type, "is_storable": is_storable,
            "uom_id": cls.unit.id, "uom_po_id": cls.unit.id, **vals})

    @classmethod
    def _order(cls, day, lines, warehouse=None, company=None, confirm=True, hour=10):
        """A sale order dated ``day`` at ``hour`` UTC, confirmed unless told otherwise."""
        company = company or cls.company
        warehouse = warehouse or cls.wh1
        order = cls.env["sale.order"].with_company(company).create({
            "partner_id": cls.customer.id,
            "company_id": company.id,
            "warehouse_id": warehouse.id,
            "order_line": [Command.create({"product_id": p.id, "product_uom_qty": qty,
                                           "product_uom": (uom or p.uom_id).id})
                           for p, qty, uom in ((*line, None)[:3] for line in lines)],
        })
        if confirm:
            order.action_confirm()
        order.date_order = datetime.datetime.combine(day, datetime.time(hour))
        return order

    @classmethod
    def _history(cls, product, warehouse, days, quantity, company=None):
        """Imported history rows: ``quantity`` is a number or a function of the day index."""
        company = company or cls.company
        return cls.env["sales.forecast.history"].create([{
            "company_id": company.id, "product_id": product.id, "warehouse_id": warehouse.id,
            "date": cls.today - datetime.timedelta(days=days - i),
            "quantity": quantity(i) if callable(quantity) else quantity,
            "import_batch": "test",
        } for i in range(days)])

    def _queue_run(self, company=None, **vals):
        Run = self.env["sales.forecast.run"]
        return Run.create({**Run._prepare_run_vals(company or self.company, trigger="manual"), **vals})

    def _cleanup_work_dirs(self, runs):
        """Tests never commit, so post-commit clean-up does not run: remove what runs left behind."""
        for run in runs:
            path = run._get_work_dir()
            if os.path.isdir(path):
                run._stop_child()
                shutil.rmtree(path, ignore_errors=True)
