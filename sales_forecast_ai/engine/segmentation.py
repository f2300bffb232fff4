"""Demand classes of Syntetos & Boylan (2005), and ABC / XYZ classes for assortment views.

Demand class, from the last year of a series (``CLASS_WINDOW`` periods):
  ADI = periods / periods with demand        (average inter-demand interval, >= 1)
  CV2 = (std / mean)^2 of the non-zero demand sizes
                 CV2 < 0.49      CV2 >= 0.49
  ADI < 1.32     smooth          erratic
  ADI >= 1.32    intermittent    lumpy
A series without any demand in the window has no class (""). Returns (negative values) are
not demand. The pipeline uses the class to pick candidate models (see ``selection``) and to
pool interval residuals (see ``intervals``).

ABC ranks series by volume (A: the first 80% of the total, B: the next 15%, C: the rest);
XYZ by the coefficient of variation of period demand (X < 0.5 <= Y < 1.0 <= Z).
"""
from __future__ import annotations

import numpy as np

SMOOTH, ERRATIC, INTERMITTENT, LUMPY = "smooth", "erratic", "intermittent", "lumpy"
CLASSES = (SMOOTH, ERRATIC, INTERMITTENT, LUMPY)
ADI_CUT, CV2_CUT = 1.32, 0.49
CLASS_WINDOW = {"D": 365, "W": 52, "M": 24}


def demand_profile(y) -> tuple[float, float, int]:
    """(ADI, CV2, number of periods with demand); ADI is inf without demand."""
    y = np.asarray(y, dtype=float)
    y = np.where(np.isfinite(y), y, 0.0)
    sizes = y[y > 0]
    if not len(sizes):
        return float("inf"), 0.0, 0
    adi = len(y) / len(sizes)
    mean = sizes.mean()
    cv2 = float((sizes.std() / mean) ** 2) if len(sizes) > 1 else 0.0
    return float(adi), cv2, int(len(sizes))


def classify(y, window: int | None = None) -> str:
    """Demand class of one series (its last ``window`` periods); "" when it has no demand."""
    y = np.asarray(y, dtype=float)
    if window:
        y = y[-int(window):]
    adi, cv2, k = demand_profile(y)
    if not k:
        return ""
    if adi < ADI_CUT:
        return SMOOTH if cv2 < CV2_CUT else ERRATIC
    return INTERMITTENT if cv2 < CV2_CUT else LUMPY


def classify_panel(panel) -> list[str]:
    window = CLASS_WINDOW.get(panel.freq)
    return [classify(v, window) for v in panel.values]


def is_intermittent(demand_class: str) -> bool:
    return demand_class in (INTERMITTENT, LUMPY)


def abc_classes(volumes, cuts=(0.80, 0.95)) -> list[str]:
    """A/B/C by cumulative share of total volume, biggest first (ties keep input order)."""
    v = np.maximum(np.nan_to_num(np.asarray(volumes, dtype=float)), 0.0)
    out = ["C"] * len(v)
    total = v.sum()
    if total <= 0:
        return out
    order = np.argsort(-v, kind="stable")
    before = np.concatenate([[0.0], np.cumsum(v[order])[:-1]]) / total  # share above this series
    for rank, i in enumerate(order):
        out[i] = "A" if before[rank] < cuts[0] else "B" if before[rank] < cuts[1] else "C"
    return out


def xyz_classes(series, cuts=(0.5, 1.0)) -> list[str]:
    """X/Y/Z by the coefficient of variation of each series (no demand at all: Z)."""
    out = []
    for y in series:
        y = np.asarray(y, dtype=float)
        y = y[np.isfinite(y)]
        mean = y.mean() if len(y) else 0.0
        cv = y.std() / mean if mean > 0 else np.inf
        out.append("X" if cv < cuts[0] else "Y" if cv < cuts[1] else "Z")
    return out
