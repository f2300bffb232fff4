"""Replenishment policy: from a forecast and a stock position to what to order, and how urgently.

Pure numpy, vectorised over many product x warehouse series (one row each); the Odoo layer reads
stock, vendors and forecasts in aggregated queries and calls ``compute_policy`` once.

Per series, with L the lead time (days), R the review cycle (days), f the daily forecast:

* lead-time demand   D_L = f[0] + ... + f[L-1] (fractional days interpolated; past the forecast
  horizon the mean of its last 28 days is carried on);
* forecast error over the lead time  sigma_L = sigma_1 * sqrt(L), sigma_1 the standard deviation
  of the champion's daily backtest errors (``SeriesResult.residual_std``; the champion's RMSE when
  that is missing, see ``daily_error``). Daily errors are taken as independent: sqrt(L) scaling;
* safety stock       SS = max(z * sigma_L, safety_days * mean daily demand over L), z the
  one-sided normal quantile of the cycle service level (95% -> 1.645);
* reorder point      ROP = D_L + SS; the classic simple rule d * (L + safety_days) is given beside;
* order-up-to        S = ROP + forecast demand over the review cycle (days L .. L+R);
* position           P = on hand + incoming - reserved;
* suggestion         max(0, S - P), raised to the vendor's minimum (MOQ), rounded up to the pack
  multiple (and to the unit's rounding);
* days of cover      days until the cumulative forecast reaches P (inf when it never does);
* urgency            ``order_now`` when P < ROP or cover < ``now_days`` (7), ``watch`` when cover <
  ``watch_days`` (14), ``ok`` otherwise; the expected stock-out day is the cover when it falls
  inside the forecast horizon.

Sector profiles set the service level, review cycle and safety-days floor; a product category can
use another profile (medicines at 99% in a retail company). With an ABC segmentation, each class
has its own service level (``abc_service_level``); the caller gives the class -> level mapping (the
company's settings), and the series whose level was set on purpose (their category's) keep it.

``backtest_policy`` replays the policy on past demand; its assumptions are in its docstring.
"""
from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

TAIL_DAYS = 28  # past the horizon, demand continues at the mean of the forecast's last 28 days
URGENCY = ("order_now", "watch", "ok")


@dataclass(frozen=True)
class Profile:
    """Stock policy of a sector: service level (%), review cycle (days), safety-stock floor (days)."""

    name: str
    service_level: float
    review_days: int
    safety_days: float


PROFILES = {
    # Shops reorder weekly; a missed sale is usually a substitute sale, 95% is the usual target.
    "retail": Profile("retail", 95.0, 7, 2.0),
    # A missing medicine sends the patient elsewhere (or worse): 99%, and a week of demand as a floor.
    "pharmacy": Profile("pharmacy", 99.0, 7, 7.0),
    # Costly, slow items: stock is expensive and customers wait, so a lower level and monthly review.
    "luxury": Profile("luxury", 90.0, 30, 0.0),
}
MAX_SERVICE_LEVEL, MIN_SERVICE_LEVEL = 99.9, 50.0


def resolve_profile(name: str | None, default: Profile) -> Profile:
    """The named sector profile, or ``default`` (the company's own settings) for an unknown name."""
    return PROFILES.get(name or "", default)


def abc_service_level(base, abc, class_levels, fixed=None) -> np.ndarray:
    """Service level per series: the level ``class_levels`` gives its ABC class ("A"/"B"/"C", any
    case), else ``base`` (no class, a class without a level, or ``fixed`` true for that series)."""
    classes = [str(c or "").upper() for c in np.ravel(abc)]
    base = np.broadcast_to(np.asarray(base, dtype=float), (len(classes),))
    fixed = np.zeros(len(classes), dtype=bool) if fixed is None else np.broadcast_to(
        np.asarray(fixed, dtype=bool), (len(classes),))
    levels = {str(k).upper(): float(v) for k, v in (class_levels or {}).items() if v}
    out = np.array([base[i] if fixed[i] or c not in levels else levels[c] for i, c in enumerate(classes)],
                   dtype=float)
    return np.clip(out, MIN_SERVICE_LEVEL, MAX_SERVICE_LEVEL)


def service_z(level) -> np.ndarray:
    """One-sided standard normal quantile of a service level in percent (95 -> 1.645)."""
    level = np.clip(np.asarray(level, dtype=float), MIN_SERVICE_LEVEL, MAX_SERVICE_LEVEL)
    unique, inverse = np.unique(level, return_inverse=True)
    z = np.array([NormalDist().inv_cdf(v / 100.0) for v in unique])
    return z[inverse].reshape(level.shape)


def daily_error(residual_std, rmse=None) -> np.ndarray:
    """Standard deviation of one day's forecast error: the champion's backtest residual spread,
    else its backtest RMSE (which also counts its bias), else 0."""
    sigma = np.nan_to_num(np.asarray(residual_std, dtype=float), nan=0.0)
    if rmse is not None:
        rmse = np.nan_to_num(np.asarray(rmse, dtype=float), nan=0.0)
        sigma = np.where(sigma > 0, sigma, rmse)
    return np.maximum(sigma, 0.0)


def lead_time_sigma(residual_std, lead_time, rmse=None) -> np.ndarray:
    """Forecast error over the lead time: daily error x sqrt(L) (independent daily errors)."""
    return daily_error(residual_std, rmse) * np.sqrt(np.maximum(np.asarray(lead_time, dtype=float), 0.0))


def _curve(forecast):
    """Cumulative demand (n, H+1) starting at 0, and the daily tail rate used past the horizon."""
    f = np.maximum(np.nan_to_num(np.atleast_2d(np.asarray(forecast, dtype=float))), 0.0)
    cum = np.concatenate([np.zeros((f.shape[0], 1)), np.cumsum(f, axis=1)], axis=1)
    tail = f[:, -TAIL_DAYS:].mean(axis=1) if f.shape[1] else np.zeros(f.shape[0])
    return cum, tail


def cumulative_demand(forecast, days) -> np.ndarray:
    """Forecast demand over the next ``days`` days (float, per series), carried on past the horizon."""
    cum, tail = _curve(forecast)
    h = cum.shape[1] - 1
    days = np.maximum(np.broadcast_to(np.asarray(days, dtype=float), (cum.shape[0],)), 0.0)
    rows = np.arange(cum.shape[0])
    inside = np.minimum(days, h)
    k = np.minimum(np.floor(inside).astype(int), max(h - 1, 0))
    frac = inside - k
    value = cum[rows, k] + frac * (cum[rows, np.minimum(k + 1, h)] - cum[rows, k]) if h else np.zeros(len(rows))
    return value + np.maximum(days - h, 0.0) * tail


def days_of_cover(forecast, position) -> np.ndarray:
    """Days until the cumulative forecast reaches ``position`` (0 if none left, inf if never)."""
    cum, tail = _curve(forecast)
    n, h = cum.shape[0], cum.shape[1] - 1
    position = np.broadcast_to(np.asarray(position, dtype=float), (n,))
    cover = np.full(n, np.inf)
    k = (cum < position[:, None]).sum(axis=1)  # first index whose cumulative demand reaches P
    rows = np.arange(n)
    inside = (k <= h) & (position > 0)
    step = cum[rows, np.minimum(k, h)] - cum[rows, np.maximum(k - 1, 0)]
    with np.errstate(divide="ignore", invalid="ignore"):
        within = (k - 1) + (position - cum[rows, np.maximum(k - 1, 0)]) / step
        beyond = h + (position - cum[:, h]) / tail
    cover = np.where(inside, within, cover)
    cover = np.where(~inside & (position > 0) & (tail > 0), beyond, cover)
    # Nothing left covers no day -- unless nothing is ever sold: then there is nothing to cover.
    return np.where((position <= 0) & ((cum[:, h] > 0) | (tail > 0)), 0.0, cover)


def round_order_qty(qty, moq=0.0, pack=0.0, rounding=0.0) -> np.ndarray:
    """Positive quantities raised to the MOQ, then rounded up to the pack multiple and unit rounding."""
    qty = np.asarray(qty, dtype=float)
    moq = np.broadcast_to(np.asarray(moq, dtype=float), qty.shape)
    out = np.where(qty > 0, np.maximum(qty, moq), 0.0)
    for step in (pack, rounding):
        step = np.broadcast_to(np.asarray(step, dtype=float), qty.shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            rounded = np.ceil(out / step - 1e-9) * step
        out = np.where((step > 0) & (out > 0), rounded, out)
    return out


def compute_policy(forecast, on_hand, incoming=0.0, reserved=0.0, *, lead_time, residual_std, service_level,
                   review_days, safety_days=0.0, moq=0.0, pack=0.0, rounding=0.0, rmse=None, now_days=7.0,
                   watch_days=14.0) -> dict:
    """The policy of every series; every argument is per series (or one value for all).

    ``forecast``: (n, H) daily forecast starting today. Returns a dict of (n,) arrays (see the
    module docstring): demand_lead_time, mean_daily, sigma_lead_time, z, safety_stock,
    reorder_point, simple_reorder_point, order_up_to, position, qty_needed (before rounding),
    qty_suggested, moq_applied, days_of_cover, stockout_day (NaN when not within the horizon), urgency.
    """
    forecast = np.maximum(np.nan_to_num(np.atleast_2d(np.asarray(forecast, dtype=float))), 0.0)
    n, h = forecast.shape

    def col(value):
        return np.broadcast_to(np.asarray(value, dtype=float), (n,)).astype(float)

    lead, review, safety = np.maximum(col(lead_time), 0.0), np.maximum(col(review_days), 0.0), col(safety_days)
    demand_lt = cumulative_demand(forecast, lead)
    mean_daily = np.where(lead > 0, demand_lt / np.where(lead > 0, lead, 1.0),
                          forecast[:, 0] if h else np.zeros(n))
    sigma = lead_time_sigma(col(residual_std), lead, None if rmse is None else col(rmse))
    z = service_z(col(service_level))
    safety_stock = np.maximum(z * sigma, np.maximum(safety, 0.0) * mean_daily)
    rop = demand_lt + safety_stock
    simple = mean_daily * (lead + np.maximum(safety, 0.0))
    order_up_to = rop + cumulative_demand(forecast, lead + review) - demand_lt
    position = col(on_hand) + col(incoming) - col(reserved)
    needed = np.maximum(order_up_to - position, 0.0)
    moq_ = np.maximum(col(moq), 0.0)
    suggested = round_order_qty(needed, moq_, col(pack), col(rounding))
    cover = days_of_cover(forecast, position)
    urgency = np.where((position < rop - 1e-9) | (cover < now_days), "order_now",
                       np.where(cover < watch_days, "watch", "ok"))
    return {
        "demand_lead_time": demand_lt,
        "mean_daily": mean_daily,
        "sigma_lead_time": sigma,
        "z": z,
        "safety_stock": safety_stock,
        "reorder_point": rop,
        "simple_reorder_point": simple,
        "order_up_to": order_up_to,
        "position": position,
        "qty_needed": needed,
        "qty_suggested": suggested,
        "moq_applied": (needed > 0) & (moq_ > needed),
        "days_of_cover": cover,
        "stockout_day": np.where(cover < h, cover, np.nan),
        "urgency": urgency,
    }


def trailing_rate(history, window: int = TAIL_DAYS) -> np.ndarray:
    """(n, T) mean daily demand of the ``window`` days BEFORE each day (what was known that morning);
    the first days use what history there is (0 on day 0)."""
    y = np.maximum(np.nan_to_num(np.atleast_2d(np.asarray(history, dtype=float))), 0.0)
    cum = np.concatenate([np.zeros((y.shape[0], 1)), np.cumsum(y, axis=1)], axis=1)
    t = np.arange(y.shape[1])
    start = np.maximum(t - window, 0)
    span = np.maximum(t - start, 1)
    return (cum[:, t] - cum[:, start]) / span


def backtest_policy(history, days: int, *, lead_time, residual_std, service_level, review_days, safety_days=0.0,
                    moq=0.0, pack=0.0, unit_cost=1.0, actual_stock=None, window: int = TAIL_DAYS) -> dict:
    """Replay the policy on the last ``days`` days of ``history`` (n, T daily demand, T > days).

    Simulation assumptions (what the figures mean):
      * the forecast known on a morning is the mean demand of the ``window`` (28) days before it:
        past forecasts are not stored, so a moving average stands in for them, with the champion's
        error ``residual_std`` for the safety stock -- the usual case being a champion better
        than a moving average, the figures are on the prudent side;
      * review every day (the suggestions are refreshed after each nightly run): at the end of the
        day, when the position (on hand + on order) is below the ROP, order up to S, rounded to
        MOQ and pack, received at the start of day t + max(L, 1);
      * stock starts at the policy's own order-up-to level (as if it had been in place before);
      * demand not served from stock that day is lost (not back-ordered); a stock-out day is a day
        with lost demand; vendors always deliver the full quantity on time;
      * average stock = mean end-of-day stock, valued at ``unit_cost``.
    With ``actual_stock`` (n, days end-of-day stock that really was), the same figures are given
    for it: actual fill rate = demand that the stock on hand in the morning could serve, actual
    stock-out day = a day with demand that ended with no stock (lost sales leave no trace).

    Returns per-series arrays (fill_rate, stockout_days, avg_stock, avg_stock_value, orders and,
    with actual stock, actual_fill_rate, actual_stockout_days, actual_avg_stock_value) and
    ``totals`` (fill rate over all demand, stock-out days and stock value summed).
    """
    y = np.maximum(np.nan_to_num(np.atleast_2d(np.asarray(history, dtype=float))), 0.0)
    n, total = y.shape
    days = int(min(days, total))
    if days <= 0:
        raise ValueError("backtest_policy needs at least one day to simulate")

    def col(value):
        return np.broadcast_to(np.asarray(value, dtype=float), (n,)).astype(float)

    lead = np.maximum(np.round(col(lead_time)).astype(int), 1)
    review, safety = np.maximum(col(review_days), 0.0), np.maximum(col(safety_days), 0.0)
    sigma_ss = service_z(col(service_level)) * lead_time_sigma(col(residual_std), lead)
    moq_, pack_, cost = col(moq), col(pack), col(unit_cost)
    rate = trailing_rate(y, window)[:, total - days:]
    demand = y[:, total - days:]
    safety_stock = np.maximum(sigma_ss[:, None], safety[:, None] * rate)
    rop = rate * lead[:, None] + safety_stock
    order_up_to = rop + rate * review[:, None]

    on_hand = order_up_to[:, 0].copy()
    on_order = np.zeros(n)
    arrivals = np.zeros((n, days + int(lead.max()) + 1))
    served_total, stock_sum = np.zeros(n), np.zeros(n)
    stockout_days, orders = np.zeros(n, dtype=int), np.zeros(n, dtype=int)
    rows = np.arange(n)
    for t in range(days):
        on_hand += arrivals[:, t]
        on_order -= arrivals[:, t]
        served = np.minimum(demand[:, t], on_hand)
        on_hand -= served
        served_total += served
        stockout_days += demand[:, t] - served > 1e-9
        stock_sum += on_hand
        position = on_hand + on_order
        due = position < rop[:, t] - 1e-9
        if due.any():
            qty = round_order_qty(np.where(due, order_up_to[:, t] - position, 0.0), moq_, pack_)
            placed = due & (qty > 0)
            np.add.at(arrivals, (rows[placed], t + lead[placed]), qty[placed])
            on_order += np.where(placed, qty, 0.0)
            orders += placed
    demand_sum = demand.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        fill = np.where(demand_sum > 0, served_total / demand_sum, 1.0)
    avg_stock = stock_sum / days
    out = {
        "fill_rate": fill,
        "stockout_days": stockout_days,
        "avg_stock": avg_stock,
        "avg_stock_value": avg_stock * cost,
        "orders": orders,
        "demand": demand_sum,
    }
    totals = {
        "series": n,
        "days": days,
        "fill_rate": float(served_total.sum() / demand_sum.sum()) if demand_sum.sum() > 0 else 1.0,
        "stockout_days": int(stockout_days.sum()),
        "avg_stock_value": float(out["avg_stock_value"].sum()),
    }
    if actual_stock is not None:
        stock = np.atleast_2d(np.asarray(actual_stock, dtype=float))[:, -days:]
        # Morning stock = the previous evening's (the first morning: that evening's plus its sales).
        morning = np.maximum(np.concatenate([stock[:, :1] + demand[:, :1], stock[:, :-1]], axis=1), 0.0)
        actual_served = np.minimum(demand, morning)
        with np.errstate(divide="ignore", invalid="ignore"):
            out["actual_fill_rate"] = np.where(demand_sum > 0, actual_served.sum(axis=1) / demand_sum, 1.0)
        # Recorded sales were served (lost ones leave no trace): a day that sold out is the sign.
        out["actual_stockout_days"] = ((stock <= 1e-9) & (demand > 0)).sum(axis=1)
        out["actual_avg_stock_value"] = np.maximum(stock, 0.0).mean(axis=1) * cost
        totals.update(
            actual_fill_rate=float(actual_served.sum() / demand_sum.sum()) if demand_sum.sum() > 0 else 1.0,
            actual_stockout_days=int(out["actual_stockout_days"].sum()),
            actual_avg_stock_value=float(out["actual_avg_stock_value"].sum()))
    out["totals"] = totals
    return out
