"""The "Forecast cluster" setting: administrators only, checked on save, and carried (checked again)
into the job input of every run."""
import json
import os
import socket
from unittest.mock import patch

from odoo.exceptions import AccessError, ValidationError
from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import HttpCase, tagged

from odoo.addons.sales_forecast_ai.engine import job
from odoo.addons.sales_forecast_ai.models import sales_forecast_run_cron

from .common import SalesForecastCase, create_role_users
from .common_forecast import ForecastCase
from .fake_job import fake_job_python

ADDRESS_PARAM = "sales_forecast_ai.dask_scheduler"
WORKERS_PARAM = "sales_forecast_ai.dask_workers"
FIELDS = ("forecast_dask_scheduler", "forecast_dask_workers")
BAD_ADDRESSES = ("dask-scheduler:8786", "http://dask-scheduler:8786", "tcp://dask-scheduler", "tcp://host:0",
                 "tcp://host:65536", "tcp://ho st:8786", "tcp://999.1.1.1:8786", "tcp://host:8786/evil",
                 "tcp://host:8786; rm -rf /")


@tagged("post_install", "-at_install")
class TestForecastClusterSetting(SalesForecastCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.param = cls.env["ir.config_parameter"].sudo()

    def _save(self, **values):
        settings = self.env["res.config.settings"].with_user(self.users["admin"]).create(values)
        settings.execute()
        return settings

    def test_admin_sets_an_address_and_workers(self):
        self._save(forecast_dask_scheduler="  tcp://dask-scheduler:8786 ", forecast_dask_workers=3)
        self.assertEqual(self.param.get_param(ADDRESS_PARAM), "tcp://dask-scheduler:8786")
        self.assertEqual(self.param.get_param(WORKERS_PARAM), "3")
        settings = self.env["res.config.settings"].with_user(self.users["admin"]).create({})
        self.assertEqual((settings.forecast_dask_scheduler, settings.forecast_dask_workers),
                         ("tcp://dask-scheduler:8786", 3))
        # Emptied again: back to a local cluster with one worker per CPU.
        self._save(forecast_dask_scheduler=False, forecast_dask_workers=0)
        self.assertFalse(self.param.get_param(ADDRESS_PARAM))
        self.assertEqual(self.env["sales.forecast.run"]._get_cluster_params(), {"address": "", "workers": 0})

    def test_bad_values_are_refused_and_change_nothing(self):
        self._save(forecast_dask_scheduler="tls://10.0.0.5:8786", forecast_dask_workers=2)
        for address in BAD_ADDRESSES:
            with self.subTest(address=address), self.assertRaises(ValidationError) as caught:
                self._save(forecast_dask_scheduler=address)
            self.assertIn("tcp://host:port", str(caught.exception))
        for workers in (-1, 257):
            with self.subTest(workers=workers), self.assertRaises(ValidationError):
                self._save(forecast_dask_workers=workers)
        self.assertEqual(self.param.get_param(ADDRESS_PARAM), "tls://10.0.0.5:8786")
        self.assertEqual(self.param.get_param(WORKERS_PARAM), "2")

    def _open_settings_to_forecast_managers(self):
        """As another module might: the fields' own groups must still keep them out."""
        self.env["ir.model.access"].create({
            "name": "test: settings open to forecast and stock managers",
            "model_id": self.env.ref("base.model_res_config_settings").id,
            "group_id": self.env.ref("sales_forecast_ai.group_forecast_manager").id,
            "perm_read": True, "perm_write": True, "perm_create": True,
        })

    def test_other_roles_cannot_read_or_write_it(self):
        self.param.set_param(ADDRESS_PARAM, "tcp://dask-scheduler:8786")
        self._open_settings_to_forecast_managers()
        settings_id = self.env["res.config.settings"].with_user(self.users["admin"]).create({}).id
        for role in ("forecast_manager", "stock_manager", "forecast_user"):
            user = self.users[role]
            Settings = self.env["res.config.settings"].with_user(user)
            for name in FIELDS:
                self.assertNotIn(name, Settings.fields_get(), role)
                self.assertNotIn(name, Settings.default_get(list(FIELDS)), role)
                with self.subTest(role=role, field=name), self.assertRaises(AccessError):
                    Settings.browse(settings_id).read([name])
            with self.assertRaises(AccessError, msg=role):
                Settings.create({"forecast_dask_scheduler": "tcp://attacker.example:8786"}).execute()
            with self.assertRaises(AccessError, msg=role):
                self.env["ir.config_parameter"].with_user(user).get_param(ADDRESS_PARAM)
            with self.assertRaises(AccessError, msg=role):
                self.env["ir.config_parameter"].with_user(user).set_param(ADDRESS_PARAM, "tcp://attacker:1")
        self.assertEqual(self.param.get_param(ADDRESS_PARAM), "tcp://dask-scheduler:8786")

    def test_connection_check_for_administrators_only(self):
        with socket.socket() as sock:  # a port nobody listens on
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        settings = self.env["res.config.settings"].with_user(self.users["admin"]).create(
            {"forecast_dask_scheduler": f"tcp://127.0.0.1:{port}"})
        with self.assertRaises(AccessError):
            settings.with_user(self.users["forecast_manager"]).action_forecast_check_cluster()
        # The real check, in its own process: an unreachable scheduler is named, quickly.
        with patch.object(type(self.env["res.config.settings"]), "_get_forecast_cluster_check_timeout",
                          lambda self: 1.0):
            params = settings.action_forecast_check_cluster()["params"]
        self.assertEqual(params["type"], "danger")
        self.assertIn(f"tcp://127.0.0.1:{port} cannot run forecasts", params["message"])
        self.assertIn("cannot reach the scheduler within 1 s", params["message"])
        settings.forecast_dask_scheduler = False
        self.assertEqual(settings.action_forecast_check_cluster()["params"]["type"], "info")

    def test_connection_check_messages(self):
        Settings = self.env["res.config.settings"]
        message, kind = Settings._prepare_forecast_cluster_message(
            "tcp://s:8786", {"ok": True, "workers": 4, "threads": 4, "mismatches": [], "engine_missing": []})
        self.assertEqual(kind, "success")
        self.assertIn("tcp://s:8786 is ready: 4 worker(s), 4 thread(s)", message)
        message, kind = Settings._prepare_forecast_cluster_message("tcp://s:8786", {
            "ok": False, "workers": 2, "error": "", "mismatches": ["numpy: here 2.1.0, scheduler 1.26.4"],
            "engine_missing": ["tcp://10.0.0.9:4000"]})
        self.assertEqual(kind, "danger")
        self.assertIn("numpy: here 2.1.0, scheduler 1.26.4", message)
        self.assertIn("tcp://10.0.0.9:4000", message)

    def test_neutralized_copy_forgets_the_cluster(self):
        # A staging copy must not send its copied sales history to the production cluster.
        self.param.set_param(ADDRESS_PARAM, "tcp://dask-scheduler:8786")
        self.param.set_param(WORKERS_PARAM, "3")
        for query in get_neutralization_queries(["sales_forecast_ai"]):
            self.env.cr.execute(query)
        self.env.invalidate_all()
        self.env.registry.clear_cache()
        self.assertFalse(self.param.get_param(ADDRESS_PARAM))
        self.assertEqual(self.env["sales.forecast.run"]._get_cluster_params(), {"address": "", "workers": 3})

    def test_settings_form_shows_it_to_administrators_only(self):
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(self.users["forecast_manager"]).get_views([(False, "form")])
        self._open_settings_to_forecast_managers()
        for role, shown in (("admin", True), ("forecast_manager", False)):
            arch = self.env["res.config.settings"].with_user(self.users[role]).get_views(
                [(False, "form")])["views"]["form"]["arch"]
            self.assertEqual('name="forecast_dask_scheduler"' in arch, shown, role)


@tagged("post_install", "-at_install")
class TestForecastClusterRpc(HttpCase):
    """What a Forecast Manager's browser session gets when it asks or tries to change the setting."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = create_role_users(cls.env)
        cls.param = cls.env["ir.config_parameter"].sudo()
        cls.param.set_param(ADDRESS_PARAM, "tcp://dask-scheduler:8786")

    def _call_kw(self, model, method, args, kwargs=None):
        payload = {"jsonrpc": "2.0", "method": "call", "id": 1, "params": {
            "model": model, "method": method, "args": args, "kwargs": kwargs or {}}}
        response = self.url_open(f"/web/dataset/call_kw/{model}/{method}", data=json.dumps(payload),
                                 headers={"Content-Type": "application/json"})
        self.assertEqual(response.status_code, 200)
        return json.loads(response.text)

    def test_forecast_manager_session_is_refused(self):
        self.authenticate("sfai_forecast_manager", "sfai_forecast_manager")
        spec = {name: {} for name in FIELDS}
        calls = {
            "web_save": ("res.config.settings", "web_save", [[], {"forecast_dask_scheduler": "tcp://attacker:1"}],
                         {"specification": {}}),
            "set_param": ("ir.config_parameter", "set_param", [ADDRESS_PARAM, "tcp://attacker:1"]),
            "get_param": ("ir.config_parameter", "get_param", [ADDRESS_PARAM]),
        }
        for name, call in calls.items():
            body = self._call_kw(*call)
            self.assertIn("error", body, name)
            self.assertEqual(body["error"]["data"]["name"], "odoo.exceptions.AccessError", name)
        for name, call in {
            "default_get": ("res.config.settings", "default_get", [list(FIELDS)]),
            "onchange": ("res.config.settings", "onchange", [[], {}, [], spec]),
            "fields_get": ("res.config.settings", "fields_get", [], {"attributes": ["type"]}),
        }.items():
            body = self._call_kw(*call)
            if "error" not in body:
                self.assertNotIn("dask-scheduler", json.dumps(body["result"]), name)
                self.assertNotIn("forecast_dask", json.dumps(body["result"]), name)
        self.assertEqual(self.param.get_param(ADDRESS_PARAM), "tcp://dask-scheduler:8786")

    def test_admin_session_saves_it(self):
        self.authenticate("sfai_admin", "sfai_admin")
        body = self._call_kw("res.config.settings", "web_save",
                             [[], {"forecast_dask_scheduler": "tls://10.1.2.3:8786", "forecast_dask_workers": 2}],
                             {"specification": {}})
        self.assertNotIn("error", body)
        self._call_kw("res.config.settings", "execute", [[body["result"][0]["id"]]])
        self.assertEqual(self.param.get_param(ADDRESS_PARAM), "tls://10.1.2.3:8786")
        body = self._call_kw("res.config.settings", "web_save", [[], {"forecast_dask_scheduler": "tcp://x:0"}],
                             {"specification": {}})
        self.assertEqual(body["error"]["data"]["name"], "odoo.exceptions.ValidationError")


@tagged("post_install", "-at_install")
class TestForecastClusterJobInput(ForecastCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._history(cls.p1, cls.wh1, 60, lambda i: float(i % 7))
        cls.Run = cls.env["sales.forecast.run"]

    def setUp(self):
        super().setUp()
        first_id = (self.Run.search([], order="id desc", limit=1).id or 0) + 1
        self.addCleanup(lambda: self._cleanup_work_dirs(self.Run.search([("id", ">=", first_id)])))

    def _start(self, run):
        """Start the queued runs with a stand-in child that only sleeps; the children started."""
        started, real_spawn, python = [], job.spawn, fake_job_python(self)

        def spawn(work_dir, **kwargs):
            started.append(real_spawn(work_dir, python=python, **kwargs))
            self.addCleanup(lambda child=started[-1]: child.poll() is None and child.kill())
            return started[-1]

        with patch.object(sales_forecast_run_cron.job, "spawn", spawn):
            self.Run._start_queued_runs()
        return started

    def test_job_input_carries_the_setting(self):
        self.param.set_param(ADDRESS_PARAM, " tls://10.0.0.5:8786 ")
        self.param.set_param(WORKERS_PARAM, "2")
        run = self._queue_run()
        self.assertEqual(len(self._start(run)), 1)
        self.assertEqual((run.state, run.phase), ("running", "train"))
        _panel, params = job.read_input(run.work_dir)
        self.assertEqual(params["cluster"], {"address": "tls://10.0.0.5:8786", "workers": 2})
        self.assertIn("Dask cluster at tls://10.0.0.5:8786", run.log)

    def test_local_cluster_by_default(self):
        self.param.set_param(ADDRESS_PARAM, False)
        self.param.set_param(WORKERS_PARAM, False)
        run = self._queue_run()
        self._start(run)
        with open(os.path.join(run.work_dir, job.INPUT_JSON)) as fh:
            self.assertEqual(json.load(fh)["cluster"], {"address": "", "workers": 0})
        self.assertIn("one worker process per CPU", run.log)

    def test_a_tampered_parameter_fails_the_run_before_any_child(self):
        # System Parameters are edited without the settings' checks: the run checks again.
        for address, workers in (("tcp://host:8786/../../x", "0"), ("tcp://dask-scheduler:8786", "-3")):
            with self.subTest(address=address, workers=workers):
                self.param.set_param(ADDRESS_PARAM, address)
                self.param.set_param(WORKERS_PARAM, workers)
                run = self._queue_run()
                self.assertEqual(self._start(run), [], "no child may start")
                self.assertEqual(run.state, "failed")
                self.assertIn("Forecast cluster setting is invalid", run.error_message)
                self.assertFalse(os.path.exists(os.path.join(run._get_work_dir(), job.INPUT_JSON)))
