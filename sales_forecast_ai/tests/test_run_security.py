"""Run records never steer the server: no user writes them, and nothing stored names a path or a process.

The attack these tests replay: an Inventory Administrator (a Forecast Manager by implication) created
a run over XML-RPC with ``{"state": "failed", "work_dir": "/any/dir"}``, and the next scheduled call
deleted that directory; a forged ``pid``/``host`` made the cron SIGKILL any process of the server.
"""
import datetime
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xmlrpc.client
from unittest.mock import patch

import odoo
from odoo import Command, fields
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.sales_forecast_ai.engine import job
from odoo.addons.sales_forecast_ai.models import sales_forecast_run_cron

from .common_forecast import ForecastCase
from .fake_job import fake_job_python

PASSWORD = "sfai-sec-Pass-2030"
ACCESS_ERROR = 4  # the fault code of an AccessError on /xmlrpc/2 (odoo/addons/base/controllers/rpc.py)


def proc_state(pid):
    """The process' state letter (S, R, Z...), or None when the pid names no process any more."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().split(b")")[-1].split()[0].decode()
    except OSError:
        return None


@tagged("post_install", "-at_install")
class TestRunSecurityRpc(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A company of their own: no run of the demo data is queued there.
        cls.company = cls.env["res.company"].create({"name": "SFAI Security Co"})
        common = {"company_id": cls.company.id, "company_ids": [Command.set(cls.company.ids)],
                  "password": PASSWORD}
        cls.stock_admin = new_test_user(cls.env, "sfai_sec_stock_admin",
                                        groups="base.group_user,stock.group_stock_manager", **common)
        cls.manager = new_test_user(cls.env, "sfai_sec_manager",
                                    groups="base.group_user,sales_forecast_ai.group_forecast_manager", **common)
        cls.system = new_test_user(cls.env, "sfai_sec_system",
                                   groups="base.group_user,base.group_system,stock.group_stock_manager", **common)
        cls.reader = new_test_user(cls.env, "sfai_sec_reader",
                                   groups="base.group_user,sales_forecast_ai.group_forecast_user", **common)
        cls.Run = cls.env["sales.forecast.run"]

    def setUp(self):
        super().setUp()
        # What the attacker aims at: a directory of the server's user, and one of its processes.
        self.target = tempfile.mkdtemp(prefix="sfai-sec-target-")
        self.addCleanup(shutil.rmtree, self.target, ignore_errors=True)
        self.canary = os.path.join(self.target, "filestore-file")
        with open(self.canary, "w") as fh:
            fh.write("precious")
        self.victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
        self.addCleanup(lambda: self.victim.poll() is None and (self.victim.kill(), self.victim.wait(10)))
        self.url = f"http://127.0.0.1:{odoo.tools.config['http_port']}"
        self.db = self.env.cr.dbname
        self.models = xmlrpc.client.ServerProxy(f"{self.url}/xmlrpc/2/object", allow_none=True)
        first_id = (self.Run.search([], order="id desc", limit=1).id or 0) + 1
        self.addCleanup(lambda: [shutil.rmtree(run._get_work_dir(), ignore_errors=True)
                                 for run in self.Run.search([("id", ">=", first_id)])])

    def _rpc(self, user, method, *args, **kwargs):
        return self.models.execute_kw(self.db, user.id, PASSWORD, "sales.forecast.run", method, list(args), kwargs)

    def _assert_nothing_harmed(self):
        """Run the scheduled action's recovery and clean-up, commit-side effects included."""
        Run = self.Run.with_context(forecast_call_budget=1, forecast_poll_interval=0.1)
        Run._recover_crashed_runs()
        Run._clean_finished_runs()
        self.env.cr.postcommit.run()  # the directory removals the clean-up registered
        self.assertTrue(os.path.isfile(self.canary), "the forged directory was deleted")
        time.sleep(0.2)
        self.assertIsNone(self.victim.poll(), "the forged pid was signalled")

    def test_forged_run_is_refused_over_xmlrpc(self):
        before = self.Run.search_count([])
        forged = [
            {"state": "failed", "work_dir": self.target},
            {"state": "failed", "pid": self.victim.pid, "host": socket.gethostname(),
             "date_end": "2020-01-01 00:00:00"},
            {"state": "running", "phase": "train", "pid": self.victim.pid, "host": socket.gethostname()},
            {"company_id": self.company.id, "trigger": "manual"},  # even "harmless" values: runs are the server's
        ]
        for user in (self.stock_admin, self.manager, self.system):
            for vals in forged:
                with self.subTest(user=user.login, vals=vals), self.assertRaises(xmlrpc.client.Fault) as caught:
                    self._rpc(user, "create", [vals])
                self.assertEqual(caught.exception.faultCode, ACCESS_ERROR, caught.exception.faultString)
        self.assertEqual(self.Run.search_count([]), before, "nothing was created")
        self._assert_nothing_harmed()

    def test_forged_work_dir_on_an_existing_run_is_refused(self):
        run = self.Run.create({"company_id": self.company.id, "state": "failed",
                               "date_end": fields.Datetime.now() - datetime.timedelta(hours=1)})
        for user in (self.stock_admin, self.manager, self.system):
            for vals in ({"work_dir": self.target}, {"state": "cancelled"}, {"pid": self.victim.pid},
                         {"host": socket.gethostname()}, {"log": "x"}, {"company_id": self.env.company.id}):
                with self.subTest(user=user.login, vals=vals), self.assertRaises(xmlrpc.client.Fault) as caught:
                    self._rpc(user, "write", [run.id], vals)
                self.assertEqual(caught.exception.faultCode, ACCESS_ERROR, caught.exception.faultString)
        # The form's save route is the same write.
        with self.assertRaises(xmlrpc.client.Fault) as caught:
            self._rpc(self.stock_admin, "web_save", [run.id], {"work_dir": self.target}, specification={})
        self.assertEqual(caught.exception.faultCode, ACCESS_ERROR, caught.exception.faultString)
        run.invalidate_recordset()
        self.assertEqual((run.state, run.pid, run.host), ("failed", 0, False))
        self._assert_nothing_harmed()

    def test_run_now_ignores_forged_defaults(self):
        """The button creates under sudo: the caller's default_* context keys must not reach the create."""
        forged_defaults = {"default_state": "failed", "default_work_dir": self.target,
                           "default_pid": self.victim.pid, "default_host": socket.gethostname(),
                           "default_date_end": "2020-01-01 00:00:00", "default_trigger": "cron",
                           "default_user_id": self.system.id, "default_company_id": self.env.company.id}
        action = self._rpc(self.stock_admin, "action_run_now", context=forged_defaults)
        run = self.Run.browse(action["res_id"])
        self.assertEqual((run.state, run.pid, run.host, run.trigger, run.date_end),
                         ("queued", 0, False, "manual", False))
        self.assertEqual((run.user_id, run.company_id), (self.stock_admin, self.company))
        self.assertFalse(run.work_dir, "only a running run shows a work directory, and never a stored one")
        self._rpc(self.stock_admin, "action_cancel", [run.id])
        self._assert_nothing_harmed()

    def test_managers_use_the_buttons(self):
        for user in (self.manager, self.stock_admin):
            with self.subTest(user=user.login):
                action = self._rpc(user, "action_run_now")
                self.assertEqual((action["res_model"], action["type"]), ("sales.forecast.run", "ir.actions.act_window"))
                run = self.Run.browse(action["res_id"])
                self.assertEqual((run.state, run.user_id, run.company_id), ("queued", user, self.company))
                results = self._rpc(user, "action_view_results", [run.id])
                self.assertEqual((results["res_model"], results["domain"]),
                                 ("sales.forecast.result", [["run_id", "=", run.id]]))
                self.assertTrue(self._rpc(user, "action_cancel", [run.id]))
                run.invalidate_recordset()
                self.assertEqual(run.state, "cancelled")
                self.assertIn("Cancelled by", run.log)
                self.assertTrue(self._rpc(user, "unlink", [run.id]))
                self.assertFalse(run.exists())
        # A Forecast User reads runs but neither starts, cancels nor deletes them.
        run = self.Run.create({"company_id": self.company.id})
        for method, args in (("action_run_now", ()), ("action_cancel", ([run.id],)), ("unlink", ([run.id],))):
            with self.subTest(method=method), self.assertRaises(xmlrpc.client.Fault) as caught:
                self._rpc(self.reader, method, *args)
            self.assertEqual(caught.exception.faultCode, ACCESS_ERROR, caught.exception.faultString)
        self.assertEqual(run.state, "queued")

    def test_manager_clicks_the_buttons(self):
        """In the browser, a Forecast Manager (no write right on runs) queues, cancels and deletes a run."""
        tour_user = new_test_user(self.env, "sfai_sec_tour_manager", password="sfai_sec_tour_manager",
                                  groups="base.group_user,sales_forecast_ai.group_forecast_manager",
                                  company_id=self.company.id, company_ids=[Command.set(self.company.ids)])
        sequence = self.env.ref("sales_forecast_ai.seq_sales_forecast_run")
        first = sequence.number_next_actual
        self.start_tour("/odoo/sales-forecast-runs", "sales_forecast_ai_run_buttons_tour", login=tour_user.login)
        sequence.invalidate_recordset()
        self.assertEqual(sequence.number_next_actual, first + 1, "Run Now created one run")
        self.assertFalse(self.Run.search([("company_id", "=", self.company.id)]), "and it was deleted")
        self.env.cr.postcommit.run()

    def test_manager_views_keep_their_buttons(self):
        views = self.Run.with_user(self.manager).get_views([(False, "list"), (False, "form")])["views"]
        self.assertIn('name="action_run_now"', views["list"]["arch"])
        form = views["form"]["arch"]
        self.assertIn('name="action_cancel"', form)
        self.assertIn('name="action_view_results"', form)
        self.assertNotIn('delete="false"', form, "managers delete runs from the form")
        self.assertNotIn('name="work_dir"', form, "the server's paths are for administrators only")


@tagged("post_install", "-at_install")
class TestRunProcesses(ForecastCase):
    """What the server does with processes: only its verified job is signalled, and it is reaped."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for k, product in enumerate((cls.p1, cls.p2)):
            cls._history(product, cls.wh1, 60, lambda i, k=k: float((i * (k + 3)) % 5 + 1))
        cls.Run = cls.env["sales.forecast.run"]

    def setUp(self):
        super().setUp()
        self.cron = self.env.ref("sales_forecast_ai.ir_cron_forecast_run")
        first_id = (self.Run.search([], order="id desc", limit=1).id or 0) + 1
        self.addCleanup(lambda: self._cleanup_work_dirs(self.Run.search([("id", ">=", first_id)])))
        self.victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
        self.addCleanup(lambda: self.victim.poll() is None and (self.victim.kill(), self.victim.wait(10)))

    def _call(self, budget=30):
        cron, progress = self.cron._add_progress()
        self.Run.with_context(ir_cron_progress_id=progress.id, cron_id=cron.id, forecast_call_budget=budget,
                              forecast_poll_interval=0.1)._cron_process(schedule=False)

    def _start_with_fake_child(self, run):
        fake, real_spawn, python = [], job.spawn, fake_job_python(self)

        def spawn(work_dir, **kwargs):
            fake.append(real_spawn(work_dir, python=python, **kwargs))
            return fake[-1]

        with patch.object(sales_forecast_run_cron.job, "spawn", spawn):
            self.Run._start_queued_runs()
        self.addCleanup(lambda: fake[0].poll() is None and fake[0].kill())
        self.assertEqual((run.state, run.pid), ("running", fake[0].pid))
        return fake[0]

    def test_finished_child_is_reaped(self):
        """A real job, started the real way: once its end is seen, no <defunct> process is left."""
        run = self._queue_run()
        for __ in range(20):
            self._call()
            if run.state not in ("queued", "running"):
                break
        self.assertEqual(run.state, "done", run.log)
        self.assertTrue(run.pid)
        self.assertIsNone(proc_state(run.pid), "the ended child was reaped, not left <defunct>")

    def test_child_seen_dead_is_reaped(self):
        run = self._queue_run()
        child = self._start_with_fake_child(run)
        self._call(budget=1)
        self.assertEqual(run.state, "running", "our live job is recognised and waited for")
        os.kill(child.pid, signal.SIGKILL)  # killed from outside (OOM killer, an admin): nobody waits for it
        for __ in range(50):
            if proc_state(child.pid) == "Z":
                break
            time.sleep(0.05)
        self.assertEqual(proc_state(child.pid), "Z")
        self._call(budget=1)
        self.assertEqual(run.state, "failed")
        self.assertIn("stopped without reporting", run.error_message)
        self.assertIsNone(proc_state(child.pid), "reaped when its death was seen")

    def test_a_forged_pid_on_a_running_run_is_never_signalled(self):
        """Even a row forged behind the ORM (SQL, a restored dump) cannot name a process to kill."""
        run = self._queue_run()
        self._start_with_fake_child(run)
        # The row now names another process of the server's user, on this host.
        run.write({"pid": self.victim.pid, "host": socket.gethostname()})
        self.assertFalse(job.is_job_process(self.victim.pid, run._get_work_dir()))
        run.action_cancel()  # SIGTERM goes nowhere but to the verified job
        run._stop_child(signal.SIGKILL)
        self.Run._clean_finished_runs()
        time.sleep(0.2)
        self.assertIsNone(self.victim.poll(), "the forged pid was signalled")

    def test_a_crash_check_on_a_forged_pid_kills_nothing(self):
        run = self._queue_run()
        child = self._start_with_fake_child(run)
        # What the real job writes in its progress file (the stand-in only sleeps).
        job.write_json(os.path.join(run._get_work_dir(), job.PROGRESS_JSON), {"pid": child.pid, "heartbeat": time.time()})
        run.pid = self.victim.pid  # a pid recycled after a restart, or forged: alive, but not our job
        self.Run._recover_crashed_runs()
        self.assertEqual(run.state, "failed", "the run's job is not that process")
        self.assertIn("stopped without reporting", run.error_message)
        time.sleep(0.2)
        self.assertIsNone(self.victim.poll(), "the process with the forged pid lives on")
        self.assertEqual(child.wait(10), -signal.SIGKILL, "the real job, found in its progress file, is stopped")

    def test_stale_progress_file_pid_is_not_trusted(self):
        """An ended run's directory whose progress file names another process: removed, nothing killed."""
        run = self._queue_run()
        run.write({"state": "failed", "date_end": fields.Datetime.now() - datetime.timedelta(hours=1),
                   "pid": self.victim.pid, "host": socket.gethostname()})
        work_dir = run._get_work_dir()
        os.makedirs(work_dir)
        job.write_json(os.path.join(work_dir, job.PROGRESS_JSON), {"pid": self.victim.pid})
        with open(os.path.join(work_dir, job.TOKEN_FILE), "w") as fh:
            fh.write("f" * 32)
        self.assertGreaterEqual(self.Run._clean_finished_runs(), 1)
        self.env.cr.postcommit.run()
        self.assertFalse(os.path.exists(work_dir), "the run's own directory is cleaned up")
        time.sleep(0.2)
        self.assertIsNone(self.victim.poll())

    def test_refusal_holds_even_with_added_access_rights(self):
        """An administrator who grants write/create on runs (Settings > Access Rights) opens no hole."""
        manager = new_test_user(self.env, "sfai_sec_granted", groups="base.group_user,stock.group_stock_manager",
                                company_id=self.company.id, company_ids=[Command.set(self.company.ids)])
        self.env["ir.model.access"].create({
            "name": "too generous", "model_id": self.env.ref("sales_forecast_ai.model_sales_forecast_run").id,
            "group_id": self.env.ref("sales_forecast_ai.group_forecast_manager").id,
            "perm_read": True, "perm_write": True, "perm_create": True, "perm_unlink": True})
        run = self._queue_run()
        Run = self.Run.with_user(manager)
        self.assertTrue(Run.has_access("write"), "the right is granted")
        for context in ({}, {"default_state": "failed", "default_pid": self.victim.pid}):
            with self.subTest(context=context), self.assertRaises(AccessError):
                Run.with_context(**context).create({})
        for vals in ({"state": "failed"}, {"pid": self.victim.pid}, {"work_dir": "/tmp"}, {"host": "x"},
                     {"company_id": self.other_company.id}, {"model_pool": "naive"}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                run.with_user(manager).write(vals)
        self.assertEqual((run.state, run.pid), ("queued", 0))

    def test_work_dir_is_computed_not_stored(self):
        run = self._queue_run()
        self.assertFalse(run.work_dir)
        self._start_with_fake_child(run)
        self.assertEqual(run.work_dir, os.path.join(odoo.tools.config["data_dir"], "sales_forecast_ai",
                                                    self.env.cr.dbname, f"run_{run.id}"))
        self.assertFalse(self.Run._fields["work_dir"].store)
        with self.assertRaises(AccessError):
            run.with_user(self.env.ref("base.user_admin")).write({"work_dir": "/tmp"})
