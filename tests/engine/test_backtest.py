"""Rolling-origin backtest: windows, fit-once for global models, no look-ahead, failure isolation."""
import numpy as np
import pytest

from demand_panels import END, regular_panel
from sales_forecast_ai.engine.backtest import MIN_TRAIN, Backtest, fold_actuals, fold_cuts, run_model
from sales_forecast_ai.engine.metrics import mase_scale
from sales_forecast_ai.engine.models.base import REGISTRY, Forecaster
from sales_forecast_ai.engine.panel import Panel

LEVELS = (80, 95)


class LastValue(Forecaster):
    """Forecasts the last value and records every call, to see what the backtest does."""

    name = "test_last_value"
    calls: list = []

    def fit(self, panel):
        type(self).calls.append(("fit", [len(v) for v in panel.values]))
        return super().fit(panel)

    def forward(self, panel):
        type(self).calls.append(("forward", [len(v) for v in panel.values]))
        return super().fit(panel)

    def _fit_one(self, y):
        if (y == 999).any():
            raise ValueError("cannot handle 999")
        return float(y[-1]) if len(y) else 0.0

    def _predict_one(self, state, h):
        return np.full(h, state)


class GlobalLastValue(LastValue):
    name = "test_global_last_value"
    is_global = True
    calls: list = []


class NaNForSecond(LastValue):
    name = "test_nan_second"
    calls: list = []

    def _predict_mean(self, h):
        mean = super()._predict_mean(h)
        mean[1] = np.nan
        return mean

    def predict(self, h, level=()):
        fc = super().predict(h, level)
        fc.mean = self._predict_mean(h)  # the base class would turn NaN into 0; keep it visible
        return fc


@pytest.fixture
def fakes():
    for cls in (LastValue, GlobalLastValue, NaNForSecond):
        cls.calls = []
        REGISTRY[cls.name] = cls
    yield
    for cls in (LastValue, GlobalLastValue, NaNForSecond):
        REGISTRY.pop(cls.name, None)


def ramp_panel(lengths=(100, 100, 25)) -> Panel:
    return Panel([(f"s{i}",) for i in range(len(lengths))], [np.arange(n, dtype=float) + 1 for n in lengths], END)


def new_backtest(panel, folds=2, h=7, step=None):
    cuts = fold_cuts(folds, h, step)
    actual, scale = fold_actuals(panel, cuts, h)
    return Backtest(cuts, h, actual, scale)


def test_origins_are_spaced_by_the_horizon_or_the_step():
    assert fold_cuts(2, 7) == [14, 7]
    assert fold_cuts(3, 28) == [84, 56, 28]
    assert fold_cuts(2, 7, step=3) == [6, 3]
    assert fold_cuts(0, 7) == []


def test_fold_windows_and_scales():
    panel = ramp_panel((100, 100, 25))
    actual, scale = fold_actuals(panel, [14, 7], 7)
    y = panel.values[0]
    assert np.array_equal(actual[0, 0], y[86:93]) and np.array_equal(actual[1, 0], y[93:100])
    assert scale[0, 0] == pytest.approx(mase_scale(y[:86], 7))
    # 25 values: 25 - 14 = 11 < MIN_TRAIN before the first origin, 18 >= 14 before the second
    assert MIN_TRAIN["D"] == 14
    assert np.isnan(actual[0, 2]).all() and np.array_equal(actual[1, 2], panel.values[2][18:25])


def test_windows_past_the_end_are_skipped():
    actual, _ = fold_actuals(ramp_panel((100,)), [3], 7)  # an origin 3 days before the end, h = 7
    assert np.isnan(actual).all()


def test_local_models_refit_at_every_origin(fakes):
    panel = ramp_panel()
    bt = new_backtest(panel)
    run_model(bt, LastValue.name, panel, LEVELS)
    assert [c[0] for c in LastValue.calls] == ["fit", "fit", "fit"]
    assert LastValue.calls[0][1] == [86, 86, 11]  # fitted on data up to the earliest origin
    # last-value forecasts from each origin
    assert np.all(bt.forecasts[LastValue.name][0, 0] == 86) and np.all(bt.forecasts[LastValue.name][1, 0] == 93)
    assert np.all(bt.final[LastValue.name][0] == 100)
    assert np.isnan(bt.forecasts[LastValue.name][0, 2]).all()  # not in that fold: no score there


def test_global_models_train_once_forward_then_refit_on_the_full_history(fakes):
    panel = ramp_panel()
    bt = new_backtest(panel, folds=3)
    run_model(bt, GlobalLastValue.name, panel, LEVELS)
    # Backtest: trained at the earliest origin, rolled forward; the final forecast re-estimates
    # on everything (Forecaster.refit defaults to fit).
    assert [c[0] for c in GlobalLastValue.calls] == ["fit", "forward", "forward", "fit"]
    assert GlobalLastValue.calls[0][1] == [79, 79, 4]
    assert GlobalLastValue.calls[-1][1] == [100, 100, 25]


def test_final_forecast_of_rolled_forward_models_is_estimated_on_the_latest_data():
    """ETS/Theta are estimated at the earliest origin for the backtest, but the final forecast
    comes from parameters re-estimated on the full history (same as a fresh fit there)."""
    from sales_forecast_ai.engine.models import make

    panel = regular_panel(4, 300)
    # The last 60 days double: a model stuck with old parameters would lag behind.
    panel = Panel(panel.keys, [np.concatenate([v[:-60], v[-60:] * 2]) for v in panel.values], panel.end)
    for name in ("ets", "theta"):
        bt = new_backtest(panel, folds=2)
        run_model(bt, name, panel, LEVELS)
        fresh = make(name, season_length=7).fit(panel).predict(7, LEVELS).mean
        np.testing.assert_allclose(bt.final[name], fresh, rtol=1e-9, err_msg=name)
        stale = make(name, season_length=7).fit(panel.cut(14)).forward(panel).predict(7, LEVELS).mean
        assert not np.allclose(bt.final[name], stale), name


def test_no_look_ahead():
    """Changing the data after an origin cannot change the forecasts made from it."""
    panel = regular_panel(3, 200)
    changed = Panel(panel.keys, [np.concatenate([v[:-7], v[-7:] * 5]) for v in panel.values], panel.end)
    for name in ("harmonic", "ets", "seasonal_naive"):
        a, b = new_backtest(panel), new_backtest(changed)
        run_model(a, name, panel, LEVELS)
        run_model(b, name, changed, LEVELS)
        assert np.array_equal(a.forecasts[name][0], b.forecasts[name][0]), name
        assert not np.array_equal(a.final[name], b.final[name]), name


def test_one_bad_series_does_not_break_the_others(fakes):
    values = [np.arange(60, dtype=float) + 1 for _ in range(3)]
    values[1][-1] = 999.0  # only in the final origin's data
    panel = Panel([("a",), ("b",), ("c",)], values, END)
    bt, log = new_backtest(panel), []
    run_model(bt, LastValue.name, panel, LEVELS, log=log)
    assert np.isnan(bt.final[LastValue.name][1]).all()
    assert np.all(bt.final[LastValue.name][[0, 2]] == 60)
    assert "cannot handle 999" in bt.failures[LastValue.name][1]
    assert set(bt.failures[LastValue.name]) == {1}
    assert any("series by series" in line for line in log)
    assert np.isfinite(bt.forecasts[LastValue.name]).all()  # the backtest folds were fine


def test_a_failing_global_model_is_left_out(fakes):
    values = [np.arange(60, dtype=float) + 1 for _ in range(2)]
    values[0][10] = 999.0
    panel = Panel([("a",), ("b",)], values, END)
    bt, log = new_backtest(panel), []
    run_model(bt, GlobalLastValue.name, panel, LEVELS, log=log)
    assert GlobalLastValue.name not in bt.final
    assert len(bt.failures[GlobalLastValue.name]) == 2
    assert any("left out" in line for line in log)


def test_nan_forecasts_count_as_failures(fakes):
    panel = ramp_panel((60, 60, 60))
    bt = new_backtest(panel)
    run_model(bt, NaNForSecond.name, panel, LEVELS)
    assert "no finite forecast" in bt.failures[NaNForSecond.name][1]
    assert np.isnan(bt.final[NaNForSecond.name][1]).all() and np.isfinite(bt.final[NaNForSecond.name][0]).all()


def test_unknown_model_parameters_are_reported_not_raised():
    panel = ramp_panel((60,))
    bt, log = new_backtest(panel), []
    run_model(bt, "moving_average", panel, LEVELS, params={"window": "seven"}, log=log)
    assert "moving_average" not in bt.final and any("cannot be created" in line for line in log)
