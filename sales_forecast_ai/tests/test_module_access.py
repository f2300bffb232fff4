"""Nothing of ours widens what a standard model lets anyone read or write."""
from odoo.tests import TransactionCase, tagged

from .common import MODULE

OWN_MODEL_PREFIXES = ("sales.forecast.", "sales.history.")


@tagged("post_install", "-at_install")
class TestModuleAccess(TransactionCase):
    def _own_records(self, model):
        data = self.env["ir.model.data"].search([("module", "=", MODULE), ("model", "=", model)])
        return self.env[model].browse(data.mapped("res_id")).exists()

    def test_access_rows_only_on_own_models(self):
        accesses = self._own_records("ir.model.access")
        self.assertTrue(accesses, "the module's access rows are found")
        outside = accesses.filtered(lambda a: not a.model_id.model.startswith(OWN_MODEL_PREFIXES))
        self.assertFalse(outside, "access rows on standard models: %s" % ", ".join(
            f"{a.name} ({a.model_id.model})" for a in outside))

    def test_record_rules_only_on_own_models(self):
        rules = self._own_records("ir.rule")
        outside = rules.filtered(lambda r: not r.model_id.model.startswith(OWN_MODEL_PREFIXES))
        self.assertFalse(outside, "record rules on standard models: %s" % ", ".join(outside.mapped("name")))
