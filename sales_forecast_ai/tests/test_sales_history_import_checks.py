"""History import: one reader with the command line, companies kept apart, absurd quantities refused."""
import base64
import datetime
from unittest.mock import patch

import pandas as pd

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from ..engine import csv_reader
from .common import FORECAST_MANAGER
from .common_forecast import ForecastCase


@tagged("post_install", "-at_install")
class TestSalesHistoryImportChecks(ForecastCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_wh.code = "OTH1"
        # A forecast manager working in both companies, the company of the import active.
        cls.manager = new_test_user(cls.env, login="sfai_import_manager", groups=f"base.group_user,{FORECAST_MANAGER}",
                                    company_id=cls.company.id, company_ids=[(6, 0, (cls.company | cls.other_company).ids)])

    def _wizard(self, text, user=None, **vals):
        env = self.env(user=user or self.manager, context={"allowed_company_ids": [self.company.id,
                                                                                   self.other_company.id]})
        wizard = env["sales.history.import"].create({
            "data_file": base64.b64encode(text.encode()), "filename": "history.csv", **vals})
        wizard.action_read_columns()
        return wizard

    def _count(self):
        return self.env["sales.forecast.history"].search_count([("company_id", "in", (self.company |
                                                                                      self.other_company).ids)])

    def _problems(self, wizard):
        text = base64.b64decode(wizard.problems_file).decode() if wizard.problems_file else "line\n"
        return pd.read_csv(pd.io.common.StringIO(text), dtype=str, keep_default_na=False)

    def test_a_row_naming_another_companys_warehouse_is_a_problem_and_nothing_is_imported(self):
        wizard = self._wizard("date,item,store,sales\n2022-01-01,SFAI-P1,SFW1,3\n2022-01-02,SFAI-P1,OTH1,4\n"
                              "2022-01-03,SFAI-P2,SFW2,1\n")
        self.assertEqual(wizard.company_id, self.company)
        wizard.action_preview()
        self.assertEqual((wizard.row_count, wizard.valid_count, wizard.problem_count), (3, 2, 1))
        problems = self._problems(wizard)
        self.assertEqual(problems["line"].tolist(), ["3"])
        self.assertIn("belongs to SFAI Other Co, not to SFAI Forecast Test Co", problems["problem"].iloc[0])
        with self.assertRaisesRegex(UserError, "Nothing was imported"):
            wizard.action_import()
        self.assertEqual(self._count(), 0)

    def test_a_default_warehouse_of_another_company_is_refused(self):
        with self.assertRaises(UserError):  # check_company
            self._wizard("date,item,sales\n2022-01-01,SFAI-P1,3\n", default_warehouse_id=self.other_wh.id)
        wizard = self._wizard("date,item,sales\n2022-01-01,SFAI-P1,3\n", default_warehouse_id=self.wh1.id)
        with self.assertRaises(UserError):
            wizard.default_warehouse_id = self.other_wh
        self.assertEqual(self._count(), 0)

    def test_a_company_the_user_does_not_work_in_is_refused(self):
        outsider = new_test_user(self.env, login="sfai_import_outsider", groups=f"base.group_user,{FORECAST_MANAGER}",
                                 company_id=self.company.id, company_ids=[(6, 0, self.company.ids)])
        env = self.env(user=outsider, context={"allowed_company_ids": self.company.ids})
        text = "date,item,sales\n2022-01-01,SFAI-P1,3\n"
        try:
            wizard = env["sales.history.import"].create({
                "data_file": base64.b64encode(text.encode()), "company_id": self.other_company.id,
                "default_warehouse_id": self.other_wh.id})
            wizard.action_read_columns()
            with self.assertRaises(UserError):
                wizard.action_preview()
            with self.assertRaises(UserError):
                wizard.action_import()
        except AccessError:
            pass  # refused even earlier by the record rule: as good
        self.assertEqual(self._count(), 0)

    def test_non_finite_and_absurd_quantities_are_problems_named_by_line(self):
        wizard = self._wizard("date,item,store,sales\n2022-01-01,SFAI-P1,SFW1,3\n2022-01-02,SFAI-P1,SFW1,1e308\n"
                              "2022-01-03,SFAI-P1,SFW1,nan\n2022-01-04,SFAI-P1,SFW1,inf\n"
                              "2022-01-05,SFAI-P1,SFW1,2000000000\n2022-01-06,SFAI-P1,SFW1,999999999\n")
        self.assertEqual(wizard.max_quantity, 1e9)
        wizard.action_preview()
        problems = self._problems(wizard)
        self.assertEqual(list(zip(problems["line"], problems["problem"])), [
            ("3", "absurd quantity (above the ceiling of 1e+09)"), ("4", "not a finite number"),
            ("5", "not a finite number"), ("6", "absurd quantity (above the ceiling of 1e+09)")])
        self.assertIn("absurd quantity", wizard.summary_html)
        self.assertIn("not a finite number", wizard.summary_html)
        with self.assertRaisesRegex(UserError, "line 3"):
            wizard.action_import()
        self.assertEqual(self._count(), 0)

    def test_the_ceiling_is_a_company_setting_and_a_wizard_field(self):
        self.company.forecast_import_max_quantity = 100
        text = "date,item,store,sales\n2022-01-01,SFAI-P1,SFW1,150\n2022-01-02,SFAI-P1,SFW1,99\n"
        wizard = self._wizard(text)
        self.assertEqual(wizard.max_quantity, 100)
        wizard.action_preview()
        self.assertEqual((wizard.problem_count, self._problems(wizard)["line"].tolist()), (1, ["2"]))
        wizard.max_quantity = 1000
        wizard.action_preview()
        self.assertEqual(wizard.problem_count, 0, wizard.summary_html)
        wizard.action_import()
        self.assertEqual(self._count(), 2)
        for bad in (0, -5, 1e300):
            with self.assertRaises(ValidationError):
                self.company.forecast_import_max_quantity = bad
        settings = self.env["res.config.settings"].with_company(self.company).create({})
        self.assertEqual(settings.forecast_import_max_quantity, 100)

    def test_the_wizard_reads_a_file_as_the_engine_reader_does(self):
        """Rows and reading problems are the engine reader's, the Odoo checks come on top."""
        text = ("date;item;store;sales\n31/01/2022;SFAI-P1;SFW1;1,5\n01/02/2022;SFAI-P1;SFW1;\n"
                "02/02/2022;SFAI-P1;SFW1;abc\n02/02/2022;SFAI-P1;SFW1;2\n30/02/2022;NOPE;SFW1;1\n"
                "03/02/2022;SFAI-P2;OTH1;-1\n")
        wizard = self._wizard(text)
        rows, problems, info = wizard._check_file()
        engine = csv_reader.read_sales(text.encode(), {"date": "date", "item": "item", "store": "store",
                                                       "quantity": "sales"},
                                       today=fields.Date.context_today(wizard), max_quantity=1e9)
        pd.testing.assert_frame_equal(rows[engine.rows.columns], engine.rows)
        self.assertEqual(info["date_format"], "dmy")
        self.assertEqual(info["decimal_mark"], ",")
        read_problems = problems[problems["kind"] != "data"].reset_index(drop=True)
        pd.testing.assert_frame_equal(read_problems, engine.problems)
        odoo_problems = problems[problems["kind"] == "data"]
        self.assertEqual(sorted(odoo_problems["line"].tolist()), [6, 7])  # unknown product, other company

    def test_a_big_file_is_written_in_the_background_whole_or_not_at_all(self):
        Wizard = type(self.env["sales.history.import"])
        cron = self.env["sales.history.import"]
        lines = lambda days: "date,item,store,sales\n" + "".join(f"2022-01-{d:02d},SFAI-P1,SFW1,{d}\n" for d in days)
        with patch.object(Wizard, "_get_sync_rows", lambda self: 2), \
                patch.object(Wizard, "_get_batch_rows", lambda self: 2):
            wizard = self._wizard(lines(range(1, 6)))
            wizard.action_preview()
            wizard.action_import()
            self.assertEqual((wizard.state, wizard.row_count, self._count()), ("queued", 5, 0))
            cron._cron_import_queued()
            wizard.invalidate_recordset()
            self.assertEqual((wizard.state, wizard.imported_count, self._count()), ("queued", 2, 2))
            cron._cron_import_queued()
            cron._cron_import_queued()
            wizard.invalidate_recordset()
            self.assertEqual((wizard.state, wizard.imported_count, self._count()), ("done", 5, 5))
            rows = self.env["sales.forecast.history"].search([("import_batch", "=", wizard.import_batch)])
            self.assertEqual((sorted(rows.mapped("quantity")), rows.create_uid), ([1, 2, 3, 4, 5], self.manager))

            # Another import lands a day of a queued one between two batches: the queued one is undone.
            second = self._wizard(lines(range(10, 15)))
            second.action_preview()
            second.action_import()
            cron._cron_import_queued()
            self.assertEqual(self._count(), 7)
            self.env["sales.forecast.history"].create({
                "company_id": self.company.id, "product_id": self.p1.id, "warehouse_id": self.wh1.id,
                "date": datetime.date(2022, 1, 14), "quantity": 1, "import_batch": "meanwhile"})
            cron._cron_import_queued()
            second.invalidate_recordset()
            self.assertEqual(second.state, "failed")
            self.assertIn("already imported (batch meanwhile)", second.import_error)
            self.assertEqual(self._count(), 6)  # the first import and the row imported meanwhile
            cron._cron_import_queued()  # nothing queued: nothing happens
            self.assertEqual(self._count(), 6)

            # A queued import deleted half-way (the transient vacuum when the cron is late) is undone.
            third = self._wizard(lines(range(20, 25)))
            third.action_preview()
            third.action_import()
            cron._cron_import_queued()
            self.assertEqual(self._count(), 8)
            third.unlink()
            self.assertEqual(self._count(), 6)

    def test_progress_fields_cannot_be_forged(self):
        wizard = self._wizard("date,item,store,sales\n2022-01-01,SFAI-P1,SFW1,3\n")
        for vals in ({"import_batch": "2022-01-01 other"}, {"state": "queued"}, {"imported_count": 5},
                     {"import_error": "x"}):
            with self.assertRaises(AccessError):
                wizard.write(vals)
        with self.assertRaises(AccessError):
            wizard.create({"data_file": wizard.data_file, "state": "queued", "import_batch": "x"})
