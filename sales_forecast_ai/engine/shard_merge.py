"""The shards' results of a distributed run (engine.distributed) put together as one run's.

Pooled scores and coverages are recomputed from each shard's error sums (``PipelineResult.sums``), not
averaged, so they equal those of one run over all series; a global model's own figures (trained once
on every series) are the same in every shard and taken from the first.
"""
from __future__ import annotations

from .metrics import add_sums, empty_sums, pooled_from_sums
from .pipeline import weighted_mean
from .results import PipelineResult


def merge_shards(results: list, bounds, spec) -> PipelineResult:
    """One PipelineResult from the shards' results, series in the panel's order. ``spec`` names the
    run's models (``names``, ``global_names``) and its interval ``levels``."""
    if len(results) == 1:
        return results[0]
    first = results[0]
    series = [s for r in results for s in r.series]
    pooled = {}
    for m in spec.names:
        parts = [r for r in results if m in r.pooled]
        if not parts:
            continue
        sums = empty_sums()
        for r in parts:
            sums = add_sums(sums, r.sums["pooled"][m])
        entry = dict(parts[0].pooled[m])  # family, rmse_train/val (a global model's, the same in every shard)
        entry.update(pooled_from_sums(sums))
        entry["wins"] = sum(r.pooled[m].get("wins", 0) for r in parts)
        if m not in spec.global_names:  # local models ran once per shard: their time adds up
            entry["seconds"] = round(sum(r.pooled[m].get("seconds", 0.0) for r in parts), 3)
        # parameters per series (local) or of the network (global): the same in every shard, but an
        # ensemble's members may differ by shard; the largest count is reported
        entry["n_params"] = max(int(r.pooled[m].get("n_params", 0)) for r in parts)
        for lvl in spec.levels:
            cov = [r.sums["coverage"][m][lvl] for r in parts if m in r.sums.get("coverage", {})]
            if cov:
                entry[f"coverage_{lvl:g}"] = weighted_mean((sum(c[0] for c in cov), sum(c[1] for c in cov)))
        pooled[m] = entry
    log = [f"shard {k + 1}/{len(results)} (series {a + 1} to {b}): {line}"
           for k, (r, (a, b)) in enumerate(zip(results, bounds)) for line in r.log]
    timings = {}
    for r in results:
        for key, value in r.timings.items():
            if key.startswith("model ") and key[6:] in spec.global_names:
                timings[key] = value
            elif isinstance(value, (int, float)):
                timings[key] = timings.get(key, 0.0) + value
    out = PipelineResult(series, pooled, timings, first.levels, first.horizon, first.freq, log)
    out.sums = {"pooled": {m: _total(results, ("pooled", m)) for m in pooled},
                "champion": _total(results, ("champion",)),
                "champion_in_sample": _total(results, ("champion_in_sample",))}
    out.champion_scores = pooled_from_sums(out.sums["champion"])
    out.champion_scores_in_sample = pooled_from_sums(out.sums["champion_in_sample"]) \
        if any("champion_in_sample" in r.sums for r in results) else {}
    for lvl in spec.levels:
        cov = [r.sums["champion_coverage"][lvl] for r in results if lvl in r.sums.get("champion_coverage", {})]
        if cov:
            out.coverage[lvl] = weighted_mean((sum(c[0] for c in cov), sum(c[1] for c in cov)))
    return out


def _total(results, path) -> dict:
    total = empty_sums()
    for r in results:
        node = r.sums
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if node:
            total = add_sums(total, node)
    return total

