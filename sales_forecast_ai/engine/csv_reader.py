"""The one reader of sales files: bytes in, rows and every problem out.

Used by the command line (``data.read_sales_csv``) and by the Odoo import wizard, so one file is
read one way. Pure pandas, no odoo import; every step works on the distinct values of a column
(a file has few distinct dates, items and stores), which keeps a million rows to seconds.

The reader never stops at the first bad value: it returns the rows (bad values as NaT/NaN) and a
problem table with one row per problem (line, column, value, problem, kind). What to do with a
problem is the caller's policy: the wizard refuses the file on any problem; the command line
refuses unreadable values and accepts what a sales file legitimately holds (see NOTE_KINDS).

Line numbers are what a spreadsheet shows when the file is opened in it: the header is line 1,
the first data row line 2; blank lines count, a quoted field spanning lines is one row.
"""
from __future__ import annotations

import codecs
import csv
import gzip
import io
import math
import os
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

HEADER_LINES = 1
DEFAULT_MAX_QUANTITY = 1e9  # nobody sells a billion units of one item in one store on one day
MAX_CEILING = 1e12  # the models treat larger values as unknown (engine.models.base.MAX_ABS_DEMAND)
DELIMITERS = (",", ";", "\t", "|")
DATE_FORMATS = {"iso": "%Y/%m/%d", "dmy": "%d/%m/%Y", "mdy": "%m/%d/%Y"}  # separators normalised to "/"
# Column names recognised without a mapping, most specific first (compared lower-case, "_" for spaces).
GUESSES = {
    "date": ("date", "day", "ds", "order_date", "jour"),
    "item": ("item", "product", "sku", "default_code", "reference", "ref", "article", "produit"),
    "store": ("store", "warehouse", "shop", "location", "magasin", "entrepot"),
    "quantity": ("sales", "quantity", "qty", "units", "y", "quantite", "ventes"),
}
PROBLEM_COLUMNS = ["line", "column", "value", "problem", "kind"]
# Problems a sales file may hold on purpose: the command line sums duplicate rows (transaction
# exports), keeps returns and counts a blank quantity as no sale. Every other kind is unreadable.
NOTE_KINDS = frozenset({"duplicate", "negative", "blank_quantity", "future"})


class DataError(ValueError):
    """A sales file or frame that cannot be used, with one line saying why (and where)."""

    def __init__(self, message: str, *, line: int | None = None, kind: str = "data"):
        super().__init__(message)
        self.line = line
        self.kind = kind  # columns | date | quantity | key | empty | data | file


@dataclass
class ReadResult:
    """Rows (line, date, item, store, quantity), problems (PROBLEM_COLUMNS) and facts about the read."""

    rows: pd.DataFrame
    problems: pd.DataFrame
    info: dict = field(default_factory=dict)


# -- bytes to a table ---------------------------------------------------------------------
def load_bytes(source) -> bytes:
    """The bytes of a path, a binary or text buffer or bytes; un-gzipped when they say gzip."""
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as fh:
            data = fh.read()
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        data = source.read()
        if isinstance(data, str):
            data = data.encode("utf-8")
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, ValueError) as exc:
            raise DataError(f"the file looks gzip-compressed but cannot be decompressed ({exc})",
                            kind="file") from None
    return data


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding): a BOM decides; else strict UTF-8, else cp1252 (Windows spreadsheet exports),
    else latin-1, which reads any byte."""
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                break
    for encoding in ("utf-8", "cp1252", "latin-1"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any byte")  # pragma: no cover


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header into the most fields and the next lines into as many."""
    lines = [ln for ln in text[:64 * 1024].splitlines() if ln.strip()][:20]
    if not lines:
        return ","
    best, best_key = ",", None
    for delim in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=delim)]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        consistent = sum(c == counts[0] for c in counts[1:])
        key = (consistent, counts[0])
        if best_key is None or key > best_key:
            best, best_key = delim, key
    return best


def read_table(source, nrows=None) -> tuple[pd.DataFrame, dict]:
    """(every column as stripped text indexed by spreadsheet line, facts: encoding and delimiter).

    Raises DataError for a file that is not a table at all (empty, no rows, ragged rows)."""
    text, encoding = decode(load_bytes(source))
    text = text.replace("\x00", "")  # NUL bytes (a truncated UTF-16 file, a binary) are never data
    if not text.strip():
        raise DataError("the file is empty (no header, no rows)", kind="empty")
    sep = sniff_delimiter(text)
    try:
        raw = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False,
                          nrows=nrows, engine="c")
    except pd.errors.EmptyDataError:
        raise DataError("the file is empty (no header, no rows)", kind="empty") from None
    except (pd.errors.ParserError, ValueError, csv.Error, OverflowError) as exc:
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
        raise DataError(f"the file is not a readable CSV (separator {sep!r}): {detail}", kind="file") from None
    if not isinstance(raw.index, pd.RangeIndex):
        # pandas moves the first fields to the index when the first row is longer than the header.
        raise DataError(f"line {HEADER_LINES + 1} has more fields than the header ({len(raw.columns)} names); "
                        f"check the separator {sep!r} and the quoting", line=HEADER_LINES + 1, kind="file")
    raw.columns = _unique_names(raw.columns)
    raw = raw.fillna("")
    raw.index = np.arange(len(raw)) + HEADER_LINES + 1
    if len(raw.columns):
        raw = raw[(raw != "").any(axis=1)]  # blank lines (what is blank once stripped: see read_sales)
    if raw.empty:
        raise DataError("the file has a header but no data rows", kind="empty")
    return raw, {"encoding": encoding, "delimiter": sep}


def _unique_names(columns) -> list:
    names, seen = [], {}
    for c in columns:
        name = str(c).strip()
        if name in seen:  # pandas renames repeats "x.1"; keep its name but never two equal ones
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        seen.setdefault(name, 0)
        names.append(name)
    return names


# -- column names -------------------------------------------------------------------------
def guess_columns(columns) -> dict:
    """Canonical name (date, item, store, quantity) -> file column, for the names this module knows."""
    loose = {}
    for c in columns:
        loose.setdefault(str(c).strip().lower().replace(" ", "_"), c)
    return {canon: next((loose[n] for n in names if n in loose), None) for canon, names in GUESSES.items()}


def resolve_columns(found, wanted: dict) -> dict:
    """Canonical name -> file column. A wanted name matches exactly, then ignoring case and spaces;
    None means guess (see GUESSES); "" means the file has no such column (store only)."""
    found = [str(c) for c in found]
    loose = {}
    for c in found:
        loose.setdefault(c.strip().lower(), []).append(c)
    guessed = guess_columns(found)
    cols, missing = {}, []
    for canon in ("date", "item", "store", "quantity"):
        name = wanted.get(canon)
        if name == "" and canon == "store":
            cols[canon] = None
        elif name is None or name == "":
            cols[canon] = guessed[canon]
            if cols[canon] is None and canon != "store":
                missing.append(f"{canon} (none named {', '.join(GUESSES[canon][:4])}, ...)")
        elif name in found:
            cols[canon] = name
        elif len(loose.get(str(name).strip().lower(), [])) == 1:
            cols[canon] = loose[str(name).strip().lower()][0]
        else:
            missing.append(repr(name))
    if missing:
        shown = ", ".join(repr(c) for c in found) or "none"
        raise DataError(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
                        f"the file has: {shown}", kind="columns")
    return cols


# -- values -------------------------------------------------------------------------------
def factorize(values: pd.Series):
    """(codes per row, distinct stripped values as an object Index)."""
    codes, uniq = pd.factorize(values.to_numpy(dtype=object), sort=False)
    stripped = pd.Index(np.asarray(uniq, dtype=object).astype(str), dtype=object).str.strip()
    codes2, uniq2 = pd.factorize(stripped, sort=False)
    return codes2[codes], pd.Index(np.asarray(uniq2, dtype=object), dtype=object)


def parse_dates(uniq: pd.Index, date_format="auto"):
    """(dates of the distinct values, format used). A time after the date is ignored and '-', '/' or
    '.' separate the parts. 'auto' keeps the format that reads the most values; when day-first and
    month-first both read everything (no day above 12), the more regular calendar wins (03/04 is
    April in France, March in the US), then day-first."""
    if date_format not in ("auto", *DATE_FORMATS):
        raise DataError(f"unknown date format {date_format!r}; use auto, iso, dmy or mdy", kind="data")
    day_part = pd.Series(uniq, dtype=object).astype(str).str.split(r"[ T]", n=1, regex=True).str[0] \
        .str.replace(r"[.\-/]", "/", regex=True)
    formats = list(DATE_FORMATS) if date_format == "auto" else [date_format]
    best, best_fmt, best_key = None, formats[0], None
    for rank, fmt in enumerate(formats):
        parsed = pd.to_datetime(day_part, format=DATE_FORMATS[fmt], errors="coerce")
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


_SPACES = re.compile(r"[\s\u00a0\u202f'\u2019]")  # thousands groups: spaces (FR), apostrophes (CH)
_EU_EVIDENCE = re.compile(r"[+-]?\d{1,3}(\.\d{3})+,\d*|[+-]?\d{1,3}(\.\d{3}){2,}")
_US_EVIDENCE = re.compile(r"[+-]?\d{1,3}(,\d{3})+\.\d*|[+-]?\d{1,3}(,\d{3}){2,}")
_THOUSANDS_GROUP = re.compile(r"[+-]?\d{1,3}([.,]\d{3})+")


def parse_quantities(uniq: pd.Index) -> tuple[np.ndarray, str]:
    """(floats of the distinct values, decimal mark used), NaN where the text is not a number.

    The file decides what a lone separator means: a value like ``1.234,5`` or ``1.234.567`` makes
    '.' the thousands separator of the whole file (``1.234`` is then 1234), ``1,234.5`` or
    ``1,234,567`` makes ',' the thousands separator; without such evidence a lone ',' or '.' is the
    decimal mark (``1,5`` is 1.5 in French and Arabic locales)."""
    text = pd.Series(uniq, dtype=object).astype(str).str.replace(_SPACES, "", regex=True)
    num = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    has_comma = text.str.contains(",", regex=False).to_numpy()
    eu = bool(text.str.fullmatch(_EU_EVIDENCE).any())
    us = bool(text.str.fullmatch(_US_EVIDENCE).any())
    mark = "," if eu and not us else "."
    redo = np.isnan(num) | has_comma
    if mark == ",":
        redo |= text.str.fullmatch(_THOUSANDS_GROUP).to_numpy()  # "1.234" is 1234 in this file
    for i in np.flatnonzero(redo):
        num[i] = _one_number(text.iat[i], mark, us)
    if mark == "." and not us and (has_comma & np.isfinite(num)).any():
        mark = ","  # what the file's lone commas meant (shown in the preview)
    return num, mark


def _one_number(s: str, mark: str, us: bool) -> float:
    if "," in s and "." in s:
        decimal = "," if s.rfind(",") > s.rfind(".") else "."
        whole, frac = s.rsplit(decimal, 1)
        if not (_THOUSANDS_GROUP.fullmatch(whole) or re.fullmatch(r"[+-]?\d+", whole)) or (decimal in whole):
            return math.nan
        s = whole.replace("." if decimal == "," else ",", "") + "." + frac
    elif s.count(",") > 1 or s.count(".") > 1:
        if not _THOUSANDS_GROUP.fullmatch(s):  # "1,2,3" is a list, not a number
            return math.nan
        s = s.replace(",", "").replace(".", "")
    elif "," in s:
        s = s.replace(",", "") if us and _THOUSANDS_GROUP.fullmatch(s) else s.replace(",", ".")
    elif "." in s and mark == "," and _THOUSANDS_GROUP.fullmatch(s):
        s = s.replace(".", "")
    if not s or "_" in s:
        return math.nan
    try:
        return float(s)  # also reads what pandas does not: "1e400" is inf (then refused as not finite)
    except (ValueError, OverflowError):
        return math.nan


# -- the reader ---------------------------------------------------------------------------
def read_sales(source, columns: dict | None = None, date_format="auto", today=None,
               max_quantity=DEFAULT_MAX_QUANTITY, table=None) -> ReadResult:
    """Read a sales file: rows and every problem, by line.

    ``columns`` maps date/item/store/quantity to file columns (None guesses, store "" = none).
    ``today`` adds a problem for dates after it. ``table`` is an already read ``read_table`` result.
    Raises DataError only when the file as a whole cannot be used (see read_table, resolve_columns).
    """
    if not (max_quantity is None or (isinstance(max_quantity, (int, float)) and 0 < max_quantity <= MAX_CEILING)):
        raise DataError(f"the quantity ceiling must be a number above 0 and at most {MAX_CEILING:g}, "
                        f"not {max_quantity!r}", kind="data")
    raw, facts = table if table is not None else read_table(source)
    cols = resolve_columns(raw.columns, dict(columns or {}))
    col = {canon: factorize(raw[name]) for canon, name in cols.items() if name}
    blank_row = np.logical_and.reduce([np.asarray(uniq == "")[codes] for codes, uniq in col.values()])
    if blank_row.all():
        raise DataError("the file has a header but no data rows", kind="empty")
    if blank_row.any():  # lines of spaces or of empty mapped cells are blank lines, not rows to fix
        keep = ~blank_row
        raw = raw[keep]
        col = {canon: (codes[keep], uniq) for canon, (codes, uniq) in col.items()}
    lines = raw.index.to_numpy(dtype=np.int64)
    date_codes, date_uniq = col["date"]
    uniq_dates, used_format = parse_dates(date_uniq, date_format)
    qty_codes, qty_uniq = col["quantity"]
    uniq_qty, mark = parse_quantities(qty_uniq)
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

    def flag(canon, uniq_mask, problem, kind):
        """Rows whose ``canon`` value is one of the distinct values selected by ``uniq_mask``."""
        codes, uniq = col[canon]
        mask = np.asarray(uniq_mask, dtype=bool)[codes]
        if mask.any():
            problems.append(pd.DataFrame({"line": lines[mask], "column": cols[canon],
                                          "value": uniq.to_numpy()[codes[mask]], "problem": problem, "kind": kind}))

    blank_date = np.asarray(date_uniq == "")
    flag("date", blank_date, "empty date", "date")
    flag("date", uniq_dates.isna() & ~blank_date, f"not a date (read as {used_format.upper()})", "date")
    if today is not None:
        flag("date", uniq_dates > pd.Timestamp(today), "date in the future", "future")
    blank_qty = np.asarray(qty_uniq == "")
    finite = np.isfinite(uniq_qty)
    nan_text = pd.Series(qty_uniq, dtype=object).astype(str).str.fullmatch(r"(?i)[+-]?nan").to_numpy()
    word = ~blank_qty & np.isnan(uniq_qty) & ~nan_text
    flag("quantity", blank_qty, "empty quantity", "blank_quantity")
    flag("quantity", word, "not a number", "quantity")
    flag("quantity", ~blank_qty & ~word & ~finite, "not a finite number", "quantity")
    if max_quantity is not None:
        flag("quantity", finite & (np.abs(np.where(finite, uniq_qty, 0.0)) > max_quantity),
             f"absurd quantity (above the ceiling of {max_quantity:g})", "quantity")
    flag("quantity", finite & (uniq_qty < 0), "negative quantity", "negative")
    flag("item", np.asarray(col["item"][1] == ""), "empty item", "item")
    if "store" in col:
        flag("store", np.asarray(col["store"][1] == ""), "empty store", "store")
    keys = ["date", "item", "store"]
    valid_key = rows["date"].notna().to_numpy() & (rows["item"] != "").to_numpy()
    dup = valid_key & rows.duplicated(keys, keep="first").to_numpy()
    if dup.any():
        first = rows[valid_key].groupby(keys, observed=True)["line"].min()
        dup_lines = first.reindex(pd.MultiIndex.from_frame(rows.loc[dup, keys])).to_numpy()
        problems.append(pd.DataFrame({
            "line": lines[dup], "column": cols["date"], "value": date_uniq.to_numpy()[date_codes[dup]],
            "problem": [f"duplicate of line {n} (same date, item and store)" for n in dup_lines],
            "kind": "duplicate"}))
    info = {**facts, "date_format": used_format, "decimal_mark": mark, "columns": cols}
    return ReadResult(rows, concat_problems(problems), info)


def concat_problems(frames) -> pd.DataFrame:
    """One problem table sorted by line then column (stable: a line's problems keep their order)."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=np.int64 if c == "line" else object) for c in PROBLEM_COLUMNS})
    out = pd.concat(frames, ignore_index=True)
    if "kind" not in out.columns:
        out["kind"] = "data"
    out["kind"] = out["kind"].fillna("data")
    out["line"] = out["line"].astype(np.int64)
    return out[PROBLEM_COLUMNS].sort_values(["line", "column"], kind="stable").reset_index(drop=True)


def problems_csv(problems: pd.DataFrame) -> bytes:
    """The downloadable problem list (what a user fixes the file from)."""
    return problems[["line", "column", "value", "problem"]].to_csv(index=False).encode("utf-8")


def describe_problems(problems: pd.DataFrame) -> str:
    """One sentence for the first problem and how many there are."""
    first = problems.iloc[0]
    value = f": {first['value']!r}" if str(first["value"]) != "" else ""
    more = f"; {len(problems)} problems in all" if len(problems) > 1 else ""
    return f"line {int(first['line'])}: {first['problem']} in column {first['column']!r}{value}" \
           f"{more} (line 1 is the header)"
