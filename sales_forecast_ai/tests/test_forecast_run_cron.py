"""The scheduled action: batches across calls, progress, isolation, one run per company, crashes."""
import datetime
import json
import os
import signal
import time
from unittest.mock import patch

import psycopg2

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.service.model import _as_validation_error

from odoo.addons.sales_forecast_ai.engine import job
from odoo.addons.sales_forecast_ai.models import sales_forecast_run_cron, sales_forecast_run_process

from .common_forecast import ForecastCase
from .fake_job import fake_job_python


@tagged("post_install", "-at_install")
class TestForecastRunCron(ForecastCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Five series: three products in WH1, two in WH2, 100 days of imported history each.
        for k, (product, warehouse) in enumerate([(cls.p1, cls.wh1), (cls.p2, cls.wh1), (cls.p3, cls.wh1),
                                                  (cls.p1, cls.wh2), (cls.p2, cls.wh2)]):
            cls._history(product, warehouse, 100, lambda i, k=k: float((i * (k + 3)) % 7 + k))
        cls.param.set_param("sales_forecast_ai.import_batch_size", "2")
        cls.Run = cls.env["sales.forecast.run"]

    def setUp(self):
        super().setUp()
        self.cron = self.env.ref("sales_forecast_ai.ir_cron_forecast_run")
        first_id = (self.Run.search([], order="id desc", limit=1).id or 0) + 1
        self.addCleanup(lambda: self._cleanup_work_dirs(self.Run.search([("id", ">=", first_id)])))

    def _call(self, budget=60):
        """One call of the scheduled action, as ir.cron makes it: returns (done, remaining) it reported."""
        cron, progress = self.cron._add_progress()
        self.Run.with_context(ir_cron_progress_id=progress.id, cron_id=cron.id, forecast_call_budget=budget,
                              forecast_poll_interval=0.2)._cron_process(schedule=False)
        return progress.done, progress.remaining

    def _run_to_end(self, run, max_calls=30):
        calls = []
        while run.state in ("queued", "running"):
            self.assertLess(len(calls), max_calls, "the run never ended: %s" % run.log)
            calls.append((self._call(), run.phase, run.import_offset))
        return calls

    def test_run_completes_in_batches_with_progress(self):
        run = self._queue_run()
        self.assertEqual((run.history_days, run.horizon, run.folds), (120, 14, 1), "settings of the company")
        self.assertEqual(run.model_pool, "naive,seasonal_naive")
        calls = self._run_to_end(run)
        self.assertEqual(run.state, "done", run.log)
        self.assertEqual((run.series_total, run.series_done, run.series_failed), (5, 5, 0))
        # Batches of two series: 2 + 2 + 1, each call reporting what it did and what is left.
        self.assertEqual([offset for __, __, offset in calls if offset], [2, 4, 5])
        for (done, remaining), __, __ in calls[:-1]:
            self.assertGreater(done, 0, "a call that reports nothing done stops the cron")
            self.assertGreater(remaining, 0)
        self.assertEqual(calls[-1][0][1], 0, "nothing remains after the last call")
        self.assertTrue(run.time_extract > 0 and run.time_train > 0 and run.time_write > 0,
                        (run.time_extract, run.time_train, run.time_write))
        # Datetimes are stored to the second: a run this small may start and end within one.
        self.assertGreaterEqual(run.date_end, run.date_start)
        self.assertGreaterEqual(run.duration, 0.0)
        results = run.result_ids
        self.assertEqual(len(results), 5)
        self.assertTrue(all(results.mapped("is_latest")))
        self.assertEqual({r.status for r in results}, {"ok"})
        self.assertTrue(set(results.mapped("champion")) <= {"naive", "seasonal_naive"})
        self.assertEqual(len(results.point_ids), 5 * 14)
        point = results[0].point_ids.sorted("date")
        self.assertEqual(point[0].date, self.today, "the forecast starts today, history ends yesterday")
        self.assertTrue(all(p.lo_95 <= p.lo_80 <= p.forecast <= p.hi_80 <= p.hi_95 for p in results.point_ids))
        self.assertEqual(point.product_id, results[0].product_id, "related keys written with the points")
        self.assertEqual(set(results.candidate_ids.mapped("model")), {"naive", "seasonal_naive"})
        self.assertEqual(set(run.score_ids.mapped("model")), {"naive", "seasonal_naive"})
        self.assertEqual(sum(run.score_ids.mapped("wins")), 5)
        self.assertFalse(run.work_dir)
        self.env.cr.postcommit.run()
        self.assertFalse(os.path.exists(run._get_work_dir()), "work files are removed once committed")

        # The next run becomes the latest; the first one's points go once they are past retention.
        second = self._queue_run()
        self._run_to_end(second)
        self.assertEqual(second.state, "done", second.log)
        self.assertFalse(any(run.result_ids.mapped("is_latest")))
        self.assertTrue(all(second.result_ids.mapped("is_latest")))
        self.assertTrue(run.result_ids.point_ids, "within retention, old points stay")
        self.param.set_param("sales_forecast_ai.retention_days", "1")
        self.env.cr.execute("UPDATE sales_forecast_run SET create_date = now() - interval '3 days' WHERE id = %s",
                            [run.id])
        self.Run.invalidate_model()
        second._prune_points()
        self.assertFalse(run.result_ids.point_ids)
        self.assertTrue(run.points_pruned)
        self.assertEqual(len(second.result_ids.point_ids), 5 * 14, "the latest done run always keeps its points")

    def test_honest_champion_scores_are_stored_apart_in_percent(self):
        # A sixth series the naive models cannot forecast exactly (the others repeat every 7 days).
        self._history(self.p3, self.wh2, 100, lambda i: float((i * 37) % 11 + i // 10))
        run = self._queue_run(folds=2)
        while run.phase != "import":
            self._call()
            self.assertEqual(run.state, "running", run.log)
        meta = job.read_json(os.path.join(run._get_work_dir(), job.RESULT_JSON))
        self._run_to_end(run)
        self.assertEqual(run.state, "done", run.log)
        honest, in_sample = meta["champion_scores"], meta["champion_scores_in_sample"]
        self.assertNotEqual(honest, in_sample, "the engine's held-out and in-sample scores are two figures")
        # Run: each kind in its own fields, WAPE and bias in percent, MASE as a ratio.
        for suffix, engine in (("holdout", honest), ("in_sample", in_sample)):
            self.assertGreater(engine["wape"], 0.0)
            self.assertLess(engine["wape"], 2.0, "the engine speaks in ratios")
            self.assertAlmostEqual(run[f"champion_mase_{suffix}"], engine["mase"], places=4)
            self.assertAlmostEqual(run[f"champion_wape_{suffix}"], engine["wape"] * 100.0, places=2)
            self.assertAlmostEqual(run[f"champion_bias_{suffix}"], engine["bias"] * 100.0, places=2)
        self.assertNotEqual((run.champion_mase_holdout, run.champion_wape_holdout, run.champion_bias_holdout),
                            (run.champion_mase_in_sample, run.champion_wape_in_sample, run.champion_bias_in_sample))
        # Result: the held-out pick and its score on the last window, per series.
        holdouts = {(str(r.product_id.id), str(r.warehouse_id.id)): r for r in run.result_ids}
        self.assertEqual(len(holdouts), 6)
        for series in meta["series"]:
            result, hold = holdouts[tuple(series["key"])], series["holdout"]
            self.assertTrue(hold, "two folds: every series with demand has a held-out score")
            self.assertIn(hold["model"], ("naive", "seasonal_naive"))
            self.assertEqual(result.holdout_model, hold["model"])
            self.assertAlmostEqual(result.holdout_mase, hold["mase"], places=4)
            self.assertAlmostEqual(result.holdout_wape, hold["wape"] * 100.0, places=2)
            self.assertAlmostEqual(result.holdout_bias, hold["bias"] * 100.0, places=2)
        noisy = holdouts[(str(self.p3.id), str(self.wh2.id))]
        self.assertGreater(noisy.holdout_wape, 1.0, "a ratio stored as is would stay below 1 here")
        champion = noisy.candidate_ids.filtered("is_champion")
        self.assertTrue(champion, "the candidates keep their own (in-sample) backtest scores")
        # The forms show both, labelled.
        run_arch = self.Run.get_views([(False, "form")])["views"]["form"]["arch"]
        for name in ("champion_mase_holdout", "champion_wape_holdout", "champion_mase_in_sample"):
            self.assertIn(f'name="{name}"', run_arch)
        result_arch = self.env["sales.forecast.result"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="holdout_wape"', result_arch)
        self.assertIn("not used to choose the model", result_arch)

    def test_one_failing_product_never_fails_the_run(self):
        run = self._queue_run()
        while run.phase != "import":
            self._call()
            self.assertEqual(run.state, "running", run.log)
        # A product deleted between training and saving: its result cannot be written.
        doomed = self.p3
        self.env["sales.forecast.history"].search([("product_id", "=", doomed.id)]).unlink()
        doomed.unlink()
        with mute_logger("odoo.sql_db", "odoo.addons.sales_forecast_ai.models.sales_forecast_run_import"):
            self._run_to_end(run)
        self.assertEqual(run.state, "done", run.log)
        self.assertEqual((run.series_done, run.series_failed), (4, 1))
        self.assertIn(f"product #{doomed.id}", run.log)
        self.assertIn("not saved", run.log)
        self.assertEqual(len(run.result_ids), 4)

    def test_no_two_runs_of_a_company_at_once(self):
        first = self._queue_run()
        with self.assertRaises(UserError):
            self.Run.with_company(self.company).action_run_now()
        second = self._queue_run()
        first.write({"state": "running", "phase": "train"})
        # Whoever tries (two workers at once, a script), the database refuses; users get its message.
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.errors.ExclusionViolation) as caught, \
                self.env.cr.savepoint():
            second.write({"state": "running"})
            second.flush_recordset()
        self.assertIn("already running for this company", str(_as_validation_error(self.env, caught.exception)))
        second.invalidate_recordset()
        # Even with room for two runs, the cron leaves the second one queued while the first one runs.
        self.param.set_param("sales_forecast_ai.max_parallel_runs", "2")
        self.assertEqual(self.Run._start_queued_runs(), 0)
        self.assertEqual(second.state, "queued")

    def test_run_now_queues_and_triggers(self):
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)])
        action = self.Run.with_company(self.company).action_run_now()
        run = self.Run.browse(action["res_id"])
        self.assertEqual((run.state, run.trigger, run.company_id), ("queued", "manual", self.company))
        self.assertEqual(self.env["ir.cron.trigger"].search_count([("cron_id", "=", self.cron.id)]), triggers + 1)

    def _start_with_fake_child(self, run):
        """Start ``run`` with a stand-in child that only sleeps, so the test decides how it dies."""
        fake, real_spawn, python = [], job.spawn, fake_job_python(self)

        def spawn(work_dir, **kwargs):
            fake.append(real_spawn(work_dir, python=python, **kwargs))
            return fake[-1]

        with patch.object(sales_forecast_run_cron.job, "spawn", spawn):
            self.Run._start_queued_runs()
        self.addCleanup(lambda: fake[0].poll() is None and fake[0].kill())
        self.assertEqual((run.state, run.phase, run.pid), ("running", "train", fake[0].pid))
        return fake[0]

    def test_killed_child_marks_the_run_failed(self):
        run = self._queue_run()
        child = self._start_with_fake_child(run)
        done, remaining = self._call(budget=1)
        self.assertEqual(run.state, "running", "a live child is waited for")
        self.assertTrue(done and remaining)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        self._call(budget=1)
        self.assertEqual(run.state, "failed")
        self.assertIn("stopped without reporting", run.error_message)
        self.assertTrue(run.date_end)

    def test_silent_child_on_another_host_marks_the_run_failed(self):
        run = self._queue_run()
        self._start_with_fake_child(run)
        run.host = "another-host"
        progress = job.read_progress(run.work_dir) or {"pid": run.pid}
        progress["heartbeat"] = time.time() - 3600
        job.write_json(os.path.join(run.work_dir, job.PROGRESS_JSON), progress)
        self.Run._recover_crashed_runs()
        self.assertEqual(run.state, "failed")
        self.assertIn("No sign of life", run.error_message)

    def test_interrupted_saving_marks_the_run_failed(self):
        run = self._queue_run()
        self._start_with_fake_child(run)
        run.phase = "import"
        # Two calls started saving the same batch and never finished (worker killed by its limits).
        job.write_json(os.path.join(run.work_dir, sales_forecast_run_process.ATTEMPTS_FILE),
                       {"step": "import:0", "count": 2})
        self._call(budget=1)
        self.assertEqual(run.state, "failed")
        self.assertIn("interrupted 2 times", run.error_message)

    def test_child_failure_is_reported_on_the_run(self):
        run = self._queue_run(model_pool="no_such_model")
        self._run_to_end(run)
        self.assertEqual(run.state, "failed")
        self.assertIn("exit code", run.error_message)
        self.assertIn("no_such_model", run.log)

    def test_nothing_to_forecast(self):
        run = self._queue_run(company=self.other_company)
        with mute_logger("odoo.addons.sales_forecast_ai.models.sales_forecast_run_cron"):
            self._call()
        self.assertEqual(run.state, "failed")
        self.assertIn("nothing to forecast", run.error_message)

    def test_cancel_stops_the_child(self):
        run = self._queue_run()
        child = self._start_with_fake_child(run)
        run.action_cancel()
        self.assertEqual(run.state, "cancelled")
        self.assertEqual(child.wait(timeout=10), -signal.SIGTERM)
        with self.assertRaises(UserError):
            run.action_cancel()

    def test_job_input_written_for_the_child(self):
        run = self._queue_run()
        self._start_with_fake_child(run)
        panel, params = job.read_input(run.work_dir)
        self.assertEqual(set(panel.keys), {(str(p.id), str(w.id)) for p, w in [
            (self.p1, self.wh1), (self.p2, self.wh1), (self.p3, self.wh1), (self.p1, self.wh2), (self.p2, self.wh2)]})
        values = dict(zip(panel.keys, panel.values))[(str(self.p2.id), str(self.wh2.id))]
        self.assertEqual(values.tolist(), [float((i * 7) % 7 + 4) for i in range(100)],
                         "P2/WH2's imported history, day by day, ending yesterday")
        self.assertEqual(params["horizon"], 14)
        self.assertEqual(params["models"], ["naive", "seasonal_naive"])
        self.assertEqual(params["extra"]["run_id"], run.id)
        self.assertEqual(panel.country, "FR")
        with open(os.path.join(run.work_dir, job.INPUT_JSON)) as fh:
            self.assertEqual(json.load(fh)["end"], str(self.today - datetime.timedelta(days=1)))
