"""Data preparation: a sales file or frame in, a Panel out.

Used by the command line (``read_sales_csv`` then ``build_panel``) and by the Odoo layer, which
aggregates sale lines into a frame itself and only calls ``build_panel``; so nothing here knows
about files beyond ``read_sales_csv``.

Row numbers in error messages are file line numbers, the number a spreadsheet shows when the
file is opened in it: the header is line 1, the first data row line 2.
"""
from __future__ import annotations

import csv
import gzip
import io
import os
import warnings

import numpy as np
import pandas as pd

from .panel import PANDAS_FREQ, Panel

CANONICAL = ("date", "item", "store", "sales")
NO_STORE = ""  # store value of data without a store column
_HEADER_LINES = 1


class DataError(ValueError):
    """A sales file or frame that cannot be used, with one line saying why (and where)."""

    def __init__(self, message: str, *, line: int | None = None, kind: str = "data"):
        super().__init__(message)
        self.line = line
        self.kind = kind  # columns | date | quantity | key | empty | data


# -- reading -----------------------------------------------------------------------------
def read_sales_csv(path_or_buffer, date_col="date", item_col="item", store_col="store", qty_col="sales"):
    """Read a CSV (plain or gzip) into a frame with columns date, item, store, sales.

    Separator (``,`` ``;`` tab ``|``) and date convention are detected; dates may carry a time
    (it is dropped). Keys stay strings (``007`` keeps its zeros). Blank quantities count as no
    sale (their number is in ``df.attrs["blank_qty"]``); anything else that is not a number, a
    missing or unparsable date or a blank item raises DataError with the line number.
    """
    text = _open_text(path_or_buffer)
    head = text.read(64 * 1024)
    if not head.strip():
        raise DataError("the file is empty (no header, no rows)", kind="empty")
    sep = _sniff_sep(head)
    text.seek(0)
    try:
        # Everything as text: keys keep leading zeros, and bad values are found by us, with a line.
        raw = pd.read_csv(text, sep=sep, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except pd.errors.EmptyDataError:
        raise DataError("the file is empty (no header, no rows)", kind="empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(f"the file is not a readable CSV: {str(exc).strip().splitlines()[-1]}") from None
    if not isinstance(raw.index, pd.RangeIndex):
        # pandas moves the first field to the index when rows are longer than the header.
        raise DataError(f"line 2 has more fields than the header ({len(raw.columns)} names); "
                        f"check the separator {sep!r} and the quoting")
    wanted = {"date": date_col, "item": item_col, "store": store_col or None, "sales": qty_col}
    cols = _resolve_columns(raw.columns, wanted)
    # Each column is parsed through its distinct values (dates, keys and quantities repeat a lot).
    fact = {canon: _factorize_text(raw[name]) for canon, name in cols.items() if name is not None}
    # skip_blank_lines=False keeps row i on line i + 2, so blank lines do not shift line numbers.
    blank_row = np.logical_and.reduce([blank[codes] for codes, _, blank in fact.values()])
    rows = np.flatnonzero(~blank_row)
    if not len(rows):
        raise DataError("the file has a header but no data rows", kind="empty")
    lines = rows + _HEADER_LINES + 1
    fact = {canon: (codes[rows], uniq, blank) for canon, (codes, uniq, blank) in fact.items()}

    out = pd.DataFrame({"date": _parse_dates(*fact["date"], lines, cols["date"])})
    for canon in ("item", "store"):
        if cols[canon] is None:
            out[canon] = NO_STORE
            continue
        codes, uniq, blank = fact[canon]
        bad = blank[codes]
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(f"line {lines[i]}: {canon} column {cols[canon]!r} is empty", line=int(lines[i]),
                            kind="key")
        out[canon] = uniq[codes]
    out["sales"], blanks = _parse_qty(*fact["sales"], lines, cols["sales"])
    out.attrs["blank_qty"] = blanks
    return out


def _factorize_text(col: pd.Series):
    """Codes per row, stripped distinct values (object array) and which of them are blank."""
    codes, uniq = pd.factorize(col, use_na_sentinel=False)
    uniq = np.array(["" if pd.isna(u) else str(u).strip() for u in uniq], dtype=object)
    return codes, uniq, np.array([u == "" for u in uniq], dtype=bool)


def _open_text(src):
    """A text stream for a path or buffer, un-gzipping when the bytes say gzip (whatever the name)."""
    if isinstance(src, (str, os.PathLike)):
        with open(src, "rb") as fh:
            data = fh.read()
    elif isinstance(src, io.TextIOBase):
        return io.StringIO(src.read())
    else:
        data = src.read()
        if isinstance(data, str):
            return io.StringIO(data)
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise DataError(f"the file looks gzip-compressed but cannot be decompressed ({exc})") from None
    for enc in ("utf-8-sig", "cp1252"):
        # Spreadsheet exports on Windows are often cp1252; utf-8 is tried first because it is strict.
        try:
            return io.StringIO(data.decode(enc))
        except UnicodeDecodeError:
            continue
    return io.StringIO(data.decode("latin-1"))


def _sniff_sep(head: str) -> str:
    first = head.splitlines()[0] if head else ""
    try:
        return csv.Sniffer().sniff(first, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _resolve_columns(found, wanted: dict) -> dict:
    """Map canonical names to the file's columns; exact name first, then ignoring case and spaces."""
    found = [str(c) for c in found]
    loose = {}
    for c in found:
        loose.setdefault(c.strip().lower(), []).append(c)
    cols, missing = {}, []
    for canon, name in wanted.items():
        if name is None:
            cols[canon] = None
        elif name in found:
            cols[canon] = name
        elif len(loose.get(str(name).strip().lower(), [])) == 1:
            cols[canon] = loose[str(name).strip().lower()][0]
        else:
            missing.append(name)
    if missing:
        shown = ", ".join(repr(c) for c in found) or "none"
        raise DataError(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}; "
                        f"the file has: {shown}", kind="columns")
    return cols


def _parse_dates(codes, uniq, blank, lines, name: str) -> np.ndarray:
    """Parse each distinct value once, trying a few conventions (see _date_candidates)."""
    uniq = pd.Index(uniq)
    best, best_bad = None, None
    for candidate in _date_candidates(uniq):
        bad = int(candidate.isna().sum())
        if best is None or bad < best_bad or (bad == best_bad == 0 and _regularity(candidate) > _regularity(best)):
            best, best_bad = candidate, bad
    bad_rows = np.flatnonzero(np.asarray(best.isna())[codes])
    if len(bad_rows):
        i = int(bad_rows[0])
        shown = uniq[codes[i]]
        what = "is empty" if not shown else f"cannot be read as a date: {shown!r}"
        raise DataError(f"line {lines[i]}: {name} {what} (expected e.g. 2024-01-31, 31/01/2024 or 01/31/2024; "
                        f"{len(bad_rows)} bad date{'s' if len(bad_rows) > 1 else ''} in all; line 1 is the header)",
                        line=int(lines[i]), kind="date")
    return best.normalize().to_numpy()[codes]


def _date_candidates(uniq: pd.Index):
    """ISO first; then formats inferred from the data month-first and day-first (both tried when
    ambiguous, the more regular calendar wins: 03/04 is April in France, March in the US)."""
    yield _to_dt(uniq, format="ISO8601")
    sample = next((u for u in uniq if u), None)
    for dayfirst in (True, False):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # pandas warns when the guess ignores dayfirst
            fmt = pd.tseries.api.guess_datetime_format(sample, dayfirst=dayfirst) if sample else None
        if fmt and fmt.startswith("%Y") and fmt.find("%d") < fmt.find("%m"):
            continue  # year-day-month is nobody's convention; it would hide a bad ISO date
        yield _to_dt(uniq, format=fmt) if fmt else _to_dt(uniq, format="mixed", dayfirst=dayfirst)


def _to_dt(uniq, **kw) -> pd.DatetimeIndex:
    try:
        out = pd.to_datetime(uniq, errors="coerce", **kw)
    except (ValueError, TypeError, OverflowError):
        return pd.DatetimeIndex([pd.NaT] * len(uniq))
    if getattr(out, "tz", None) is not None:
        out = out.tz_convert(None)
    return pd.DatetimeIndex(out)


def _regularity(dates: pd.DatetimeIndex) -> float:
    """Share of gaps between consecutive distinct dates equal to the most common gap."""
    d = np.unique(dates.dropna().normalize().asi8)
    if len(d) < 3:
        return 0.0
    gaps = np.diff(d)
    _, counts = np.unique(gaps, return_counts=True)
    return counts.max() / len(gaps)


def _parse_qty(codes, uniq, blank, lines, name: str):
    text = pd.Series(np.where(blank, "0", uniq), dtype=object)
    num = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    if not np.isfinite(num).all() and not text.str.contains(".", regex=False).any():
        # Decimal comma (French/Arabic locales), only when no value uses a decimal point.
        alt = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce").to_numpy(dtype=float)
        if np.isfinite(alt).all():
            num = alt
    bad = ~np.isfinite(num[codes])
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"line {lines[i]}: quantity {name} is not a number: {uniq[codes[i]]!r} "
                        f"({int(bad.sum())} such value{'s' if bad.sum() > 1 else ''} in all; line 1 is the header)",
                        line=int(lines[i]), kind="quantity")
    return num[codes], int(blank[codes].sum())


# -- calendar ----------------------------------------------------------------------------
def infer_freq(dates) -> str:
    """'D', 'W' or 'M' from the most common gap between distinct dates (missing periods are fine)."""
    d = np.unique(pd.DatetimeIndex(pd.to_datetime(pd.Series(dates)).dropna()).normalize().asi8)
    if len(d) < 2:
        return "D"
    gaps = np.diff(d) / 86_400e9
    vals, counts = np.unique(gaps, return_counts=True)
    gap = vals[np.argmax(counts)]
    if gap < 4:
        return "D"
    if gap < 20:
        return "W"
    return "M"


def _period_index(dates, freq: str) -> np.ndarray:
    """Integer period number of each date: days, Monday-started weeks, or months since 1970."""
    days = np.asarray(dates, dtype="datetime64[D]").astype(np.int64)
    if freq == "D":
        return days
    if freq == "W":
        return (days + 3) // 7  # 1970-01-01 was a Thursday; +3 makes weeks start on Monday
    return np.asarray(dates, dtype="datetime64[M]").astype(np.int64)


def _period_start(p: int, freq: str) -> pd.Timestamp:
    if freq == "D":
        return pd.Timestamp(np.datetime64(int(p), "D"))
    if freq == "W":
        return pd.Timestamp(np.datetime64(int(p) * 7 - 3, "D"))
    return pd.Timestamp(np.datetime64(int(p), "M"))


# -- panel -------------------------------------------------------------------------------
def build_panel(df: pd.DataFrame, freq="auto", key_cols=("item", "store"), date_col="date", qty_col="sales",
                country=None, end=None) -> Panel:
    """Aggregate rows into one regular series per key, all ending on the same date.

    Duplicate rows and the days of a week/month are summed; periods without rows are 0;
    zeros before a series' first non-zero sale are trimmed (a new product has no history,
    not a history of zeros); negative values (returns) are kept. ``end`` defaults to the
    latest date; rows after it are ignored. Keys are tuples of strings, sorted.
    """
    key_cols = tuple(key_cols)
    missing = [c for c in (*key_cols, date_col, qty_col) if c not in df.columns]
    if missing:
        raise DataError(f"missing column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}; "
                        f"the frame has: {', '.join(map(repr, map(str, df.columns)))}", kind="columns")
    if freq not in ("auto", *PANDAS_FREQ):
        raise DataError(f"unknown frequency {freq!r}; use auto, D, W or M", kind="data")
    dates = pd.to_datetime(df[date_col], errors="coerce")
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    if dates.isna().any():
        raise DataError(f"{int(dates.isna().sum())} row(s) have no valid {date_col}", kind="date")
    if freq == "auto":
        freq = infer_freq(dates)
    qty = pd.to_numeric(df[qty_col], errors="coerce").fillna(0.0).to_numpy(dtype=float)
    per = _period_index(dates.to_numpy(), freq)
    if end is None:
        if not len(per):
            raise DataError("no sales rows to build series from", kind="empty")
        last = int(per.max())
    else:
        last = int(_period_index(np.array([pd.Timestamp(end).to_datetime64()]), freq)[0])
    end_ts = _period_start(last, freq)
    if not len(per):
        return Panel([], [], end_ts, freq, country, {"key_cols": list(key_cols), "n_rows": 0})

    sid, uniq_keys = _factorize_keys([df[c] for c in key_cols])
    keep = per <= last
    sid, per, qty = sid[keep], per[keep], qty[keep]
    n = len(uniq_keys)

    # Sum duplicates: one row per (series, period), sorted by series then period.
    order = np.lexsort((per, sid))
    sid, per, qty = sid[order], per[order], qty[order]
    new = np.ones(len(sid), bool)
    new[1:] = (sid[1:] != sid[:-1]) | (per[1:] != per[:-1])
    starts = np.flatnonzero(new)
    g_sid, g_per, g_qty = sid[starts], per[starts], np.add.reduceat(qty, starts) if len(qty) else qty

    # First period of each series: first non-zero sale, or first row when it never sold.
    first = np.full(n, last + 1, dtype=np.int64)
    np.minimum.at(first, g_sid, g_per)
    nz = g_qty != 0
    first_sale = np.full(n, last + 1, dtype=np.int64)
    np.minimum.at(first_sale, g_sid[nz], g_per[nz])
    sold = first_sale <= last
    first = np.where(sold, first_sale, first)
    lengths = np.maximum(last - first + 1, 0)

    offsets = np.concatenate([[0], np.cumsum(lengths)])
    flat = np.zeros(int(offsets[-1]))
    inside = g_per >= first[g_sid]
    pos = offsets[g_sid[inside]] + (g_per[inside] - first[g_sid[inside]])
    np.add.at(flat, pos, g_qty[inside])

    order_keys = sorted(range(n), key=lambda i: uniq_keys[i])
    keys = [uniq_keys[i] for i in order_keys]
    values = [flat[offsets[i]:offsets[i + 1]].copy() for i in order_keys]
    meta = {"key_cols": list(key_cols), "qty_col": qty_col, "n_rows": int(len(df))}
    return Panel(keys, values, end_ts, freq, country, meta)


def _factorize_keys(columns):
    """Series id per row and the key tuple (of strings) of each id, one column at a time."""
    sid, keys = None, None
    for col in columns:
        codes, uniq = pd.factorize(col, use_na_sentinel=False)
        names = ["" if pd.isna(u) else _key_text(u) for u in uniq]
        if sid is None:
            sid, keys = codes.astype(np.int64), [(n,) for n in names]
            continue
        sid, pairs = pd.factorize(sid * len(names) + codes)
        keys = [keys[p // len(names)] + (names[p % len(names)],) for p in pairs]
    return sid.astype(np.int64), keys


def _key_text(value) -> str:
    # Ids that went through a float column (5.0) must still read as "5".
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def panel_to_frame(panel: Panel, value_col=None) -> pd.DataFrame:
    """Long frame (key columns, date, value) of a panel; key columns named as when it was built."""
    width = max((len(k) for k in panel.keys), default=2)
    names = list(panel.meta.get("key_cols") or [])
    if len(names) != width:
        names = ["item", "store"][:width] if width <= 2 else [f"key_{j}" for j in range(width)]
    lengths = np.array([len(v) for v in panel.values], dtype=np.int64)
    cols = {}
    for j, name in enumerate(names):
        cols[name] = np.repeat(np.array([k[j] if j < len(k) else "" for k in panel.keys], dtype=object), lengths)
    calendar = pd.date_range(end=panel.end, periods=int(lengths.max(initial=0)), freq=PANDAS_FREQ[panel.freq])
    calendar = calendar.to_numpy()
    date_parts = [calendar[len(calendar) - int(m):] for m in lengths]
    cols["date"] = np.concatenate(date_parts) if date_parts else np.array([], dtype="datetime64[ns]")
    cols[value_col or panel.meta.get("qty_col", "sales")] = np.concatenate(panel.values) if panel.values else np.array([], dtype=float)
    return pd.DataFrame(cols)
