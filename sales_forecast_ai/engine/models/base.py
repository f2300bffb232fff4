"""One interface for every forecaster, in the spirit of statsforecast.

``fit(panel)`` learns from a Panel (one or many series); ``predict(h, level)`` returns a
Forecast with ``h`` steps for every series of the fitted panel and, for each requested
level, lower/upper bounds. Local models only implement ``_fit_one``/``_predict_one``;
global models (the networks) override ``fit``/``predict`` and learn across all series.
"""
from __future__ import annotations

from abc import ABC
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from ..panel import Panel

_Z = {50: 0.674, 60: 0.842, 70: 1.036, 80: 1.2816, 90: 1.6449, 95: 1.96, 98: 2.3263, 99: 2.5758}


def z_value(level: float) -> float:
    """Two-sided normal quantile for a level in percent."""
    if level in _Z:
        return _Z[level]
    from scipy.stats import norm

    return float(norm.ppf(0.5 + level / 200.0))


@dataclass
class Forecast:
    """Point forecasts ``mean`` (n_series x h) and ``intervals[level] = (lo, hi)``, same shape."""

    mean: np.ndarray
    intervals: dict = field(default_factory=dict)

    def __post_init__(self):
        self.mean = np.atleast_2d(np.asarray(self.mean, dtype=float))

    @property
    def h(self) -> int:
        return self.mean.shape[1]

    def clip(self, lower: float = 0.0) -> "Forecast":
        """Demand cannot be negative: clip means and bounds, keep lo <= mean <= hi."""
        mean = np.maximum(np.nan_to_num(self.mean, nan=0.0), lower)
        ints = {}
        for lvl, (lo, hi) in self.intervals.items():
            lo = np.minimum(np.maximum(np.nan_to_num(lo, nan=0.0), lower), mean)
            hi = np.maximum(np.nan_to_num(hi, nan=0.0), mean)
            ints[lvl] = (lo, hi)
        return Forecast(mean, ints)


class Forecaster(ABC):
    """Base class. Subclasses set ``name`` and ``family`` and register with ``@register``."""

    name = "base"
    family = "baseline"  # baseline | statistical | intermittent | gbm | neural | ensemble
    is_global = False
    min_history = 1  # observations needed to fit; shorter series fall back (see selection)
    # False: a backtest fits once at the earliest origin and calls forward() at the later ones and
    # for the final forecast (global networks, and local models whose estimation is costly).
    refit_per_origin = True

    def __init__(self, season_length: int = 7, seed: int = 0, **params):
        self.season_length = season_length
        self.seed = seed
        self.params = params
        self._states: list = []
        self._sigmas: np.ndarray | None = None

    # -- interface -------------------------------------------------------
    def fit(self, panel: Panel) -> "Forecaster":
        self._panel = panel
        self._states, sig = [], []
        for y in panel.values:
            y = _clean(y)
            state = self._fit_one(y)
            self._states.append(state)
            sig.append(self._sigma_one(y, state))
        self._sigmas = np.asarray(sig, dtype=float)
        return self

    def forward(self, panel: Panel) -> "Forecaster":
        """Condition on newer data (same series, more history) without re-estimating.

        Default: refit, which is what a cheap local model does anyway. Global networks and
        costly local models override this to keep their estimated parameters.
        """
        return self.fit(panel)

    def refit(self, panel: Panel) -> "Forecaster":
        """Re-estimate on ``panel`` (the full history) for the final forecast.

        A model that was only rolled forward through the backtest (``refit_per_origin = False``)
        would otherwise forecast with parameters that never saw the last folds x horizon periods.
        Default: a fresh fit; the networks override it to warm-start from their trained weights.
        """
        return self.fit(panel)

    def release(self) -> None:
        """Drop what is only needed to forecast again (after the final forecast), keep the summary
        (``n_params``, ``min_history``, training errors); frees memory in a run of many models."""

    def predict(self, h: int, level: Sequence[int] = ()) -> Forecast:
        mean = self._predict_mean(h)
        steps = np.sqrt(np.arange(1, h + 1))
        ints = {}
        for lvl in level:
            half = z_value(lvl) * self._sigmas[:, None] * steps[None, :]
            ints[lvl] = (mean - half, mean + half)
        return Forecast(mean, ints).clip()

    def n_params(self) -> int:
        """Parameters estimated per series (local) or in the network (global)."""
        return 0

    # -- local model hooks -------------------------------------------------
    def _predict_mean(self, h: int) -> np.ndarray:
        """Point forecasts (n_series x h); vectorized models override this instead of _predict_one."""
        if not self._states:
            return np.zeros((0, h))
        return np.vstack([np.asarray(self._predict_one(s, h), dtype=float).reshape(h) for s in self._states])

    def _fit_one(self, y: np.ndarray):
        raise NotImplementedError

    def _predict_one(self, state, h: int) -> np.ndarray:
        raise NotImplementedError

    def _sigma_one(self, y: np.ndarray, state) -> float:
        """Scale of one-step errors, for the model's own (uncalibrated) intervals."""
        if len(y) < 2:
            return float(np.std(y)) if len(y) else 0.0
        return float(np.std(np.diff(y)))


# Larger values are corrupt data, not demand (1e308 overflows every model); they count as unknown.
MAX_ABS_DEMAND = 1e12


def _clean(y) -> np.ndarray:
    """Finite float array; NaN (unknown) and absurd values count as no sale."""
    y = np.asarray(y, dtype=float).ravel()
    return np.where(np.isfinite(y) & (np.abs(y) <= MAX_ABS_DEMAND), y, 0.0)


REGISTRY: dict[str, type[Forecaster]] = {}


def register(cls: type[Forecaster]) -> type[Forecaster]:
    REGISTRY[cls.name] = cls
    return cls


def make(name: str, **kwargs) -> Forecaster:
    try:
        return REGISTRY[name](**kwargs)
    except KeyError:
        raise KeyError(f"unknown model {name!r}; registered: {', '.join(sorted(REGISTRY))}") from None
