"""run_forecast end to end: statuses, champions, bands, coverage, progress, failures, determinism."""
import numpy as np
import pytest

from demand_panels import END, intermittent_series, mixed_panel, regular_panel, seasonal_series
from sales_forecast_ai.engine import run_forecast
from sales_forecast_ai.engine.models.base import REGISTRY, Forecaster
from sales_forecast_ai.engine.panel import Panel
from sales_forecast_ai.engine.results import METRICS, RunCancelled

FAST = ["naive", "seasonal_naive", "moving_average", "linear_trend", "harmonic", "ets", "croston_sba", "tsb"]
H = 14


class Exploding(Forecaster):
    name = "test_exploding"

    def fit(self, panel):
        raise RuntimeError("boom")


class CancelledWhileFitting(Forecaster):
    name = "test_cancelled"

    def fit(self, panel):
        raise RunCancelled()


class FailsOn999(Forecaster):
    name = "test_fails_on_999"

    def _fit_one(self, y):
        if (y == 999).any():
            raise ValueError("999 seen")
        return float(y[-1]) if len(y) else 0.0

    def _predict_one(self, state, h):
        return np.full(h, state)


class CountingGlobal(Forecaster):
    name = "test_counting_global"
    is_global = True
    fits = forwards = 0

    def fit(self, panel):
        type(self).fits += 1
        return super().fit(panel)

    def forward(self, panel):
        type(self).forwards += 1
        return super().fit(panel)

    def _fit_one(self, y):
        return float(y[-7:].mean()) if len(y) else 0.0

    def _predict_one(self, state, h):
        return np.full(h, state)


@pytest.fixture
def fakes():
    CountingGlobal.fits = CountingGlobal.forwards = 0
    for cls in (Exploding, CountingGlobal, FailsOn999, CancelledWhileFitting):
        REGISTRY[cls.name] = cls
    yield
    for cls in (Exploding, CountingGlobal, FailsOn999, CancelledWhileFitting):
        REGISTRY.pop(cls.name, None)


@pytest.fixture(scope="module")
def mixed_result():
    return mixed_panel(200), run_forecast(mixed_panel(200), H, models=FAST + ["ensemble"])


def by_key(result):
    return {s.key[0]: s for s in result.series}


def test_every_series_gets_a_forecast_with_ordered_bands(mixed_result):
    panel, result = mixed_result
    assert [s.key for s in result.series] == panel.keys
    assert result.horizon == H and result.levels == (80, 95) and result.freq == "D"
    for s in result.series:
        assert s.forecast.shape == (H,) and np.isfinite(s.forecast).all() and (s.forecast >= 0).all()
        assert list(s.dates) == list(panel.future_dates(H))
        lo80, hi80 = s.intervals[80]
        lo95, hi95 = s.intervals[95]
        assert (0 <= lo95).all() and (lo95 <= lo80 + 1e-9).all() and (lo80 <= s.forecast + 1e-9).all()
        assert (s.forecast <= hi80 + 1e-9).all() and (hi80 <= hi95 + 1e-9).all()
        assert s.totals == {7: pytest.approx(s.forecast[:7].sum())}
        assert s.trend in ("UP", "DOWN", "STABLE") and 0.0 <= s.confidence <= 1.0


def test_statuses_and_messages_of_awkward_series(mixed_result):
    _, result = mixed_result
    s = by_key(result)
    assert s["empty"].status == "empty" and "no history" in s["empty"].message
    assert s["all_zero"].status == "all_zero" and "no sale in 60 days" in s["all_zero"].message
    for name in ("empty", "all_zero"):
        assert s[name].champion is None and not s[name].forecast.any() and s[name].confidence == 0.0
    for name in ("one_point", "two_points", "three_points"):
        assert s[name].status == "short_history", name
        assert "too short to backtest" in s[name].message
        assert s[name].champion == "moving_average" and "fallback" in s[name].reason
    assert s["one_point"].forecast == pytest.approx(np.full(H, 4.0))
    assert s["constant"].status == "ok" and "constant history (6 per day)" in s["constant"].message
    assert s["constant"].forecast == pytest.approx(np.full(H, 6.0))
    assert s["negative_returns"].status == "ok" and "returns" in s["negative_returns"].message
    assert s["with_nan"].status == "ok" and "3 missing value(s) counted as no sale" in s["with_nan"].message


def test_champions_reasons_scores_and_classes(mixed_result):
    _, result = mixed_result
    regular = [s for s in result.series if s.key[0].startswith("item")]
    for s in regular:
        assert s.champion in FAST + ["ensemble"]
        assert s.reason.startswith(("won on MASE", "default of its demand group"))
        assert s.demand_class in ("smooth", "erratic")
        assert set(s.scores) == set(FAST + ["ensemble"])
        assert set(s.scores[s.champion]) == set(METRICS)
        assert np.isfinite(s.scores[s.champion]["mase"]) and s.residual_std > 0
        assert set(s.coverage) == {80, 95}
    slow = by_key(result)["slow"]
    assert slow.demand_class in ("intermittent", "lumpy") and slow.champion not in ("naive", "linear_trend")


def test_pooled_scores_wins_and_summaries(mixed_result):
    _, result = mixed_result
    assert set(result.pooled) == set(FAST + ["ensemble"])
    for name, p in result.pooled.items():
        assert set(METRICS) <= set(p) and p["n_params"] >= 0 and "family" in p
        assert 0.0 <= p["coverage_95"] <= 1.0
    assert sum(p["wins"] for p in result.pooled.values()) == sum(s.champion is not None for s in result.series)
    assert result.pooled["harmonic"]["n_params"] > result.pooled["naive"]["n_params"]
    assert 0.5 <= result.coverage[95] <= 1.0 and result.coverage[80] <= result.coverage[95]
    assert np.isfinite(result.champion_scores["mase"])
    assert result.timings["total"] > 0 and "model harmonic" in result.timings
    assert any("ensemble: mean of" in line for line in result.log)


def test_progress_runs_forward_to_one():
    calls = []
    run_forecast(regular_panel(3, 120), 7, models=["naive", "harmonic"],
                 progress=lambda phase, fraction, message: calls.append((phase, fraction, message)))
    fractions = [f for _, f, _ in calls]
    assert fractions == sorted(fractions) and fractions[0] >= 0.0 and fractions[-1] == 1.0
    assert {"prepare", "backtest", "select", "intervals"} <= {p for p, _, _ in calls}
    assert any("harmonic" in m for _, _, m in calls)


def test_a_broken_progress_callback_is_ignored():
    def broken(*args):
        raise OSError("display gone")

    result = run_forecast(regular_panel(2, 80), 7, models=["naive"], progress=broken)
    assert all(s.status == "ok" for s in result.series)


def test_cancelling_is_not_a_model_failure(fakes):
    with pytest.raises(RunCancelled):
        run_forecast(regular_panel(2, 80), 7, models=["naive", CancelledWhileFitting.name])

    def cancel(phase, fraction, message):
        if phase == "backtest":
            raise RunCancelled()

    with pytest.raises(RunCancelled):
        run_forecast(regular_panel(2, 80), 7, models=["naive"], progress=cancel)


def test_a_crashing_model_is_logged_and_the_others_carry_on(fakes):
    result = run_forecast(regular_panel(3, 120), 7, models=["naive", Exploding.name, "seasonal_naive"])
    assert all(s.status == "ok" and s.champion in ("naive", "seasonal_naive") for s in result.series)
    assert any(Exploding.name in line and "boom" in line for line in result.log)


def test_a_series_every_model_fails_on_gets_a_status_not_an_exception(fakes):
    panel = regular_panel(3, 120)
    panel.values[1][-1] = 999.0
    result = run_forecast(panel, 7, models=[FailsOn999.name])
    bad = result.series[1]
    assert bad.status == "failed" and "every candidate failed" in bad.message
    assert bad.forecast == pytest.approx(np.full(7, panel.values[1][-7:].mean()))
    assert (bad.intervals[95][0] <= bad.forecast).all() and (bad.forecast < bad.intervals[95][1]).all()
    assert [s.status for s in (result.series[0], result.series[2])] == ["ok", "ok"]


def test_champion_failing_at_the_end_hands_over_to_the_next(fakes):
    # Steady ramps: the last value (the fake) beats the value a week ago in every backtest fold.
    values = [50 + 0.5 * np.arange(120.0) for _ in range(3)]
    values[1][-1] = 999.0  # the backtest origins never see it; the final forecast does
    panel = Panel([(f"s{i}",) for i in range(3)], values, END)
    result = run_forecast(panel, 7, models=["seasonal_naive", FailsOn999.name])
    assert result.series[0].champion == FailsOn999.name
    s = result.series[1]
    assert s.status == "ok" and s.champion == "seasonal_naive"
    assert "could not forecast it at the end" in s.reason and "next in the ranking" in s.reason
    assert any(f"{FailsOn999.name} failed at the final origin" in line for line in result.log)


def test_a_global_model_trains_once_for_the_backtest_and_refits_for_the_final_forecast(fakes, monkeypatch):
    # In-process, so the calls are counted here (the pipeline runs global models in a child process).
    from functools import partial

    from sales_forecast_ai.engine import pipeline
    monkeypatch.setattr(pipeline, "run_global_models", partial(pipeline.run_global_models, isolate=False))
    result = run_forecast(regular_panel(3, 120), 7, folds=3, models=["naive", CountingGlobal.name])
    # fit at the earliest origin, forward at the 2 later ones, refit (= fit here) on the full history
    assert (CountingGlobal.fits, CountingGlobal.forwards) == (2, 2)
    assert CountingGlobal.name in result.pooled


def test_same_seed_same_result():
    panel = regular_panel(4, 150)
    a = run_forecast(panel, H, models=FAST, seed=3)
    b = run_forecast(panel, H, models=FAST, seed=3)
    for x, y in zip(a.series, b.series):
        assert x.champion == y.champion and np.array_equal(x.forecast, y.forecast)
        assert np.array_equal(x.intervals[95][1], y.intervals[95][1])


def test_without_backtest_and_with_one_fold():
    panel = regular_panel(6, 150)
    none = run_forecast(panel, 7, folds=0, models=FAST)
    assert all(s.champion == "harmonic" and "folds=0" in s.reason for s in none.series)
    assert none.coverage == {} and all(np.isnan(p["mase"]) for p in none.pooled.values())
    assert all((s.intervals[95][1] >= s.forecast).all() for s in none.series)
    one = run_forecast(panel, 7, folds=1, models=FAST)
    assert all(s.reason.startswith(("won on", "default")) for s in one.series)
    assert 0.0 <= one.coverage[95] <= 1.0  # measured with the series split in halves


@pytest.mark.parametrize("freq, length, h, m", [("W", 156, 13, 52), ("M", 48, 6, 12)])
def test_weekly_and_monthly_panels(freq, length, h, m):
    rng = np.random.default_rng(0)
    t = np.arange(length)
    values = [rng.poisson(20 * (1 + 0.4 * np.sin(2 * np.pi * t / m + i))).astype(float) for i in range(6)]
    panel = Panel([(f"s{i}",) for i in range(6)], values, END, freq)
    result = run_forecast(panel, h, models=FAST + ["theta", "ensemble"])
    assert all(s.status == "ok" and len(s.forecast) == h for s in result.series)
    assert result.pooled["harmonic"]["mase"] < result.pooled["naive"]["mase"]
    assert set(result.series[0].totals) == {7, 30, 90}  # 13 weeks or 6 months cover 90 days


def test_other_metric_and_levels():
    result = run_forecast(regular_panel(3, 120), 7, models=["naive", "seasonal_naive"], metric="rmse", levels=(50, 90))
    assert all("RMSE" in s.reason for s in result.series)
    assert all(set(s.intervals) == {50, 90} for s in result.series)


@pytest.mark.parametrize("kwargs, match", [
    (dict(horizon=0), "horizon"), (dict(horizon=2.5), "horizon"), (dict(folds=-1), "folds"),
    (dict(metric="mape"), "unknown metric"), (dict(models=["nope"]), "unknown model"),
    (dict(levels=(80, 100)), "levels"), (dict(step=0), "step"),
])
def test_bad_arguments_are_clear_errors(kwargs, match):
    args = dict(horizon=7)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        run_forecast(regular_panel(1, 60), args.pop("horizon"), **args)


def test_calibrated_bands_and_champions_hold_out_of_sample():
    """Hold out the last horizon: the champions beat the seasonal naive and the 80/95% bands
    cover close to their level on data they never saw."""
    n, length, h = 60, 240, 14
    values = [seasonal_series(length, level=4 + i % 7 * 6, seed=100 + i, trend=0.4 * ((i % 5) - 2) / 2)
              for i in range(n - 10)] + [intermittent_series(length, 0.3, seed=200 + i) for i in range(10)]
    keys = [(f"s{i}",) for i in range(n)]
    train = Panel(keys, [v[:-h] for v in values], END - h * Panel(keys, values, END).offset)
    actual = np.array([v[-h:] for v in values])
    result = run_forecast(train, h, models=["seasonal_naive", "moving_average", "harmonic", "ets", "croston_sba"])
    fc = np.array([s.forecast for s in result.series])
    snaive = np.array([np.resize(v[-h - 7:-h], h) for v in values])
    assert np.abs(actual - fc).mean() < 0.9 * np.abs(actual - snaive).mean()
    for lvl, (low, high) in {80: (0.70, 0.92), 95: (0.88, 0.995)}.items():
        lo = np.array([s.intervals[lvl][0] for s in result.series])
        hi = np.array([s.intervals[lvl][1] for s in result.series])
        inside = ((actual >= lo) & (actual <= hi)).mean()
        assert low <= inside <= high, (lvl, inside)


def test_champion_score_is_scored_on_a_fold_the_selection_never_saw():
    """The honest score: champions picked on the earlier folds, scored on the last one."""
    panel = mixed_panel(120)
    models = ["naive", "seasonal_naive", "moving_average", "harmonic", "ets", "croston_sba", "ensemble"]
    result = run_forecast(panel, H, folds=3, models=models)
    held = [s.holdout for s in result.series]
    assert sum(bool(h) for h in held) >= len(held) // 2
    for s in result.series:
        if s.status in ("empty", "all_zero"):
            assert s.holdout == {}
    # Same picks when only the last fold's actuals change: the replay never looked at them.
    changed = Panel(panel.keys, [np.concatenate([v[:-H], v[-H:] * 3]) if len(v) > 3 * H else v
                                 for v in panel.values], panel.end)
    other = run_forecast(changed, H, folds=3, models=models)
    same_class = [a.demand_class == b.demand_class for a, b in zip(result.series, other.series)]
    assert sum(same_class) >= len(same_class) // 2  # (the demand class reads the whole history)
    for a, b, same in zip(result.series, other.series, same_class):
        if same:
            assert a.holdout.get("model") == b.holdout.get("model"), a.key
    # ... and the scores are those of the picks on that last fold.
    assert result.champion_scores != other.champion_scores
    assert set(result.champion_scores) == set(METRICS) and np.isfinite(result.champion_scores["mase"])
    assert set(result.champion_scores_in_sample) == set(METRICS)
    one_fold = run_forecast(panel, H, folds=1, models=["naive", "seasonal_naive"])
    assert np.isnan(one_fold.champion_scores["mase"]) and all(s.holdout == {} for s in one_fold.series)


def test_honest_score_is_not_flattered_by_picking_among_noise():
    """Twelve forecasters of pure noise: the in-sample champion looks better than it is, the
    held-out score does not (it is that of one noisy model on new data)."""
    panel = regular_panel(150, 160)
    names = [f"test_noise_{k}" for k in range(12)]
    for k, name in enumerate(names):
        REGISTRY[name] = type(name, (NoisyLevel,), {"name": name, "offset": k})
    try:
        result = run_forecast(panel, H, folds=3, models=names)
    finally:
        for name in names:
            REGISTRY.pop(name)
    mean_model = np.mean([result.pooled[n]["mase"] for n in names])
    assert result.champion_scores_in_sample["mase"] < 0.97 * mean_model
    assert result.champion_scores["mase"] > 0.97 * mean_model


class NoisyLevel(Forecaster):
    """The recent mean times a random factor per series and origin (a model with no skill)."""

    name = "test_noisy_level"
    offset = 0
    calls = 0

    def fit(self, panel):
        self._panel = panel
        rng = np.random.default_rng(1000 * self.offset + sum(len(v) for v in panel.values))
        self._level = np.array([np.mean(v[-28:]) for v in panel.values]) * rng.uniform(0.6, 1.4, len(panel))
        self._sigmas = np.ones(len(panel))
        return self

    def _predict_mean(self, h):
        return np.repeat(self._level[:, None], h, axis=1)
