"""The panel: many demand series that share one calendar and end on the same date.

Every model, the backtest and the Odoo layer exchange demand as a Panel, so that a
series is always (key, values) with values a float array on a regular calendar.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# Seasonal period and pandas offset per supported frequency.
SEASON_LENGTH = {"D": 7, "W": 52, "M": 12}
PANDAS_FREQ = {"D": "D", "W": "W-MON", "M": "MS"}


@dataclass
class Panel:
    """Series aligned on a common calendar ending at ``end``.

    ``values[i]`` holds the observations of ``keys[i]``, oldest first, the last one at ``end``.
    Series may have different lengths (a new product starts later). Missing days are zeros
    (no sale), never NaN, once the panel is built by ``engine.data``.
    """

    keys: list[tuple]
    values: list[np.ndarray]
    end: pd.Timestamp
    freq: str = "D"
    country: str | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.freq not in SEASON_LENGTH:
            raise ValueError(f"unsupported frequency {self.freq!r}; use one of {sorted(SEASON_LENGTH)}")
        if len(self.keys) != len(self.values):
            raise ValueError("keys and values differ in length")
        self.values = [np.asarray(v, dtype=float).ravel() for v in self.values]
        self.end = pd.Timestamp(self.end)

    def __len__(self):
        return len(self.keys)

    @property
    def season_length(self) -> int:
        return SEASON_LENGTH[self.freq]

    @property
    def offset(self):
        return pd.tseries.frequencies.to_offset(PANDAS_FREQ[self.freq])

    def dates(self, i: int) -> pd.DatetimeIndex:
        """Calendar of series ``i``."""
        return pd.date_range(end=self.end, periods=len(self.values[i]), freq=PANDAS_FREQ[self.freq])

    def future_dates(self, h: int) -> pd.DatetimeIndex:
        return pd.date_range(self.end + self.offset, periods=h, freq=PANDAS_FREQ[self.freq])

    def subset(self, idx) -> "Panel":
        idx = list(idx)
        return Panel([self.keys[i] for i in idx], [self.values[i] for i in idx], self.end, self.freq,
                     self.country, dict(self.meta))

    def cut(self, n: int) -> "Panel":
        """The panel without its last ``n`` observations (a backtest origin)."""
        if n <= 0:
            return self
        return Panel(self.keys, [v[:-n] for v in self.values], self.end - n * self.offset, self.freq,
                     self.country, dict(self.meta))
