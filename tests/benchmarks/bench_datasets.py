"""Data sets of the engine benchmark (see bench_engine.py): a seeded synthetic panel and the two
real data sets of ../shared/data, each split into a training panel and the held-out last horizon.

A prepared data set is saved as one .npz so that each benchmarked side loads the same numbers in
its own process, without paying for CSV parsing (which neither side is measured on).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = (REPO / ".." / "shared" / "data").resolve()
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


@dataclass
class Dataset:
    name: str
    keys: list  # tuples of strings
    train: list  # float arrays, training history of each series (ends at `end`)
    test: np.ndarray  # n x h actuals after `end`
    end: pd.Timestamp
    freq: str = "D"
    country: str | None = None
    note: str = ""

    @property
    def horizon(self) -> int:
        return self.test.shape[1]

    def save(self, path) -> None:
        lengths = np.array([len(v) for v in self.train], dtype=np.int64)
        np.savez(path, values=np.concatenate(self.train) if self.train else np.zeros(0), lengths=lengths,
                 test=self.test, keys=np.array(["\x1f".join(k) for k in self.keys], dtype=object),
                 meta=np.array([self.name, str(self.end.date()), self.freq, self.country or "", self.note],
                               dtype=object))

    @classmethod
    def load(cls, path) -> "Dataset":
        z = np.load(path, allow_pickle=True)
        # Each z[name] reads the array from the file again: read once, then slice copies.
        values, lengths = z["values"], z["lengths"]
        bounds = np.concatenate([[0], np.cumsum(lengths)])
        train = [values[bounds[i]:bounds[i + 1]].copy() for i in range(len(lengths))]
        name, end, freq, country, note = [str(x) for x in z["meta"]]
        return cls(name, [tuple(str(k).split("\x1f")) for k in z["keys"]], train, z["test"], pd.Timestamp(end),
                   freq, country or None, note)

    def panel(self):
        from sales_forecast_ai.engine.panel import Panel

        return Panel(list(self.keys), list(self.train), self.end, self.freq, self.country)


def hold_out(name, panel, horizon, min_train, note="") -> Dataset:
    """Split every series of a panel into its history and its last ``horizon`` values.

    Series with fewer than ``min_train`` training values are left out (both sides would only
    fall back to a naive forecast there; the number left out is in the note).
    """
    keys, train, test = [], [], []
    for key, v in zip(panel.keys, panel.values):
        if len(v) - horizon >= min_train:
            keys.append(key)
            train.append(np.asarray(v[:-horizon], float))
            test.append(np.asarray(v[-horizon:], float))
    dropped = len(panel) - len(keys)
    note = note + (f"; {dropped} series with < {min_train} days of history left out" if dropped else "")
    return Dataset(name, keys, train, np.array(test).reshape(len(test), horizon),
                   panel.end - horizon * panel.offset, panel.freq, panel.country, note.strip("; "))


# -- synthetic ---------------------------------------------------------------------------------
def synthetic_values(n: int, length: int = 730, seed: int = 0, intermittent: float = 0.15) -> np.ndarray:
    """n daily series of `length` days: level x trend x weekly x yearly pattern, Poisson-gamma noise;
    a share `intermittent` of them are rare sellers (demand on 5-40% of days, lumpy sizes)."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    start = pd.Timestamp("2022-01-03")  # a Monday; the yearly term follows the calendar
    dates = pd.date_range(start, periods=length, freq="D")
    dow, doy = dates.dayofweek.to_numpy(), dates.dayofyear.to_numpy()
    level = rng.lognormal(mean=2.3, sigma=0.9, size=(n, 1))
    slope = rng.normal(0.0, 0.35, size=(n, 1))  # relative change over the whole period
    trend = np.clip(1 + slope * t / length, 0.2, None)
    week_amp = rng.uniform(0.05, 0.5, size=(n, 1))
    week_shape = np.clip(1 + week_amp * rng.normal(0, 1, size=(n, 7)), 0.1, None)
    week_shape /= week_shape.mean(axis=1, keepdims=True)
    weekly = week_shape[:, dow]
    year_amp = rng.uniform(0.0, 0.45, size=(n, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(n, 1))
    yearly = 1 + year_amp * np.sin(2 * np.pi * doy / 365.25 + phase)
    mu = level * trend * weekly * yearly
    shape = rng.uniform(4, 30, size=(n, 1))  # gamma mixing: over-dispersed, like real sales
    y = rng.poisson(mu * rng.gamma(shape, 1 / shape, size=mu.shape)).astype(float)

    rare = rng.random(n) < intermittent
    k = int(rare.sum())
    if k:
        p = rng.uniform(0.05, 0.4, size=(k, 1))
        size = rng.lognormal(mean=0.7, sigma=0.6, size=(k, 1))
        occurs = rng.random((k, length)) < p * weekly[rare] / weekly[rare].mean(axis=1, keepdims=True)
        y[rare] = occurs * (1 + rng.poisson(size, size=(k, length)))
    return y


def synthetic(n: int, horizon: int, length: int = 730, seed: int = 0) -> Dataset:
    from sales_forecast_ai.engine.panel import Panel

    y = synthetic_values(n, length, seed)
    end = pd.Timestamp("2022-01-03") + pd.Timedelta(days=length - 1)
    panel = Panel([(f"S{i:05d}", "") for i in range(n)], list(y), end, "D")
    return hold_out(f"synthetic {n:,} x {length}", panel, horizon, min_train=1,
                    note=f"seed {seed}, ~15% intermittent")


# -- real ----------------------------------------------------------------------------------------
def store_item(data_dir: Path, horizon: int, limit: int | None = None) -> Dataset:
    from sales_forecast_ai.engine.data import build_panel, read_sales_csv

    panel = build_panel(read_sales_csv(data_dir / "store_item_demand.csv.gz"), freq="D")
    if limit:
        panel = panel.subset(range(min(limit, len(panel))))
    return hold_out(f"store_item_demand ({len(panel)} series)", panel, horizon, min_train=2 * horizon,
                    note="10 stores x 50 items, 2013-2017")


def online_retail(data_dir: Path, horizon: int, top: int = 300) -> Dataset:
    """Daily net demand (sales minus cancellations) of the `top` products by net quantity.

    Only real product codes (starting with a digit) count: postage, fees and manual adjustments
    (POST, DOT, M, BANK CHARGES, AMAZONFEE...) are not demand.
    """
    from sales_forecast_ai.engine.data import build_panel

    df = pd.read_csv(data_dir / "online_retail_ii_2009_2010.csv.gz", usecols=["StockCode", "Quantity", "InvoiceDate"],
                     dtype={"StockCode": str})
    df = df[df["StockCode"].str.match(r"^\d")]
    df["StockCode"] = df["StockCode"].str.upper()
    totals = df.groupby("StockCode")["Quantity"].sum()
    chosen = totals[totals > 0].sort_values(ascending=False).index[:top]
    df = df[df["StockCode"].isin(chosen)].assign(store="")
    panel = build_panel(df, freq="D", key_cols=("StockCode", "store"), date_col="InvoiceDate", qty_col="Quantity",
                        country="GB")
    return hold_out(f"online_retail_ii top {len(chosen)} products", panel, horizon, min_train=3 * horizon,
                    note="daily net quantity, cancellations netted, shop closed on Saturdays")
