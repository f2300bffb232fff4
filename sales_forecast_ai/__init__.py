# The Odoo layer is only loaded when Odoo imports the add-on (as odoo.addons.sales_forecast_ai).
# Imported as plain `sales_forecast_ai` (e.g. `python -m sales_forecast_ai.engine` on a machine
# without Odoo) only the pure-Python engine is usable, so nothing here may import odoo.
if __name__.startswith("odoo.addons."):
    from . import controllers, models, wizard  # noqa: F401
    from .hooks import uninstall_hook  # noqa: F401
