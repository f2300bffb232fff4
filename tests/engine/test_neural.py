"""The four global networks: tiny, fast configurations that still exercise real training."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sales_forecast_ai.engine.features import future_dim
from sales_forecast_ai.engine.models.base import REGISTRY, make
from sales_forecast_ai.engine.models.neural import architecture_params
from sales_forecast_ai.engine.panel import Panel

ARCHS = ("mlp", "cnn", "lstm", "cnn_lstm")
TINY = dict(horizon=7, window=14, epochs=2, max_windows=600, units=8, lstm_units=4, filters=4, kernel_size=3)
END = pd.Timestamp("2024-06-30")


def weekly_panel(n=12, length=120, seed=0, freq="D"):
    """Poisson demand with a strong weekday pattern and a different level per series."""
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    shape = np.array([0.6, 0.8, 1.0, 1.0, 1.2, 1.9, 0.5])
    values = [rng.poisson(rng.uniform(2, 40) * shape[t % 7]).astype(float) for _ in range(n)]
    return Panel([(f"item{i}", "WH") for i in range(n)], values, END, freq, "FR")


def tiny(arch, **kw):
    return make(arch, **{**TINY, **kw})


def test_importing_the_models_does_not_import_tensorflow():
    code = ("import sys; import sales_forecast_ai.engine.models.neural, sales_forecast_ai.engine.features; "
            "bad = [m for m in ('tensorflow', 'keras') if m in sys.modules]; assert not bad, bad")
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_tensorflow_runs_on_at_most_two_threads():
    from sales_forecast_ai.engine.models.neural_architectures import tf_modules

    tf, keras = tf_modules()
    assert 1 <= tf.config.threading.get_intra_op_parallelism_threads() <= 2
    assert 1 <= tf.config.threading.get_inter_op_parallelism_threads() <= 2
    assert keras.backend.backend() == "tensorflow"


def test_the_four_networks_are_registered_as_global_neural_models():
    for arch in ARCHS:
        cls = REGISTRY[arch]
        assert cls.family == "neural" and cls.is_global and cls.name == arch


@pytest.mark.parametrize("arch", ARCHS)
def test_smoke_each_architecture(arch):
    panel = weekly_panel()
    model = tiny(arch).fit(panel)
    fc = model.predict(7, level=(80, 95))
    assert model.status == "ok" and model.epochs_run == 2
    assert fc.mean.shape == (12, 7) and np.isfinite(fc.mean).all() and (fc.mean >= 0).all()
    lo80, hi80 = fc.intervals[80]
    lo95, hi95 = fc.intervals[95]
    assert (lo95 <= lo80).all() and (lo80 <= fc.mean).all() and (fc.mean <= hi80).all() and (hi80 <= hi95).all()
    assert (hi95 > lo95).any()
    assert model.n_params() == model.model_.count_params() > 0
    assert model.model_.name == arch
    # Train/validation RMSE in units of the series: demand here is ~2..76 a day.
    assert 0 < model.rmse_train < 60 and 0 < model.rmse_val < 60
    assert model.n_train_windows > 0 and model.n_val_windows > 0


def test_parameter_counts_are_reported_without_training():
    # MLP by hand: flattened history (2 channels) and calendar into `units`, then one output per step.
    L, h, u = 28, 30, 128
    inputs = 2 * L + future_dim("D", h)
    assert architecture_params("mlp", "D") == (inputs + 1) * u + (u + 1) * h
    counts = {arch: architecture_params(arch, "D") for arch in ARCHS}
    assert len(set(counts.values())) == 4 and min(counts.values()) > 1000
    assert make("cnn").n_params() == counts["cnn"]  # an unfitted model reports its default network


def test_intervals_follow_each_series_own_validation_errors():
    rng = np.random.default_rng(11)
    t = np.arange(150)
    calm = [20 + 5 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 0.5, 150) for _ in range(8)]
    wild = [np.maximum(0, 20 + 5 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 8, 150)) for _ in range(8)]
    panel = Panel([(i, "s") for i in range(16)], calm + wild, END, "D", None)
    fc = make("mlp", horizon=7, window=14, epochs=20).fit(panel).predict(7, (95,))
    width = (fc.intervals[95][1] - fc.intervals[95][0]).mean(axis=1)
    assert width[8:].min() > 2 * width[:8].max()


def test_rare_huge_orders_do_not_inflate_everyone_elses_forecast():
    rng = np.random.default_rng(12)
    smooth = [rng.poisson(20, 150).astype(float) for _ in range(10)]
    lumpy = []
    for _ in range(4):  # mostly nothing, now and then a wholesale order of thousands
        y = rng.poisson(0.05, 150).astype(float)
        y[rng.choice(150, 4, replace=False)] = 5000.0
        lumpy.append(y)
    panel = Panel([(i, "s") for i in range(14)], smooth + lumpy, END, "D", None)
    model = make("mlp", horizon=7, window=14, epochs=8).fit(panel)
    fc = model.predict(7).mean
    assert model.target_cap_ < 100
    # Uncapped, the smooth sellers' forecasts came out ~25 (+24%) on this very panel.
    assert abs(fc[:10].mean() - 20) < 2


def test_same_seed_same_forecast_to_the_last_digit():
    panel = weekly_panel(seed=3)
    first = tiny("cnn_lstm", seed=7).fit(panel).predict(7, (95,))
    other = tiny("cnn_lstm", seed=8).fit(panel).predict(7, (95,))
    again = tiny("cnn_lstm", seed=7).fit(panel).predict(7, (95,))
    np.testing.assert_array_equal(first.mean, again.mean)
    np.testing.assert_array_equal(first.intervals[95][1], again.intervals[95][1])
    assert not np.array_equal(first.mean, other.mean)


def test_a_trained_network_is_not_disturbed_by_training_another():
    panel = weekly_panel(seed=4)
    a = tiny("mlp", seed=1).fit(panel)
    before = a.predict(7).mean
    tiny("lstm", seed=2).fit(panel)
    np.testing.assert_array_equal(a.predict(7).mean, before)


def test_mlp_learns_the_weekly_pattern():
    """Held-out week: the trained network must beat each series' flat recent mean."""
    panel = weekly_panel(n=30, length=200, seed=5)
    train = panel.cut(7)
    model = make("mlp", horizon=7, window=14, epochs=15, seed=0).fit(train)
    actual = np.vstack([v[-7:] for v in panel.values])
    flat = np.vstack([np.full(7, v[-14:].mean()) for v in train.values])
    err_net = np.abs(model.predict(7).mean - actual).mean()
    err_flat = np.abs(flat - actual).mean()
    assert err_net < 0.85 * err_flat


def test_forward_conditions_on_new_data_without_retraining():
    panel = weekly_panel(seed=6)
    model = tiny("cnn").fit(panel.cut(7))
    at_fit = model.predict(7).mean
    weights = [w.copy() for w in model.model_.get_weights()]
    later = model.forward(panel).predict(7).mean
    assert all(np.array_equal(a, b) for a, b in zip(weights, model.model_.get_weights()))
    assert not np.array_equal(later, at_fit)
    np.testing.assert_array_equal(model.forward(panel.cut(7)).predict(7).mean, at_fit)
    # A panel with a series the network never saw still forecasts (pooled error scale).
    extra = Panel(panel.keys + [("new", "WH")], panel.values + [panel.values[0] * 2], panel.end, "D", "FR")
    fc = model.forward(extra).predict(7, (95,))
    assert fc.mean.shape == (13, 7) and np.isfinite(fc.intervals[95][1]).all()


def test_other_horizons_truncate_or_extend_by_blocks():
    model = tiny("mlp").fit(weekly_panel(seed=7))
    full = model.predict(7, (80,))
    np.testing.assert_array_equal(model.predict(3).mean, full.mean[:, :3])
    long = model.predict(17, (80,))
    assert long.mean.shape == (12, 17) and np.isfinite(long.mean).all()
    np.testing.assert_array_equal(long.mean[:, :7], full.mean)
    width = long.intervals[80][1] - long.intervals[80][0]
    assert (width[:, 16] >= width[:, 6] - 1e-9).all()  # further out, no narrower
    assert model.predict(0).mean.shape == (12, 0)


def test_degenerate_series_inside_a_panel_are_forecast():
    base = weekly_panel(n=6, seed=8)
    values = base.values + [np.zeros(120), np.array([]), np.array([3.0, 5.0]), np.full(120, np.nan),
                            np.r_[np.full(60, np.nan), np.full(60, 4.0)]]
    keys = base.keys + [("zero", "WH"), ("empty", "WH"), ("short", "WH"), ("nan", "WH"), ("half", "WH")]
    model = tiny("lstm").fit(Panel(keys, values, END, "D", "FR"))
    fc = model.predict(7, (80, 95))
    assert fc.mean.shape == (11, 7) and np.isfinite(fc.mean).all() and (fc.mean >= 0).all()
    for lvl in (80, 95):
        assert all(np.isfinite(b).all() for b in fc.intervals[lvl])
    np.testing.assert_array_equal(fc.mean[6:8], 0.0)  # never sold, or no history: forecast zero
    np.testing.assert_array_equal(fc.mean[9], 0.0)  # unknown (NaN) days count as no sale
    assert fc.mean[8].max() > 0  # two days of history are enough to forecast something


def test_empty_panel_and_single_series_panel():
    empty = Panel([], [], END, "D", "FR")
    model = tiny("mlp").fit(empty)
    fc = model.predict(7, (95,))
    assert fc.mean.shape == (0, 7) and fc.intervals[95][0].shape == (0, 7)
    assert model.status == "fallback" and model.model_ is None
    one = weekly_panel(n=1, seed=9)
    fc = tiny("cnn_lstm").fit(one).predict(7, (95,))
    assert fc.mean.shape == (1, 7) and np.isfinite(fc.mean).all() and fc.mean.sum() > 0


def test_panel_too_short_to_train_falls_back_to_the_recent_mean():
    panel = Panel([("a", "x"), ("b", "x"), ("c", "x")], [np.array([4.0, 6.0]), np.zeros(3), np.array([1.0])],
                  END, "D", None)
    model = tiny("cnn").fit(panel)
    assert model.status == "fallback" and "recent mean" in model.message
    fc = model.predict(7, (95,))
    np.testing.assert_allclose(fc.mean, [[5.0] * 7, [0.0] * 7, [1.0] * 7])
    assert (fc.intervals[95][1][0] > 5.0).all()


@pytest.mark.parametrize("freq", ["W", "M"])
def test_weekly_and_monthly_panels_use_their_own_defaults(freq):
    rng = np.random.default_rng(10)
    n_obs = 120 if freq == "W" else 60
    panel = Panel([(i, "s") for i in range(5)], [rng.poisson(20, n_obs).astype(float) for _ in range(5)],
                  pd.Timestamp("2024-06-03" if freq == "W" else "2024-06-01"), freq, "DE")
    model = make("mlp", epochs=2, units=8).fit(panel)
    assert model.window_ == {"W": 26, "M": 12}[freq] and model.horizon_ == {"W": 13, "M": 6}[freq]
    fc = model.predict(model.horizon_, (80,))
    assert np.isfinite(fc.mean).all() and fc.mean.shape == (5, model.horizon_)


def test_refit_warm_starts_on_the_latest_data_and_release_frees_the_network():
    panel = weekly_panel(seed=8, length=160)
    # The last 30 days double: the weights trained at the earliest origin never saw that.
    panel = Panel(panel.keys, [np.concatenate([v[:-30], v[-30:] * 2]) for v in panel.values], END, "D", "FR")
    model = tiny("mlp", epochs=4, refit_epochs=3).fit(panel.cut(30))
    before = [w.copy() for w in model.model_.get_weights()]
    rolled = model.forward(panel).predict(7).mean
    model.refit(panel)
    after = model.model_.get_weights()
    assert model.refit_epochs_run >= 1
    moved = not all(np.array_equal(a, b) for a, b in zip(before, after))
    refit = model.predict(7).mean
    # Either the fine-tuning improved validation on the latest origins (weights moved, forecast
    # changed), or the starting weights were kept and the forecast is the rolled-forward one.
    assert moved != np.array_equal(refit, rolled)
    n_params = model.n_params()
    model.release()
    assert model.model_ is None and model._trainer is None and model.n_params() == n_params
    # No refit asked: the rolled-forward forecast.
    frozen = tiny("mlp", epochs=4, refit_epochs=0).fit(panel.cut(30))
    np.testing.assert_array_equal(frozen.refit(panel).predict(7).mean, rolled)


def test_a_network_trained_by_blocks_of_series_gives_the_same_forecast(monkeypatch):
    from sales_forecast_ai.engine.models import neural

    panel = weekly_panel(n=9, length=100)
    whole = tiny("mlp", seed=1).fit(panel).predict(7, (95,))
    monkeypatch.setattr(neural, "SERIES_CHUNK", 4)
    model = tiny("mlp", seed=1)
    blocks = model.fit(panel).predict(7, (95,))
    assert isinstance(model._windows(panel), neural.ChunkedPanelWindows)
    np.testing.assert_array_equal(whole.mean, blocks.mean)
    np.testing.assert_array_equal(whole.intervals[95][1], blocks.intervals[95][1])
