"""The forecaster contract, checked on every registered model (networks with tiny settings).

fit(panel) / predict(h, levels) -> Forecast with mean (n, h) and, per level, lo <= mean <= hi,
all finite and >= 0; deterministic for a seed; any series accepted (empty, 1-3 points,
all-zero, constant, with returns, with NaN); forward() conditions on newer data.
"""
import numpy as np
import pandas as pd
import pytest

from demand_panels import END, awkward_series, mixed_panel, regular_panel
from sales_forecast_ai.engine.models import REGISTRY, make
from sales_forecast_ai.engine.panel import Panel

H = 10
LEVELS = (80, 95)
EXPECTED = {"naive", "seasonal_naive", "moving_average", "linear_trend", "poly_trend", "ets", "theta", "harmonic",
            "croston", "croston_sba", "tsb", "ensemble", "mlp", "cnn", "lstm", "cnn_lstm", "lightgbm"}
TINY_NETWORK = dict(horizon=H, window=14, epochs=1, max_windows=200, units=8, lstm_units=4, filters=4,
                    kernel_size=3, batch_size=64)
MODELS = sorted(REGISTRY)
LOCAL = [m for m in MODELS if REGISTRY[m].family != "neural"]


def build(name, **kw):
    params = dict(TINY_NETWORK) if REGISTRY[name].family == "neural" else {}
    return make(name, seed=0, **{**params, **kw})


def check_forecast(fc, n, h=H, levels=LEVELS):
    assert fc.mean.shape == (n, h)
    assert np.isfinite(fc.mean).all()
    assert (fc.mean >= 0).all()
    assert set(fc.intervals) == set(levels)
    for lvl in levels:
        lo, hi = fc.intervals[lvl]
        assert lo.shape == hi.shape == (n, h)
        assert np.isfinite(lo).all() and np.isfinite(hi).all()
        assert (lo >= 0).all()
        assert (lo <= fc.mean + 1e-9).all() and (fc.mean <= hi + 1e-9).all()


def test_every_expected_model_is_registered():
    assert EXPECTED <= set(REGISTRY), EXPECTED - set(REGISTRY)
    for name, cls in REGISTRY.items():
        assert cls.name == name
        assert cls.family in {"baseline", "statistical", "intermittent", "neural", "gbm", "ensemble"}


@pytest.mark.parametrize("name", MODELS)
def test_contract_on_a_mixed_panel_and_deterministic(name):
    panel = mixed_panel()
    first = build(name).fit(panel).predict(H, LEVELS)
    check_forecast(first, len(panel))
    again = build(name).fit(panel).predict(H, LEVELS)
    assert np.array_equal(first.mean, again.mean), "same seed, same data: same forecast"
    for lvl in LEVELS:
        assert np.array_equal(first.intervals[lvl][0], again.intervals[lvl][0])
        assert np.array_equal(first.intervals[lvl][1], again.intervals[lvl][1])
    degenerate = [i for i, k in enumerate(panel.keys) if k[0] in ("empty", "all_zero")]
    assert np.allclose(first.mean[degenerate], 0.0), "no sales ever: nothing to forecast"


@pytest.mark.parametrize("name", MODELS)
def test_a_panel_of_only_awkward_series(name):
    series = awkward_series()
    panel = Panel([(k, "") for k in series], list(series.values()), END, "D")
    model = build(name).fit(panel)
    check_forecast(model.predict(H, LEVELS), len(panel))
    assert isinstance(model.n_params(), int) and model.n_params() >= 0


@pytest.mark.parametrize("name", LOCAL)
@pytest.mark.parametrize("kind", sorted(awkward_series()))
def test_each_awkward_series_alone(name, kind):
    y = awkward_series()[kind]
    model = build(name).fit(Panel([(kind,)], [y], END, "D"))
    check_forecast(model.predict(H, LEVELS), 1)
    check_forecast(model.predict(1, (50,)), 1, h=1, levels=(50,))


@pytest.mark.parametrize("name", MODELS)
def test_forward_conditions_on_newer_data(name):
    panel = regular_panel(3, 150)
    jump = Panel(panel.keys, [np.concatenate([v[:-21], 4 * v[-21:]]) for v in panel.values], panel.end)
    model = build(name).fit(jump.cut(21))
    before = model.predict(H, LEVELS).mean
    model.forward(jump)
    after = model.predict(H, LEVELS)
    check_forecast(after, len(panel))
    assert after.mean.mean() > 1.3 * before.mean(), "demand quadrupled in the last three weeks"


@pytest.mark.parametrize("name", LOCAL)
def test_predict_any_horizon_and_no_level(name):
    model = build(name).fit(regular_panel(2, 400))
    for h in (1, 7, 90):
        fc = model.predict(h)
        assert fc.mean.shape == (2, h) and fc.intervals == {}
        assert np.isfinite(fc.mean).all() and (fc.mean >= 0).all()


@pytest.mark.parametrize("name", LOCAL)
def test_an_empty_panel(name):
    model = build(name).fit(Panel([], [], END, "D"))
    assert model.predict(H, LEVELS).mean.shape == (0, H)


def test_weekly_pattern_is_followed_by_seasonal_models():
    panel = regular_panel(1, 140)
    days = panel.future_dates(14).dayofweek.to_numpy()
    for name in ("seasonal_naive", "ets", "harmonic"):
        mean = make(name).fit(panel).predict(14).mean[0]
        assert mean[days >= 5].mean() > 1.4 * mean[days < 5].mean(), name


def test_poly_trend_cannot_run_away():
    y = np.concatenate([np.full(50, 10.0), 10 + (np.arange(30) ** 2) / 10])  # accelerating
    mean = make("poly_trend").fit(Panel([("a",)], [y], END)).predict(365).mean[0]
    assert mean.max() <= 1.5 * y.max() + 1e-9


def test_harmonic_regression_learns_public_holidays():
    import holidays

    french = pd.to_datetime(list(holidays.country_holidays("FR", years=[2022, 2023, 2024])))
    dates = pd.date_range(end="2024-04-28", periods=730, freq="D")
    y = np.where(dates.isin(french), 2.0, 20.0)  # the shop is nearly closed on public holidays
    panel = Panel([("a",)], [y], dates[-1], "D", country="FR")
    mean = make("harmonic").fit(panel).predict(14).mean[0]
    holiday = panel.future_dates(14).isin(french)  # 1, 8 and 9 May 2024 (Ascension)
    assert holiday.sum() == 3
    assert mean[holiday].max() < 6 and mean[~holiday].min() > 15
    plain = make("harmonic", holidays=False).fit(panel).predict(14).mean[0]
    assert plain[holiday].min() > 15  # without the holiday term it cannot know
