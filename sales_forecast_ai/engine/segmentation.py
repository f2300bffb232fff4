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

Assortment segmentation (``segment``, stored by Odoo per product x warehouse):
  ABC by revenue, two documented methods:
    "rank" (default)  A = the top 20% of products by revenue, B = the next 30%, C = the last 50%
                      (counts rounded up; a product without revenue is always C);
    "cumulative"      the classic Pareto cut: A until 80% of cumulative revenue, B until 95%, C after.
  XYZ by the coefficient of variation (population std / mean) of WEEKLY demand, zero weeks
  included from the item's first week with demand on (weeks before a product's launch are not
  variability): X < 0.3 <= Y < 0.7 <= Z; no demand at all is Z.
"""
from __future__ import annotations

import math

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


# -- assortment segmentation (ABC by revenue x XYZ by weekly variability) -------------------------
ABC_RANK, ABC_CUMULATIVE = "rank", "cumulative"
RANK_CUTS = (0.20, 0.50)        # cumulative share of PRODUCTS: A top 20%, B next 30%
CUMULATIVE_CUTS = (0.80, 0.95)  # cumulative share of REVENUE: A 80%, B 15%, C 5%
WEEKLY_XYZ_CUTS = (0.3, 0.7)
STRATEGY_HINTS = {
    ("A", "X"): "Tight control, high service level, continuous replenishment.",
    ("A", "Y"): "High service level, safety stock sized on the forecast error, review weekly.",
    ("A", "Z"): "Valuable but erratic: buy to order or hold safety stock; watch promotions and key customers.",
    ("B", "X"): "Automatic reorder points, standard service level.",
    ("B", "Y"): "Standard service level, periodic review.",
    ("B", "Z"): "Moderate safety stock, order on demand where lead times allow.",
    ("C", "X"): "Low effort: large batches, automatic replenishment, low stock value.",
    ("C", "Y"): "Periodic review, small safety stock.",
    ("C", "Z"): "Make or buy to order; candidate for delisting.",
}


def abc_by_rank(revenues, cuts=RANK_CUTS) -> list[str]:
    """A/B/C by rank: the top ``cuts[0]`` of products (rounded up) are A, up to ``cuts[1]`` B, the rest C.

    Ties keep input order; products without revenue are C whatever their rank.
    """
    v = np.maximum(np.nan_to_num(np.asarray(revenues, dtype=float)), 0.0)
    n = len(v)
    out = ["C"] * n
    if not n:
        return out
    n_a = math.ceil(cuts[0] * n - 1e-9)
    n_ab = math.ceil(cuts[1] * n - 1e-9)
    for rank, i in enumerate(np.argsort(-v, kind="stable")):
        if v[i] <= 0:
            break
        out[i] = "A" if rank < n_a else "B" if rank < n_ab else "C"
    return out


def weekly_cv(weekly) -> float:
    """Coefficient of variation (population std / mean) of a weekly demand series; inf without demand."""
    y = np.asarray(weekly, dtype=float)
    y = y[np.isfinite(y)]
    mean = y.mean() if len(y) else 0.0
    return float(y.std() / mean) if mean > 0 else float("inf")


def xyz_class(cv, cuts=WEEKLY_XYZ_CUTS) -> str:
    return "X" if cv < cuts[0] else "Y" if cv < cuts[1] else "Z"


def segment(revenues, weekly_series, method=ABC_RANK, xyz_cuts=WEEKLY_XYZ_CUTS) -> list[dict]:
    """ABC x XYZ of a set of items (the products of one warehouse).

    ``revenues[i]`` is item i's revenue, ``weekly_series[i]`` its weekly demand (zero weeks
    included). Returns, per item, ``{"abc", "xyz", "revenue_share", "cv"}`` (cv is None when the
    item had no demand; revenue_share in 0..1).
    """
    if method not in (ABC_RANK, ABC_CUMULATIVE):
        raise ValueError(f"unknown ABC method {method!r}")
    revenues = np.maximum(np.nan_to_num(np.asarray(revenues, dtype=float)), 0.0)
    if len(revenues) != len(weekly_series):
        raise ValueError("one weekly series per revenue")
    abc = abc_by_rank(revenues) if method == ABC_RANK else abc_classes(revenues, CUMULATIVE_CUTS)
    total = revenues.sum()
    out = []
    for i, weekly in enumerate(weekly_series):
        weekly = np.nan_to_num(np.asarray(weekly, dtype=float))
        cv = weekly_cv(weekly[int(np.argmax(weekly > 0)):] if (weekly > 0).any() else weekly)
        out.append({
            "abc": abc[i],
            "xyz": xyz_class(cv, xyz_cuts),
            "revenue_share": float(revenues[i] / total) if total > 0 else 0.0,
            "cv": cv if math.isfinite(cv) else None,
        })
    return out


def weekly_matrix(codes, n_items, day_index, quantities, n_days) -> np.ndarray:
    """Weekly totals (items x weeks) of daily demand rows: item ``codes`` (0 .. n_items-1),
    ``day_index`` (0 .. n_days-1, day 0 the window's first day) and ``quantities``. Weeks are
    counted back from the window's last day, so the latest week is complete; the days of an
    incomplete oldest week are dropped."""
    n_weeks = max(int(n_days) // 7, 1)
    offset = int(n_days) - 7 * n_weeks
    out = np.zeros((int(n_items), n_weeks))
    day_index = np.asarray(day_index, dtype=np.int64)
    keep = (day_index >= offset) & (day_index < int(n_days))
    week = (day_index[keep] - offset) // 7
    np.add.at(out, (np.asarray(codes, dtype=np.int64)[keep], week), np.asarray(quantities, dtype=float)[keep])
    return out


def segment_matrix(segments, revenues) -> list[dict]:
    """The 3x3 ABC x XYZ matrix: per cell ``abc, xyz, count, revenue, revenue_share, hint``."""
    revenues = np.maximum(np.nan_to_num(np.asarray(revenues, dtype=float)), 0.0)
    total = revenues.sum()
    cells = []
    for abc in "ABC":
        for xyz in "XYZ":
            idx = [i for i, s in enumerate(segments) if s["abc"] == abc and s["xyz"] == xyz]
            revenue = float(revenues[idx].sum()) if idx else 0.0
            cells.append({"abc": abc, "xyz": xyz, "count": len(idx), "revenue": revenue,
                          "revenue_share": revenue / total if total > 0 else 0.0,
                          "hint": STRATEGY_HINTS[(abc, xyz)]})
    return cells
