"""Exponential smoothing and Theta from statsforecast, configured to stay cheap.

statsforecast's AutoETS searches every ETS form and cost ~0.34 s of CPU per 365-day series
here (about 6 minutes for 1,000 series, per fit). We use the forms that matter for daily demand
with a weekly cycle instead:

* ``ets``: ETS(A,N,A) -- additive level and season, additive errors (~14 ms per series);
* ``theta``: the standard Theta method (SES with drift on the seasonally adjusted series,
  the M3 winner; ~10 ms per series).

Two more savings, both honest in a backtest:

* only the last ``max_history`` observations are used (ets: a year of days, three of weeks,
  five of months; theta, whose optimiser is slower per observation: half a year of days, two
  years of weeks, four of months): a weekly pattern does not need five years to be estimated;
* in the backtest, parameters are estimated once, at the earliest origin, and ``forward()`` then
  only re-runs the filter with those parameters on the newer data at the later origins; the
  final forecast re-estimates them on the full history (``refit``), so it never uses parameters
  blind to the last folds x horizon periods. The backtest scores a slightly staler procedure
  than the final forecast (conservative).

Each series is its own statsforecast model, called directly rather than through the
``StatsForecast`` frame API: the cost is the C++ optimiser either way, and a direct call lets
one series fail (recorded in ``failures``) without touching the others. A series shorter than
two seasons, or one the optimiser rejects, is forecast by its seasonal profile (the mean of
each season position over the last two seasons, or the mean of what exists).
"""
from __future__ import annotations

import warnings

import numpy as np

from ..panel import Panel
from .base import Forecaster, _clean, register

class _StatsforecastModel(Forecaster):
    family = "statistical"
    refit_per_origin = False
    MAX_HISTORY = {7: 365, 52: 156, 12: 60}  # keyed by season length: days, weeks, months

    def __init__(self, season_length: int = 7, seed: int = 0, max_history: int | None = None, **params):
        super().__init__(season_length=season_length, seed=seed, **params)
        self.max_history = int(max_history or self.MAX_HISTORY.get(season_length, 5 * season_length))
        self.failures: dict[int, str] = {}

    @property
    def min_history(self):
        return 2 * self.season_length + 1

    def _make(self):
        raise NotImplementedError

    # -- estimation -----------------------------------------------------------------------------
    def fit(self, panel: Panel) -> "_StatsforecastModel":
        self._panel = panel
        self.failures = {}
        self._models, self._ys, self._start = [], [], []
        for i, v in enumerate(panel.values):
            y = np.maximum(_clean(v), 0.0)  # demand: returns beyond sales are not negative demand
            start = max(len(y) - self.max_history, 0)
            self._start.append(start)
            self._ys.append(y)
            self._models.append(self._estimate(i, y[start:]))
        self._sigmas = np.array([_sigma(y[s:]) for y, s in zip(self._ys, self._start)])
        return self

    def forward(self, panel: Panel) -> "_StatsforecastModel":
        """Keep each series' parameters; condition on its newer, longer history."""
        if not hasattr(self, "_models") or len(panel) != len(self._models):
            return self.fit(panel)
        self._panel = panel
        for i, v in enumerate(panel.values):
            y = np.maximum(_clean(v), 0.0)
            if len(y) < len(self._ys[i]) or self._models[i] is None:
                # Less data than at estimation, or nothing was estimated: estimate afresh.
                self._start[i] = max(len(y) - self.max_history, 0)
                self._models[i] = self._estimate(i, y[self._start[i]:])
            self._ys[i] = y
        self._sigmas = np.array([_sigma(y[s:]) for y, s in zip(self._ys, self._start)])
        return self

    def release(self) -> None:
        self._models = [None] * len(getattr(self, "_models", []))

    def _estimate(self, i: int, y: np.ndarray):
        if len(y) < self.min_history or np.ptp(y) == 0:
            return None  # too short, or constant: the seasonal profile is exact enough
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return self._make().fit(y=y)
        except Exception as exc:  # the optimiser rejects a few odd series; they fall back
            self.failures[i] = f"{type(exc).__name__}: {exc}"
            return None

    # -- forecasting ---------------------------------------------------------------------------
    def _predict_mean(self, h: int) -> np.ndarray:
        out = np.zeros((len(self._ys), h))
        for i, (model, y, start) in enumerate(zip(self._models, self._ys, self._start)):
            window = y[start:]
            mean = None
            if model is not None:
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        mean = np.asarray(model.forward(y=window, h=h)["mean"], dtype=float)
                except Exception as exc:
                    self.failures[i] = f"{type(exc).__name__}: {exc}"
                if mean is not None and not np.isfinite(mean).all():
                    self.failures[i] = "non-finite forecast"
                    mean = None
            out[i] = mean if mean is not None else seasonal_profile(window, self.season_length, h)
        return out



def seasonal_profile(y: np.ndarray, m: int, h: int) -> np.ndarray:
    """Mean of each season position over the last two seasons (fewer if that is all there is)."""
    if not len(y):
        return np.zeros(h)
    if len(y) < m:
        return np.full(h, y.mean())
    k = min(len(y) // m, 2)
    profile = y[len(y) - k * m:].reshape(k, m).mean(axis=0)
    return np.resize(profile, h)


def _sigma(y: np.ndarray) -> float:
    return float(np.std(np.diff(y))) if len(y) > 1 else 0.0


@register
class ETS(_StatsforecastModel):
    """ETS(A,N,A) via statsforecast AutoETS with the form fixed (no model search)."""

    name = "ets"

    def _make(self):
        from statsforecast.models import AutoETS

        return AutoETS(season_length=self.season_length, model="ANA")

    def n_params(self) -> int:
        return 3 + self.season_length  # alpha, gamma, initial level, initial seasonal states


@register
class Theta(_StatsforecastModel):
    """The standard Theta method via statsforecast (theta = 2, multiplicative deseasonalising)."""

    name = "theta"
    MAX_HISTORY = {7: 182, 52: 104, 12: 48}

    def _make(self):
        from statsforecast.models import Theta as _SFTheta

        return _SFTheta(season_length=self.season_length)

    def n_params(self) -> int:
        return 2 + self.season_length  # alpha, initial level, seasonal indices
