"""The import wizard's matching of file rows to the company's products and warehouses, and its checks
that a row counts a day once: against the other rows of the file and against what was imported before."""
import numpy as np
import pandas as pd

from odoo import _, models


class SalesHistoryImport(models.TransientModel):
    _inherit = "sales.history.import"

    def _find_same_day(self, rows, date_column):
        """Different texts naming the same product and warehouse on one day ("A-01" and its barcode):
        two rows for one day would count the day twice. Same texts are already the reader's duplicates."""
        ok = rows[(rows["product_id"] > 0) & (rows["warehouse_id"] > 0) & rows["date"].notna()]
        keys = ["product_id", "warehouse_id", "date"]
        same_ids = ok.duplicated(keys, keep="first")
        same_text = ok.duplicated(["date", "item", "store"], keep="first")
        hits = ok[same_ids & ~same_text]
        if not len(hits):
            return pd.DataFrame(columns=["line", "column", "value", "problem"])
        first = ok.groupby(keys)["line"].min()
        first_lines = first.reindex(pd.MultiIndex.from_frame(hits[keys])).to_numpy()
        template = _("same product, warehouse and day as line %s")  # translated once, not per row
        return pd.DataFrame({"line": hits["line"].to_numpy(), "column": date_column,
                             "value": hits["date"].dt.strftime("%Y-%m-%d").to_numpy(),
                             "problem": [template % n for n in first_lines]})

    def _match(self, rows, key, matcher, column):
        """Ids per row (0 when unmatched) and the problems of unmatched rows; one lookup per distinct value."""
        uniq = list(rows[key].cat.categories)
        codes = rows[key].cat.codes.to_numpy()
        ids, reasons = matcher([u for u in uniq if u])
        uniq_ids = np.array([ids.get(u, 0) for u in uniq], dtype=np.int64)
        unknown = _("unknown")
        bad = ((uniq_ids == 0) & np.array([u != "" for u in uniq], dtype=bool))[codes]
        problems = pd.DataFrame({
            "line": rows["line"].to_numpy()[bad], "column": column,
            "value": np.array(uniq, dtype=object)[codes[bad]],
            "problem": np.array([reasons.get(u, unknown) for u in uniq], dtype=object)[codes[bad]]})
        return uniq_ids[codes], problems

    def _match_products(self, items):
        """Item text -> product id, by internal reference, then barcode, then name (each must be unique)."""
        Product = self.env["product.product"].with_company(self.company_id)
        base = [("company_id", "in", [self.company_id.id, False])]
        ids, reasons, left = {}, {}, list(items)
        for field in ("default_code", "barcode", "name"):
            if not left:
                break
            found = {}
            for chunk in range(0, len(left), 20000):
                for product in Product.search_read(base + [(field, "in", left[chunk:chunk + 20000])], [field]):
                    found.setdefault(product[field], []).append(product["id"])
            for value, product_ids in found.items():
                if len(product_ids) == 1:
                    ids[value] = product_ids[0]
                else:
                    reasons[value] = _("ambiguous product: %(n)s products have this %(field)s", n=len(product_ids),
                                       field=Product._fields[field].string.lower())
            left = [v for v in left if v not in ids and v not in reasons]
        for value in left:
            reasons[value] = _("unknown product (no internal reference, barcode or name is %s)", value)
        return ids, reasons

    def _match_warehouses(self, stores):
        """Store text -> warehouse id, by short name (code) then name, ignoring case."""
        warehouses = self.env["stock.warehouse"].search([("company_id", "=", self.company_id.id)])
        ids, reasons = {}, {}
        for value in stores:
            for field in ("code", "name"):
                hits = warehouses.filtered(lambda w: (w[field] or "").strip().lower() == value.lower())
                if len(hits) == 1:
                    ids[value] = hits.id
                    break
                if len(hits) > 1:
                    reasons[value] = _("ambiguous warehouse: %s warehouses match", len(hits))
                    break
            else:
                reasons[value] = _("unknown warehouse (no warehouse of %(company)s has the code or name %(value)s)",
                                   company=self.company_id.name, value=value)
        foreign = self._find_foreign_warehouses([v for v in stores if v not in ids])
        for value, company in foreign.items():
            reasons[value] = _("warehouse %(value)s belongs to %(other)s, not to %(company)s: rows are imported "
                               "only into the company's own warehouses", value=value, other=company,
                               company=self.company_id.name)
        return ids, reasons

    def _find_foreign_warehouses(self, stores):
        """Store text -> name of the other company whose warehouse it names, among the companies the user
        belongs to (so the message helps without revealing other companies' warehouses)."""
        if not stores:
            return {}
        others = self.env["stock.warehouse"].with_context(allowed_company_ids=self.env.user.company_ids.ids).search(
            [("company_id", "!=", self.company_id.id)])
        found = {}
        for value in stores:
            for field in ("code", "name"):
                hits = others.filtered(lambda w: (w[field] or "").strip().lower() == value.lower())
                if hits:
                    found[value] = ", ".join(sorted(set(hits.company_id.mapped("name"))))
                    break
        return found

    def _find_already_imported(self, rows, date_column, own_batch=None):
        """Rows whose product, warehouse and day were imported before (importing twice doubles demand)."""
        ok = rows[(rows["product_id"] > 0) & (rows["warehouse_id"] > 0) & rows["date"].notna()]
        empty = pd.DataFrame(columns=["line", "column", "value", "problem"])
        if not len(ok):
            return empty
        self.env["sales.forecast.history"].flush_model()
        self.env.cr.execute(
            """SELECT product_id, warehouse_id, date, import_batch FROM sales_forecast_history
                WHERE company_id = %s AND product_id = ANY(%s) AND date BETWEEN %s AND %s
                  AND import_batch IS DISTINCT FROM %s""",
            [self.company_id.id, [int(p) for p in ok["product_id"].unique()], ok["date"].min().date(),
             ok["date"].max().date(), own_batch])
        existing = pd.DataFrame(self.env.cr.fetchall(), columns=["product_id", "warehouse_id", "date", "batch"])
        if not len(existing):
            return empty
        existing["date"] = pd.to_datetime(existing["date"])
        hits = ok.merge(existing, on=["product_id", "warehouse_id", "date"], how="inner")
        template = _("already imported (batch %s)")
        return pd.DataFrame({"line": hits["line"].to_numpy(), "column": date_column,
                             "value": hits["date"].dt.strftime("%Y-%m-%d").to_numpy(),
                             "problem": [template % b for b in hits["batch"]]})
