"""Pure-Python forecasting engine of sales_forecast_ai. Never imports odoo.

Usable on its own:  ``python -m sales_forecast_ai.engine forecast sales.csv --horizon 30 --out out/``
TensorFlow is imported lazily, only where a network trains or predicts.
"""
from .panel import Panel  # noqa: F401
from .results import PipelineResult, SeriesResult  # noqa: F401


def run_forecast(panel, horizon, **kwargs):
    """Backtest every candidate, pick each series' champion, forecast with calibrated intervals.

    See ``engine.pipeline.run_forecast`` for the options.
    """
    from .pipeline import run_forecast as _run

    return _run(panel, horizon, **kwargs)
