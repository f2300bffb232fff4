"""The assistant from the browser: open it from the systray, ask, read the answer and its links."""

from odoo.tests import HttpCase, tagged

from . import groq_fake_server as fake
from .chat_fixtures import confirmed_sale, last_month_day, start_fake_groq
from .common import create_role_users
from .dashboard_fixtures import create_forecast_fixture
from .tour_screenshots import start_tour_with_screenshots


@tagged("post_install", "-at_install")
class TestChatTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = create_role_users(cls.env)
        cls.server = start_fake_groq(cls, cls.env, mode="builtin", timeout="5")
        cls.data = create_forecast_fixture(cls.env)
        cls.best_seller = cls.env["product.product"].create(
            {"name": "SFAI Chat Best Seller", "is_storable": True, "list_price": 2.0})
        confirmed_sale(cls.env, cls.best_seller, 5000, last_month_day(cls.env))

    def _tour(self, tour, login):
        return start_tour_with_screenshots(self, "/odoo", tour, login, lambda name: f"sfai_{name}_{login}_")

    def _answers(self, login):
        user = self.env["res.users"].search([("login", "=", login)])
        return self.env["sales.forecast.chat.message"].sudo().search(
            [("user_id", "=", user.id), ("role", "=", "assistant")], order="id")

    def test_builtin_assistant_as_admin(self):
        self.assertEqual(self._tour("sales_forecast_ai_chat_tour", "admin"), ["chat"])
        answers = self._answers("admin")
        self.assertEqual(answers.mapped("source"), ["builtin", "builtin"])
        self.assertEqual(len(answers.session_id), 2, "New conversation started a second session")
        self.assertFalse(self.server.chat_requests(), "built-in mode never calls Groq")

    def test_builtin_assistant_as_buyer(self):
        # A Purchase User has no sales rights: same answer, quantities only.
        self.assertEqual(self._tour("sales_forecast_ai_chat_tour", "sfai_forecast_buyer"), ["chat"])
        first = self._answers("sfai_forecast_buyer")[0]
        self.assertIn("SFAI Chat Best Seller: 5 000", first.content)
        self.assertNotIn(" for ", first.content.split("\n")[2], "no amounts without sales rights")

    def test_groq_assistant(self):
        self.env["ir.config_parameter"].sudo().set_param("sales_forecast_ai.chat_mode", "groq")
        self.server.push(fake.tool_call("get_top_products", {"period": "last_month"}),
                         fake.answer("Le produit le plus vendu le mois dernier est SFAI Chat Best Seller."))
        self.assertEqual(self._tour("sales_forecast_ai_chat_groq_tour", "admin"), ["chat_groq"])
        self.assertEqual(len(self.server.chat_requests()), 2)
