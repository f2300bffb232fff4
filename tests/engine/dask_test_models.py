"""Test-only forecasters for tests/engine/test_distributed.py.

Not registered on import: other tests run every registered model. The test registers them for its
own duration (``registered``); Dask workers import this module at start (``preload``), and Dask calls
``dask_setup`` there, so that the models exist in the worker processes too.
"""
import contextlib
import os
import time

import numpy as np

from sales_forecast_ai.engine.models.base import REGISTRY, Forecaster, register


class PanelProfile(Forecaster):
    """A cheap *global* model: each series' recent mean times the weekly profile of the WHOLE panel,
    so its forecasts of one series change with the other series (as a network's do)."""

    name = "panel_profile"
    family = "statistical"
    is_global = True
    refit_per_origin = False

    def fit(self, panel):
        days = np.array([v[-28 * 4:] for v in panel.values if len(v) >= 28 * 4])
        weekly = days.reshape(len(days), -1, 7).sum(axis=(0, 1)) if len(days) else np.ones(7)
        self._profile = 7 * weekly / max(weekly.sum(), 1e-9)
        return self.forward(panel)

    def forward(self, panel):
        self._panel = panel
        self._levels = np.array([float(np.mean(v[-28:])) if len(v) else 0.0 for v in panel.values])
        self._sigmas = np.array([float(np.std(v[-28:])) if len(v) else 0.0 for v in panel.values])
        return self

    def refit(self, panel):
        return self.fit(panel)

    def _predict_mean(self, h):
        profile = np.resize(self._profile, h)  # the panel ends on a full week: day k of the profile follows
        return self._levels[:, None] * profile[None, :]

    def n_params(self):
        return 7


class DiesOnce(Forecaster):
    """The naive forecast, but the process running its first fit dies (``os._exit``), once per marker
    file: a worker lost mid-shard."""

    name = "dies_once"
    family = "baseline"

    def __init__(self, season_length=7, seed=0, marker="", always=False, **params):
        super().__init__(season_length, seed, **params)
        self.marker, self.always = marker, always

    def fit(self, panel):
        if self.always:  # a shard that kills every worker it runs on
            os._exit(1)
        if self.marker and not os.path.exists(self.marker):
            with open(self.marker, "w") as fh:
                fh.write(str(os.getpid()))
            os._exit(1)
        return super().fit(panel)

    def _fit_one(self, y):
        return float(y[-1]) if len(y) else 0.0

    def _predict_one(self, state, h):
        return np.full(h, state)


class Sleepy(DiesOnce):
    """The naive forecast, slowly: a run long enough to be cancelled or killed mid-way."""

    name = "sleepy"

    def fit(self, panel):
        time.sleep(float(self.params.get("seconds", 2.0)))
        return super().fit(panel)


MODELS = (PanelProfile, DiesOnce, Sleepy)


def register_all():
    for cls in MODELS:
        register(cls)


@contextlib.contextmanager
def registered():
    register_all()
    try:
        yield
    finally:
        for cls in MODELS:
            REGISTRY.pop(cls.name, None)


def dask_setup(worker):
    """Called by Dask in a worker that preloads this module."""
    register_all()
