"""What the pipeline reads of a fitted model once its forecasts are made, without the model itself.

A global model trained in the global-model child, or a local model fitted on a Dask worker, comes back
to the pipeline as this small picklable record (and as JSON from the child): its parameter count, the
history it needs, and its training/validation errors for the run's model table.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class FittedSummary:
    name: str = ""
    n_params_: int = 0
    min_history: int = 1
    rmse_train: float | None = None
    rmse_val: float | None = None

    def n_params(self) -> int:
        return self.n_params_

    @classmethod
    def of(cls, model, name: str = "") -> "FittedSummary":
        """The summary of ``model`` (a fitted forecaster, or another summary)."""
        try:
            count = getattr(model, "n_params", 0)
            n_params = int(count() if callable(count) else count)
        except Exception:  # a model without its count reports none, as in pipeline._model_info
            n_params = 0
        errors = {}
        for attr in ("rmse_train", "rmse_val"):
            value = getattr(model, attr, None)
            errors[attr] = None if value is None else float(value)
        return cls(name=name or getattr(model, "name", "") or "", n_params_=n_params,
                   min_history=int(getattr(model, "min_history", 1) or 1), **errors)

    def as_dict(self) -> dict:
        return asdict(self)
