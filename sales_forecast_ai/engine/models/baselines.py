"""Baselines: the methods of the original reports and the field, kept as honest yardsticks.

naive (last value), seasonal_naive (last season repeated), moving_average (the original
"daily demand x horizon": mean of the last 7 days, flat), linear_trend (least squares on t, as
first prototyped with scikit-learn's ``LinearRegression``) and poly_trend (t and t^2, as with
``PolynomialFeatures(2)``).

Every one of them answers for any series: shorter than its method needs, it degrades to the
mean of what exists, and an empty series forecasts zeros. The trend models are fitted on all
series of the same length at once (one multi-output ``numpy.linalg.lstsq``), since a panel is
mostly series of a few distinct lengths. The same fit as scikit-learn's, without importing it:
that took seconds and ~85 MB in the training child for two straight lines.
"""
from __future__ import annotations

import numpy as np

from ..panel import Panel
from .base import Forecaster, _clean, register


@register
class Naive(Forecaster):
    name = "naive"
    family = "baseline"

    def _fit_one(self, y):
        return float(y[-1]) if len(y) else 0.0

    def _predict_one(self, state, h):
        return np.full(h, state)


@register
class SeasonalNaive(Forecaster):
    """The last season repeated; with less than one season, the mean of what exists."""

    name = "seasonal_naive"
    family = "baseline"

    @property
    def min_history(self):
        return self.season_length

    def _fit_one(self, y):
        m = self.season_length
        if len(y) >= m:
            return y[-m:].copy()
        return np.full(m, y.mean() if len(y) else 0.0)

    def _predict_one(self, state, h):
        return np.resize(state, h)

    def _sigma_one(self, y, state):
        m = self.season_length
        if len(y) <= m:
            return super()._sigma_one(y, state)
        return float(np.std(y[m:] - y[:-m]))


@register
class MovingAverage(Forecaster):
    """Mean of the last ``window`` observations (7 days), flat over the horizon."""

    name = "moving_average"
    family = "baseline"

    def __init__(self, season_length: int = 7, seed: int = 0, window: int = 7, **params):
        super().__init__(season_length=season_length, seed=seed, **params)
        self.window = max(int(window), 1)

    def _fit_one(self, y):
        return float(y[-self.window:].mean()) if len(y) else 0.0

    def _predict_one(self, state, h):
        return np.full(h, state)

    def _sigma_one(self, y, state):
        recent = y[-4 * self.window:]
        return float(np.std(recent)) if len(recent) else 0.0


class _TrendRegression(Forecaster):
    """Least squares on (a polynomial of) time, one multi-output fit per distinct series length.

    Time runs 0..1 over the fitted window so the polynomial stays well conditioned. ``window``
    limits the fit to the most recent observations (None: the whole history, as prototyped).
    """

    family = "baseline"
    degree = 1

    def __init__(self, season_length: int = 7, seed: int = 0, window: int | None = None, **params):
        super().__init__(season_length=season_length, seed=seed, **params)
        self.window = int(window) if window else None

    @property
    def min_history(self):
        return self.degree + 2

    def _features(self, t: np.ndarray) -> np.ndarray:
        """t, t^2, ... t^degree (no constant column)."""
        return np.column_stack([t ** k for k in range(1, self.degree + 1)])

    def fit(self, panel: Panel) -> "_TrendRegression":
        self._panel = panel
        ys = [_clean(v)[-self.window:] if self.window else _clean(v) for v in panel.values]
        n = len(ys)
        self._len = np.array([len(y) for y in ys])
        self._coef = np.zeros((n, self.degree + 1))  # intercept, then one per power of t
        self._level = np.array([y.mean() if len(y) else 0.0 for y in ys])
        self._max = np.array([y.max() if len(y) else 0.0 for y in ys])
        self._sigmas = np.array([float(np.std(y)) if len(y) else 0.0 for y in ys])
        self._fitted = np.zeros(n, bool)
        for length in np.unique(self._len):
            idx = np.flatnonzero(self._len == length)
            if length < self.min_history:
                continue  # too short for a trend: the mean of what exists (see _predict_mean)
            t = np.arange(length) / length
            X = np.column_stack([np.ones(length), self._features(t)])
            Y = np.column_stack([ys[i] for i in idx])
            coef = np.linalg.lstsq(X, Y, rcond=None)[0]  # (degree + 1) x series
            self._coef[idx] = coef.T
            self._sigmas[idx] = np.std(Y - X @ coef, axis=0)
            self._fitted[idx] = True
        return self

    def _predict_mean(self, h: int) -> np.ndarray:
        n = len(self._len)
        out = np.repeat(self._level[:, None], h, axis=1)
        for length in np.unique(self._len[self._fitted]):
            idx = np.flatnonzero((self._len == length) & self._fitted)
            t = np.arange(length, length + h) / length
            X = np.column_stack([np.ones(h), self._features(t)])
            out[idx] = self._coef[idx] @ X.T
        return self._guard(out) if n else out

    def _guard(self, mean: np.ndarray) -> np.ndarray:
        return mean

    def n_params(self) -> int:
        return self.degree + 1


@register
class LinearTrend(_TrendRegression):
    name = "linear_trend"
    degree = 1


@register
class PolyTrend(_TrendRegression):
    """Quadratic trend. A parabola extrapolated far runs away, so forecasts are kept within
    ``cap_multiple`` x the largest value of the fitted history (and above zero)."""

    name = "poly_trend"
    degree = 2

    def __init__(self, season_length: int = 7, seed: int = 0, window: int | None = None,
                 cap_multiple: float = 1.5, **params):
        super().__init__(season_length=season_length, seed=seed, window=window, **params)
        self.cap_multiple = float(cap_multiple)

    def _guard(self, mean):
        cap = self.cap_multiple * np.maximum(self._max, 0.0)
        return np.clip(mean, 0.0, cap[:, None])
