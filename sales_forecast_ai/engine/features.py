"""Inputs of the global networks: calendar features, per-series scaling and windows.

Pure numpy/pandas (TensorFlow never appears here), so the data preparation is tested on its own.

A panel is laid out as one matrix right-aligned on the common calendar: row ``i`` holds series
``i``, NaN before its first observation (unknown history, which is not the same as zero sales).
``pad`` NaN columns on the left keep every look-back index in range; ``future`` NaN columns on
the right hold the dates being forecast.

A window at origin column ``c`` (the last known observation) is:
  * ``seq``  (L, 2): the last L observations divided by the window's scale, and the holiday flag
    of each of those days (a holiday explains a dip the network should not extrapolate);
  * ``fut``  (F,): calendar of the first target date (day of week, month, yearly position), the
    holiday flag of each of the h target dates, "same period last year" levels for each target
    date and for the input window (scaled), their availability, and log(1 + scale);
  * ``target`` (h,): the next h observations divided by the scale (training only).
The scale is the mean of the window's observations (the series' recent mean at that origin),
or its mean history when the window is all zero, so big and small sellers share one network.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from .panel import PANDAS_FREQ

_logger = logging.getLogger(__name__)

# "Same time last year" lag: 364 days keeps the weekday aligned.
YEAR_LAG = {"D": 364, "W": 52, "M": 12}
# Half width of the moving average taken around last year's date (smooths out weekday noise).
YEAR_HALF_WIDTH = {"D": 3, "W": 1, "M": 0}
DEFAULT_WINDOW = {"D": 28, "W": 26, "M": 12}
DEFAULT_HORIZON = {"D": 30, "W": 13, "M": 6}
# Validation origins per series (the most recent ones); a week of daily origins covers every weekday.
VAL_ORIGINS = {"D": 7, "W": 4, "M": 2}
SEQ_CHANNELS = 2
# Inputs and training targets are relative to the recent mean; a wholesale order of 1,000 after
# weeks of 1s is 1,000x that and would swamp a squared loss. Clip both (see training_targets).
MAX_RELATIVE_INPUT = 20.0
TARGET_QUANTILE, MIN_TARGET_CAP = 0.995, 5.0


# -- calendar ---------------------------------------------------------------------------------
@lru_cache(maxsize=32)
def _holiday_dates(country: str, first_year: int, last_year: int) -> frozenset:
    """Public holidays of ``country``; the package ships its rules, so no network is needed."""
    try:
        import holidays

        days = holidays.country_holidays(country, years=range(first_year, last_year + 1))
    except Exception as exc:  # unknown country code or package problem: forecast without holidays
        _logger.warning("no public holidays for country %r (%s); holiday features are zero", country, exc)
        return frozenset()
    return frozenset(pd.Timestamp(d) for d in days)


def holiday_flags(dates: pd.DatetimeIndex, freq: str, country: str | None) -> np.ndarray:
    """Public holidays falling in each period: 0/1 for days, a count for weeks and months."""
    dates = pd.DatetimeIndex(dates)
    out = np.zeros(len(dates))
    if not country or not len(dates):
        return out
    days = _holiday_dates(str(country).upper(), dates.min().year - 1, dates.max().year + 1)
    if not days:
        return out
    hol = pd.DatetimeIndex(sorted(days))
    if freq == "D":
        return dates.normalize().isin(hol).astype(float)
    # Periods of the panel's calendar start at each date (weeks on Monday, months on the 1st).
    period = dates.to_period("W-SUN" if freq == "W" else "M")
    counts = pd.Series(1.0, index=hol.to_period("W-SUN" if freq == "W" else "M")).groupby(level=0).sum()
    return counts.reindex(period).fillna(0.0).to_numpy()


def yearly_position(dates: pd.DatetimeIndex, freq: str) -> np.ndarray:
    """Fraction of the year elapsed at the middle of each period, in [0, 1)."""
    dates = pd.DatetimeIndex(dates)
    mid = {"D": 0.5, "W": 3.5, "M": 15.0}[freq]
    days_in_year = np.where(dates.is_leap_year, 366.0, 365.0)
    return np.mod((dates.dayofyear.to_numpy() - 1 + mid) / days_in_year, 1.0)


def calendar_features(dates, freq: str = "D", country: str | None = None) -> tuple[np.ndarray, list[str]]:
    """Calendar matrix (len(dates) x k) and its column names; the last column is ``holiday``.

    Day of week one-hot (daily panels only), month one-hot, two sine/cosine harmonics of the
    yearly position, and public holidays of ``country``.
    """
    dates = pd.DatetimeIndex(dates)
    cols, names = [], []
    if freq == "D":
        cols.append(np.eye(7)[dates.dayofweek.to_numpy()])
        names += [f"dow_{d}" for d in range(7)]
    cols.append(np.eye(12)[dates.month.to_numpy() - 1])
    names += [f"month_{m}" for m in range(1, 13)]
    pos = 2 * np.pi * yearly_position(dates, freq)
    for k in (1, 2):
        cols += [np.sin(k * pos)[:, None], np.cos(k * pos)[:, None]]
        names += [f"year_sin{k}", f"year_cos{k}"]
    cols.append(holiday_flags(dates, freq, country)[:, None])
    names.append("holiday")
    return np.hstack(cols).reshape(len(dates), -1), names


def future_dim(freq: str, horizon: int) -> int:
    """Width of the ``fut`` input: target-date calendar, h holidays, h + 2 last-year terms, scale."""
    static = calendar_features(pd.DatetimeIndex(["2000-01-03"]), freq)[0].shape[1] - 1
    return static + 2 * int(horizon) + 3


# -- scaling ----------------------------------------------------------------------------------
def _nan_mean(a: np.ndarray, axis: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """Mean over the finite entries and their count (mean 0 where there are none)."""
    ok = np.isfinite(a)
    n = ok.sum(axis=axis)
    s = np.where(ok, a, 0.0).sum(axis=axis)
    return np.divide(s, n, out=np.zeros(s.shape), where=n > 0), n


def window_scale(inputs: np.ndarray, history_mean: np.ndarray) -> np.ndarray:
    """Scale of each window: mean of its observed values, else the series' mean history.

    ``inputs`` (m x L) may hold NaN (before the series starts). A scale of 0 means the series
    has sold nothing so far: its windows are left out of training and forecast as zero.
    """
    mean, n = _nan_mean(np.asarray(inputs, dtype=float))
    hist = np.nan_to_num(np.asarray(history_mean, dtype=float), nan=0.0)
    scale = np.where((n > 0) & (mean > 0), mean, hist)
    return np.maximum(scale, 0.0)


# -- windows ----------------------------------------------------------------------------------
@dataclass
class Windows:
    seq: np.ndarray  # (m, L, SEQ_CHANNELS) float32
    fut: np.ndarray  # (m, F) float32
    scale: np.ndarray  # (m,) in units of the series
    rows: np.ndarray  # series index of each window
    origins: np.ndarray  # origin column of each window
    target: np.ndarray | None = None  # (m, h) float32, scaled; None when the future is unknown

    def __len__(self):
        return len(self.rows)


class PanelWindows:
    """Windows of one panel for a network with look-back ``window`` and ``horizon`` outputs."""

    def __init__(self, values, end, freq: str = "D", country: str | None = None, window: int = 28,
                 horizon: int = 30, n_obs: int | None = None):
        self.freq, self.window, self.horizon = freq, int(window), int(horizon)
        self.lag, self.half = YEAR_LAG[freq], YEAR_HALF_WIDTH[freq]
        self.lengths = np.array([len(v) for v in values], dtype=int)
        # n_obs: columns of the common calendar (a block of a bigger panel passes the panel's own)
        self.n_obs = int(n_obs) if n_obs is not None else (int(self.lengths.max()) if len(values) else 0)
        self.pad = self.window + self.lag + self.half
        width = self.pad + self.n_obs + self.horizon
        self.Y = np.full((len(values), width), np.nan)
        self.last = self.pad + self.n_obs - 1  # column of the panel's end date
        for i, v in enumerate(values):
            v = np.asarray(v, dtype=float)
            if len(v):
                self.Y[i, self.last - len(v) + 1:self.last + 1] = np.where(np.isfinite(v), v, 0.0)
        self.first = self.last - self.lengths + 1  # first observed column of each series
        dates = pd.date_range(end=pd.Timestamp(end), periods=self.last + 1, freq=PANDAS_FREQ[freq])
        dates = dates.append(pd.date_range(dates[-1], periods=self.horizon + 1, freq=PANDAS_FREQ[freq])[1:])
        self.dates = dates
        cal, self.cal_names = calendar_features(dates, freq, country)
        self.cal_static, self.cal_holiday = cal[:, :-1], cal[:, -1]
        known = np.where(np.isfinite(self.Y), self.Y, 0.0)
        self._csum = np.cumsum(known, axis=1)
        # Observations known up to a column: every column from ``first`` to ``last`` holds one, so the
        # count is arithmetic (a cumulative count matrix cost as much memory as Y itself).

    @property
    def fut_dim(self) -> int:
        return future_dim(self.freq, self.horizon)

    # which windows exist
    def candidates(self, lo: np.ndarray, hi: np.ndarray):
        """All (row, origin) pairs with ``lo[i] <= origin <= hi[i]``, as two arrays."""
        counts = np.maximum(hi - lo + 1, 0)
        rows = np.repeat(np.arange(len(counts)), counts)
        start = np.repeat(lo - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
        return rows, start + np.arange(len(rows))

    def origin_bounds(self, min_obs: int, latest: int):
        """Per series, the range of origins with ``min_obs`` known inputs and a known target."""
        lo = self.first + max(int(min_obs), 1) - 1
        hi = np.full(len(lo), latest - self.horizon)
        return lo, hi

    def sample_candidates(self, lo: np.ndarray, hi: np.ndarray, k: int, rng: np.random.Generator):
        """``sample(*candidates(lo, hi), k, rng)`` -- the same draws -- without listing every candidate
        first (50,000 series x 600 origins would be 30 million pairs)."""
        counts = np.maximum(hi - lo + 1, 0)
        total = int(counts.sum())
        if total <= k:
            return self.candidates(lo, hi)
        pick = np.sort(rng.choice(total, size=k, replace=False))
        ends = np.cumsum(counts)
        rows = np.searchsorted(ends, pick, side="right")
        return rows, lo[rows] + (pick - (ends[rows] - counts[rows]))

    def sample(self, rows, origins, k: int, rng: np.random.Generator):
        """At most ``k`` of the given windows, uniformly without replacement, in stable order."""
        if len(rows) <= k:
            return rows, origins
        pick = np.sort(rng.choice(len(rows), size=k, replace=False))
        return rows[pick], origins[pick]

    def last_origins(self) -> tuple[np.ndarray, np.ndarray]:
        rows = np.arange(len(self.lengths))
        return rows, np.full(len(rows), self.last)

    # building the arrays
    def build(self, rows, origins, with_target: bool = False) -> Windows:
        rows = np.asarray(rows, dtype=int)
        c = np.asarray(origins, dtype=int)
        L, h = self.window, self.horizon
        r = rows[:, None]
        inp = self.Y[r, c[:, None] + np.arange(-L + 1, 1)]
        count = np.maximum(np.minimum(c, self.last) - self.first[rows] + 1, 0)
        hist = np.divide(self._csum[rows, c], count, out=np.zeros(len(c)), where=count > 0)
        scale = window_scale(inp, hist)
        ok = scale > 0
        inv = np.divide(1.0, scale, out=np.zeros_like(scale), where=ok)
        # Unknown history before the series started is filled with its mean (1 after scaling).
        seq_val = np.where(np.isfinite(inp), inp * inv[:, None], ok[:, None].astype(float))
        seq = np.stack([seq_val, self.cal_holiday[c[:, None] + np.arange(-L + 1, 1)]], axis=-1)

        steps = c[:, None] + np.arange(1, h + 1)
        ly_future = self._last_year(rows, steps, c) * inv[:, None]
        ly_now, n_now = _nan_mean(self.Y[r, c[:, None] - self.lag + np.arange(-L + 1, 1)])
        ly_now = np.where(n_now > 0, ly_now * inv, np.nan)
        avail = np.isfinite(ly_future).mean(axis=1)
        fut = np.hstack([
            self.cal_static[c + 1], self.cal_holiday[steps],
            np.clip(np.nan_to_num(ly_future, nan=0.0), 0.0, MAX_RELATIVE_INPUT),
            np.clip(np.nan_to_num(ly_now, nan=0.0), 0.0, MAX_RELATIVE_INPUT)[:, None], avail[:, None],
            (np.log1p(scale) / 5.0)[:, None],
        ])
        target = None
        if with_target:
            target = (self.Y[r, steps] * inv[:, None]).astype(np.float32)
        return Windows(seq.astype(np.float32), fut.astype(np.float32), scale, rows, c, target)

    def _last_year(self, rows, centers, origins) -> np.ndarray:
        """Mean of the values around ``centers - lag`` known at the origin (NaN if none)."""
        idx = (centers - self.lag)[..., None] + np.arange(-self.half, self.half + 1)
        idx = np.clip(idx, 0, self.Y.shape[1] - 1)
        vals = self.Y[rows[:, None, None], idx]
        vals = np.where(idx <= origins[:, None, None], vals, np.nan)  # never peek past the origin
        mean, n = _nan_mean(vals)
        return np.where(n > 0, mean, np.nan)


class ChunkedPanelWindows(PanelWindows):
    """The windows of a big panel, built ``chunk`` series at a time: the same windows row for row as
    PanelWindows, without its (n x calendar) matrices for every series at once -- at 50,000 series x
    730 days they are ~1 GB each. Only one block of series is held at a time (the last one built)."""

    def __init__(self, values, end, freq: str = "D", country: str | None = None, window: int = 28,
                 horizon: int = 30, chunk: int = 5000):
        self.values, self.end, self.country, self.chunk = values, end, country, max(int(chunk), 1)
        self.freq, self.window, self.horizon = freq, int(window), int(horizon)
        self.lag, self.half = YEAR_LAG[freq], YEAR_HALF_WIDTH[freq]
        self.lengths = np.array([len(v) for v in values], dtype=int)
        self.n_obs = int(self.lengths.max()) if len(values) else 0
        self.pad = self.window + self.lag + self.half
        self.last = self.pad + self.n_obs - 1
        self.first = self.last - self.lengths + 1
        self._held = (None, None)  # (block index, its PanelWindows)

    def _block(self, b: int) -> PanelWindows:
        if self._held[0] != b:
            self._held = (None, None)  # the previous block goes before the next one is built
            lo = b * self.chunk
            self._held = (b, PanelWindows(self.values[lo:lo + self.chunk], self.end, self.freq, self.country,
                                          self.window, self.horizon, n_obs=self.n_obs))
        return self._held[1]

    def build(self, rows, origins, with_target: bool = False) -> Windows:
        rows, c = np.asarray(rows, dtype=int), np.asarray(origins, dtype=int)
        blocks = rows // self.chunk
        out = None
        for b in (np.unique(blocks) if len(rows) else [0]):
            idx = np.flatnonzero(blocks == b)
            part = self._block(int(b)).build(rows[idx] - b * self.chunk, c[idx], with_target)
            if out is None:
                out = {f: np.empty((len(rows),) + a.shape[1:], a.dtype)
                       for f in ("seq", "fut", "scale", "target") for a in [getattr(part, f)] if a is not None}
            for f, a in out.items():
                a[idx] = getattr(part, f)
        return Windows(out["seq"], out["fut"], out["scale"], rows, c, out.get("target"))


def training_split(pw: PanelWindows, rng: np.random.Generator, max_windows: int, val_origins: int):
    """Time-based split: the last ``val_origins`` origins of each series validate, older ones train.

    Training targets end at or before the first validation origin, so nothing of the validation
    period leaks into training. Windows need a full look-back; when no series is long enough
    for that, windows with at least one observation are used (padded with the series' mean).
    Without room for a validation split everything trains (then there is no early stopping).
    Returns (train_rows, train_origins, val_rows, val_origins).
    """
    def size(lo, hi):
        return int(np.maximum(hi - lo + 1, 0).sum())

    none = (np.zeros(0, int), np.zeros(0, int))
    for min_obs in (pw.window, 1):
        v_lo, v_hi = pw.origin_bounds(min_obs, pw.last)
        v_lo = np.maximum(v_lo, pw.last - pw.horizon - val_origins + 1)
        t_lo, t_hi = pw.origin_bounds(min_obs, pw.last - pw.horizon - val_origins + 1)
        tr, va = (t_lo, t_hi), (v_lo, v_hi)
        if size(*tr) == 0 or size(*va) == 0:
            tr, va = pw.origin_bounds(min_obs, pw.last), None
        if size(*tr):
            break
    tr = pw.sample_candidates(*tr, max_windows, rng)
    va = pw.sample_candidates(*va, max(max_windows // 4, 1), rng) if va is not None else none
    return tr[0], tr[1], va[0], va[1]


def target_cap(target: np.ndarray) -> float:
    """Cap on scaled training targets: their 99.5th percentile, never below 5x the recent mean.

    Smooth sellers never reach it; it only stops rare huge orders of intermittent series from
    dominating what the network learns for everyone (their forecast is capped at that multiple).
    """
    if not target.size:
        return MIN_TARGET_CAP
    return float(max(MIN_TARGET_CAP, np.quantile(target, TARGET_QUANTILE)))
