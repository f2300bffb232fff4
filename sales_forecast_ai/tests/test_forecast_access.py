"""Who may read, run and change forecasts; one company never sees another's."""
from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common_forecast import ForecastCase


@tagged("post_install", "-at_install")
class TestForecastAccess(ForecastCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.forecast_run = cls.env["sales.forecast.run"].create({"company_id": cls.company.id, "state": "done"})
        cls.result = cls.env["sales.forecast.result"].create({
            "run_id": cls.forecast_run.id, "company_id": cls.company.id, "product_id": cls.p1.id,
            "warehouse_id": cls.wh1.id, "champion": "naive", "total_30": 42.0, "is_latest": True,
            "point_ids": [Command.create({"date": cls.today, "forecast": 1.5, "lo_80": 1.0, "hi_80": 2.0,
                                          "lo_95": 0.5, "hi_95": 2.5})],
            "candidate_ids": [Command.create({"model": "naive", "mase": 0.8, "is_champion": True})],
        })
        cls.env["sales.forecast.run.score"].create({"run_id": cls.forecast_run.id, "model": "naive",
                                                    "mase": 0.8})
        cls.other_run = cls.env["sales.forecast.run"].create({"company_id": cls.other_company.id,
                                                              "state": "done"})
        cls.other_result = cls.env["sales.forecast.result"].create({
            "run_id": cls.other_run.id, "company_id": cls.other_company.id, "product_id": cls.p1.id,
            "warehouse_id": cls.other_wh.id, "is_latest": True,
            "point_ids": [Command.create({"date": cls.today, "forecast": 9.0})],
        })
        common = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)]}
        cls.reader = new_test_user(cls.env, "sfai_reader", groups="sales_forecast_ai.group_forecast_user", **common)
        cls.manager = new_test_user(cls.env, "sfai_manager", groups="sales_forecast_ai.group_forecast_manager",
                                    **common)
        cls.outsider = new_test_user(cls.env, "sfai_outsider", groups="base.group_user", **common)

    def test_forecast_user_reads_but_never_changes(self):
        Result = self.env["sales.forecast.result"].with_user(self.reader)
        results = Result.search([("is_latest", "=", True)])
        self.assertEqual(results, self.result, "only its own company's results")
        self.assertEqual(results.point_ids.forecast, 1.5)
        self.assertEqual(results.candidate_ids.model, "naive")
        self.assertEqual(self.forecast_run.with_user(self.reader).score_ids.model, "naive")
        with self.assertRaises(AccessError):
            results.write({"total_30": 1.0})
        with self.assertRaises(AccessError):
            results.point_ids.unlink()
        with self.assertRaises(AccessError):
            self.forecast_run.with_user(self.reader).unlink()
        with self.assertRaises(AccessError):
            self.env["sales.forecast.run"].with_user(self.reader).action_run_now()
        with self.assertRaises(AccessError):
            self.env["sales.history.import"].with_user(self.reader).create({})

    def test_manager_runs_forecasts(self):
        action = self.env["sales.forecast.run"].with_user(self.manager).action_run_now()
        run = self.env["sales.forecast.run"].browse(action["res_id"])
        self.assertEqual((run.state, run.company_id, run.user_id), ("queued", self.company, self.manager))
        run.with_user(self.manager).action_cancel()
        self.assertEqual(run.state, "cancelled")
        self.assertTrue(self.env["sales.history.import"].with_user(self.manager).create({}))

    def test_other_company_is_invisible(self):
        for model in ("sales.forecast.run", "sales.forecast.result", "sales.forecast.point"):
            records = self.env[model].with_user(self.manager).search([])
            self.assertFalse(records.filtered(lambda r: r.company_id == self.other_company), model)
        with self.assertRaises(AccessError):
            self.other_result.with_user(self.manager).read(["total_30"])
        with self.assertRaises(AccessError):
            self.other_result.point_ids.with_user(self.reader).read(["forecast"])

    def test_users_without_forecast_group_see_nothing(self):
        for model in ("sales.forecast.run", "sales.forecast.result", "sales.forecast.point",
                      "sales.forecast.candidate", "sales.forecast.history"):
            with self.assertRaises(AccessError, msg=model):
                self.env[model].with_user(self.outsider).search([])

    def test_product_forecast_button(self):
        product = self.p1.with_user(self.reader)
        self.assertEqual(product.forecast_total_30, 42.0, "the latest result's 30-day total")
        self.assertEqual(product.product_tmpl_id.forecast_total_30, 42.0)
        action = product.action_open_forecast_chart()
        self.assertEqual((action["type"], action["tag"]), ("ir.actions.client", "sales_forecast_ai.forecast_chart"))
        self.assertEqual(action["params"], {"product_id": self.p1.id})
        action = self.result.with_user(self.reader).action_open_forecast_chart()
        self.assertEqual(action["params"], {"product_id": self.p1.id, "warehouse_id": self.wh1.id})
        self.assertEqual(product.product_tmpl_id.action_open_forecast_chart()["tag"],
                         "sales_forecast_ai.forecast_chart", "a single variant opens its chart")
