"""Inputs a network never saw in training are masked in its forecasts (models/unseen_inputs.py).

On a panel of about a year, the "same period last year" terms are zero in every training
window and first appear in the final forecast's windows, where untrained (random) weights made
forecasts several times the recent level (the online shop benchmark: champions +29% biased).
"""
import numpy as np
import pandas as pd
import pytest

from sales_forecast_ai.engine.features import Windows
from sales_forecast_ai.engine.models.base import make
from sales_forecast_ai.engine.models.unseen_inputs import MIN_SEEN_SHARE, mask_unseen, seen_columns
from sales_forecast_ai.engine.panel import Panel

TINY = dict(horizon=7, window=14, epochs=2, max_windows=600, units=8, lstm_units=4, filters=4, kernel_size=3)
END = pd.Timestamp("2024-06-30")


def _windows(fut):
    m = len(fut)
    return Windows(np.ones((m, 3, 2), np.float32), np.asarray(fut, np.float32), np.ones(m), np.arange(m),
                   np.arange(m), np.zeros((m, 2), np.float32))


def _panel(length, n=6, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(length)
    shape = np.array([0.6, 0.8, 1.0, 1.0, 1.2, 1.9, 0.5])
    values = [rng.poisson(rng.uniform(5, 40) * shape[t % 7]).astype(float) for _ in range(n)]
    return Panel([(f"item{i}", "WH") for i in range(n)], values, END, "D", "FR")


def _year_columns(h):
    """Positions in ``fut`` of the last-year terms: h future levels, the current one, availability."""
    return slice(-(h + 3), -1)


def test_seen_columns_flags_inputs_that_were_zero_in_almost_every_window():
    fut = np.zeros((1000, 4))
    fut[:, 0] = 1.0  # always set
    fut[:20, 1] = 3.0  # 2% of the windows, like a holiday flag: seen
    fut[:2, 2] = 5.0  # 0.2%: below MIN_SEEN_SHARE
    seen = seen_columns(fut)
    assert 0.002 < MIN_SEEN_SHARE <= 0.02
    assert seen.tolist() == [True, True, False, False]
    assert seen_columns(np.zeros((0, 4))) is None


def test_mask_unseen_zeroes_only_the_unseen_columns_and_keeps_the_rest():
    win = _windows([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    out = mask_unseen(win, np.array([True, False, True]))
    assert out.fut.tolist() == [[1.0, 0.0, 3.0], [4.0, 0.0, 6.0]]
    assert win.fut[0, 1] == 2.0, "the windows given are not modified"
    assert out.seq is win.seq and out.scale is win.scale and out.target is win.target
    assert mask_unseen(win, None) is win and mask_unseen(win, np.ones(3, bool)) is win
    with pytest.raises(ValueError):
        mask_unseen(win, np.ones(4, bool))


@pytest.mark.parametrize("arch", ["mlp", "lstm"])
def test_a_network_trained_on_under_a_year_ignores_last_year_terms_that_appear_at_the_end(arch):
    # 360 days: training targets end ~2 weeks before the panel end, more than 364 + 3 days after
    # the first observation never, so no training window has a last-year term; the final windows do.
    h = TINY["horizon"]
    panel = _panel(360)
    model = make(arch, **TINY).fit(panel)
    year = _year_columns(h)
    assert model.status == "ok"
    assert not model.seen_[year].any(), "no training window had a last-year term"
    assert model.seen_[:-(h + 3)].any(), "the calendar inputs were seen"
    raw = model._windows(panel).build(*model._windows(panel).last_origins())
    assert (raw.fut[:, -2] > 0).all(), "precondition: the final windows do have last-year terms"
    assert not model._last.fut[:, year].any(), "...which the network is not given"
    np.testing.assert_array_equal(model._last.fut[:, :-(h + 3)], raw.fut[:, :-(h + 3)])
    np.testing.assert_array_equal(model._last.fut[:, -1], raw.fut[:, -1])
    fc = model.predict(2 * h)  # the second block is conditioned on extended windows: masked too
    expected = model._run(model._last.seq, model._last.fut) * model._last.scale[:, None]
    np.testing.assert_allclose(fc.mean[:, :h], np.maximum(expected, 0.0), rtol=1e-5, atol=1e-5)
    assert np.isfinite(fc.mean).all()


def test_refit_keeps_the_inputs_of_the_first_fit():
    h = TINY["horizon"]
    panel = _panel(360)
    model = make("mlp", **{**TINY, "epochs": 3}, refit_epochs=2).fit(panel.cut(14))
    seen = model.seen_.copy()
    model.refit(panel)
    np.testing.assert_array_equal(model.seen_, seen)
    assert not model._last.fut[:, _year_columns(h)].any()


def test_with_more_than_a_year_of_history_last_year_terms_are_used():
    h = TINY["horizon"]
    panel = _panel(600)
    model = make("mlp", **{**TINY, "max_windows": 3000}).fit(panel)
    assert model.seen_[-2], "the availability of last year's level was seen in training"
    assert model.seen_[-(h + 3):-(h + 3) + h].all()
    raw = model._windows(panel).build(*model._windows(panel).last_origins())
    np.testing.assert_array_equal(model._last.fut, raw.fut)
