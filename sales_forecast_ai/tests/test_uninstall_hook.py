from odoo.tests import TransactionCase, tagged

from odoo.addons.sales_forecast_ai.hooks import DEMO_MODELS, uninstall_hook


@tagged("post_install", "-at_install")
class TestUninstallHook(TransactionCase):
    """The real uninstall is run by tests/odoo/test_install_uninstall.py; this checks what the hook
    itself does, on data a TransactionCase can roll back."""

    def test_hook_drops_secrets_and_demo_external_ids_only(self):
        params = self.env["ir.config_parameter"]
        params.set_param("sales_forecast_ai.groq_api_key", "gsk_to_forget")
        params.set_param("sales_forecast_ai.groq_model", "llama-3.3-70b-versatile")
        params.set_param("web.base.url.freeze", "True")
        partner = self.env["res.partner"].create({"name": "SFAI demo-like partner"})
        self.env["ir.model.data"]._update_xmlids(
            [{"xml_id": "sales_forecast_ai.demo_hook_partner", "record": partner, "noupdate": True}])
        own = self.env["ir.model.data"].search([("module", "=", "sales_forecast_ai"), ("model", "not in", DEMO_MODELS)])
        self.assertTrue(own)

        uninstall_hook(self.env)

        self.assertFalse(params.search([("key", "=like", "sales_forecast_ai.%")]))
        self.assertEqual(params.get_param("web.base.url.freeze"), "True")
        self.assertFalse(self.env.ref("sales_forecast_ai.demo_hook_partner", raise_if_not_found=False))
        self.assertTrue(partner.exists(), "demo records stay as business data")
        self.assertEqual(own.exists(), own, "menus, views and groups are left to Odoo's uninstall")
