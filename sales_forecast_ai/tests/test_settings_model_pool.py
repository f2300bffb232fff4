from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import SalesForecastCase
from ..engine.models import REGISTRY


@tagged("post_install", "-at_install")
class TestModelPoolSetting(SalesForecastCase):
    """The model pool is checked against the engine's registry when Settings are saved."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.users["admin"]
        cls.params = cls.env["ir.config_parameter"].sudo()

    def _save(self, pool):
        self.env["res.config.settings"].with_user(self.admin).create({"forecast_model_pool": pool}).execute()

    def test_registered_names_are_saved(self):
        self._save("ets, mlp ,seasonal_naive")
        self.assertEqual(self.params.get_param("sales_forecast_ai.model_pool"), "ets, mlp ,seasonal_naive")

    def test_unknown_name_is_refused_with_the_registered_names(self):
        self.params.set_param("sales_forecast_ai.model_pool", "naive,ets")
        with self.assertRaises(ValidationError) as caught, self.env.cr.savepoint():
            self._save("naive,prophet,ets,xgboost")
        message = str(caught.exception)
        self.assertIn("prophet, xgboost", message)
        for name in REGISTRY:
            self.assertIn(name, message)
        self.assertEqual(self.params.get_param("sales_forecast_ai.model_pool"), "naive,ets")
