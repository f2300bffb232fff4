"""Run by tests/run.py through pytest-odoo against a database where the add-on was installed WITHOUT demo
data. These tests commit: they uninstall the add-on for real, which no TransactionCase can do."""
import threading
from contextlib import contextmanager

import odoo
from odoo import SUPERUSER_ID, api
from odoo.modules.registry import Registry

MODULE = "sales_forecast_ai"
# What an uninstall must remove even where ir.model.data no longer points at it.
ORPHAN_QUERIES = [
    ("a forecast cron", "SELECT count(*) FROM ir_cron c JOIN ir_act_server s ON s.id = c.ir_actions_server_id "
                        "JOIN ir_model m ON m.id = s.model_id WHERE m.model LIKE 'sales.forecast%'"),
    ("the top menu", "SELECT count(*) FROM ir_ui_menu WHERE name->>'en_US' = 'Sales Forecast'"),
    ("a window action on a forecast model",
     "SELECT count(*) FROM ir_act_window WHERE res_model LIKE 'sales.forecast%'"),
    ("a client action", "SELECT count(*) FROM ir_act_client WHERE tag LIKE 'sales_forecast_ai.%'"),
    ("a forecast model", "SELECT count(*) FROM ir_model WHERE model LIKE 'sales.forecast%'"),
    ("a forecast table", "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'sales_forecast%'"),
    ("a forecast group",
     "SELECT count(*) FROM res_groups WHERE name->>'en_US' IN ('Forecast User', 'Forecast Manager')"),
]


def _env(cr):
    return api.Environment(cr, SUPERUSER_ID, {})


def _db():
    return odoo.tools.config["db_name"]


@contextmanager
def _outside_test_mode():
    """pytest-odoo flags the thread as testing and turns test_enable on: Odoo then forbids module operations
    (they cannot be rolled back) and would look for tests to run while reloading the registry. These tests
    are meant to commit, on a database nothing else uses."""
    thread = threading.current_thread()
    previous = getattr(thread, "testing", False), odoo.tools.config["test_enable"]
    thread.testing, odoo.tools.config["test_enable"] = False, False
    try:
        yield
    finally:
        thread.testing, odoo.tools.config["test_enable"] = previous


def test_installed_without_demo_data():
    with Registry(_db()).cursor() as cr:
        env = _env(cr)
        module = env["ir.module.module"].search([("name", "=", MODULE)])
        assert module.state == "installed"
        assert not module.demo, "this database must have been installed without demo data"
        demo_refs = env["ir.model.data"].search_count([("module", "=", MODULE), ("noupdate", "=", True),
                                                       ("model", "=", "sale.order")])
        assert demo_refs == 0
        assert env.ref(f"{MODULE}.group_forecast_manager") in env.ref("stock.group_stock_manager").implied_ids


def test_uninstall_leaves_no_orphans():
    with Registry(_db()).cursor() as cr:
        env = _env(cr)
        owned = env["ir.model.data"].search([("module", "=", MODULE)])
        kinds = set(owned.mapped("model"))
        expected = {"ir.ui.menu", "res.groups", "ir.cron", "ir.actions.act_window", "ir.actions.client"}
        assert expected <= kinds, f"nothing to check: the module owns only {sorted(kinds)}"
        with _outside_test_mode():
            env["ir.module.module"].search([("name", "=", MODULE)]).button_immediate_uninstall()

    with Registry(_db()).cursor() as cr:
        env = _env(cr)
        assert env["ir.module.module"].search([("name", "=", MODULE)]).state == "uninstalled"
        assert not env["ir.model.data"].search([("module", "=", MODULE)])
        for what, sql in ORPHAN_QUERIES:
            cr.execute(sql)
            assert cr.fetchone()[0] == 0, f"{what} survived the uninstall"
