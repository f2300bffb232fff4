"""The run report: one self-contained HTML file (inline SVG plots, no script, no external asset).

It shows what a buyer or an analyst needs to trust or question a run: how every candidate model
did in the backtest, which one each series got, the forecast of the biggest series against their
recent history with the prediction bands, and every series that could not be forecast, with why.
Every string that comes from the data (item and store names, messages) is escaped.
"""
from __future__ import annotations

import datetime as _dt
import math
from html import escape

import numpy as np

from .results import METRICS

_BAND_COLOURS = ("#c6dbef", "#9ecae1", "#6baed6", "#4292c6")  # widest level lightest
_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
.sub{color:#666;font-size:13px}table{border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f4f4f4}
td.l,th.l{text-align:left}.best{font-weight:bold;background:#eef7ee}.warn{color:#a33}
.card{display:inline-block;border:1px solid #ddd;border-radius:6px;padding:8px 14px;margin:4px 8px 4px 0}
.card b{display:block;font-size:20px}.plot{margin:14px 0 22px}.plot p{margin:2px 0;font-size:13px}
svg text{font-size:11px;fill:#555}
"""
_METRIC_LABELS = {"rmse": "RMSE", "mae": "MAE", "smape": "sMAPE", "mase": "MASE", "wape": "WAPE", "bias": "Bias"}


def key_label(key, names=None) -> str:
    """A series name for people: its non-empty key parts ("item 15 · store 2" when names are known)."""
    key = key if isinstance(key, (tuple, list)) else (key,)
    names = list(names or [])
    parts = [f"{names[j]} {k}" if len(names) == len(key) else str(k) for j, k in enumerate(key) if str(k) != ""]
    return " · ".join(parts) or "(all)"


def render_report(result, panel, *, title="Sales forecast", source="", n_plots=12, metric="mase",
                  extra_timings=None, max_status_rows=500) -> str:
    """HTML text of the report for a PipelineResult and the Panel it was computed from."""
    levels = tuple(result.levels)
    index = {tuple(k): i for i, k in enumerate(panel.keys)}
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(title)}</title>"
             f"<style>{_STYLE}</style></head><body>", f"<h1>{escape(title)}</h1>", _subtitle(result, panel, source)]
    parts.append(_summary(result, levels))
    parts.append(_model_table(result, metric))
    parts.append(_plots(result, panel, index, levels, n_plots))
    parts.append(_status_section(result, max_status_rows, panel.meta.get("key_cols")))
    parts.append(_timings(result, extra_timings))
    if result.log:
        parts.append("<h2>Run log</h2><ul>" + "".join(f"<li>{escape(str(line))}</li>" for line in result.log)
                     + "</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(path, result, panel, **kwargs) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(render_report(result, panel, **kwargs))


# -- sections --------------------------------------------------------------------------------
def _subtitle(result, panel, source) -> str:
    lengths = [len(v) for v in panel.values]
    start = panel.end - (max(lengths, default=1) - 1) * panel.offset if lengths else panel.end
    bits = [f"source {escape(str(source))}" if source else "",
            f"{len(panel)} series", f"history {start:%Y-%m-%d} to {panel.end:%Y-%m-%d}",
            f"frequency {escape(str(result.freq))}", f"horizon {result.horizon}",
            "levels " + ", ".join(f"{lvl:g}%" for lvl in result.levels),
            f"generated {_dt.datetime.now():%Y-%m-%d %H:%M}"]
    return f"<p class='sub'>{' · '.join(b for b in bits if b)}</p>"


def _summary(result, levels) -> str:
    series = result.series
    statuses, classes, champions = {}, {}, {}
    for s in series:
        statuses[s.status] = statuses.get(s.status, 0) + 1
        if s.demand_class:
            classes[s.demand_class] = classes.get(s.demand_class, 0) + 1
        if s.champion:
            champions[s.champion] = champions.get(s.champion, 0) + 1
    forecast = sum(1 for s in series if s.forecast is not None)
    cards = [_card("series forecast", f"{forecast} / {len(series)}")]
    for lvl in levels:
        cov = [s.coverage.get(lvl) for s in series if s.coverage.get(lvl) is not None]
        cov = [c for c in cov if c == c]
        if cov:
            cards.append(_card(f"backtest coverage of the {lvl:g}% band", f"{100 * float(np.mean(cov)):.1f}%"))
    out = ["<h2>Summary</h2>", "".join(cards)]
    out.append(_count_table("Status", statuses))
    if classes:
        out.append(_count_table("Demand class", classes))
    if champions:
        out.append(_count_table("Champion model", champions))
    return "\n".join(out)


def _card(label, value) -> str:
    return f"<div class='card'><b>{escape(str(value))}</b>{escape(label)}</div>"


def _count_table(label, counts: dict) -> str:
    rows = "".join(f"<tr><td class='l'>{escape(str(k))}</td><td>{v}</td></tr>"
                   for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0]))))
    return f"<table style='display:inline-table;margin-right:16px'><tr><th class='l'>{escape(label)}</th>" \
           f"<th>series</th></tr>{rows}</table>"


def _model_table(result, metric) -> str:
    pooled = result.pooled or {}
    if not pooled:
        return "<h2>Model comparison</h2><p>No model was backtested.</p>"
    extra = [("n_params", "Parameters"), ("rmse_train", "RMSE train"), ("rmse_val", "RMSE val"), ("wins", "Wins")]
    models = sorted(pooled, key=lambda m: (_num(pooled[m].get(metric)) is None, _num(pooled[m].get(metric)) or 0, m))
    best = {}
    for m in METRICS:
        vals = [(abs(v) if m == "bias" else v) for v in (_num(pooled[x].get(m)) for x in models) if v is not None]
        best[m] = min(vals) if vals else None
    head = "".join(f"<th>{_METRIC_LABELS[m]}</th>" for m in METRICS) + "".join(f"<th>{lab}</th>" for _, lab in extra)
    rows = []
    for name in models:
        stats = pooled[name]
        cells = []
        for m in METRICS:
            v = _num(stats.get(m))
            cmp = abs(v) if (v is not None and m == "bias") else v
            cls = " class='best'" if v is not None and best[m] is not None and math.isclose(cmp, best[m]) else ""
            cells.append(f"<td{cls}>{_fmt(v)}</td>")
        for k, _ in extra:
            v = _num(stats.get(k))
            cells.append(f"<td>{_fmt(v, integer=k in ('n_params', 'wins'))}</td>")
        rows.append(f"<tr><td class='l'>{escape(str(name))}</td>{''.join(cells)}</tr>")
    note = (f"<p class='sub'>Pooled over every series' backtest folds, sorted by {escape(metric.upper())} "
            "(lower is better; bias closest to 0). Parameters: weights of a network, or parameters "
            "estimated per series for local models. RMSE train/val: the networks' training and early-stopping "
            "validation error in sales units. Wins: series for which the model was chosen.</p>")
    return (f"<h2>Model comparison</h2><table><tr><th class='l'>Model</th>{head}</tr>{''.join(rows)}</table>"
            + note)


def _plots(result, panel, index, levels, n_plots) -> str:
    shown = [s for s in result.series if s.forecast is not None and tuple(s.key) in index]
    if not shown or n_plots <= 0:
        return ""
    volume = {id(s): float(np.nansum(np.abs(panel.values[index[tuple(s.key)]]))) for s in shown}
    shown = sorted(shown, key=lambda s: -volume[id(s)])[:n_plots]
    out = [f"<h2>Forecasts of the {len(shown)} biggest series</h2>"]
    for s in shown:
        y = panel.values[index[tuple(s.key)]]
        tail = int(min(len(y), max(4 * len(s.forecast), 8 * panel.season_length, 60)))
        hist_start = panel.end - (tail - 1) * panel.offset
        svg = svg_forecast_plot(y[len(y) - tail:], s.forecast, s.intervals, levels, hist_start, s.dates)
        totals = ", ".join(f"{k}: {_fmt(v)}" for k, v in sorted(s.totals.items(), key=lambda kv: _num(kv[0]) or 0))
        facts = [f"champion <b>{escape(str(s.champion or '-'))}</b>", escape(s.reason) if s.reason else "",
                 f"demand {escape(s.demand_class)}" if s.demand_class else "", f"trend {escape(str(s.trend))}",
                 f"confidence {s.confidence:.2f}", f"totals {escape(totals)}" if totals else ""]
        status = (f"<p class='warn'>{escape(s.status)}: {escape(s.message)}</p>"
                  if s.status != "ok" or s.message else "")
        out.append(f"<div class='plot'><p><b>{escape(key_label(s.key, panel.meta.get('key_cols')))}</b></p>{svg}"
                   f"<p>{' · '.join(f for f in facts if f)}</p>{status}</div>")
    return "\n".join(out)


def _status_section(result, max_rows, names=None) -> str:
    bad = [s for s in result.series if s.status != "ok"]
    if not bad:
        return "<h2>Series status</h2><p>Every series was forecast by a backtested model.</p>"
    rows = "".join(f"<tr><td class='l'>{escape(key_label(s.key, names))}</td><td class='l'>{escape(s.status)}</td>"
                   f"<td class='l'>{escape(str(s.champion or '-'))}</td><td class='l'>{escape(s.message)}</td></tr>"
                   for s in bad[:max_rows])
    more = f"<p class='sub'>…and {len(bad) - max_rows} more.</p>" if len(bad) > max_rows else ""
    return (f"<h2>Series status</h2><p>{len(bad)} series were not forecast by a backtested champion.</p>"
            f"<table><tr><th class='l'>Series</th><th class='l'>Status</th><th class='l'>Forecast by</th>"
            f"<th class='l'>Why</th></tr>{rows}</table>{more}")


def _timings(result, extra) -> str:
    timings = dict(extra or {})
    timings.update(result.timings or {})
    if not timings:
        return ""
    rows = "".join(f"<tr><td class='l'>{escape(str(k))}</td><td>{_fmt(_num(v))}</td></tr>" for k, v in timings.items())
    return f"<h2>Run timings (seconds)</h2><table><tr><th class='l'>Phase</th><th>Seconds</th></tr>{rows}</table>"


# -- plot ------------------------------------------------------------------------------------
def svg_forecast_plot(history, forecast, intervals, levels, hist_start, future_dates, width=760, height=230) -> str:
    """Line chart: history tail, forecast, and one band per level (widest lightest)."""
    history = np.asarray(history, dtype=float)
    forecast = np.asarray(forecast, dtype=float)
    n, h = len(history), len(forecast)
    bands = [(lvl, np.asarray(intervals[lvl][0], float), np.asarray(intervals[lvl][1], float))
             for lvl in sorted(levels, reverse=True) if lvl in intervals]
    every = [history, forecast] + [b for _, lo, hi in bands for b in (lo, hi)]
    finite = np.concatenate([v[np.isfinite(v)] for v in every]) if every else np.zeros(1)
    lo_y, hi_y = min(0.0, float(finite.min(initial=0.0))), float(finite.max(initial=1.0))
    hi_y = hi_y if hi_y > lo_y else lo_y + 1.0
    left, right, top, bottom = 52, 10, 10, 24
    pw, ph = width - left - right, height - top - bottom
    total = max(n + h - 1, 1)

    def x(i):
        return left + pw * i / total

    def y(v):
        return top + ph * (1 - (v - lo_y) / (hi_y - lo_y))

    def path(idx, vals):
        return " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in zip(idx, vals) if np.isfinite(v))

    fut_idx = np.arange(n, n + h)
    svg = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' role='img'>",
           f"<rect x='{left}' y='{top}' width='{pw}' height='{ph}' fill='#fff' stroke='#ddd'/>"]
    for k in range(5):
        v = lo_y + (hi_y - lo_y) * k / 4
        svg.append(f"<line x1='{left}' x2='{left + pw}' y1='{y(v):.1f}' y2='{y(v):.1f}' stroke='#eee'/>"
                   f"<text x='{left - 4}' y='{y(v) + 4:.1f}' text-anchor='end'>{_fmt(v, short=True)}</text>")
    for j, (lvl, lo, hi) in enumerate(bands):
        colour = _BAND_COLOURS[j * (len(_BAND_COLOURS) - 1) // max(len(bands) - 1, 1)] if len(bands) > 1 \
            else _BAND_COLOURS[1]
        pts = path(fut_idx, hi) + " " + path(fut_idx[::-1], lo[::-1])
        svg.append(f"<polygon points='{pts}' fill='{colour}' opacity='0.8'><title>{lvl:g}% interval</title>"
                   "</polygon>")
    if n:
        svg.append(f"<polyline points='{path(np.arange(n), history)}' fill='none' stroke='#444' stroke-width='1.2'/>")
    if h:
        joined_idx = np.concatenate([[n - 1], fut_idx]) if n else fut_idx
        joined = np.concatenate([[history[-1]], forecast]) if n else forecast
        svg.append(f"<polyline points='{path(joined_idx, joined)}' fill='none' stroke='#d6604d' stroke-width='1.8'/>")
        svg.append(f"<line x1='{x(n - 0.5):.1f}' x2='{x(n - 0.5):.1f}' y1='{top}' y2='{top + ph}' stroke='#999' "
                   "stroke-dasharray='4 3'/>")
    labels = [(0, hist_start)] if n else []
    if h and future_dates is not None and len(future_dates):
        labels += [(n, future_dates[0]), (n + h - 1, future_dates[-1])]
    for i, d in labels:
        anchor = "start" if i == 0 else ("end" if i == n + h - 1 else "middle")
        svg.append(f"<text x='{x(i):.1f}' y='{height - 6}' text-anchor='{anchor}'>{escape(_date(d))}</text>")
    legend = "history (grey), forecast (red)" + (", bands " + ", ".join(f"{lvl:g}%" for lvl, _, _ in bands)
                                                  if bands else "")
    svg.append(f"<title>{escape(legend)}</title></svg>")
    return "".join(svg)


# -- formatting ------------------------------------------------------------------------------
def _num(v):
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _fmt(v, integer=False, short=False) -> str:
    if v is None:
        return "–"
    if integer:
        return f"{int(round(v)):,}"
    if short:
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"
    return f"{v:,.1f}" if abs(v) >= 1000 else f"{v:.3f}" if abs(v) < 10 else f"{v:.2f}"


def _date(d) -> str:
    try:
        return f"{d:%Y-%m-%d}"
    except (TypeError, ValueError):
        return str(d)
