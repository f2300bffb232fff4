"""Reading a history file for the import wizard: every row checked, every problem kept.

Pure pandas (no odoo import), vectorised so a 1,000,000-row file is read in seconds. Unlike
``engine.data.read_sales_csv`` (which stops at the first bad line, right for the command line),
the wizard must show EVERY problem of every row, so it collects them instead of raising.
The file-level errors (unreadable, no rows, a missing column) still raise ``FileError``.
"""
import csv
import gzip
import io

import numpy as np
import pandas as pd

HEADER_LINES = 1  # line numbers are what a spreadsheet shows: header = line 1, first row = line 2
DATE_FORMATS = {
    "iso": "%Y-%m-%d",
    "dmy": "%d/%m/%Y",
    "mdy": "%m/%d/%Y",
}
# Column names recognised without a mapping, most specific first.
GUESSES = {
    "date": ("date", "day", "ds", "order_date", "jour"),
    "item": ("item", "product", "sku", "default_code", "reference", "ref", "article", "produit"),
    "store": ("store", "warehouse", "shop", "location", "magasin", "entrepot"),
    "quantity": ("sales", "quantity", "qty", "units", "y", "quantite", "ventes"),
}


class FileError(ValueError):
    """The file as a whole cannot be read (one sentence saying why)."""


def decode(data: bytes) -> str:
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise FileError(f"the file looks gzip-compressed but cannot be decompressed ({exc})") from None
    for encoding in ("utf-8-sig", "cp1252"):  # spreadsheets on Windows often save cp1252
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def read_table(data: bytes, nrows=None) -> pd.DataFrame:
    """All columns as text (stripped later, once per distinct value); the index is the file line number."""
    text = decode(data)
    if not text.strip():
        raise FileError("the file is empty")
    first = text.split("\n", 1)[0]
    try:
        sep = csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except csv.Error:
        sep = ","
    try:
        raw = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False,
                          nrows=nrows)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise FileError(f"the file is not a readable CSV: {str(exc).strip().splitlines()[0]}") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    raw = raw.fillna("")
    raw.index = raw.index + HEADER_LINES + 1
    raw = raw[(raw != "").any(axis=1)] if len(raw.columns) else raw
    if raw.empty:
        raise FileError("the file has a header but no data rows")
    return raw


def factorize(values: pd.Series):
    """(codes per row, distinct stripped values): every later step works on the distinct values only,
    which is what makes a million rows cheap (a file has few distinct dates, items and stores)."""
    codes, uniq = pd.factorize(values.to_numpy(dtype=object), sort=False)
    stripped = pd.Index(uniq.astype(str)).str.strip()
    codes2, uniq2 = pd.factorize(stripped, sort=False)
    return codes2[codes], pd.Index(uniq2, dtype=object)


def guess_columns(columns) -> dict:
    """Canonical name -> file column, for the names this module recognises."""
    loose = {c.strip().lower().replace(" ", "_"): c for c in columns}
    out = {}
    for canon, names in GUESSES.items():
        out[canon] = next((loose[n] for n in names if n in loose), None)
    return out


def parse_dates(uniq: pd.Index, date_format="auto"):
    """(dates of the distinct values, format used). A time after the date is ignored and '-', '/' or
    '.' separate the parts. 'auto' keeps the format that reads the most values; when day-first and
    month-first both read everything (no day above 12), the more regular calendar wins (03/04 is
    April in France, March in the US), then day-first."""
    day_part = pd.Series(uniq, dtype=object).str.split(r"[ T]", n=1, regex=True).str[0] \
        .str.replace(r"[.\-/]", "/", regex=True)
    formats = list(DATE_FORMATS) if date_format == "auto" else [date_format]
    best, best_fmt, best_key = None, formats[0], None
    for rank, fmt in enumerate(formats):
        parsed = pd.to_datetime(day_part, format=DATE_FORMATS[fmt].replace("-", "/"), errors="coerce")
        key = (int(parsed.notna().sum()), _regularity(parsed), -rank)
        if best_key is None or key > best_key:
            best, best_fmt, best_key = parsed, fmt, key
    return pd.DatetimeIndex(best), best_fmt


def _regularity(dates: pd.Series) -> float:
    """Share of gaps between consecutive distinct dates equal to the most common gap."""
    days = np.unique(dates.dropna().to_numpy(dtype="datetime64[D]").astype(np.int64))
    if len(days) < 3:
        return 0.0
    _, counts = np.unique(np.diff(days), return_counts=True)
    return round(float(counts.max()) / (len(days) - 1), 6)


def parse_quantities(uniq: pd.Index) -> np.ndarray:
    """Floats of the distinct values, NaN where the text is not a number; a decimal comma is accepted."""
    text = pd.Series(uniq, dtype=object).str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False)
    num = pd.to_numeric(text, errors="coerce")
    comma = num.isna() & text.str.fullmatch(r"-?\d+,\d+")
    if comma.any():
        num[comma] = pd.to_numeric(text[comma].str.replace(",", ".", regex=False), errors="coerce")
    return num.to_numpy(dtype=float)


def parse(raw: pd.DataFrame, columns: dict, date_format="auto", today=None):
    """Rows and problems of a table read by ``read_table``.

    ``columns`` maps date/item/quantity (and optionally store) to file columns. Returns
    ``(rows, problems, info)``: rows has line, date, item, store, quantity for every line (bad
    values as NaT/NaN); problems has line, column, value, problem, one row per problem found.
    """
    missing = [canon for canon in ("date", "item", "quantity") if not columns.get(canon)]
    if missing:
        raise FileError(f"choose the file column holding: {', '.join(missing)}")
    unknown = [c for c in columns.values() if c and c not in raw.columns]
    if unknown:
        raise FileError(f"the file has no column {', '.join(map(repr, unknown))}")
    lines = raw.index.to_numpy()
    col = {canon: factorize(raw[name]) for canon, name in columns.items() if name}
    date_codes, date_uniq = col["date"]
    uniq_dates, used_format = parse_dates(date_uniq, date_format)
    qty_codes, qty_uniq = col["quantity"]
    uniq_qty = parse_quantities(qty_uniq)
    store = pd.Categorical.from_codes(*col["store"]) if "store" in col else \
        pd.Categorical.from_codes(np.zeros(len(raw), dtype=np.int64), [""])
    rows = pd.DataFrame({
        "line": lines,
        "date": uniq_dates[date_codes],
        "item": pd.Categorical.from_codes(*col["item"]),
        "store": store,
        "quantity": uniq_qty[qty_codes],
    })
    problems = []

    def flag(canon, uniq_mask, problem):
        """Rows whose ``canon`` value is one of the distinct values selected by ``uniq_mask``."""
        codes, uniq = col[canon]
        mask = np.asarray(uniq_mask, dtype=bool)[codes]
        if mask.any():
            problems.append(pd.DataFrame({"line": lines[mask], "column": columns[canon],
                                          "value": uniq.to_numpy()[codes[mask]], "problem": problem}))

    blank_date = (date_uniq == "")
    flag("date", blank_date, "empty date")
    flag("date", uniq_dates.isna() & ~blank_date, f"not a date (read as {used_format.upper()})")
    if today is not None:
        flag("date", uniq_dates > pd.Timestamp(today), "date in the future")
    blank_qty = (qty_uniq == "")
    flag("quantity", blank_qty, "empty quantity")
    flag("quantity", np.isnan(uniq_qty) & ~blank_qty, "not a number")
    flag("quantity", uniq_qty < 0, "negative quantity")
    flag("item", col["item"][1] == "", "empty item")
    if "store" in col:
        flag("store", col["store"][1] == "", "empty store")
    keys = ["date", "item", "store"]
    valid_key = rows["date"].notna().to_numpy() & (rows["item"] != "").to_numpy()
    dup = valid_key & rows.duplicated(keys, keep="first").to_numpy()
    if dup.any():
        first = rows[valid_key].groupby(keys, observed=True)["line"].min()
        dup_lines = first.reindex(pd.MultiIndex.from_frame(rows.loc[dup, keys])).to_numpy()
        problems.append(pd.DataFrame({
            "line": lines[dup], "column": columns["date"], "value": date_uniq.to_numpy()[date_codes[dup]],
            "problem": [f"duplicate of line {n} (same date, item and store)" for n in dup_lines]}))
    return rows, concat_problems(problems), {"date_format": used_format}


def concat_problems(frames) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=["line", "column", "value", "problem"])
    return pd.concat(frames, ignore_index=True).sort_values(["line", "column"], kind="stable") \
        .reset_index(drop=True)


def problems_csv(problems: pd.DataFrame) -> bytes:
    return problems.to_csv(index=False).encode("utf-8")
