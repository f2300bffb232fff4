"""Module hooks. No odoo import here: Odoo calls them with an environment."""

# Models of the demo company that the add-on's demo generator gives external ids to.
DEMO_MODELS = ("stock.warehouse", "product.category", "product.product", "res.partner")


def uninstall_hook(env):
    # The demo company is business data by now (orders, stock moves and valuations point to it):
    # it stays, like data entered by hand. Dropping its external ids keeps Odoo from trying, and
    # failing loudly, to delete it.
    env["ir.model.data"].search([
        ("module", "=", "sales_forecast_ai"), ("model", "in", DEMO_MODELS), ("name", "=like", "demo%"),
    ]).unlink()
    # No secret (the Groq key) nor setting of the add-on stays behind.
    env["ir.config_parameter"].search([("key", "=like", "sales_forecast_ai.%")]).unlink()
