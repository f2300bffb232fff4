"""Saving a run's engine output: results in batches, then the run's finish.

Each call saves one batch of series (``_get_import_batch_size``, 200 by default). Every series is
saved inside its own savepoint, so a product whose result cannot be written (deleted meanwhile,
a value out of range...) is logged on the run and counted as failed, and the others are saved.
"""
import logging
import os
import time

from odoo import _, fields, models
from odoo.tools import SQL

from ..engine import job

_logger = logging.getLogger(__name__)
_RESULTS_CACHE = {}  # work_dir -> (mtime, Results): one per worker, read once per run, not per call


class SalesForecastRun(models.Model):
    _inherit = "sales.forecast.run"

    def _results(self):
        self.ensure_one()
        work_dir = self._get_work_dir()
        path = os.path.join(work_dir, job.RESULT_JSON)
        mtime = os.stat(path).st_mtime_ns
        cached = _RESULTS_CACHE.get(work_dir)
        if not cached or cached[0] != mtime:
            _RESULTS_CACHE.clear()
            _RESULTS_CACHE[work_dir] = cached = (mtime, job.Results(work_dir))
        return cached[1]

    def _import_batch(self):
        """Save the next batch of series; finish the run after the last one. Returns series handled."""
        self.ensure_one()
        started = time.perf_counter()
        results = self._results()
        total, first = len(results), self.import_offset
        last = min(first + self._get_import_batch_size(), total)
        self._count_attempt(f"import:{first}")
        saved = failed = 0
        problems = []
        for i in range(first, last):
            series = results.series(i)
            try:
                with self.env.cr.savepoint():
                    self._save_series(series, results)
            except Exception as exc:  # noqa: BLE001 - one product never fails the run
                failed += 1
                problems.append(_("%(key)s not saved: %(error)s", key=self._describe_key(series["key"]),
                                  error=self._error_text(exc)))
                _logger.warning("forecast run %s: series %s not saved", self.name, series["key"], exc_info=True)
                continue
            saved += 1
            if series.get("status") == "failed":
                failed += 1
        self.env["sales.forecast.point"].invalidate_model()
        self.write({
            "import_offset": last,
            "series_done": self.series_done + saved,
            "series_failed": self.series_failed + failed,
            "time_write": self.time_write + time.perf_counter() - started,
            "progress": 90.0 + 9.0 * last / max(total, 1),
        })
        for line in problems[: self._get_max_log_lines()]:
            self._append_log(line)
        if last >= total:
            self._finish()
        return max(last - first, 1)

    def _save_series(self, series, results):
        product_id, warehouse_id = self._parse_key(series["key"])
        result = self.env["sales.forecast.result"].create(self._prepare_result_vals(series, product_id,
                                                                                  warehouse_id))
        candidates = self._prepare_candidate_vals(result, series)
        if candidates:
            self.env["sales.forecast.candidate"].create(candidates)
        if series.get("arrays"):
            self._insert_points(result, series["arrays"], results.dates)
        self.env.flush_all()  # inside the savepoint: a bad row fails here, for this product only

    def _insert_points(self, result, arrays, dates):
        """One INSERT per series: a run writes series x horizon points (60,000 for 2,000 x 30), which
        the ORM would create one by one. The point model has no computed field besides its related
        stored keys, written here from the result they relate to."""
        def column(name):
            values = arrays.get(name)
            if values is None:
                return [None] * len(dates)
            return [float(v) if v == v else None for v in values]  # NaN -> NULL

        uid = self.env.uid
        self.env.cr.execute(SQL(
            """
            INSERT INTO sales_forecast_point (result_id, product_id, warehouse_id, company_id, date, forecast,
                                              lo_80, hi_80, lo_95, hi_95,
                                              create_uid, create_date, write_uid, write_date)
            SELECT %s, %s, %s, %s, t.d, t.f, t.l8, t.h8, t.l9, t.h9,
                   %s, now() AT TIME ZONE 'UTC', %s, now() AT TIME ZONE 'UTC'
              FROM unnest(%s::date[], %s::float8[], %s::float8[], %s::float8[], %s::float8[], %s::float8[])
                   AS t(d, f, l8, h8, l9, h9)
            """,
            result.id, result.product_id.id, result.warehouse_id.id or None, result.company_id.id,
            uid, uid, list(dates), column("forecast"), column("lo_80"), column("hi_80"), column("lo_95"),
            column("hi_95"),
        ))

    def _finish(self):
        """Pooled scores, latest flag, retention, clean-up: the run is done."""
        self.ensure_one()
        meta = self._results().meta
        self.env["sales.forecast.run.score"].create(self._prepare_score_vals(meta.get("pooled") or {}))
        if self.series_done:
            Result = self.env["sales.forecast.result"]
            Result.search([("company_id", "=", self.company_id.id), ("is_latest", "=", True),
                           ("run_id", "!=", self.id)]).write({"is_latest": False})
            Result.search([("run_id", "=", self.id)]).write({"is_latest": True})
        now = fields.Datetime.now()
        self.write({"state": "done", "phase": False, "date_end": now, "progress": 100.0})
        champions = self.env["sales.forecast.result"]._read_group(
            [("run_id", "=", self.id), ("champion", "!=", False)], groupby=["champion"], aggregates=["__count"],
            order="__count desc")
        self._append_log(_("Done: %(saved)s series saved (%(failed)s failed) in %(sec).0f s. Champions: %(ch)s.",
                           saved=self.series_done, failed=self.series_failed, sec=self.duration,
                           ch=", ".join(f"{name} {count}" for name, count in champions) or "-"))
        self._prune_points()
        _RESULTS_CACHE.pop(self._get_work_dir(), None)
        self._remove_work_dir()
        self._after_done()

    def _after_done(self):
        """Hook called once a run is done and its results are the latest: what builds on the forecast
        (purchase suggestions, analytics) overrides it in its own file and calls super()."""
        self.ensure_one()

    def _prune_points(self):
        """Delete daily points of runs older than the retention; the company's latest done run keeps its."""
        self.ensure_one()
        days = self._get_retention_days()
        if days <= 0:
            return
        latest = self.search([("company_id", "=", self.company_id.id), ("state", "=", "done")],
                             order="date_end desc, id desc", limit=1)
        old = self.search([("company_id", "=", self.company_id.id), ("id", "not in", latest.ids),
                           ("state", "in", ("done", "failed", "cancelled")), ("points_pruned", "=", False),
                           ("create_date", "<", fields.Datetime.subtract(fields.Datetime.now(), days=days))])
        if not old:
            return
        points = self.env["sales.forecast.point"].search([("result_id.run_id", "in", old.ids)])
        count = len(points)
        points.unlink()
        old.write({"points_pruned": True})
        self._append_log(_("Retention (%(days)s days): deleted %(count)s daily points of %(runs)s older run(s).",
                           days=days, count=count, runs=len(old)))

    # -- hooks ----------------------------------------------------------------------------------
    def _parse_key(self, key):
        """(product id, warehouse id or False) from a series key of the panel ("12", "3")."""
        product_id, warehouse_id = (int(float(k)) if str(k).strip() else 0 for k in key)
        if not product_id:
            raise ValueError(_("a series without product"))
        return product_id, warehouse_id or False

    def _describe_key(self, key):
        try:
            product_id, warehouse_id = self._parse_key(key)
        except ValueError:
            return repr(key)
        product = self.env["product.product"].browse(product_id).exists()
        warehouse = self.env["stock.warehouse"].browse(warehouse_id).exists() if warehouse_id else None
        return "%s / %s" % (product.display_name or f"product #{product_id}",
                            warehouse.display_name if warehouse else (f"warehouse #{warehouse_id}" if warehouse_id
                                                                      else _("no warehouse")))

    def _prepare_result_vals(self, series, product_id, warehouse_id):
        Result = self.env["sales.forecast.result"]
        totals, coverage = series.get("totals") or {}, series.get("coverage") or {}

        def choice(field, value):
            return value if value in dict(Result._fields[field].selection) else False

        return {
            "run_id": self.id,
            "company_id": self.company_id.id,
            "product_id": product_id,
            "warehouse_id": warehouse_id,
            "status": choice("status", series.get("status")) or "failed",
            "message": series.get("message") or False,
            "champion": series.get("champion") or False,
            "reason": series.get("reason") or False,
            "demand_class": choice("demand_class", series.get("demand_class")),
            "trend": choice("trend", series.get("trend")) or "STABLE",
            "confidence": series.get("confidence") or 0.0,
            "total_7": totals.get("7") or 0.0,
            "total_30": totals.get("30") or 0.0,
            "total_90": totals.get("90") or 0.0,
            "history_mean": series.get("history_mean") or 0.0,
            "residual_std": series.get("residual_std") or 0.0,
            "coverage_80": coverage.get("80") or 0.0,
            "coverage_95": coverage.get("95") or 0.0,
        }

    def _prepare_candidate_vals(self, result, series):
        champion = series.get("champion")
        return [
            {"result_id": result.id, "model": model, "is_champion": model == champion,
             **{metric: scores.get(metric) for metric in ("rmse", "mae", "smape", "mase", "wape", "bias")
                if scores.get(metric) is not None}}
            for model, scores in (series.get("scores") or {}).items()
        ]

    def _prepare_score_vals(self, pooled):
        vals = []
        for model, scores in pooled.items():
            row = {"run_id": self.id, "model": model, "family": scores.get("family") or False}
            for name in ("rmse", "mae", "smape", "mase", "wape", "bias", "rmse_train", "rmse_val"):
                if scores.get(name) is not None:
                    row[name] = scores[name]
            row["n_params"] = int(scores.get("n_params") or 0)
            row["wins"] = int(scores.get("wins") or 0)
            vals.append(row)
        return vals
