"""Shapes the dashboard's panels from daily demand: buckets, heatmaps, distributions, stock status.

Pure functions on pandas frames (``date`` as datetime64 days, ``quantity`` floats), so the Odoo
side only reads and the rules are tested without a database. Every output is bounded: a panel
never sends more than a few hundred numbers to the browser, whatever the period.
"""
import math

import numpy as np
import pandas as pd

GRANULARITIES = ("day", "week", "month")
# A daily curve over years would be thousands of points; past this, the next coarser bucket is used.
MAX_CURVE_POINTS = 400
MAX_HEATMAP_WEEKS = 53
HISTOGRAM_BINS = 12
STOCK_STATUSES = ("out", "low", "adequate", "over")


def period_start(dates, granularity):
    """First day of each date's bucket: the day, the Monday of its week or the 1st of its month."""
    dates = pd.to_datetime(pd.Series(dates)).dt.normalize()
    if granularity == "week":
        return dates - pd.to_timedelta(dates.dt.weekday, unit="D")
    if granularity == "month":
        return dates.dt.to_period("M").dt.to_timestamp()
    return dates


def fit_granularity(date_from, date_to, granularity, max_points=MAX_CURVE_POINTS):
    """The requested bucket, or the next coarser one when it would give more than ``max_points``."""
    days = (pd.Timestamp(date_to) - pd.Timestamp(date_from)).days + 1
    sizes = {"day": 1, "week": 7, "month": 30}
    order = list(GRANULARITIES)
    index = order.index(granularity) if granularity in order else 0
    while index < len(order) - 1 and days / sizes[order[index]] > max_points:
        index += 1
    return order[index]


def bucket_history(frame, date_from, date_to, granularity):
    """[(bucket start, total quantity)] for every bucket of the window, 0 where nothing sold."""
    days = pd.date_range(pd.Timestamp(date_from), pd.Timestamp(date_to), freq="D")
    daily = pd.Series(0.0, index=days)
    if len(frame):
        sums = frame.groupby("date")["quantity"].sum()
        daily = daily.add(sums.reindex(days, fill_value=0.0), fill_value=0.0)
    starts = period_start(daily.index, granularity)
    totals = daily.groupby(starts.to_numpy()).sum()
    return [(ts.date(), float(qty)) for ts, qty in totals.items()]


def bucket_forecast(points, granularity):
    """Sum forecast days into buckets. ``points``: frame with date, forecast, lo_80, hi_80, lo_95, hi_95.

    A bucket's band is the sum of its days' bands: the cautious reading that errors of consecutive
    days (and of the products summed) move together, so the band is never narrower than the truth.
    """
    if not len(points):
        return []
    frame = points.copy()
    frame["bucket"] = period_start(frame["date"], granularity).to_numpy()
    columns = ["forecast", "lo_80", "hi_80", "lo_95", "hi_95"]
    sums = frame.groupby("bucket")[columns].sum().sort_index()
    return [{"date": ts.date(), **{c: float(row[c]) for c in columns}} for ts, row in sums.iterrows()]


def weekday_week_heatmap(frame, date_from, date_to, max_weeks=MAX_HEATMAP_WEEKS):
    """Quantity per weekday (rows, Monday first) x ISO week (columns), the last ``max_weeks`` weeks.

    Returns (week starts, 7 x len(weeks) matrix); days outside the window are None, not 0, so the
    page can tell "nothing sold" from "not in the period".
    """
    date_from, date_to = pd.Timestamp(date_from), pd.Timestamp(date_to)
    first_week = date_from - pd.Timedelta(days=date_from.weekday())
    last_week = date_to - pd.Timedelta(days=date_to.weekday())
    weeks = list(pd.date_range(first_week, last_week, freq="7D"))[-max_weeks:]
    daily = frame.groupby("date")["quantity"].sum() if len(frame) else pd.Series(dtype=float)
    matrix = []
    for weekday in range(7):
        row = []
        for week in weeks:
            day = week + pd.Timedelta(days=weekday)
            row.append(float(daily.get(day, 0.0)) if date_from <= day <= date_to else None)
        matrix.append(row)
    return [w.date() for w in weeks], matrix


def group_month_heatmap(frame, group_of, date_from, date_to, max_groups=12):
    """Quantity per group (e.g. product category) x month; groups beyond ``max_groups`` (by total)
    are folded into one ``None`` row ("other"). ``group_of`` maps product id -> group key.

    Returns (month starts, [(group key or None, [qty per month])]).
    """
    months = list(pd.period_range(pd.Timestamp(date_from), pd.Timestamp(date_to), freq="M").to_timestamp())
    if not len(frame):
        return [m.date() for m in months], []
    data = frame.assign(group=frame["product_id"].map(group_of).fillna(-1).astype(np.int64),
                        month=period_start(frame["date"], "month").to_numpy())
    totals = data.groupby("group")["quantity"].sum().sort_values(ascending=False)
    keep = [int(g) for g in totals.index[:max_groups]]
    # -1 stands for "other" (folded groups and products without one) inside the frame only.
    data.loc[~data["group"].isin(keep), "group"] = -1
    table = data.groupby(["group", "month"])["quantity"].sum()
    if -1 in keep:
        keep.remove(-1)
    if (data["group"] == -1).any():
        keep.append(-1)
    rows = [(None if group == -1 else group,
             [float(table.get((group, month), 0.0)) for month in months]) for group in keep]
    return [m.date() for m in months], rows


def daily_totals_by_group(frame, group_of, date_from, date_to, max_groups=8):
    """{group: array of daily totals over every day of the window (0 when nothing sold)}, the
    ``max_groups`` largest groups only."""
    days = pd.date_range(pd.Timestamp(date_from), pd.Timestamp(date_to), freq="D")
    if not len(frame):
        return {}
    data = frame.assign(group=frame["product_id"].map(group_of))
    totals = data.groupby("group")["quantity"].sum().sort_values(ascending=False)
    out = {}
    for group in totals.index[:max_groups]:
        daily = data[data["group"] == group].groupby("date")["quantity"].sum()
        out[group] = daily.reindex(days, fill_value=0.0).to_numpy(dtype=float)
    return out


def histogram(series_by_group, bins=HISTOGRAM_BINS):
    """Shared bin edges and counts per group, so the groups' histograms can be compared bar by bar."""
    if not series_by_group:
        return [], {}
    values = np.concatenate(list(series_by_group.values()))
    top = float(values.max()) if len(values) else 0.0
    edges = np.linspace(0.0, top if top > 0 else 1.0, bins + 1)
    return [float(e) for e in edges], {
        group: [int(c) for c in np.histogram(series, bins=edges)[0]] for group, series in series_by_group.items()}


def boxplot(values):
    """Tukey box plot: quartiles, whiskers at the last values within 1.5 IQR, and the outlier count."""
    values = np.asarray(values, dtype=float)
    if not len(values):
        return None
    q1, median, q3 = (float(v) for v in np.percentile(values, [25, 50, 75]))
    iqr = q3 - q1
    inside = values[(values >= q1 - 1.5 * iqr) & (values <= q3 + 1.5 * iqr)]
    return {
        "min": float(values.min()), "q1": q1, "median": median, "q3": q3, "max": float(values.max()),
        "whisker_low": float(inside.min()), "whisker_high": float(inside.max()),
        "mean": float(values.mean()), "outliers": int(len(values) - len(inside)), "days": int(len(values)),
    }


def stock_status(on_hand, daily_demand, low_days, over_days):
    """'out' (nothing on hand), 'low' (fewer than ``low_days`` of cover), 'over' (more than
    ``over_days`` of cover, or stock that nothing is forecast to consume), else 'adequate'."""
    if on_hand <= 0:
        return "out"
    if daily_demand <= 0:
        return "over"
    cover = on_hand / daily_demand
    if cover < low_days:
        return "low"
    if cover > over_days:
        return "over"
    return "adequate"


def cover_days(on_hand, daily_demand):
    """Days the stock lasts at the forecast pace, None when nothing is forecast to consume it."""
    if daily_demand <= 0:
        return None
    return max(on_hand, 0.0) / daily_demand


def trend(value, previous):
    """'up', 'down' or 'flat' (within 1 %), and the relative change (None without a previous value)."""
    if not previous:
        return ("up" if value > 0 else "flat"), None
    change = (value - previous) / abs(previous)
    if math.isclose(change, 0.0, abs_tol=0.01):
        return "flat", change
    return ("up" if change > 0 else "down"), change
