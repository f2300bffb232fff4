"""Every forecaster of the engine; importing this package fills ``REGISTRY``.

The networks' module imports TensorFlow only inside the functions that build, train or run a
network, so importing it here costs nothing on a machine that never trains one.
"""
from . import baselines, ensemble, gbm, harmonic, intermittent, neural, statistical  # noqa: F401
from .base import REGISTRY, Forecast, Forecaster, make, register  # noqa: F401
