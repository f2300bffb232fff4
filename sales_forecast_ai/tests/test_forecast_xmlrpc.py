"""External access: a client reads a run's forecasts over Odoo's XML-RPC API (the README snippet)."""
import xmlrpc.client

import odoo
from odoo import Command
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestForecastXmlRpc(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        company = env.company
        product = env["product.product"].create({"name": "SFAI RPC Widget", "default_code": "SFAI-RPC",
                                                 "type": "consu", "is_storable": True})
        warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        cls.forecast_run = env["sales.forecast.run"].create({"company_id": company.id, "state": "done",
                                                             "horizon": 2})
        cls.result = env["sales.forecast.result"].create({
            "run_id": cls.forecast_run.id, "company_id": company.id, "product_id": product.id,
            "warehouse_id": warehouse.id, "champion": "mlp", "demand_class": "smooth", "trend": "UP",
            "total_7": 21.0, "total_30": 90.0, "total_90": 270.0, "confidence": 80.0, "is_latest": True,
            "point_ids": [Command.create({"date": "2030-01-01", "forecast": 3.0, "lo_80": 2.0, "hi_80": 4.0,
                                          "lo_95": 1.0, "hi_95": 5.0}),
                          Command.create({"date": "2030-01-02", "forecast": 3.5, "lo_80": 2.5, "hi_80": 4.5,
                                          "lo_95": 1.5, "hi_95": 5.5})],
        })
        cls.product = product
        cls.password = "sfai-rpc-Pass-2030"
        cls.user = new_test_user(env, "sfai_rpc_reader", password=cls.password,
                                 groups="sales_forecast_ai.group_forecast_user")

    def test_read_forecasts_over_xmlrpc(self):
        url = f"http://127.0.0.1:{odoo.tools.config['http_port']}"
        db = self.env.cr.dbname
        common = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/common")
        uid = common.authenticate(db, "sfai_rpc_reader", self.password, {})
        self.assertEqual(uid, self.user.id)
        models = xmlrpc.client.ServerProxy(f"{url}/xmlrpc/2/object")

        runs = models.execute_kw(db, uid, self.password, "sales.forecast.run", "search_read",
                                 [[("state", "=", "done"), ("id", "=", self.forecast_run.id)]],
                                 {"fields": ["name", "horizon"]})
        self.assertEqual(runs, [{"id": self.forecast_run.id, "name": self.forecast_run.name, "horizon": 2}])

        results = models.execute_kw(
            db, uid, self.password, "sales.forecast.result", "search_read",
            [[("run_id", "=", self.forecast_run.id), ("is_latest", "=", True)]],
            {"fields": ["product_id", "warehouse_id", "champion", "trend", "total_7", "total_30", "total_90",
                        "confidence"]})
        self.assertEqual(len(results), 1)
        row = results[0]
        self.assertEqual(row["product_id"][0], self.product.id)
        self.assertEqual((row["champion"], row["trend"], row["total_30"]), ("mlp", "UP", 90.0))

        points = models.execute_kw(db, uid, self.password, "sales.forecast.point", "search_read",
                                   [[("result_id", "=", row["id"])]],
                                   {"fields": ["date", "forecast", "lo_80", "hi_80", "lo_95", "hi_95"],
                                    "order": "date"})
        self.assertEqual([(p["date"], p["forecast"], p["lo_95"], p["hi_95"]) for p in points],
                         [("2030-01-01", 3.0, 1.0, 5.0), ("2030-01-02", 3.5, 1.5, 5.5)])

        with self.assertRaises(xmlrpc.client.Fault, msg="readers cannot change forecasts"):
            models.execute_kw(db, uid, self.password, "sales.forecast.result", "write",
                              [[row["id"]], {"total_30": 0.0}])
