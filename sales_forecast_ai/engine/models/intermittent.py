"""Croston, Croston-SBA and TSB for intermittent demand, from statsforecast.

A slow mover sells on a few days with varying sizes; forecasting "the next sale" is pointless,
so these methods forecast the average demand per period: Croston smooths the sizes and the
intervals between sales separately (SBA removes Croston's known upward bias), TSB smooths the
size and the *probability* of a sale, so a product that stops selling decays towards zero.
Their forecasts are flat. Returns beyond sales (negative values) count as no demand here.
"""
from __future__ import annotations

import warnings

import numpy as np

from .base import Forecaster, register


class _Intermittent(Forecaster):
    family = "intermittent"
    min_history = 2

    def _make(self):
        raise NotImplementedError

    def _fit_one(self, y):
        y = np.maximum(y, 0.0)
        if not (y > 0).any():
            return 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            level = float(self._make().forecast(y=y, h=1)["mean"][0])
        return level if np.isfinite(level) else float(y.mean())

    def _predict_one(self, state, h):
        return np.full(h, state)

    def _sigma_one(self, y, state):
        return float(np.std(y[-90:])) if len(y) else 0.0

    def n_params(self) -> int:
        return 2


@register
class Croston(_Intermittent):
    name = "croston"

    def _make(self):
        from statsforecast.models import CrostonClassic

        return CrostonClassic()


@register
class CrostonSBA(_Intermittent):
    name = "croston_sba"

    def _make(self):
        from statsforecast.models import CrostonSBA as _SBA

        return _SBA()


@register
class TSB(_Intermittent):
    """Teunter-Syntetos-Babai; ``alpha_d`` smooths sizes, ``alpha_p`` the probability of a sale."""

    name = "tsb"

    def __init__(self, season_length: int = 7, seed: int = 0, alpha_d: float = 0.1, alpha_p: float = 0.1,
                 **params):
        super().__init__(season_length=season_length, seed=seed, **params)
        self.alpha_d, self.alpha_p = float(alpha_d), float(alpha_p)

    def _make(self):
        from statsforecast.models import TSB as _TSB

        return _TSB(alpha_d=self.alpha_d, alpha_p=self.alpha_p)
