"""Every menu of the add-on that a forecast user or manager can see opens without an error."""
import re
from pathlib import Path

from lxml import etree

from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import FORECAST_USER, MODULE, SalesForecastCase

STATIC_SRC = Path(__file__).resolve().parent.parent / "static" / "src"
CLIENT_ACTION_LOADS = {
    "sales_forecast_ai.dashboard": lambda env: env["sales.forecast.dashboard"].get_overview(),
}


@tagged("post_install", "-at_install")
class TestMenus(SalesForecastCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users["forecast_salesman"] = new_test_user(
            cls.env, login="sfai_forecast_salesman", groups=f"{FORECAST_USER},sales_team.group_sale_salesman")

    def _module_menus(self):
        data = self.env["ir.model.data"].search([("module", "=", MODULE), ("model", "=", "ir.ui.menu")])
        return self.env["ir.ui.menu"].browse(data.mapped("res_id")).exists()

    def _visible(self, user):
        """Module menus the web client shows the user: visible, and so are all their ancestors."""
        visible = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()

        return self._module_menus().filtered(
            lambda menu: all(int(ancestor) in visible for ancestor in menu.parent_path.strip("/").split("/")))

    def test_role_menus(self):
        root = self.env.ref(f"{MODULE}.menu_root")
        settings = self.env.ref(f"{MODULE}.menu_sales_forecast_settings")
        sections = {
            "forecast_user": ["menu_dashboard", "menu_forecasts", "menu_analysis"],
            # Buyers and warehouse staff reorder: they also see the stock position (the future suggestions).
            "purchase_user": ["menu_dashboard", "menu_forecasts", "menu_purchase_suggestions", "menu_analysis"],
            "stock_user": ["menu_dashboard", "menu_forecasts", "menu_purchase_suggestions", "menu_analysis"],
            # Managers are Purchase users: they also see the stock position (the future suggestions).
            "forecast_manager": ["menu_dashboard", "menu_forecasts", "menu_purchase_suggestions"],
            "admin": ["menu_dashboard", "menu_forecasts", "menu_purchase_suggestions"],
            "forecast_salesman": ["menu_dashboard", "menu_forecasts", "menu_analysis"],
        }
        for role, expected in sections.items():
            visible = self._visible(self.users[role])
            self.assertIn(root, visible, role)
            for section in expected:
                self.assertIn(self.env.ref(f"{MODULE}.{section}"), visible, f"{role}: {section}")
            self.assertEqual(settings in visible, role == "admin", role)
        self.assertFalse(self._visible(self.users["employee"]))
        # The sales analysis (sale.report: revenue per customer and salesperson) is for the sales team only;
        # everyone who forecasts sees the quantities sold.
        sales_history = self.env.ref(f"{MODULE}.menu_sales_forecast_analysis")
        quantities = self.env.ref(f"{MODULE}.menu_sales_forecast_demand_report")
        for role in ("forecast_user", "purchase_user", "stock_user", "forecast_manager"):
            self.assertNotIn(sales_history, self._visible(self.users[role]), role)
            self.assertIn(quantities, self._visible(self.users[role]), role)
        self.assertIn(sales_history, self._visible(self.users["forecast_salesman"]))

    def test_visible_menus_open(self):
        for role in ("forecast_user", "purchase_user", "stock_user", "forecast_manager", "forecast_salesman", "admin"):
            user = self.users[role]
            for menu in self._visible(user):
                with self.subTest(role=role, menu=menu.complete_name):
                    if menu.action:
                        self._open(menu.action, user)
                    else:
                        self.assertTrue(self._visible(user) & menu.child_id, "a section with nothing to open")

    def _open(self, action, user):
        # /web/action/load reads the action with sudo; all that follows runs as the user.
        action.sudo().read()
        if action._name == "ir.actions.client":
            sources = "\n".join(p.read_text() for p in STATIC_SRC.rglob("*.js")) if STATIC_SRC.is_dir() else ""
            registered = re.search(r"""category\(["']actions["']\)\s*\.add\(\s*["']%s["']""" % re.escape(action.tag),
                                   sources)
            self.assertTrue(registered, f"client action tag {action.tag!r} is registered by no JS file")
            # What the client action asks the server for when it opens, asked as the user.
            load = CLIENT_ACTION_LOADS.get(action.tag)
            if load:
                load(self.env(user=user))
            return
        self.assertEqual(action._name, "ir.actions.act_window", "menus here open windows or client actions")
        eval_context = self.env["ir.actions.actions"].with_user(user)._get_eval_context(action)
        context = dict(self.env.context, **safe_eval(action.context or "{}", eval_context))
        domain = safe_eval(action.domain or "[]", eval_context)
        model = self.env[action.res_model].with_user(user).with_context(context)
        views = [(view.view_id.id, view.view_mode) for view in action.view_ids]
        modes = [mode for _id, mode in views]
        views += [(action.view_id.id if action.view_id.type == mode else False, mode)
                  for mode in action.view_mode.split(",") if mode not in modes]
        result = model.get_views(views + [(action.search_view_id.id, "search")], {"load_filters": True})
        for mode, view in result["views"].items():
            arch = etree.fromstring(view["arch"])
            names = [node.get("name") for node in arch.iterchildren("field")]
            if mode in ("list", "kanban"):
                model.web_search_read(domain, {name: {} for name in names}, limit=80)
            elif mode in ("pivot", "graph"):
                measures = [node.get("name") for node in arch.iterchildren("field") if node.get("type") == "measure"]
                groupby = [name for name in names if name not in measures][:1]
                model.read_group(domain, [f"{m}:sum" for m in measures], groupby, lazy=False)
            elif mode == "form":
                # Fields of the record itself, not those of its one2many lines.
                spec = {node.get("name"): {} for node in arch.iter("field")
                        if not any(parent.tag == "field" for parent in node.iterancestors())}
                if action.res_id:
                    model.browse(action.res_id).web_read(spec)
                elif action.view_mode.startswith("form"):  # opens on a new record, e.g. Settings
                    model.onchange({}, [], spec)
                elif first := model.search(domain, limit=1):
                    first.web_read(spec)
