"""Data preparation of the networks: calendar, holidays, scaling, windows and the time split."""
import socket

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sales_forecast_ai.engine.features import (
    MIN_TARGET_CAP, ChunkedPanelWindows, PanelWindows, calendar_features, future_dim, holiday_flags, target_cap, training_split,
    window_scale, yearly_position,
)

END = pd.Timestamp("2024-12-31")


def test_calendar_columns_follow_the_dates():
    dates = pd.date_range("2024-07-12", periods=5, freq="D")  # Fri .. Tue, 14 July is Bastille Day
    cal, names = calendar_features(dates, "D", "FR")
    dow = cal[:, [names.index(f"dow_{d}") for d in range(7)]]
    assert dow.argmax(axis=1).tolist() == [4, 5, 6, 0, 1]
    assert (dow.sum(axis=1) == 1).all()
    assert cal[:, names.index("month_7")].tolist() == [1.0] * 5
    assert cal[:, names.index("holiday")].tolist() == [0, 0, 1, 0, 0]
    assert names[-1] == "holiday"


def test_weekly_and_monthly_calendars_count_holidays_per_period():
    weeks = pd.date_range("2024-12-16", periods=3, freq="W-MON")  # weeks starting 16, 23, 30 Dec
    assert holiday_flags(weeks, "W", "FR").tolist() == [0.0, 1.0, 1.0]  # Christmas, New Year's Day
    months = pd.date_range("2024-04-01", periods=3, freq="MS")
    # France, May 2024: Labour Day, Victory Day, Ascension, Whit Monday (Easter Monday is 1 April).
    assert holiday_flags(months, "M", "FR").tolist() == [1.0, 4.0, 0.0]
    cal, names = calendar_features(months, "M", "FR")
    assert not any(n.startswith("dow_") for n in names)


def test_unknown_or_missing_country_means_no_holidays():
    dates = pd.date_range("2024-12-20", periods=10, freq="D")
    assert holiday_flags(dates, "D", None).sum() == 0
    assert holiday_flags(dates, "D", "XX").sum() == 0  # not a country: warned, not raised
    assert holiday_flags(dates, "D", "us").sum() == 1  # case-insensitive code, 25 December


def test_holidays_need_no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    dates = pd.date_range("2031-04-25", periods=10, freq="D")  # a year no other test asked for
    flags = holiday_flags(dates, "D", "DE")
    assert flags[dates.get_loc(pd.Timestamp("2031-05-01"))] == 1.0


@given(st.dates(min_value=pd.Timestamp("1990-01-01").date(), max_value=pd.Timestamp("2060-12-31").date()),
       st.sampled_from(["D", "W", "M"]))
def test_yearly_position_is_a_fraction_of_the_year(day, freq):
    pos = yearly_position(pd.DatetimeIndex([pd.Timestamp(day)]), freq)
    assert 0.0 <= pos[0] < 1.0


@given(hnp.arrays(float, st.tuples(st.integers(1, 6), st.integers(1, 10)),
                  elements=st.one_of(st.just(np.nan), st.just(0.0), st.floats(1e-6, 1e4))),
       st.floats(0.01, 1e3))
def test_scale_is_the_window_mean_and_follows_units(inputs, factor):
    hist = np.full(len(inputs), 5.0)
    scale = window_scale(inputs, hist)
    assert (scale >= 0).all()
    obs = np.isfinite(inputs)
    for row, ok, s in zip(inputs, obs, scale):
        mean = row[ok].mean() if ok.any() else 0.0
        assert s == pytest.approx(mean if mean > 0 else 5.0)
    # Changing units (pieces -> dozens) changes the scale by the same factor.
    np.testing.assert_allclose(window_scale(inputs * factor, hist * factor), scale * factor, rtol=1e-9)


def _panel_values(lengths, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.poisson(rng.uniform(0.5, 30), n).astype(float) for n in lengths]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 80), min_size=1, max_size=5), st.integers(2, 10), st.integers(1, 8),
       st.sampled_from(["D", "W", "M"]), st.integers(0, 10_000))
def test_windows_hold_the_series_values(lengths, window, horizon, freq, seed):
    values = _panel_values(lengths, seed)
    pw = PanelWindows(values, END, freq, None, window, horizon)
    rows, origins = pw.candidates(*pw.origin_bounds(1, pw.last))
    win = pw.build(rows, origins, with_target=True)
    assert win.fut.shape == (len(rows), future_dim(freq, horizon))
    assert win.seq.shape == (len(rows), window, 2)
    for k in range(len(win)):
        y = values[win.rows[k]]
        end = win.origins[k] - pw.first[win.rows[k]]  # index in y of the origin
        assert 0 <= end and end + horizon < len(y)
        past = y[max(0, end - window + 1):end + 1]
        if win.scale[k] > 0:
            np.testing.assert_allclose(win.seq[k, -len(past):, 0] * win.scale[k], past, rtol=1e-5, atol=1e-4)
            np.testing.assert_allclose(win.target[k] * win.scale[k], y[end + 1:end + 1 + horizon], rtol=1e-5,
                                       atol=1e-4)
        else:
            assert not y[:end + 1].any()  # only series with no sale so far have no scale


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 40))
@pytest.mark.parametrize("freq,window,horizon", [("D", 28, 30), ("W", 8, 60), ("M", 6, 15)])
def test_window_inputs_never_see_past_the_origin(freq, window, horizon, seed, cut):
    """Changing what happens after an origin must not change that origin's inputs (horizons
    longer than a year would otherwise read "last year" values from the future)."""
    values = _panel_values([800, 500], seed)
    pw = PanelWindows(values, END, freq, "FR", window, horizon)
    origin = np.array([pw.last - cut])
    before = pw.build(np.array([0]), origin)
    changed = [v.copy() + 1.0 for v in values]
    changed[0][:len(changed[0]) - cut] = values[0][:len(changed[0]) - cut]
    after = PanelWindows(changed, END, freq, "FR", window, horizon).build(np.array([0]), origin)
    np.testing.assert_array_equal(before.seq, after.seq)
    np.testing.assert_array_equal(before.fut, after.fut)


def test_last_year_feature_and_padding_of_short_series():
    y = np.concatenate([np.full(70, 10.0), np.full(354, 20.0)])  # 424 days, the last 354 at 20
    pw = PanelWindows([y, np.array([4.0, 0.0, 2.0])], END, "D", None, 28, 30)
    win = pw.build(*pw.last_origins())
    h = 30
    ly = win.fut[:, -(h + 3):-3]  # last year's level around each target date, over the scale (20)
    # 364 days before target day k is day 59 + k: 10s up to day 69, 20s after, averaged over 7 days.
    assert ly[0, 0] == pytest.approx(0.5)
    assert ly[0, 10] == pytest.approx((10 * 3 + 20 * 4) / 7 / 20)
    assert ly[0, -1] == pytest.approx(1.0)
    assert win.fut[0, -3] == pytest.approx(0.5)  # the input window's level a year earlier
    assert win.fut[0, -2] == 1.0  # every target date has a last year
    assert win.fut[1, -2] == 0.0  # no last year for the short series: availability 0
    # The short series' missing history is filled with its mean, i.e. 1 once scaled.
    assert win.scale[1] == pytest.approx(2.0)
    np.testing.assert_allclose(win.seq[1, :-3, 0], 1.0)
    np.testing.assert_allclose(win.seq[1, -3:, 0], [2.0, 0.0, 1.0])


def test_split_is_time_based_and_sampled_reproducibly():
    values = _panel_values([200, 200, 120, 10])
    pw = PanelWindows(values, END, "D", None, 28, 14)
    tr_r, tr_o, va_r, va_o = training_split(pw, np.random.default_rng(1), 10_000, 7)
    first_val = pw.last - 14 - 7 + 1
    assert set(va_o.tolist()) == set(range(first_val, first_val + 7))
    assert (tr_o + 14 <= first_val).all()  # training targets end before validation starts
    assert (tr_o - 28 + 1 >= pw.first[tr_r]).all()  # full look-back when series allow it
    assert 3 not in set(tr_r.tolist()) | set(va_r.tolist())  # 10 days cannot fill a window
    a = training_split(pw, np.random.default_rng(5), 100, 7)
    b = training_split(pw, np.random.default_rng(5), 100, 7)
    assert len(a[0]) == 100 and all(np.array_equal(x, y) for x, y in zip(a, b))


def test_split_without_room_for_validation_trains_on_what_exists():
    pw = PanelWindows(_panel_values([20, 12]), END, "D", None, 28, 7)
    tr_r, tr_o, va_r, va_o = training_split(pw, np.random.default_rng(0), 1000, 7)
    assert len(va_r) == 0 and len(tr_r) > 0  # padded windows: at least one observed input
    assert (tr_o + 7 <= pw.last).all()


def test_empty_panel_builds_empty_windows():
    pw = PanelWindows([], END, "D", None, 28, 30)
    win = pw.build(*pw.last_origins())
    assert len(win) == 0 and win.fut.shape == (0, future_dim("D", 30))
    assert all(len(a) == 0 for a in training_split(pw, np.random.default_rng(0), 100, 7))


def test_target_cap_only_bites_on_outliers():
    rng = np.random.default_rng(0)
    smooth = rng.gamma(20, 1 / 20, size=(5000, 7))  # relative targets around 1
    assert target_cap(smooth) == MIN_TARGET_CAP and (smooth < MIN_TARGET_CAP).all()
    lumpy = smooth.copy()
    lumpy[:10] = 3000.0  # 0.2% of windows: rare wholesale orders
    assert target_cap(lumpy) == MIN_TARGET_CAP
    spread = rng.pareto(1.0, size=(5000, 7))  # heavy tail: the cap is its 99.5th percentile
    assert target_cap(spread) == pytest.approx(np.quantile(spread, 0.995))
    assert target_cap(np.zeros((0, 7))) == MIN_TARGET_CAP


def test_sampling_training_windows_without_listing_them_draws_the_same_windows():
    """PanelWindows.sample_candidates == sample(candidates(...)) for the same generator state, and the
    arithmetic count of known observations equals the cumulative count it replaced."""
    rng = np.random.default_rng(5)
    values = [rng.poisson(5, int(n)).astype(float) for n in rng.integers(20, 300, 40)]
    pw = PanelWindows(values, END, "D", None, window=14, horizon=7)
    lo, hi = pw.origin_bounds(1, pw.last - 7)
    for k in (10, 500, 10**6):
        a = pw.sample(*pw.candidates(lo, hi), k, np.random.default_rng(k))
        b = pw.sample_candidates(lo, hi, k, np.random.default_rng(k))
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
    rows, origins = pw.candidates(*pw.origin_bounds(1, pw.last))
    counts = np.cumsum(np.isfinite(pw.Y), axis=1)[rows, origins]
    np.testing.assert_array_equal(np.maximum(np.minimum(origins, pw.last) - pw.first[rows] + 1, 0), counts)


def test_windows_built_by_blocks_of_series_are_the_same_windows():
    rng = np.random.default_rng(2)
    values = [rng.poisson(5, int(n)).astype(float) for n in rng.integers(10, 400, 23)]
    args = (values, END, "D", "FR", 14, 7)
    whole, blocks = PanelWindows(*args), ChunkedPanelWindows(*args, chunk=5)
    split_a = training_split(whole, np.random.default_rng(0), 300, 7)
    split_b = training_split(blocks, np.random.default_rng(0), 300, 7)
    for a, b in zip(split_a, split_b):
        np.testing.assert_array_equal(a, b)
    for rows, origins in ((split_a[0], split_a[1]), whole.last_origins(), (np.zeros(0, int), np.zeros(0, int))):
        for with_target in (True, False):
            a, b = whole.build(rows, origins, with_target), blocks.build(rows, origins, with_target)
            for f in ("seq", "fut", "scale", "rows", "origins", "target"):
                if getattr(a, f) is None:
                    assert getattr(b, f) is None
                else:
                    np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
