"""The built-in assistant answers the common questions correctly on the demo database, in three languages."""
from odoo import fields
from odoo.tests import TransactionCase, new_test_user, tagged

from ..engine.chat.answers import number
from ..engine.chat.intents import resolve_period
from .common import FORECAST_USER, MODULE, create_role_users
from .dashboard_fixtures import create_forecast_fixture

OPTIONAL_MODELS = {
    "reorder": "sales.forecast.suggestion",
    "anomalies": "sales.forecast.anomaly",
}


@tagged("post_install", "-at_install")
class TestChatOffline(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.has_demo = bool(cls.env.ref(f"{MODULE}.demo_warehouse_casablanca", raise_if_not_found=False))
        cls.users = create_role_users(cls.env)
        cls.users["salesman"] = new_test_user(cls.env, login="sfai_chat_seller",
                                              groups=f"sales_team.group_sale_salesman_all_leads,{FORECAST_USER}")
        cls.env["ir.config_parameter"].sudo().set_param("sales_forecast_ai.chat_mode", "builtin")
        cls.env["ir.config_parameter"].sudo().set_param("sales_forecast_ai.chat_daily_limit", "0")
        cls.data = create_forecast_fixture(cls.env)

    def setUp(self):
        super().setUp()
        if not self.has_demo:
            self.skipTest("the add-on was installed without demo data")

    def ask(self, question, role="salesman"):
        result = self.env["sales.forecast.assistant"].with_user(self.users[role]).ask(question)
        self.assertEqual(result["source"], "builtin")
        self.assertFalse(result["error"])
        return result

    def _last_month(self):
        return resolve_period("last_month", fields.Date.context_today(self.env["res.users"]))

    def _expected_top(self):
        """Last month's best sellers by quantity, straight from sale.report."""
        start, end = self._last_month()
        bounds = self.env["sales.forecast.demand"]._utc_bounds(self.env.company, start, end)
        groups = self.env["sale.report"]._read_group(
            [("company_id", "=", self.env.company.id), ("state", "=", "sale"), ("date", ">=", bounds[0]),
             ("date", "<", bounds[1]), ("product_id", "!=", False)],
            groupby=["product_id"], aggregates=["product_uom_qty:sum"])
        return sorted(groups, key=lambda g: (-g[1], g[0].id))

    def test_top_products_last_month(self):
        expected = self._expected_top()
        self.assertGreater(len(expected), 10, "the demo has sales every month")
        start, end = self._last_month()
        result = self.ask("What were the top products last month?")
        lines = result["answer"].splitlines()
        self.assertIn(f"Top products from {start} to ", lines[1])
        for line, (product, qty) in zip(lines[2:12], expected[:10]):
            self.assertTrue(line.startswith(f"- {product.display_name}: {number(qty, 1)} for "), (line, product))
        self.assertEqual([r["id"] for r in result["records"]][:10], [p.id for p, _q in expected[:10]])
        french = self.ask("Quels sont les meilleurs produits le mois dernier ?")["answer"]
        self.assertIn(f"- {expected[0][0].display_name} : {number(expected[0][1], 1)} pour ", french)
        arabic = self.ask("ما هي أفضل المنتجات الشهر الماضي؟")["answer"]
        self.assertIn("أفضل المنتجات من", arabic)
        self.assertIn(expected[0][0].display_name, arabic)

    def test_top_products_for_a_buyer_are_quantities(self):
        start, end = self._last_month()
        # sudo: the test computes the same aggregated quantities the tool reads for users without sales rights
        frame = self.env["sales.forecast.demand"].sudo()._get_demand_frame(self.env.company, start, end)
        totals = frame.groupby("product_id")["quantity"].sum().sort_values(ascending=False, kind="stable")
        best = self.env["product.product"].browse(int(totals.index[0]))
        answer = self.ask("top products last month", role="forecast_purchase_user")["answer"]
        self.assertIn(f"- {best.display_name}: {number(totals.iloc[0], 1)}\n", answer)
        self.assertIn("Quantities only", answer)

    def test_forecast_for_a_product(self):
        product = self.data["product_a"]
        for question, fragments in (
            ("forecast for SFAI Tour Product A", ["Forecast for [SFAI-A] SFAI Tour Product A",
                                                  "300 next 30 days", "model mlp", "trend UP", "82%"]),
            ("Prévision pour SFAI-A", ["Prévision pour [SFAI-A] SFAI Tour Product A", "300 sur 30 jours"]),
            ("توقعات SFAI Tour Product A", ["توقعات [SFAI-A] SFAI Tour Product A", "300 خلال 30 يوما"]),
        ):
            result = self.ask(question, role="forecast_user")
            for fragment in fragments:
                self.assertIn(fragment, result["answer"], question)
            self.assertIn({"model": "product.product", "id": product.id, "name": product.display_name},
                          result["records"])
        # A demo product without a forecast says so, by name.
        couscous = self.env.ref(f"{MODULE}.demo_product_couscous", raise_if_not_found=False) or \
            self.env["product.product"].search([("default_code", "=", "GRO-001")], limit=1)
        answer = self.ask(f"forecast for {couscous.name}", role="forecast_user")["answer"]
        self.assertIn(f"{couscous.display_name} has no forecast yet", answer)
        self.assertIn("no product matching", self.ask("forecast for Unicorn Saddle Deluxe")["answer"])

    def test_what_should_i_reorder(self):
        for question in ("What should I reorder?", "Que dois-je commander ?", "ماذا يجب أن أطلب؟"):
            answer = self.ask(question, role="forecast_purchase_user")["answer"]
            if OPTIONAL_MODELS["reorder"] in self.env:
                self.assertRegex(answer, r"to order now|Nothing needs ordering|à commander|Rien à commander|"
                                         r"اطلب|لا شيء يحتاج")
            else:
                self.assertRegex(answer, r"not available yet|pas encore disponible|غير متاح بعد")

    def test_any_anomalies_this_week(self):
        for question in ("Any anomalies this week?", "Des anomalies cette semaine ?", "هل هناك حالات شاذة هذا الأسبوع؟"):
            answer = self.ask(question)["answer"]
            if OPTIONAL_MODELS["anomalies"] in self.env:
                self.assertRegex(answer, r"anomal|شاذ")
            else:
                self.assertRegex(answer, r"Anomaly detection is not available yet|pas encore disponible|غير متاح بعد")

    def test_model_comparison_and_help(self):
        answer = self.ask("Which model is best?")["answer"]
        self.assertIn("mlp has the lowest error (MASE 0.71", answer)
        self.assertIn("- ets: MASE 0.78, WAPE 27%, 1 series won", answer)
        self.assertIn("What should I reorder?", self.ask("Tell me a joke")["answer"])


@tagged("post_install", "-at_install")
class TestChatOfflineOptionalModels(TransactionCase):
    """Suggestions, anomalies and segments come from other parts of the add-on: when their models are
    installed, the built-in assistant answers from them (these tests skip until then)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = create_role_users(cls.env)
        cls.env["ir.config_parameter"].sudo().set_param("sales_forecast_ai.chat_mode", "builtin")
        cls.env["ir.config_parameter"].sudo().set_param("sales_forecast_ai.chat_daily_limit", "0")
        cls.data = create_forecast_fixture(cls.env)
        cls.today = fields.Date.context_today(cls.env["res.users"])

    def _require(self, model):
        if model not in self.env:
            self.skipTest(f"{model} is not part of this database yet")

    def ask(self, question):
        return self.env["sales.forecast.assistant"].with_user(self.users["forecast_purchase_user"]).ask(question)

    def test_reorder_from_suggestions(self):
        self._require("sales.forecast.suggestion")
        Suggestion = self.env["sales.forecast.suggestion"]
        Suggestion.search([("company_id", "=", self.env.company.id)]).unlink()
        vendor = self.env["res.partner"].create({"name": "SFAI Chat Vendor"})
        common = {"run_id": self.data["run"].id, "company_id": self.env.company.id, "is_latest": True,
                  "warehouse_id": self.data["warehouse_1"].id}
        Suggestion.create([
            {**common, "product_id": self.data["product_a"].id, "partner_id": vendor.id, "urgency": "order_now",
             "qty_suggested": 120.0, "stockout_date": self.today, "reason": "below the reorder point"},
            {**common, "product_id": self.data["product_b"].id, "urgency": "watch", "qty_suggested": 30.0},
        ])
        result = self.ask("What should I reorder?")
        self.assertIn("1 product(s) to order now, 1 to watch", result["answer"])
        self.assertIn("SFAI Tour Product A (", result["answer"])
        self.assertIn("order 120 from SFAI Chat Vendor, order now", result["answer"])
        self.assertIn("sales.forecast.suggestion", {r["model"] for r in result["records"]})
        self.assertIn("commander 120 chez SFAI Chat Vendor", self.ask("Que dois-je commander ?")["answer"])

    def test_anomalies_this_week(self):
        self._require("sales.forecast.anomaly")
        Anomaly = self.env["sales.forecast.anomaly"]
        Anomaly.search([("company_id", "=", self.env.company.id)]).unlink()
        Anomaly.create({"company_id": self.env.company.id, "product_id": self.data["product_a"].id,
                        "warehouse_id": self.data["warehouse_1"].id, "date": self.today, "kind": "spike",
                        "expected": 10.0, "actual": 55.0, "zscore": 4.5, "severity": "high"})
        answer = self.ask("Any anomalies this week?")["answer"]
        self.assertIn("1 anomal(y/ies)", answer)
        self.assertIn("SFAI Tour Product A", answer)
        self.assertIn("55 sold vs 10 expected, severity high", answer)

    def test_abc_class_of_a_product(self):
        self._require("sales.forecast.segment")
        Segment = self.env["sales.forecast.segment"]
        Segment.search([("company_id", "=", self.env.company.id)]).unlink()
        Segment.create({"company_id": self.env.company.id, "product_id": self.data["product_a"].id,
                        "warehouse_id": self.data["warehouse_1"].id, "abc_class": "a", "xyz_class": "y"})
        answer = self.ask("ABC class of SFAI Tour Product A")["answer"]
        self.assertIn("SFAI Tour Product A", answer)
        self.assertIn(": AY", answer)
