"""Import sales history from before Odoo: upload, map the columns, preview every problem, import.

The file is read by the engine's reader (``engine/csv_reader.py``, the command line's too): this
wizard only matches products and warehouses of its company and writes. The import is all or
nothing: a file with any problem (unknown product, a warehouse of another company, bad date,
negative, non-numeric, non-finite or absurd quantity, a duplicate row, a day already imported)
writes nothing; the preview lists every problem by line so the file can be fixed in one go. Rows are written with one
PostgreSQL COPY inside the request's transaction, so a million rows take seconds and a failure
leaves no row behind.

This file holds the wizard's steps; matching rows to products and warehouses is in
``sales_history_import_matching.py``, writing them (and the background import) in
``sales_history_import_writing.py``.
"""
import base64
import time

import numpy as np
from markupsafe import Markup, escape

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..engine import csv_reader as reader

PREVIEW_PROBLEMS = 200  # problems shown in the preview; all of them are in the downloadable CSV
PROGRESS_FIELDS = frozenset({"state", "import_batch", "imported_count", "import_error"})


class SalesHistoryImport(models.TransientModel):
    _name = "sales.history.import"
    _description = "Import Sales History"
    _check_company_auto = True

    state = fields.Selection([("upload", "Upload"), ("map", "Columns"), ("preview", "Preview"),
                              ("queued", "Importing"), ("done", "Done"), ("failed", "Failed")],
                             default="upload", required=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, readonly=True, default=lambda self: self.env.company)
    data_file = fields.Binary("File", attachment=False, help="CSV (comma, semicolon, tab or pipe separated), "
                              "optionally gzip-compressed, with a header line.")
    filename = fields.Char()
    column_ids = fields.One2many("sales.history.import.column", "wizard_id")
    date_column_id = fields.Many2one("sales.history.import.column", "Date Column",
                                     domain="[('wizard_id', '=', id)]")
    item_column_id = fields.Many2one("sales.history.import.column", "Product Column",
                                     domain="[('wizard_id', '=', id)]",
                                     help="Matched to products by internal reference, then barcode, then name.")
    store_column_id = fields.Many2one("sales.history.import.column", "Warehouse Column",
                                      domain="[('wizard_id', '=', id)]",
                                      help="Matched to warehouses by short name (code), then name. Leave empty to "
                                           "import every row into the default warehouse.")
    quantity_column_id = fields.Many2one("sales.history.import.column", "Quantity Column",
                                         domain="[('wizard_id', '=', id)]")
    default_warehouse_id = fields.Many2one("stock.warehouse", check_company=True,
                                           help="Warehouse of every row when the file has no warehouse column.")
    date_format = fields.Selection([("auto", "Detect"), ("iso", "YYYY-MM-DD"), ("dmy", "DD/MM/YYYY"),
                                    ("mdy", "MM/DD/YYYY")], default="auto", required=True)
    max_quantity = fields.Float(
        "Quantity Ceiling", default=lambda self: self.env.company.forecast_import_max_quantity,
        help="A row whose quantity is above this (a typing or export error such as 1e308) is a problem: "
             "nothing is imported until it is fixed.")
    row_count = fields.Integer("Rows", readonly=True)
    valid_count = fields.Integer("Rows Without Problem", readonly=True)
    problem_count = fields.Integer("Problems", readonly=True)
    summary_html = fields.Html("Preview", readonly=True, sanitize=False)
    problems_file = fields.Binary("All Problems (CSV)", attachment=False, readonly=True)
    problems_filename = fields.Char()
    import_batch = fields.Char(readonly=True)
    imported_count = fields.Integer(readonly=True)
    import_error = fields.Text(readonly=True)

    # -- CRUD -----------------------------------------------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_progress_fields(vals, creating=True)
        return super().create(vals_list)

    def write(self, vals):
        self._check_progress_fields(vals)
        return super().write(vals)

    def unlink(self):
        # A queued import deleted before it ends (by hand, or by the transient vacuum when its cron
        # is late) must not leave half a file behind.
        for wizard in self.filtered(lambda w: w.state == "queued"):
            wizard._undo_rows()
        return super().unlink()

    def _check_progress_fields(self, vals, creating=False):
        """The step, the batch name and the progress are the server's: a forged batch name on a queued
        import would make its failure delete another import's rows."""
        if self.env.su:
            return
        forged = set(vals) & PROGRESS_FIELDS
        if creating and vals.get("state", "upload") == "upload":
            forged.discard("state")
        if forged:
            raise AccessError(_("These fields are set by the import itself: %s", ", ".join(sorted(forged))))

    def _set_progress(self, vals):
        # sudo: progress fields are written only here, never from the client (see _check_progress_fields).
        self.sudo().write(vals)

    # -- steps ----------------------------------------------------------------------------------
    def action_read_columns(self):
        """Upload -> mapping: read the header and a few rows, guess which column is which."""
        self.ensure_one()
        raw, __ = self._read_raw(nrows=5)
        self.column_ids.unlink()
        columns = self.env["sales.history.import.column"].create([
            {"wizard_id": self.id, "name": name, "position": i,
             "sample": ", ".join(v for v in raw[name].head(3) if v)[:60]}
            for i, name in enumerate(raw.columns)])
        by_name = {c.name: c for c in columns}
        guess = reader.guess_columns(raw.columns)
        self._set_progress({"state": "map"})
        self.write({
            "date_column_id": by_name[guess["date"]].id if guess["date"] else False,
            "item_column_id": by_name[guess["item"]].id if guess["item"] else False,
            "store_column_id": by_name[guess["store"]].id if guess["store"] else False,
            "quantity_column_id": by_name[guess["quantity"]].id if guess["quantity"] else False,
        })
        return self._reopen()

    def action_preview(self):
        """Mapping -> preview: check every row, count, list the problems."""
        self.ensure_one()
        started = time.perf_counter()
        rows, problems, info = self._check_file()
        valid_lines = len(rows) - problems["line"].nunique()
        self._set_progress({"state": "preview"})
        self.write({
            "row_count": len(rows),
            "valid_count": valid_lines,
            "problem_count": len(problems),
            "summary_html": self._render_summary(rows, problems, info, time.perf_counter() - started),
            "problems_file": base64.b64encode(reader.problems_csv(problems)) if len(problems) else False,
            "problems_filename": f"problems_{self.filename or 'import'}.csv" if len(problems) else False,
        })
        return self._reopen()

    def action_import(self):
        """Preview -> done: check again (the file is the truth, not the preview) and write everything or
        nothing."""
        self.ensure_one()
        History = self.env["sales.forecast.history"]
        History.check_access("create")
        rows, problems, __ = self._check_file()
        if len(problems):
            raise UserError(_("Nothing was imported: the file has %(n)s problem(s), the first on line %(line)s "
                              "(%(problem)s). Fix the file and preview it again.", n=len(problems),
                              line=problems["line"].iloc[0], problem=problems["problem"].iloc[0]))
        batch = "%s %s" % (fields.Datetime.now().strftime("%Y-%m-%d %H:%M:%S"), self.filename or _("import"))
        if len(rows) > self._get_sync_rows():
            self._set_progress({"state": "queued", "import_batch": f"{batch} #{self.id}", "imported_count": 0,
                                "import_error": False})
            self.row_count = len(rows)
            self.env.ref("sales_forecast_ai.ir_cron_sales_history_import")._trigger()
            return self._reopen()
        self._copy_rows(rows, batch)
        History.invalidate_model()
        self._set_progress({"state": "done", "import_batch": batch, "imported_count": len(rows)})
        return self._reopen()

    def action_back(self):
        self.ensure_one()
        self._set_progress({"state": {"preview": "map", "map": "upload"}.get(self.state, "upload")})
        return self._reopen()

    def action_view_imported(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sales_forecast_ai.action_sales_forecast_history")
        action["domain"] = [("import_batch", "=", self.import_batch)]
        return action

    # -- checking -------------------------------------------------------------------------------
    def _read_raw(self, nrows=None):
        if not self.data_file:
            raise UserError(_("Choose a file to import."))
        try:
            return reader.read_table(base64.b64decode(self.data_file), nrows=nrows)
        except reader.DataError as exc:
            raise UserError(_("This file cannot be imported: %s", exc)) from None

    def _check_file(self, own_batch=None):
        """(rows with product/warehouse ids, problems, info) for the whole file; rows of ``own_batch``
        (a background import going on) do not count as imported before."""
        if self.company_id not in self.env.companies:
            # Rows are written with SQL under the wizard's company: it must be one the user works in.
            raise UserError(_("You cannot import history into %s: select this company first.",
                              self.company_id.name))
        if not self.store_column_id and not self.default_warehouse_id:
            raise UserError(_("Choose the warehouse column, or a default warehouse for every row."))
        if not self.date_column_id or not self.item_column_id or not self.quantity_column_id:
            raise UserError(_("Choose the file columns holding the date, the product and the quantity."))
        if not 0 < self.max_quantity <= reader.MAX_CEILING:
            # No f-string inside _(): Babel evaluates string tokens of the call and would skip the whole file.
            ceiling = format(reader.MAX_CEILING, "g")
            raise UserError(_("The quantity ceiling must be above 0 and at most %s.", ceiling))
        table = self._read_raw()
        columns = {"date": self.date_column_id.name, "item": self.item_column_id.name,
                   "store": self.store_column_id.name or "", "quantity": self.quantity_column_id.name}
        try:
            result = reader.read_sales(None, columns, self.date_format, today=fields.Date.context_today(self),
                                       max_quantity=self.max_quantity, table=table)
        except reader.DataError as exc:
            raise UserError(_("This file cannot be imported: %s", exc)) from None
        rows, problems, info = result.rows, result.problems, result.info
        found = [problems]
        rows["product_id"], found_items = self._match(rows, "item", self._match_products, columns["item"])
        found.append(found_items)
        if columns["store"]:
            rows["warehouse_id"], found_stores = self._match(rows, "store", self._match_warehouses, columns["store"])
            found.append(found_stores)
        else:
            rows["warehouse_id"] = self.default_warehouse_id.id
        found.append(self._find_same_day(rows, columns["date"]))
        found.append(self._find_already_imported(rows, columns["date"], own_batch))
        return rows, reader.concat_problems(found), info

    # -- display --------------------------------------------------------------------------------
    def _render_summary(self, rows, problems, info, seconds):
        ok = rows[(rows["product_id"] > 0) & (rows["warehouse_id"] > 0) & rows["date"].notna()]
        facts = [
            (_("Rows"), f"{len(rows):,}"),
            (_("Rows without problem"), f"{len(rows) - problems['line'].nunique():,}"),
            (_("Products"), f"{ok['product_id'].nunique():,}"),
            (_("Warehouses"), f"{ok['warehouse_id'].nunique():,}"),
            (_("Dates"), f"{ok['date'].min():%Y-%m-%d} - {ok['date'].max():%Y-%m-%d}" if len(ok) else "-"),
            (_("Total quantity"), f"{np.nansum(ok['quantity'].to_numpy()):,.2f}"),
            (_("Date format"), info.get("date_format", "").upper()),
            (_("Decimal mark"), info.get("decimal_mark", "")),
            (_("Encoding"), info.get("encoding", "")),
            (_("Checked in"), f"{seconds:.1f} s"),
        ]
        html = Markup('<table class="table table-sm o_sfai_import_facts">%s</table>') % Markup("").join(
            Markup("<tr><th>%s</th><td>%s</td></tr>") % (k, v) for k, v in facts)
        if not len(problems):
            return html + Markup('<div class="alert alert-success">%s</div>') % _(
                "No problem found: every row can be imported.")
        counts = problems["problem"].str.replace(r" \(.*$| of line \d+.*$|: .*$", "", regex=True).value_counts()
        html += Markup('<div class="alert alert-danger">%s</div>') % _(
            "%(n)s problem(s) on %(lines)s line(s). Nothing will be imported until the file is fixed; download "
            "the full list below.", n=len(problems), lines=problems["line"].nunique())
        html += Markup('<table class="table table-sm"><tr><th>%s</th><th>%s</th></tr>%s</table>') % (
            _("Problem"), _("Rows"), Markup("").join(
                Markup("<tr><td>%s</td><td>%s</td></tr>") % (k, f"{v:,}") for k, v in counts.items()))
        shown = problems[["line", "column", "value", "problem"]].head(PREVIEW_PROBLEMS)
        html += Markup('<table class="table table-sm table-striped"><tr><th>%s</th><th>%s</th><th>%s</th>'
                       '<th>%s</th></tr>%s</table>') % (
            _("Line"), _("Column"), _("Value"), _("Problem"), Markup("").join(
                Markup("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>") % tuple(map(escape, r))
                for r in shown.itertuples(index=False)))
        if len(problems) > PREVIEW_PROBLEMS:
            html += Markup("<p>%s</p>") % _("... and %s more in the CSV.", len(problems) - PREVIEW_PROBLEMS)
        return html

    def _reopen(self):
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
                "views": [(False, "form")], "target": "new", "name": _("Import Sales History")}
