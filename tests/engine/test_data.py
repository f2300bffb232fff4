"""Data preparation: reading sales files and building panels (property-based where it pays)."""
import gzip
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sales_forecast_ai.engine.data import DataError, build_panel, infer_freq, panel_to_frame, read_sales_csv
from sales_forecast_ai.engine.panel import PANDAS_FREQ

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DAY0 = pd.Timestamp("2023-01-01")


@st.composite
def sales_rows(draw, max_rows=60, span=120):
    """Rows of (item, store, date, qty): duplicates, gaps, zeros and returns all allowed."""
    n = draw(st.integers(1, max_rows))
    items = draw(st.lists(st.sampled_from(["A", "B", "007", "x y"]), min_size=n, max_size=n))
    stores = draw(st.lists(st.sampled_from(["1", "2"]), min_size=n, max_size=n))
    days = draw(st.lists(st.integers(0, span), min_size=n, max_size=n))
    qty = draw(st.lists(st.integers(-3, 20) | st.just(0), min_size=n, max_size=n))
    return pd.DataFrame({"item": items, "store": stores, "date": DAY0 + pd.to_timedelta(days, unit="D"),
                         "sales": np.array(qty, dtype=float)})


def reference_series(df, key, freq, end):
    """What one series should be, computed the slow obvious way with pandas resampling."""
    rows = df[(df["item"] == key[0]) & (df["store"] == key[1])].set_index("date")["sales"]
    if freq == "D":
        label = rows.index
    elif freq == "W":  # weeks start on Monday: each date goes to the Monday on or before it
        label = rows.index - pd.to_timedelta(rows.index.dayofweek, unit="D")
    else:
        label = rows.index.to_numpy().astype("datetime64[M]").astype("datetime64[ns]")
    per = rows.groupby(label).sum()
    full = per.reindex(pd.date_range(per.index.min(), end, freq=PANDAS_FREQ[freq]), fill_value=0.0)
    nz = np.flatnonzero(full.to_numpy() != 0)
    return full.to_numpy()[nz[0]:] if len(nz) else full.to_numpy()


@SETTINGS
@given(sales_rows(), st.sampled_from(["D", "W", "M"]))
def test_panel_matches_a_plain_pandas_resample(df, freq):
    panel = build_panel(df, freq=freq)
    ends = {"D": df["date"].max(), "W": df["date"].max() - pd.Timedelta(days=df["date"].max().dayofweek),
            "M": df["date"].max().to_period("M").to_timestamp()}
    assert panel.end == ends[freq]
    assert panel.keys == sorted({(i, s) for i, s in zip(df["item"], df["store"])})
    for key, values in zip(panel.keys, panel.values):
        np.testing.assert_allclose(values, reference_series(df, key, freq, panel.end))


@SETTINGS
@given(sales_rows(), st.sampled_from(["D", "W", "M"]))
def test_totals_conserved_no_gaps_leading_zeros_trimmed(df, freq):
    panel = build_panel(df, freq=freq)
    assert sum(v.sum() for v in panel.values) == pytest.approx(df["sales"].sum())
    for key, values in zip(panel.keys, panel.values):
        rows = df[(df["item"] == key[0]) & (df["store"] == key[1])]
        assert values.sum() == pytest.approx(rows["sales"].sum())
        assert np.isfinite(values).all()
        assert all(isinstance(k, str) for k in key)
        dates = panel.dates(panel.keys.index(key))
        assert dates[-1] == panel.end and (len(dates) < 2 or (np.diff(dates.asi8) > 0).all())
        if (rows["sales"] != 0).any():
            assert values[0] != 0  # starts at the first sale
        else:
            assert len(values) >= 1 and not values.any()  # never sold: kept, all zero, for a status


@SETTINGS
@given(sales_rows(), st.sampled_from(["D", "W", "M"]))
def test_panel_to_frame_round_trip(df, freq):
    panel = build_panel(df, freq=freq)
    again = build_panel(panel_to_frame(panel), freq=freq)
    assert again.keys == panel.keys and again.end == panel.end
    for a, b in zip(again.values, panel.values):
        np.testing.assert_allclose(a, b)


@SETTINGS
@given(sales_rows(), st.integers(-30, 30))
def test_end_date_pads_with_zeros_or_ignores_later_rows(df, shift):
    end = df["date"].max() + pd.Timedelta(days=shift)
    panel = build_panel(df, freq="D", end=end)
    assert panel.end == end
    kept = df[df["date"] <= end]
    assert sum(v.sum() for v in panel.values) == pytest.approx(kept["sales"].sum())
    if shift > 0:
        for v in panel.values:
            if len(v) >= shift:
                assert not v[-shift:].any()


@SETTINGS
@given(st.sampled_from(["D", "W", "M"]), st.integers(5, 80), st.floats(0.0, 0.4), st.integers(0, 10_000))
def test_infer_freq_from_regular_calendar_with_holes(freq, n, drop, seed):
    dates = pd.date_range("2021-03-01", periods=n, freq=PANDAS_FREQ[freq])
    rng = np.random.default_rng(seed)
    keep = rng.random(n) >= drop
    keep[:2] = True  # at least one regular gap
    keep[2] = True
    dates = dates[keep]
    assert infer_freq(np.repeat(dates, 3)) == freq  # repeated across series


@SETTINGS
@given(sales_rows(max_rows=30), st.sampled_from([",", ";", "\t"]), st.booleans(), st.sampled_from(["%Y-%m-%d",
                                                                                                    "%d/%m/%Y"]))
def test_csv_round_trip(df, sep, gz, date_format):
    text = df.assign(date=df["date"].dt.strftime(date_format)).to_csv(sep=sep, index=False)
    data = gzip.compress(text.encode()) if gz else text.encode()
    back = read_sales_csv(io.BytesIO(data))
    assert list(back.columns) == ["date", "item", "store", "sales"]
    # dd/mm dates whose days never exceed 12 are genuinely ambiguous; the regular calendar wins.
    if date_format == "%Y-%m-%d" or df["date"].dt.day.max() > 12:
        pd.testing.assert_series_equal(back["date"], df["date"].astype("datetime64[ns]").rename("date"),
                                       check_dtype=False)
    assert back["item"].tolist() == df["item"].str.strip().tolist()  # "007" keeps its zeros
    np.testing.assert_allclose(back["sales"], df["sales"])


@SETTINGS
@given(st.integers(1, 40), st.integers(0, 39), st.sampled_from(["date", "sales"]), st.integers(0, 3))
def test_error_names_the_spreadsheet_line(n, bad_at, column, blank_lines):
    bad_at = bad_at % n
    lines = ["date,item,store,sales"]
    for i in range(n):
        date, qty = f"2024-01-{1 + i % 28:02d}", str(i)
        if i == bad_at:
            date, qty = ("2024-02-30", qty) if column == "date" else (date, "12kg")
        if i == 0:
            lines += [""] * blank_lines  # blank lines still count as lines in a spreadsheet
        lines.append(f"{date},A,1,{qty}")
    with pytest.raises(DataError) as err:
        read_sales_csv(io.StringIO("\n".join(lines) + "\n"))
    expected_line = bad_at + 2 + blank_lines
    assert err.value.line == expected_line
    assert f"line {expected_line}:" in str(err.value)
    assert ("2024-02-30" if column == "date" else "12kg") in str(err.value)


def test_missing_columns_lists_missing_and_found():
    with pytest.raises(DataError, match=r"missing columns item \(none named item, product, sku, default_code, "
                                        r"\.\.\.\), 'sales'; the file has: 'date', 'store', 'qty'"):
        read_sales_csv(io.StringIO("date,store,qty\n2024-01-01,1,3\n"), qty_col="sales")
    assert read_sales_csv(io.StringIO("Date, Item ,QTY\n2024-01-01,A,3\n"), store_col="", qty_col="qty")[
        "sales"].tolist() == [3.0]  # names match ignoring case and spaces


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("   \n\n", "empty"),
    ("date,item,store,sales\n", "no data rows"),
    ("date,item,store,sales\n2024-01-01,A,1\n2024-01-02,A,1,3,9\n", "line 3"),
    ("date,item,store,sales\n2024-01-01,,1,3\n", "line 2: empty item"),
])
def test_unusable_files(text, message):
    with pytest.raises(DataError, match=message):
        read_sales_csv(io.StringIO(text))


def test_no_store_decimal_comma_blank_quantity_and_times(tmp_path):
    path = tmp_path / "sales.csv.gz"
    path.write_bytes(gzip.compress("when;sku;units\n31/01/2024 14:05;A;1,5\n01/02/2024 09:00;A;\n".encode()))
    df = read_sales_csv(path, date_col="when", item_col="sku", store_col="", qty_col="units")
    assert df["date"].tolist() == [pd.Timestamp("2024-01-31"), pd.Timestamp("2024-02-01")]
    assert df["sales"].tolist() == [1.5, 0.0] and df.attrs["blank_qty"] == 1
    panel = build_panel(df)
    assert panel.keys == [("A", "")] and panel.values[0].tolist() == [1.5, 0.0]


def test_negative_returns_kept_and_new_products_start_at_first_sale():
    df = pd.DataFrame({"item": ["old", "old", "old", "new", "new"], "store": "s",
                       "date": pd.to_datetime(["2024-01-01", "2024-01-03", "2024-01-05", "2024-01-02", "2024-01-04"]),
                       "sales": [2.0, -1.0, 4.0, 0.0, 3.0]})
    panel = build_panel(df)
    values = dict(zip(panel.keys, panel.values))
    assert values[("old", "s")].tolist() == [2.0, 0.0, -1.0, 0.0, 4.0]
    assert values[("new", "s")].tolist() == [3.0, 0.0]  # the 0 on the 2nd is before its first sale


def test_generic_keys_for_the_odoo_layer():
    df = pd.DataFrame({"product_id": [7.0, 7.0, 9.0], "warehouse_id": [1, 1, 2],
                       "day": pd.to_datetime(["2024-03-04", "2024-03-05", "2024-03-11"]), "qty": [1.0, 2.0, 5.0]})
    panel = build_panel(df, key_cols=("product_id", "warehouse_id"), date_col="day", qty_col="qty", country="FR")
    assert panel.freq == "D" and panel.country == "FR"
    assert panel.keys == [("7", "1"), ("9", "2")]
    frame = panel_to_frame(panel)
    assert list(frame.columns) == ["product_id", "warehouse_id", "date", "qty"]
    assert frame["qty"].sum() == 8.0


def test_build_panel_errors_are_data_errors():
    with pytest.raises(DataError, match="missing column 'sales'"):
        build_panel(pd.DataFrame({"item": [], "store": [], "date": []}))
    with pytest.raises(DataError, match="no sales rows"):
        build_panel(pd.DataFrame({"item": [], "store": [], "date": [], "sales": []}))
    with pytest.raises(DataError, match="unknown frequency"):
        build_panel(pd.DataFrame({"item": ["a"], "store": ["b"], "date": ["2024-01-01"], "sales": [1]}), freq="Q")
