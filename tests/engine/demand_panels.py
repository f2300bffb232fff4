"""Small seeded panels for the engine tests: regular sellers and every awkward kind of series."""
import numpy as np
import pandas as pd

from sales_forecast_ai.engine.panel import Panel

END = pd.Timestamp("2024-06-30")


def seasonal_series(length: int, level: float = 20.0, seed: int = 0, trend: float = 0.0) -> np.ndarray:
    """Poisson demand with a weekly pattern (weekends busier) and an optional relative trend."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    days = pd.date_range(end=END, periods=length, freq="D").dayofweek.to_numpy()
    weekly = np.where(days >= 5, 1.6, 0.85)
    mean = level * weekly * (1 + trend * t / max(length, 1))
    return rng.poisson(np.maximum(mean, 0)).astype(float)


def intermittent_series(length: int, p: float = 0.15, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return ((rng.random(length) < p) * rng.integers(1, 6, length)).astype(float)


def awkward_series() -> dict:
    """Every edge case the engine must survive, by name."""
    with_nan = seasonal_series(60, seed=3)
    with_nan[[5, 17, 40]] = np.nan
    with_returns = seasonal_series(60, seed=4)
    with_returns[[3, 30]] = [-4.0, -12.0]
    return {
        "empty": np.zeros(0),
        "one_point": np.array([4.0]),
        "two_points": np.array([3.0, 5.0]),
        "three_points": np.array([0.0, 2.0, 7.0]),
        "all_zero": np.zeros(60),
        "constant": np.full(60, 6.0),
        "negative_returns": with_returns,
        "with_nan": with_nan,
    }


def regular_panel(n: int = 6, length: int = 150, freq: str = "D") -> Panel:
    keys = [(f"item{i}", "wh1") for i in range(n)]
    values = [seasonal_series(length, level=5 + 5 * i, seed=i, trend=0.3 * (i % 3 - 1)) for i in range(n)]
    return Panel(keys, values, END, freq)


def mixed_panel(length: int = 150) -> Panel:
    """Regular and intermittent sellers plus every awkward series."""
    base = regular_panel(4, length)
    keys, values = list(base.keys), list(base.values)
    keys.append(("slow", "wh1"))
    values.append(intermittent_series(length, seed=9))
    for name, y in awkward_series().items():
        keys.append((name, "wh1"))
        values.append(y)
    return Panel(keys, values, END, "D")
