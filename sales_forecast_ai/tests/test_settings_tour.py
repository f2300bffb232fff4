from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestSettingsTour(HttpCase):
    def test_settings_render_and_save_in_the_browser(self):
        company = self.env.ref("base.user_admin").company_id
        self.assertNotEqual(company.forecast_horizon_days, 120)
        self.start_tour("/odoo/action-sales_forecast_ai.action_sales_forecast_config_settings",
                        "sales_forecast_ai_settings_tour", login="admin")
        self.env.invalidate_all()
        self.assertEqual(company.forecast_horizon_days, 120)
