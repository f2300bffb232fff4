"""Recommender contract, bought-together, and the time-based hold-out against popularity."""
import numpy as np
import pandas as pd
import pytest

from sales_forecast_ai.engine.recommender import ItemKNN, Popularity, bought_together, evaluate, holdout_split


def two_tastes(n_users=40, seed=0):
    """Customers of two tastes: tea drinkers buy t1..t5, coffee drinkers c1..c5; 'bread' everybody.
    Each customer bought 3 of their taste's products before the split, and one more after."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        taste = ["t1", "t2", "t3", "t4", "t5"] if u % 2 else ["c1", "c2", "c3", "c4", "c5"]
        picks = rng.permutation(taste)
        for day, item in enumerate(list(picks[:3]) + ["bread"]):
            rows.append((u, item, pd.Timestamp("2024-01-01") + pd.Timedelta(days=day), f"o{u}-{day}"))
        rows.append((u, picks[3], pd.Timestamp("2024-03-01"), f"o{u}-late"))
    # bread is the most popular product, so popularity recommends it and other-taste products first
    rows += [(100 + i, "bread", pd.Timestamp("2024-01-02"), f"b{i}") for i in range(20)]
    return pd.DataFrame(rows, columns=["user", "item", "date", "basket"])


def test_contract_scores_sorted_known_excluded():
    frame = two_tastes()
    model = ItemKNN(k=10).fit(frame["user"].to_numpy(), frame["item"].to_numpy(), frame["basket"].to_numpy())
    recs = model.recommend_all(n=3)
    assert set(recs) == set(frame["user"])
    for user, items in recs.items():
        scores = [s for _, s in items]
        assert scores == sorted(scores, reverse=True) and len(items) <= 3
        assert not set(i for i, _ in items) & set(frame.loc[frame.user == user, "item"])
    tea_drinker = recs[1]
    assert tea_drinker[0][0].startswith("t")  # the one tea product they have not bought yet


def test_bought_together():
    frame = pd.DataFrame({"basket": [1, 1, 2, 2, 3, 3, 4], "item": ["a", "b", "a", "b", "a", "c", "d"]})
    out = bought_together(frame["basket"], frame["item"], n=2, shrink=0.0)
    assert [i for i, _ in out["a"]] == ["b", "c"]
    assert out["b"][0][0] == "a" and out["b"][0][1] == pytest.approx(2 / np.sqrt(3 * 2))
    assert "d" not in out


def test_holdout_item_knn_beats_popularity():
    frame = two_tastes()
    train, test, split = holdout_split(frame, test_fraction=0.2)
    assert train["date"].max() < split <= test["date"].min()
    knn = evaluate(ItemKNN(k=10), train, test, n=2, basket_col="basket")
    pop = evaluate(Popularity(), train, test, n=2, basket_col="basket")
    assert knn["users"] == pop["users"] == 40
    assert knn["precision"] > pop["precision"] and knn["recall"] > pop["recall"]
    assert knn["recall"] == pytest.approx(1.0)  # the last of 2 remaining products of their taste: always in top 2
    assert 0 < pop["coverage"] <= knn["coverage"] <= 1


def test_exclude_only_recent_purchases():
    frame = two_tastes()
    model = ItemKNN(k=10).fit(frame["user"].to_numpy(), frame["item"].to_numpy())
    recs = model.recommend_all(n=6, exclude={1: {"bread"}})
    items = [i for i, _ in recs[1]]
    assert "bread" not in items
    assert set(items) & set(frame.loc[frame.user == 1, "item"])  # older purchases may come back
