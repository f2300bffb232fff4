"""Importing history from before Odoo: good files land whole, bad files land not at all."""
import base64
import csv
import datetime
import io

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common_forecast import ForecastCase


@tagged("post_install", "-at_install")
class TestSalesHistoryImport(ForecastCase):
    def _wizard(self, text, filename="history.csv"):
        data = text.encode() if isinstance(text, str) else text
        return self.env["sales.history.import"].with_company(self.company).create({
            "data_file": base64.b64encode(data), "filename": filename})

    def _count(self):
        return self.env["sales.forecast.history"].search_count([("company_id", "=", self.company.id)])

    def _good_file(self, days=30):
        buf = io.StringIO()
        out = csv.writer(buf)
        out.writerow(["date", "item", "store", "sales"])
        start = datetime.date(2022, 1, 1)
        for i in range(days):
            day = (start + datetime.timedelta(days=i)).isoformat()
            out.writerow([day, "SFAI-P1", "SFW1", i % 5])  # internal reference, warehouse code
            out.writerow([day, "3760000000011", "SFAI Second", 2])  # P1's barcode, warehouse name
            out.writerow([day, "SFAI Gadget", "sfw2", "1.5"])  # P2 by name, code in another case
        return buf.getvalue()

    def test_good_file_is_imported_whole(self):
        wizard = self._wizard(self._good_file())
        wizard.action_read_columns()
        self.assertEqual(wizard.state, "map")
        self.assertEqual([c.name for c in (wizard.date_column_id, wizard.item_column_id, wizard.store_column_id,
                                           wizard.quantity_column_id)], ["date", "item", "store", "sales"])
        wizard.action_preview()
        self.assertEqual((wizard.state, wizard.row_count, wizard.valid_count, wizard.problem_count),
                         ("preview", 90, 90, 0))
        self.assertIn("No problem found", wizard.summary_html)
        wizard.action_import()
        self.assertEqual((wizard.state, wizard.imported_count), ("done", 90))
        rows = self.env["sales.forecast.history"].search([("import_batch", "=", wizard.import_batch)])
        self.assertEqual(len(rows), 90)
        self.assertEqual(rows.company_id, self.company)
        by_key = {(r.product_id, r.warehouse_id, r.date): r.quantity for r in rows}
        self.assertEqual(by_key[(self.p1, self.wh1, datetime.date(2022, 1, 4))], 3.0)
        self.assertEqual(by_key[(self.p1, self.wh2, datetime.date(2022, 1, 4))], 2.0)
        self.assertEqual(by_key[(self.p2, self.wh2, datetime.date(2022, 1, 30))], 1.5)
        self.assertEqual(wizard.action_view_imported()["domain"], [("import_batch", "=", wizard.import_batch)])

        # The same file again would count those days twice: refused, nothing written.
        again = self._wizard(self._good_file())
        again.action_read_columns()
        again.action_preview()
        self.assertEqual(again.problem_count, 90)
        self.assertIn("already imported", again.summary_html)
        with self.assertRaises(UserError):
            again.action_import()
        self.assertEqual(self._count(), 90)

    def test_bad_file_lists_every_problem_and_imports_nothing(self):
        text = "\n".join([
            "date,item,store,sales",
            "2022-01-01,SFAI-P1,SFW1,4",        # line 2: fine
            "2022-01-02,NOPE,SFW1,4",           # line 3: unknown product
            "2022-02-30,SFAI-P1,SFW1,4",        # line 4: not a date
            "2022-01-03,SFAI-P1,SFW1,-2",       # line 5: negative quantity
            "2022-01-04,SFAI-P1,SFW1,lots",     # line 6: not a number
            "2022-01-01,SFAI-P1,SFW1,4",        # line 7: duplicate of line 2
            "2022-01-05,SFAI-P2,MARS,1",        # line 8: unknown warehouse
            "2022-01-06,SFAI-P2,SFW1,",         # line 9: empty quantity
            "2022-01-07,SFAI-P2,SFW1,3",        # line 10: fine
        ])
        before = self._count()
        wizard = self._wizard(text)
        wizard.action_read_columns()
        wizard.action_preview()
        self.assertEqual((wizard.row_count, wizard.valid_count, wizard.problem_count), (9, 2, 7))
        problems = base64.b64decode(wizard.problems_file).decode().splitlines()
        self.assertEqual(problems[0], "line,column,value,problem")
        lines = {int(p.split(",")[0]): p for p in problems[1:]}
        self.assertEqual(sorted(lines), [3, 4, 5, 6, 7, 8, 9])
        self.assertIn("unknown product", lines[3])
        self.assertIn("not a date", lines[4])
        self.assertIn("negative quantity", lines[5])
        self.assertIn("not a number", lines[6])
        self.assertIn("duplicate of line 2", lines[7])
        self.assertIn("unknown warehouse", lines[8])
        self.assertIn("empty quantity", lines[9])
        with self.assertRaises(UserError):
            wizard.action_import()
        self.assertEqual(self._count(), before, "all or nothing: not even the good rows")

    def test_mapped_columns_without_store(self):
        text = "Jour;Article;Quantité vendue\n03/04/2022;SFAI-P1;2,5\n04/04/2022;SFAI-P1;1\n05/04/2022;SFAI-P3;7\n"
        wizard = self._wizard(text.encode("cp1252"), filename="ventes.csv")
        wizard.action_read_columns()
        self.assertEqual(len(wizard.column_ids), 3)
        self.assertFalse(wizard.store_column_id)
        columns = {c.name: c for c in wizard.column_ids}
        wizard.write({"date_column_id": columns["Jour"].id, "item_column_id": columns["Article"].id,
                      "quantity_column_id": columns["Quantité vendue"].id})
        with self.assertRaises(UserError, msg="no store column and no default warehouse"):
            wizard.action_preview()
        wizard.default_warehouse_id = self.wh2
        wizard.action_preview()
        self.assertEqual(wizard.problem_count, 0, wizard.summary_html)
        wizard.action_import()
        rows = self.env["sales.forecast.history"].search([("import_batch", "=", wizard.import_batch)])
        self.assertEqual(sorted((r.product_id.default_code, r.date.isoformat(), r.quantity) for r in rows), [
            ("SFAI-P1", "2022-04-03", 2.5), ("SFAI-P1", "2022-04-04", 1.0), ("SFAI-P3", "2022-04-05", 7.0)],
            "day-first dates and decimal commas, as a French spreadsheet writes them")
        self.assertEqual(rows.warehouse_id, self.wh2)
        self.assertEqual(rows.mapped("import_file"), ["ventes.csv"] * 3)

    def test_unreadable_files(self):
        with self.assertRaisesRegex(UserError, "Choose a file"):
            self._wizard(b"").action_read_columns()
        for data, message in ((b"\n \n", "empty"), (b"date,item,store,sales\n", "no data rows")):
            wizard = self._wizard(data)
            with self.assertRaisesRegex(UserError, message):
                wizard.action_read_columns()
        wizard = self._wizard("a,b\n1,2\n")
        wizard.action_read_columns()
        with self.assertRaises(UserError):
            wizard.action_preview()  # nothing mapped to date, item and quantity
        self.assertEqual(self._count(), 0)

    def test_large_file_in_one_go(self):
        """25,000 rows are checked and written in one go (the COPY path a 1M-row file takes)."""
        lines = ["date,item,store,sales"]
        start = datetime.date(2018, 1, 1)
        items = ("SFAI-P1", "SFAI-P2", "SFAI-P3", "SFAI Widget", "SFAI Gadget")
        for i in range(25000):
            day = (start + datetime.timedelta(days=i % 2500)).isoformat()
            lines.append(f"{day},{items[i // 5000]},{('SFW1', 'SFW2')[i // 2500 % 2]},{i % 9}")
        # "SFAI Widget" and "SFAI Gadget" are P1 and P2 by name: their 10,000 rows repeat days of P1 and P2.
        wizard = self._wizard("\n".join(lines))
        wizard.action_read_columns()
        wizard.action_preview()
        self.assertEqual((wizard.row_count, wizard.problem_count), (25000, 10000))
        self.assertIn("same product, warehouse and day as line 2", wizard.summary_html)
        wizard = self._wizard("\n".join(lines[:15001]))
        wizard.action_read_columns()
        wizard.action_preview()
        self.assertEqual(wizard.problem_count, 0, wizard.summary_html)
        wizard.action_import()
        self.assertEqual(self._count(), 15000)
        rows = self.env["sales.forecast.history"].search([("company_id", "=", self.company.id)])
        self.assertEqual(sum(rows.mapped("quantity")), sum(i % 9 for i in range(15000)))
