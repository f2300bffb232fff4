"""The LightGBM candidate (engine/models/gbm.py): what the shared contract tests do not check.

Intermittent demand (Tweedie), seeded reproducibility, the cap on sampled training rows, the
calendar it learns, and its place in a run: ordering, eligibility, conformal intervals.
"""
import numpy as np
import pandas as pd
import pytest

from demand_panels import END, intermittent_series, regular_panel
from sales_forecast_ai.engine.models import REGISTRY, make
from sales_forecast_ai.engine.models.gbm import sample_triples
from sales_forecast_ai.engine.panel import Panel
from sales_forecast_ai.engine.pipeline import default_models, run_forecast
from sales_forecast_ai.engine.selection import eligible

H = 14


def intermittent_panel(n=40, length=420, seed=0):
    """Slow movers that sell only on weekdays, at different rates and sizes."""
    rng = np.random.default_rng(seed)
    weekday = pd.date_range(end=END, periods=length, freq="D").dayofweek.to_numpy() < 5
    values = []
    for i in range(n):
        p = rng.uniform(0.05, 0.35)
        size = rng.integers(1, 4) * (1 + 20 * (i % 4 == 0))  # a few series sell by the dozen
        sold = (rng.random(length) < p) & weekday
        values.append(np.where(sold, rng.poisson(size, length) + 1, 0).astype(float))
    return Panel([(f"slow{i}", "wh") for i in range(n)], values, END, "D")


def test_registered_as_a_global_gbm_model():
    cls = REGISTRY["lightgbm"]
    assert cls.family == "gbm" and cls.is_global and not cls.refit_per_origin
    names = default_models()
    assert names.index("lightgbm") > max(names.index(m) for m in ("ets", "theta", "harmonic"))
    assert names.index("lightgbm") < min(names.index(m) for m in ("mlp", "cnn", "lstm", "cnn_lstm"))
    for demand_class in ("smooth", "erratic", "intermittent", "lumpy"):
        assert eligible("lightgbm", "gbm", demand_class), demand_class


def test_tweedie_on_intermittent_demand_beats_the_zero_forecast():
    h = 28
    panel = intermittent_panel(n=100, seed=1)
    train, test = panel.cut(h), np.array([v[-h:] for v in panel.values])
    model = make("lightgbm", horizon=h, seed=0).fit(train)
    fc = model.predict(h).mean
    assert model.status == "ok"
    rmse = np.sqrt(np.mean((fc - test) ** 2))
    assert rmse < 0.9 * np.sqrt(np.mean(test ** 2)), "the zero forecast does as well"
    flat = np.array([v.mean() for v in train.values])[:, None]  # each series' average rate, every day
    assert rmse < np.sqrt(np.mean((flat - test) ** 2))
    bias = (fc.sum() - test.sum()) / test.sum()
    assert abs(bias) < 0.2, bias
    days = panel.future_dates(h).dayofweek.to_numpy()
    assert fc[:, days >= 5].mean() < 0.3 * fc[:, days < 5].mean(), "no sales at weekends: it learnt that"


def test_same_seed_same_forecast_other_seed_other_trees():
    panel = regular_panel(8, 300)
    first = make("lightgbm", horizon=H, seed=3).fit(panel).predict(H, (80, 95))
    again = make("lightgbm", horizon=H, seed=3).fit(panel).predict(H, (80, 95))
    assert np.array_equal(first.mean, again.mean)
    for lvl in (80, 95):
        assert np.array_equal(first.intervals[lvl][0], again.intervals[lvl][0])
        assert np.array_equal(first.intervals[lvl][1], again.intervals[lvl][1])
    other = make("lightgbm", horizon=H, seed=4).fit(panel).predict(H).mean
    assert not np.array_equal(first.mean, other)


def test_training_rows_are_capped_and_sampled_reproducibly():
    panel = regular_panel(30, 400)
    model = make("lightgbm", horizon=H, max_rows=600).fit(panel)
    assert 0 < model.n_train_rows <= 600 and 0 < model.n_val_rows <= 150
    assert np.isfinite(model.predict(H).mean).all()
    # 50,000 series x 730 days x 30 steps are 1.1e9 candidate rows; the sample never builds them.
    lo, hi = np.zeros(50_000, int), np.full(50_000, 699)
    rows, origins, steps = sample_triples(lo, hi, 729, 30, 20_000, np.random.default_rng(0))
    assert len(rows) == 20_000
    assert (origins >= lo[rows]).all() and (origins <= hi[rows]).all()
    assert ((steps >= 1) & (steps <= 30)).all() and (origins + steps <= 729).all()
    assert len(np.unique(rows)) > 10_000, "spread over the series, not the first ones"
    again = sample_triples(lo, hi, 729, 30, 20_000, np.random.default_rng(0))
    assert all(np.array_equal(a, b) for a, b in zip((rows, origins, steps), again))
    # Under the cap every triple is used once, none past the last known target.
    rows, origins, steps = sample_triples(np.array([0, 5]), np.array([9, 9]), 10, 3, 1000, np.random.default_rng(0))
    assert len(rows) == 3 * 15 - 3 - 3 and (origins + steps <= 10).all()
    assert len(set(zip(rows, origins, steps))) == len(rows)


def test_forward_keeps_the_trees_refit_grows_new_ones_release_keeps_the_summary():
    panel = regular_panel(6, 300)
    model = make("lightgbm", horizon=H).fit(panel.cut(H))
    booster = model.booster_
    model.forward(panel)
    assert model.booster_ is booster
    model.refit(panel)
    assert model.booster_ is not booster and model.status == "ok"
    leaves = model.n_params()
    assert leaves > 0 and np.isfinite(model.rmse_train) and np.isfinite(model.rmse_val)
    model.release()
    assert model.booster_ is None and model._frame is None
    assert model.n_params() == leaves


def test_a_seller_of_thousands_and_one_of_units_share_the_model():
    base = regular_panel(6, 300)
    big = Panel(base.keys + [("big", "wh")], base.values + [1000.0 * base.values[1]], END, "D")
    fc = make("lightgbm", horizon=H).fit(big).predict(H).mean
    ratio = fc[-1].sum() / fc[1].sum()
    assert 700 < ratio < 1400, ratio


def test_public_holidays_are_learnt():
    import holidays

    french = pd.to_datetime(list(holidays.country_holidays("FR", years=[2022, 2023, 2024])))
    dates = pd.date_range(end="2024-04-28", periods=730, freq="D")
    rng = np.random.default_rng(0)
    values = [np.where(dates.isin(french), 1.0, 20.0 + 5 * i) + rng.poisson(2, len(dates)) for i in range(6)]
    panel = Panel([(f"s{i}",) for i in range(6)], values, dates[-1], "D", country="FR")
    mean = make("lightgbm", horizon=H).fit(panel).predict(H).mean
    holiday = panel.future_dates(H).isin(french)  # 1, 8 and 9 May 2024
    assert holiday.sum() == 3
    assert mean[:, holiday].mean() < 0.5 * mean[:, ~holiday].mean()


def test_in_a_run_its_intervals_are_the_conformal_ones():
    panel = Panel(regular_panel(12, 300).keys + [("slow", "wh")],
                  regular_panel(12, 300).values + [intermittent_series(300, seed=2)], END, "D")
    result = run_forecast(panel, H, levels=(80, 95), folds=3, models=["lightgbm"], seed=0)
    pooled = result.pooled["lightgbm"]
    assert pooled["family"] == "gbm" and pooled["n_params"] > 0
    assert 0.8 <= pooled["coverage_95"] <= 1.0, pooled["coverage_95"]
    assert np.isfinite(pooled["rmse_val"])
    champions = {s.champion for s in result.series}
    assert champions == {"lightgbm"}
    for s in result.series:
        lo, hi = s.intervals[95]
        assert (lo <= s.forecast + 1e-9).all() and (s.forecast <= hi + 1e-9).all()


@pytest.mark.parametrize("freq,length", [("W", 160), ("M", 60)])
def test_weekly_and_monthly_panels(freq, length):
    rng = np.random.default_rng(1)
    values = [rng.poisson(10 + 3 * i, length).astype(float) for i in range(5)]
    panel = Panel([(f"s{i}",) for i in range(5)], values, pd.Timestamp("2024-06-03" if freq == "W" else "2024-06-01"),
                  freq)
    model = make("lightgbm").fit(panel)
    fc = model.predict(8, (95,))
    assert fc.mean.shape == (5, 8) and np.isfinite(fc.mean).all()
    assert np.allclose(fc.mean.mean(axis=1), [10 + 3 * i for i in range(5)], rtol=0.35)


def test_without_the_lightgbm_package_a_run_leaves_it_out(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "lightgbm", None)  # import lightgbm now fails
    # in this process: the global models' own child would import the real package
    import functools

    from sales_forecast_ai.engine import global_process, pipeline
    monkeypatch.setattr(pipeline, "run_global_models",
                        functools.partial(global_process.run_global_models, isolate=False))
    result = run_forecast(regular_panel(3, 120), 7, models=["naive", "lightgbm"], folds=1)
    assert any(line.startswith("lightgbm: failed") and "left out" in line for line in result.log), result.log
    assert {s.champion for s in result.series} == {"naive"}


def test_labels_are_capped_only_when_asked():
    panel = intermittent_panel(n=30, length=300, seed=2)
    plain = make("lightgbm", horizon=H).fit(panel)
    capped = make("lightgbm", horizon=H, target_quantile=0.9).fit(panel)
    assert plain.target_cap_ == np.inf and np.isfinite(capped.target_cap_)
    assert capped.predict(H).mean.sum() < plain.predict(H).mean.sum(), "spikes cut: totals lower"


def test_the_ensemble_may_take_it_as_a_member():
    result = run_forecast(regular_panel(4, 200), 7, models=["theta", "lightgbm", "ensemble"], folds=2)
    line = next(line for line in result.log if line.startswith("ensemble:"))
    assert "lightgbm" in line and "theta" in line, line
    assert np.isfinite(result.pooled["ensemble"]["mase"])
