"""Dynamic harmonic regression: log demand on calendar terms, by least squares.

    log(1 + y_t) = level + trend * t + season-position dummies + yearly harmonics
                   (+ a public-holiday indicator) + noise

Retail demand is multiplicative (a good weekday is good in proportion to the level) and its
yearly cycle is smooth, so a few sine/cosine pairs of the yearly position carry it with far
fewer parameters than 52 weekly or 365 daily effects. The forecast is ``expm1`` of the fitted
log mean times a ratio correction: the last year's actual total over the fitted total (kept in
0.5..3). ``expm1`` of a log mean is a geometric mean, well below the mean of skewed demand, and
a median-shifted forecast -- what MAE-type scores reward -- left the totals a buyer orders from
29% short on the online-shop data; the ratio makes the fitted year's total match the real one.

Terms are only included when the history can carry them: the trend from two seasons, yearly
harmonics from 1.1 years of history -- 4 pairs, or 10 once 2.5 years show how sharp the yearly
peaks are. Series of equal length share one design matrix, so the panel is fitted with one
``lstsq`` per distinct length (a few ms for 1,000 series).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..features import holiday_flags, yearly_position
from ..panel import PANDAS_FREQ, Panel
from .base import Forecaster, _clean, register
from .statistical import seasonal_profile

PERIODS_PER_YEAR = {"D": 365.25, "W": 52.18, "M": 12.0}
# Yearly harmonic pairs: (below, from) LONG_YEARS of history; monthly: the month dummies are the year.
DEFAULT_HARMONICS = {"D": (4, 10), "W": (4, 10), "M": (0, 0)}
LONG_YEARS = 2.5
MAX_HISTORY = {"D": 3 * 365, "W": 3 * 52, "M": 60}
RATIO_RANGE = (0.5, 3.0)


@register
class HarmonicRegression(Forecaster):
    name = "harmonic"
    family = "statistical"

    def __init__(self, season_length: int = 7, seed: int = 0, harmonics: int | None = None,
                 max_history: int | None = None, trend: bool = True, holidays: bool = True, **params):
        super().__init__(season_length=season_length, seed=seed, **params)
        self.harmonics, self.max_history = harmonics, max_history
        self.trend, self.holidays = bool(trend), bool(holidays)

    @property
    def min_history(self):
        return 2 * self.season_length

    # -- design ---------------------------------------------------------------------------------
    def _design(self, dates: pd.DatetimeIndex, n_fit: int) -> np.ndarray:
        """Columns for ``dates`` given ``n_fit`` observations of history (which decides the terms)."""
        freq, m = self._freq, self.season_length
        per_year = PERIODS_PER_YEAR[freq]
        cols = [np.ones(len(dates))]
        if self.trend and n_fit >= 2 * m:
            cols.append((dates - self._end).days.to_numpy() / 365.25)  # years before/after the end
        if m <= 12:  # weekday (daily) or month (monthly) dummies, first position as reference
            pos = dates.dayofweek.to_numpy() if freq == "D" else dates.month.to_numpy() - 1
            cols += [(pos == k).astype(float) for k in range(1, m)]
        k_max = self.harmonics
        if k_max is None:
            k_max = DEFAULT_HARMONICS[freq][int(n_fit >= LONG_YEARS * per_year)]
        if n_fit >= 1.1 * per_year and k_max:
            angle = 2 * np.pi * yearly_position(dates, freq)
            for k in range(1, k_max + 1):
                cols += [np.sin(k * angle), np.cos(k * angle)]
        if self.holidays and self._country:
            cols.append(holiday_flags(dates, freq, self._country))
        return np.column_stack(cols)

    def _dates(self, start: int, stop: int) -> pd.DatetimeIndex:
        """Dates of positions start..stop-1 counted from the panel end (0 = end, -1 = before)."""
        first = self._end + start * self._offset
        return pd.date_range(first, periods=stop - start, freq=PANDAS_FREQ[self._freq])

    # -- estimation -----------------------------------------------------------------------------
    def fit(self, panel: Panel) -> "HarmonicRegression":
        self._panel = panel
        self._freq, self._end, self._offset, self._country = panel.freq, panel.end, panel.offset, panel.country
        cap = int(self.max_history or MAX_HISTORY[panel.freq])
        ys = [np.maximum(_clean(v)[-cap:], 0.0) for v in panel.values]
        self._ys = ys
        self._len = np.array([len(y) for y in ys], dtype=int)
        self._coef: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # length -> (series idx, coef p x k)
        self._sigmas = np.array([float(np.std(y)) if len(y) else 0.0 for y in ys])
        self._ratio = np.ones(len(ys))  # last year's actual total / fitted total
        for length in np.unique(self._len):
            if length < self.min_history:
                continue
            idx = np.flatnonzero(self._len == length)
            X = self._design(self._dates(-int(length) + 1, 1), int(length))
            Z = np.log1p(np.column_stack([ys[i] for i in idx]))
            coef = np.linalg.lstsq(X, Z, rcond=None)[0]
            Y, fitted = np.column_stack([ys[i] for i in idx]), np.expm1(X @ coef)
            year = int(PERIODS_PER_YEAR[panel.freq])
            total, fitted_total = Y[-year:].sum(axis=0), np.maximum(fitted[-year:], 0.0).sum(axis=0)
            ratio = np.divide(total, fitted_total, out=np.ones(len(idx)), where=fitted_total > 0)
            self._ratio[idx] = np.clip(ratio, *RATIO_RANGE)
            self._sigmas[idx] = np.std(Y - fitted * self._ratio[idx], axis=0)
            self._coef[int(length)] = (idx, coef)
        return self

    def _predict_mean(self, h: int) -> np.ndarray:
        out = np.vstack([seasonal_profile(y, self.season_length, h) for y in self._ys]) if self._ys \
            else np.zeros((0, h))
        future = self._dates(1, h + 1)
        for length, (idx, coef) in self._coef.items():
            Z = self._design(future, length) @ coef
            # A log-linear trend compounds; never forecast beyond twice the peak of the fitted history.
            peak = np.array([self._ys[i].max() for i in idx])
            out[idx] = np.minimum(np.expm1(Z).T * self._ratio[idx, None], 2.0 * peak[:, None])
        return np.maximum(out, 0.0)

    def n_params(self) -> int:
        if not getattr(self, "_coef", None):
            return 0
        return int(max(c.shape[0] for _, c in self._coef.values()))
