"""The import wizard's writing: one COPY inside the request for a small file, a batch per cron call for a
large one; a background import that fails removes the rows it wrote, so an import lands whole or not at all."""
import io

import numpy as np
import pandas as pd
import psycopg2

from odoo import _, api, models
from odoo.exceptions import UserError

# Rows written inside the web request; above, a background job writes them a batch per cron call.
# PostgreSQL checks five foreign keys per row: about 100 s per million rows on a busy 2-core server,
# near the 120 s request limit (limit_time_real) that kills a worker.
SYNC_ROWS = 200_000
BATCH_ROWS = 250_000


class SalesHistoryImport(models.TransientModel):
    _inherit = "sales.history.import"

    def _copy_rows(self, rows, batch):
        """COPY the varying columns into a temporary table, then one INSERT adds the constant ones."""
        days = rows["date"].to_numpy().astype("datetime64[D]").astype(np.int64)  # days since 1970-01-01
        frame = pd.DataFrame({"product_id": rows["product_id"].astype(np.int64),
                              "warehouse_id": rows["warehouse_id"].astype(np.int64), "day": days,
                              "quantity": rows["quantity"].astype(float)})
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False, header=False)
        buffer.seek(0)
        History = self.env["sales.forecast.history"]
        History.flush_model()
        cr = self.env.cr
        cr.execute("CREATE TEMP TABLE sfai_history_import (product_id int, warehouse_id int, day int, "
                   "quantity float8) ON COMMIT DROP")
        # Like Odoo's own COPY (models._insert_xmlids): no async wait callback during COPY FROM.
        callback = psycopg2.extensions.get_wait_callback()
        psycopg2.extensions.set_wait_callback(None)
        try:
            cr.copy_expert("COPY sfai_history_import FROM STDIN WITH (FORMAT csv)", buffer)
        finally:
            psycopg2.extensions.set_wait_callback(callback)
        try:
            with cr.savepoint(flush=False):
                cr.execute("""
                    INSERT INTO sales_forecast_history (company_id, product_id, warehouse_id, date, quantity,
                                                        import_batch, import_file,
                                                        create_uid, create_date, write_uid, write_date)
                    SELECT %s, product_id, warehouse_id, DATE '1970-01-01' + day, quantity, %s, %s,
                           %s, now() AT TIME ZONE 'UTC', %s, now() AT TIME ZONE 'UTC'
                      FROM sfai_history_import
                """, [self.company_id.id, batch, self.filename or "", self.env.uid, self.env.uid])
        except psycopg2.IntegrityError as exc:
            raise UserError(_("Nothing was imported: the database refused the rows (%s).",
                              str(exc).strip().splitlines()[0])) from None
        finally:
            cr.execute("DROP TABLE IF EXISTS sfai_history_import")

    # -- background import ------------------------------------------------------------------
    @api.model
    def _cron_import_queued(self):
        """Write the next batch of the oldest queued import; Odoo calls again while work remains.

        The file is checked again at each call, as the user who queued it, in their company: the
        rows written so far (its own batch) aside, it must still be importable. A failure removes
        the rows of the batch already written, so an import still lands whole or not at all."""
        # sudo: the cron user finds every company's queued imports; each is then run as its creator.
        queued = self.sudo().search([("state", "=", "queued")], order="id")
        if not queued:
            return
        wizard = queued[0]
        wizard = wizard.with_user(wizard.create_uid).with_company(wizard.company_id).with_context(
            allowed_company_ids=wizard.company_id.ids)
        try:
            with self.env.cr.savepoint():
                done, total = wizard._import_next_batch()
        except (UserError, psycopg2.Error) as exc:
            wizard._fail_import(str(exc))
            done, total = 0, 0
        self.env["ir.cron"]._notify_progress(done=done, remaining=total - done + len(queued) - 1)

    def _import_next_batch(self):
        """(rows written so far, rows of the file) after writing the next batch."""
        self.ensure_one()
        History = self.env["sales.forecast.history"]
        History.check_access("create")
        rows, problems, __ = self._check_file(own_batch=self.import_batch)
        if len(problems):
            raise UserError(_("the file has %(n)s problem(s) now, the first on line %(line)s (%(problem)s)",
                              n=len(problems), line=problems["line"].iloc[0], problem=problems["problem"].iloc[0]))
        start = self.imported_count
        chunk = rows.iloc[start:start + self._get_batch_rows()]
        self._copy_rows(chunk, self.import_batch)
        History.invalidate_model()
        done = start + len(chunk)
        self._set_progress({"imported_count": done, "state": "done" if done >= len(rows) else "queued"})
        return done, len(rows)

    def _fail_import(self, reason):
        """Remove what the failed import wrote, say why."""
        self._undo_rows()
        # sudo: the wizard's creator may have lost access meanwhile; the failure must still be recorded.
        self._set_progress({"state": "failed", "imported_count": 0,
                            "import_error": _("Nothing was imported: %s", reason)})

    def _undo_rows(self):
        """Delete the rows a background import wrote so far (its batch name is the server's own)."""
        self.env["sales.forecast.history"].flush_model()
        self.env.cr.execute("DELETE FROM sales_forecast_history WHERE company_id = %s AND import_batch = %s",
                            [self.company_id.id, self.import_batch])
        self.env["sales.forecast.history"].invalidate_model()

    def _get_sync_rows(self):
        """Largest file written inside the request."""
        return SYNC_ROWS

    def _get_batch_rows(self):
        """Rows written per background call."""
        return BATCH_ROWS
