"""Champion per series: the best backtest score among the models that suit its demand class.

Candidate pool by demand class (``segmentation``):
  * smooth / erratic: every model except the intermittent-demand family (Croston, SBA, TSB),
    whose flat "average rate" forecasts ignore the weekly pattern such series have;
  * intermittent / lumpy: every model except naive (tomorrow = the last day, i.e. mostly zero
    or a spike) and the linear/quadratic trends (a trend through zeros and spikes is noise).
A model also needs ``min_history`` observations of the series.

Two folds of one series are a small sample, and picking the lowest of a dozen noisy scores
favours luck: on 1,000 synthetic series, always taking the best model of the pool forecast
better than the raw per-series minimum. So each demand group (regular, intermittent) has a
default, the model with the best pooled backtest score in that group, and a series keeps it
unless another model beats it on that series by more than ``MARGIN`` (20%). Otherwise the
champion has the lowest backtest ``metric`` (ties: the simpler model, i.e. the earlier in the
run's model order). If a series has no finite score for that metric (WAPE or bias when its
backtest windows sold nothing), MAE decides instead. The ranking doubles as the fallback
chain: when the champion cannot forecast the series at the end, the next model takes over,
then ``FALLBACK_CHAIN``; a series too short to backtest goes straight to that chain.

Bias counts too. A buyer orders from totals, and MAE-type scores (MASE, MAE, WAPE) reward a
median forecast, which on skewed demand falls well short of the total sold (the champions left
the online-shop data 29% short). Models are therefore ranked on ``metric x (1 + BIAS_WEIGHT x
|bias|)`` (the backtest bias of that series; for the group defaults, of each series then
averaged): a model 20% short must be 20% better on the metric to win. The score shown stays the
plain metric.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .metrics import lower_is_better
from .segmentation import is_intermittent

LABELS = {"mase": "MASE", "rmse": "RMSE", "mae": "MAE", "smape": "sMAPE", "wape": "WAPE", "bias": "bias"}
NOT_FOR_INTERMITTENT = frozenset({"naive", "linear_trend", "poly_trend"})
INTERMITTENT_FAMILY = "intermittent"
FALLBACK_CHAIN = ("moving_average", "naive")
MARGIN = 0.20
BIAS_WEIGHT = 1.0


def eligible(name: str, family: str, demand_class: str) -> bool:
    if is_intermittent(demand_class):
        return name not in NOT_FOR_INTERMITTENT
    return family != INTERMITTENT_FAMILY


@dataclass
class Choice:
    champion: str | None
    reason: str
    ranking: list = field(default_factory=list)  # [(model, score)], best first: the fallback order


def _fmt(value: float) -> str:
    return f"{value:.2f}" if abs(value) >= 0.01 or value == 0 else f"{value:.2g}"


def bias_penalty(metric: str, bias):
    """1 + BIAS_WEIGHT x |bias| (1 where the bias is undefined, or when ranking on bias itself)."""
    bias = np.asarray(bias, dtype=float)
    if metric == "bias":
        return np.ones_like(bias)
    return 1.0 + BIAS_WEIGHT * np.where(np.isfinite(bias), np.abs(bias), 0.0)


def selection_key(metric: str, model_scores: dict) -> float:
    """What ranks a model on one series: its ``metric`` (smaller is better) times the bias penalty."""
    value = model_scores.get(metric)
    if value is None or not np.isfinite(value):
        return float("nan")
    bias = model_scores.get("bias")
    return float(lower_is_better(metric, value) * bias_penalty(metric, np.nan if bias is None else bias))


def rank(scores: dict, metric: str, candidates) -> list:
    """[(model, score)] of the candidates with a finite score, best first by ``selection_key``
    (ties: candidate order)."""
    ranked = []
    for order, name in enumerate(candidates):
        key = selection_key(metric, scores.get(name, {}))
        if np.isfinite(key):
            ranked.append((key, order, name, float(scores[name][metric])))
    ranked.sort()
    return [(name, value) for _, _, name, value in ranked]


def choose(scores: dict, metric: str, candidates, default: str | None = None, margin: float = MARGIN) -> Choice:
    """Champion among ``candidates`` (ordered) from per-model backtest ``scores`` of one series.

    ``default``: the group's pooled best; it stays champion unless beaten by more than ``margin``.
    """
    used = metric
    ranking = rank(scores, metric, candidates)
    if not ranking and metric != "mae":
        used, ranking = "mae", rank(scores, "mae", candidates)
    if not ranking:
        return Choice(None, "")
    label = LABELS.get(used, used)
    best, value = ranking[0]
    kept = dict(ranking).get(default) if default and default != best else None
    if kept is not None and selection_key(used, scores[best]) > (1.0 - margin) * selection_key(used, scores[default]):
        ranking = [(default, kept)] + [r for r in ranking if r[0] != default]
        reason = (f"default of its demand group (best pooled {label}), {label} {_fmt(kept)}; "
                  f"{best} scored {_fmt(value)} here, not {margin:.0%} better")
        best = default
    elif len(ranking) == 1:
        reason = f"only candidate with a backtest ({label} {_fmt(value)})"
    else:
        other, other_value = ranking[1]
        reason = f"won on {label} {_fmt(value)} vs {_fmt(other_value)} for {other}"
    if used != metric:
        reason += f" ({LABELS.get(metric, metric)} undefined: the backtest windows had no sales)"
    return Choice(best, reason, ranking)


def group_defaults(per_model: dict, metric: str, groups, candidates_of) -> dict:
    """{group: the model with the best mean ``metric`` over the group's series}.

    ``per_model``: model -> per-series scores; ``candidates_of(i)``: the models series i may use.
    Models are compared on the series where all of the group's usual candidates have a score.
    """
    out = {}
    groups = list(groups)
    for g in set(groups):
        idx = [i for i, gi in enumerate(groups) if gi == g]
        names = [m for m in per_model if all(m in candidates_of(i) for i in idx)] if idx else []
        if not names:
            continue
        table = np.array([lower_is_better(metric, per_model[m][metric][idx])
                          * bias_penalty(metric, np.asarray(per_model[m].get("bias", np.full(len(groups), np.nan)))[idx])
                          for m in names])
        common = np.isfinite(table).all(axis=0)
        if not common.any():
            continue
        means = table[:, common].mean(axis=1)
        out[g] = names[int(np.argmin(means))]
    return out


def fallback_order(choice: Choice, available) -> list:
    """Models to try for the final forecast, in order, keeping only those in ``available``."""
    order = [name for name, _ in choice.ranking] + [m for m in FALLBACK_CHAIN]
    seen, out = set(), []
    for name in order:
        if name in available and name not in seen:
            seen.add(name)
            out.append(name)
    return out
