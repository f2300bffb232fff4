"""Data preparation: a sales file or frame in, a Panel out.

Used by the command line (``read_sales_csv`` then ``build_panel``) and by the Odoo layer, which
aggregates sale lines into a frame itself and only calls ``build_panel``; so nothing here knows
about files beyond ``read_sales_csv``.

Row numbers in error messages are file line numbers, the number a spreadsheet shows when the
file is opened in it: the header is line 1, the first data row line 2.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .csv_reader import DEFAULT_MAX_QUANTITY, NOTE_KINDS, DataError, ReadResult, describe_problems, read_sales
from .panel import PANDAS_FREQ, Panel

CANONICAL = ("date", "item", "store", "sales")
NO_STORE = ""  # store value of data without a store column
__all__ = ["DataError", "build_panel", "infer_freq", "panel_to_frame", "read_sales_csv", "sales_frame"]


# -- reading -----------------------------------------------------------------------------
def read_sales_csv(path_or_buffer, date_col=None, item_col=None, store_col=None, qty_col=None,
                   max_quantity=DEFAULT_MAX_QUANTITY, date_format="auto") -> pd.DataFrame:
    """Read a CSV (plain or gzip) into a frame with columns date, item, store, sales.

    The file is read by ``csv_reader.read_sales``, the reader of the Odoo import wizard too. A column
    name of None is guessed (date, item/product/sku, store/warehouse/shop, sales/qty/quantity/units);
    ``store_col=""`` means the data has no store. Keys stay strings (``007`` keeps its zeros).
    Duplicate rows (summed later), negative quantities (returns) and blank quantities (no sale; their
    number is in ``df.attrs["blank_qty"]``) are accepted; any other problem (a bad date, a quantity
    that is not a finite number or above ``max_quantity``, a blank item) raises DataError naming the
    first line and counting the others.
    """
    result = read_sales(path_or_buffer, {"date": date_col, "item": item_col, "store": store_col,
                                         "quantity": qty_col}, date_format=date_format, max_quantity=max_quantity)
    return sales_frame(result)


def sales_frame(result: ReadResult) -> pd.DataFrame:
    """The command line's frame of a read: raises on unreadable values, accepts NOTE_KINDS."""
    problems = result.problems
    blocking = problems[~problems["kind"].isin(NOTE_KINDS)]
    if len(blocking):
        kind = blocking["kind"].iloc[0]
        raise DataError(describe_problems(blocking), line=int(blocking["line"].iloc[0]),
                        kind={"item": "key", "store": "key"}.get(kind, kind))
    rows = result.rows
    qty = rows["quantity"].to_numpy(dtype=float)
    blank = np.isnan(qty)
    out = pd.DataFrame({"date": rows["date"].to_numpy(dtype="datetime64[ns]"),
                        "item": rows["item"].to_numpy(dtype=object).astype(str),
                        "store": rows["store"].to_numpy(dtype=object).astype(str) if result.info["columns"]["store"]
                        else NO_STORE,
                        "sales": np.where(blank, 0.0, qty)})
    out.attrs["blank_qty"] = int(blank.sum())
    return out


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
