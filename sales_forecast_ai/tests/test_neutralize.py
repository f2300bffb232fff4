from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import TransactionCase, tagged

KEY_PARAM = "sales_forecast_ai.groq_api_key"


@tagged("post_install", "-at_install")
class TestNeutralize(TransactionCase):
    def test_neutralize_clears_the_key_and_stops_the_training(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param(KEY_PARAM, "gsk_production_key")
        params.set_param("sales_forecast_ai.groq_model", "llama-3.3-70b-versatile")
        own_crons = self.env["ir.cron"].with_context(active_test=False).browse(
            self.env["ir.model.data"].search([("module", "=", "sales_forecast_ai"), ("model", "=", "ir.cron")])
            .mapped("res_id"))
        self.assertTrue(own_crons, "the add-on's training cron should exist")
        own_crons.active = True
        other_cron = self.env.ref("base.autovacuum_job")
        other_cron.active = True
        self.env.flush_all()

        queries = list(get_neutralization_queries(["sales_forecast_ai"]))
        self.assertEqual(len(queries), 1)
        self.env.cr.execute(queries[0])
        self.env.invalidate_all()
        self.env.registry.clear_cache()

        self.assertFalse(params.get_param(KEY_PARAM))
        self.assertEqual(params.get_param("sales_forecast_ai.groq_model"), "llama-3.3-70b-versatile")
        self.assertFalse(any(own_crons.mapped("active")))
        self.assertTrue(other_cron.active, "only the add-on's crons are this file's business")
