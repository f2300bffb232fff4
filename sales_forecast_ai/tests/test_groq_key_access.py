"""The Groq API key is readable by administrators only, whatever the path: ORM read, views,
fields_get, ir.config_parameter, and JSON-RPC from a logged-in browser session."""
import json

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from .common import SalesForecastCase, create_role_users

KEY_PARAM = "sales_forecast_ai.groq_api_key"
SECRET = "gsk_sfai_test_secret_9f3b2c71"
KEY_FIELD = "forecast_groq_api_key"


@tagged("post_install", "-at_install")
class TestGroqKeyOrm(SalesForecastCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["ir.config_parameter"].set_param(KEY_PARAM, SECRET)
        cls.settings = cls.env["res.config.settings"].with_user(cls.users["admin"]).create({})

    def test_admin_reads_the_key(self):
        self.assertEqual(self.settings[KEY_FIELD], SECRET)
        self.assertEqual(self.settings.read([KEY_FIELD])[0][KEY_FIELD], SECRET)

    def test_non_admins_cannot_read_the_key(self):
        for role in ("forecast_user", "forecast_manager", "stock_manager"):
            user = self.users[role]
            settings = self.settings.with_user(user)
            with self.assertRaises(AccessError, msg=role):
                settings.read([KEY_FIELD])
            with self.assertRaises(AccessError, msg=role):
                self.env["ir.config_parameter"].with_user(user).get_param(KEY_PARAM)
            with self.assertRaises(AccessError, msg=role):
                self.env["ir.config_parameter"].with_user(user).search_read([("key", "=", KEY_PARAM)])

    def test_default_get_and_onchange_leave_the_key_out(self):
        # Odoo's res.config.settings.default_get reads parameters with sudo: the add-on filters it.
        for role in ("employee", "forecast_user", "forecast_manager"):
            settings = self.env["res.config.settings"].with_user(self.users[role])
            values = settings.default_get([KEY_FIELD, "forecast_groq_model"])
            self.assertNotIn(KEY_FIELD, values, role)
            self.assertEqual(values["forecast_groq_model"], "llama-3.3-70b-versatile", role)
            try:
                result = settings.onchange({}, [], {KEY_FIELD: {}, "forecast_groq_model": {}})
            except AccessError:
                continue
            self.assertNotIn(SECRET, str(result), role)
        admin_values = self.env["res.config.settings"].with_user(self.users["admin"]).default_get([KEY_FIELD])
        self.assertEqual(admin_values[KEY_FIELD], SECRET)

    def test_field_groups_hide_the_key_even_with_model_access(self):
        # Another module may one day open res.config.settings to a wider group: the field's own
        # groups must still keep the key out of reach.
        manager = self.users["forecast_manager"]
        self.env["ir.model.access"].create({
            "name": "test: settings readable by forecast managers",
            "model_id": self.env.ref("base.model_res_config_settings").id,
            "group_id": self.env.ref("sales_forecast_ai.group_forecast_manager").id,
            "perm_read": True,
        })
        settings = self.settings.with_user(manager)
        self.assertEqual(settings.read(["forecast_horizon_days"])[0]["forecast_horizon_days"],
                         self.env.company.forecast_horizon_days)
        # What read() with no field list returns:
        self.assertNotIn(KEY_FIELD, settings.check_field_access_rights("read", None))
        self.assertNotIn(KEY_FIELD, settings.fields_get())
        with self.assertRaises(AccessError):
            settings.read([KEY_FIELD])


@tagged("post_install", "-at_install")
class TestGroqKeyRpc(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = create_role_users(cls.env)
        cls.env["ir.config_parameter"].set_param(KEY_PARAM, SECRET)
        cls.settings_id = cls.env["res.config.settings"].with_user(cls.users["admin"]).create({}).id

    def _call_kw(self, model, method, args, kwargs=None):
        """Raw JSON-RPC answer text (result or error) of /web/dataset/call_kw for the session's user."""
        payload = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
            "model": model, "method": method, "args": args, "kwargs": kwargs or {}}}
        response = self.url_open(f"/web/dataset/call_kw/{model}/{method}", data=json.dumps(payload),
                                 headers={"Content-Type": "application/json"})
        self.assertEqual(response.status_code, 200)
        return response.text

    def _calls(self):
        spec = {KEY_FIELD: {}, "forecast_horizon_days": {}}
        return {
            "default_get": ("res.config.settings", "default_get", [[KEY_FIELD, "forecast_horizon_days"]]),
            "web_read": ("res.config.settings", "web_read", [[self.settings_id]], {"specification": spec}),
            "read": ("res.config.settings", "read", [[self.settings_id], [KEY_FIELD]]),
            "onchange": ("res.config.settings", "onchange", [[], {}, [], spec]),
            "fields_get": ("res.config.settings", "fields_get", [], {"attributes": ["type"]}),
            "get_views": ("res.config.settings", "get_views", [[[False, "form"]]]),
            "get_param": ("ir.config_parameter", "get_param", [KEY_PARAM]),
            "search_read": ("ir.config_parameter", "search_read", [[["key", "=", KEY_PARAM]], ["value"]]),
        }

    def test_key_never_reaches_a_non_admin_browser(self):
        for login in ("sfai_forecast_manager", "sfai_forecast_user"):
            self.authenticate(login, login + "x" * (8 - len(login)))
            for name, call in self._calls().items():
                body = self._call_kw(*call)
                self.assertNotIn(SECRET, body, f"{login}: {name}")
                if name in ("web_read", "read", "get_param", "search_read"):
                    self.assertIn('"error"', body, f"{login}: {name} should be refused")
                elif '"error"' not in body:
                    self.assertNotIn(KEY_FIELD, json.dumps(json.loads(body)["result"]), f"{login}: {name}")

    def test_admin_session_does_get_the_key(self):
        # Same calls, as an administrator: proves the calls above would expose the key if allowed.
        self.authenticate("sfai_admin", "sfai_admin")
        calls = self._calls()
        for name in ("default_get", "web_read", "read", "onchange", "get_param"):
            body = json.loads(self._call_kw(*calls[name]))
            self.assertIn(SECRET, json.dumps(body["result"]), name)
