"""Champion choice: ranking, reason strings, the group default, candidate pools, fallbacks."""
import numpy as np

from sales_forecast_ai.engine.selection import (FALLBACK_CHAIN, MARGIN, Choice, choose, eligible, fallback_order,
                                                group_defaults, rank)

CANDIDATES = ["naive", "seasonal_naive", "ets", "harmonic"]


def s(**mase):
    return {name: {"mase": v, "mae": v * 10, "wape": v / 2, "bias": 0.0} for name, v in mase.items()}


def test_a_biased_model_must_be_better_by_its_bias_to_win():
    scores = s(ets=0.80, harmonic=0.70)
    scores["harmonic"]["bias"] = -0.30  # 30% short on totals: 0.70 x 1.3 = 0.91 > 0.80
    assert choose(scores, "mase", CANDIDATES).champion == "ets"
    scores["harmonic"]["bias"] = -0.10  # 0.70 x 1.1 = 0.77 < 0.80
    assert choose(scores, "mase", CANDIDATES).champion == "harmonic"
    # Ranking on bias itself: its size only, no double counting.
    scores = s(ets=0.80, harmonic=0.70)
    scores["ets"]["bias"], scores["harmonic"]["bias"] = 0.05, -0.2
    assert choose(scores, "bias", CANDIDATES).champion == "ets"


def test_group_defaults_weigh_bias():
    per_model = {"ets": {"mase": np.array([0.8, 0.8]), "bias": np.array([0.0, 0.05])},
                 "harmonic": {"mase": np.array([0.7, 0.7]), "bias": np.array([-0.3, -0.3])}}
    assert group_defaults(per_model, "mase", ["regular"] * 2, lambda i: ["ets", "harmonic"]) == {"regular": "ets"}


def test_best_score_wins_with_a_reason():
    choice = choose(s(naive=1.2, seasonal_naive=0.9, ets=0.78, harmonic=0.71), "mase", CANDIDATES)
    assert choice.champion == "harmonic"
    assert choice.reason == "won on MASE 0.71 vs 0.78 for ets"
    assert [name for name, _ in choice.ranking] == ["harmonic", "ets", "seasonal_naive", "naive"]


def test_only_candidates_count_and_nan_is_no_score():
    scores = s(naive=0.5, ets=0.8, harmonic=float("nan"))
    choice = choose(scores, "mase", ["ets", "harmonic"])
    assert choice.champion == "ets"
    assert choice.reason == "only candidate with a backtest (MASE 0.80)"


def test_ties_go_to_the_earlier_simpler_model():
    choice = choose(s(naive=0.0, seasonal_naive=0.0, ets=0.0), "mase", CANDIDATES)
    assert choice.champion == "naive"


def test_the_group_default_stays_unless_clearly_beaten():
    scores = s(ets=0.70, harmonic=0.80)  # ets 12.5% better: within the margin
    assert MARGIN == 0.20
    kept = choose(scores, "mase", CANDIDATES, default="harmonic")
    assert kept.champion == "harmonic"
    assert kept.ranking[0][0] == "harmonic" and kept.ranking[1][0] == "ets"
    assert "not 20% better" in kept.reason and "ets scored 0.70" in kept.reason
    beaten = choose(s(ets=0.60, harmonic=0.80), "mase", CANDIDATES, default="harmonic")  # 25% better
    assert beaten.champion == "ets" and beaten.reason == "won on MASE 0.60 vs 0.80 for harmonic"
    best_anyway = choose(s(ets=0.9, harmonic=0.8), "mase", CANDIDATES, default="harmonic")
    assert best_anyway.champion == "harmonic" and best_anyway.reason.startswith("won on MASE 0.80")


def test_default_outside_the_candidates_is_ignored():
    choice = choose(s(ets=0.7, croston=0.5), "mase", ["ets"], default="croston")
    assert choice.champion == "ets"


def test_bias_ranks_by_size_and_labels():
    scores = {"ets": {"bias": -0.05}, "harmonic": {"bias": 0.10}}
    choice = choose(scores, "bias", ["ets", "harmonic"])
    assert choice.champion == "ets" and choice.reason == "won on bias -0.05 vs 0.10 for harmonic"


def test_undefined_metric_falls_back_to_mae():
    scores = {"ets": {"wape": float("nan"), "mae": 2.0}, "naive": {"wape": float("nan"), "mae": 1.0}}
    choice = choose(scores, "wape", ["ets", "naive"])
    assert choice.champion == "naive"
    assert choice.reason.startswith("won on MAE 1.00 vs 2.00 for ets") and "WAPE undefined" in choice.reason


def test_no_scores_no_champion():
    assert choose({}, "mase", CANDIDATES) == Choice(None, "")
    assert rank(s(ets=float("inf")), "mase", ["ets"]) == []


def test_candidate_pools_by_demand_class():
    assert eligible("croston_sba", "intermittent", "lumpy")
    assert not eligible("croston_sba", "intermittent", "smooth")
    assert not eligible("naive", "baseline", "intermittent")
    assert not eligible("linear_trend", "baseline", "lumpy")
    assert eligible("naive", "baseline", "erratic")
    assert eligible("mlp", "neural", "intermittent") and eligible("harmonic", "statistical", "smooth")


def test_fallback_order_follows_the_ranking_then_the_chain():
    choice = choose(s(ets=0.7, harmonic=0.8, naive=0.9), "mase", CANDIDATES)
    assert fallback_order(choice, {"harmonic", "naive", "moving_average"}) == ["harmonic", "naive", "moving_average"]
    assert fallback_order(Choice(None, ""), {"naive", "moving_average"}) == list(FALLBACK_CHAIN)
    assert fallback_order(Choice(None, ""), set()) == []


def test_group_defaults_use_pooled_scores_per_group():
    per_model = {
        "ets": {"mase": np.array([0.7, 0.7, 0.9, 1.0])},
        "harmonic": {"mase": np.array([0.8, 0.8, 0.6, 0.6])},
        "croston": {"mase": np.array([np.nan, np.nan, 0.5, 0.5])},
    }
    groups = ["regular", "regular", "intermittent", "intermittent"]
    suited = [["ets", "harmonic"]] * 2 + [["ets", "harmonic", "croston"]] * 2
    assert group_defaults(per_model, "mase", groups, lambda i: suited[i]) == {"regular": "ets",
                                                                            "intermittent": "croston"}
