"""The one CSV reader (engine/csv_reader.py) of the command line and of the Odoo import wizard."""
import gzip
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sales_forecast_ai.engine import csv_reader as reader
from sales_forecast_ai.engine.data import DataError, read_sales_csv, sales_frame

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def read(text, encoding="utf-8", **kw):
    return reader.read_sales(io.BytesIO(text.encode(encoding) if isinstance(text, str) else text), **kw)


def wizard_read(data: bytes, columns, **kw):
    """What the import wizard does (wizard/sales_history_import.py, _read_raw then _check_file): read
    the table once, then read the rows from it with the columns the user mapped."""
    table = reader.read_table(data)
    return reader.read_sales(None, columns, table=table, **kw)


def problems(result):
    return [(int(r.line), r.problem) for r in result.problems.itertuples()]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16"])
def test_encodings(encoding):
    text = "date;item;store;sales\n2024-01-31;Crème brûlée;Épinal;2\n2024-02-01;Crème brûlée;Épinal;3\n"
    result = read(text, encoding)
    assert result.rows["item"].tolist() == ["Crème brûlée"] * 2
    assert result.rows["store"].tolist() == ["Épinal"] * 2
    assert result.problems.empty


def test_cp1252_only_characters_are_read_as_cp1252():
    result = read("date,item,store,sales\n2024-01-01,Prix 5€ – promo,1,2\n", "cp1252")
    assert result.rows["item"].tolist() == ["Prix 5€ – promo"] and result.info["encoding"] == "cp1252"


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiters_and_quoted_fields(sep):
    text = (f'date{sep}item{sep}store{sep}sales\n'
            f'2024-01-01{sep}"Chair{sep} blue ""XL"""{sep}1{sep}2\n'
            f'2024-01-02{sep}"two\nlines"{sep}1{sep}3\n'
            f'2024-01-03{sep}A{sep}1{sep}x\n')
    result = read(text)
    assert result.info["delimiter"] == sep
    assert result.rows["item"].tolist() == [f'Chair{sep} blue "XL"', "two\nlines", "A"]
    # A quoted field over two lines is one spreadsheet row: the bad quantity is on row 4.
    assert problems(result) == [(4, "not a number")]


@pytest.mark.parametrize("values, expected", [
    (["1,5", "2"], [1.5, 2.0]),                            # decimal comma (FR, AR)
    (["1.5", "2"], [1.5, 2.0]),
    (["1.234,5", "1.234", "7"], [1234.5, 1234.0, 7.0]),    # the file's '.' groups thousands
    (["1,234.5", "1,234", "7"], [1234.5, 1234.0, 7.0]),    # the file's ',' groups thousands
    (["1 234,5", "1\u00a0000", "3"], [1234.5, 1000.0, 3.0]),
    (["1'234.5", "-2"], [1234.5, -2.0]),
    (["1.234.567", "1"], [1234567.0, 1.0]),
    (["12kg", "1,2,3,4", "", "1.2,3"], [np.nan, np.nan, np.nan, np.nan]),
])
def test_decimal_marks_and_thousands(values, expected):
    text = "date;item;store;sales\n" + "".join(f'2024-01-{i + 1:02d};A;1;"{v}"\n' for i, v in enumerate(values))
    got = read(text).rows["quantity"].to_numpy()
    np.testing.assert_array_equal(got, np.array(expected, dtype=float))


@pytest.mark.parametrize("header", ["date,item,store,sales", "Date,Product,Warehouse,Quantity",
                                    "day,sku,shop,qty", "ds,default_code,location,units", "jour,produit,magasin,ventes"])
def test_header_variants_are_mapped(header):
    result = read(f"{header}\n2024-01-01,A,W,3\n")
    assert result.rows[["item", "store", "quantity"]].values.tolist() == [["A", "W", 3.0]]
    assert list(result.info["columns"]) == ["date", "item", "store", "quantity"]


def test_named_columns_and_no_store():
    result = read("when,what,amount\n2024-01-01,A,3\n", columns={"date": "WHEN", "item": "what", "store": "",
                                                                 "quantity": "amount"})
    assert result.rows["store"].tolist() == [""] and result.info["columns"]["store"] is None
    with pytest.raises(DataError, match="missing column quantity"):
        read("when,what,amount\n2024-01-01,A,3\n", columns={"date": "when", "item": "what"})


@pytest.mark.parametrize("dates, fmt, first", [
    (["2024-01-31", "2024-02-01"], "iso", "2024-01-31"),
    (["31/01/2024", "01/02/2024"], "dmy", "2024-01-31"),
    (["01/31/2024", "02/01/2024"], "mdy", "2024-01-31"),
    (["31.01.2024 14:05", "01.02.2024 09:00"], "dmy", "2024-01-31"),
    (["2024-01-31T10:00:00+02:00", "2024-02-01T00:00:00"], "iso", "2024-01-31"),
    # Ambiguous (no day above 12): the more regular calendar wins; 1 Mar, 2 Mar, 3 Mar is daily.
    (["01/03/2024", "02/03/2024", "03/03/2024", "04/03/2024"], "dmy", "2024-03-01"),
    (["03/01/2024", "03/02/2024", "03/03/2024", "03/04/2024"], "mdy", "2024-03-01"),
])
def test_date_conventions(dates, fmt, first):
    result = read("date,item,store,sales\n" + "".join(f"{d},A,1,{i}\n" for i, d in enumerate(dates)))
    assert result.info["date_format"] == fmt
    assert result.rows["date"].iloc[0] == pd.Timestamp(first)
    assert result.problems.empty


def test_every_problem_by_line_and_the_ceiling():
    text = ("date,item,store,sales\n"
            "2024-01-01,A,1,3\n"        # 2 ok
            "2024-01-02,A,1,nan\n"      # 3
            "2024-01-03,A,1,inf\n"      # 4
            "2024-01-04,A,1,1e308\n"    # 5
            "2024-01-05,A,1,-1e400\n"   # 6
            "2024-01-06,A,1,2000000\n"  # 7 above a ceiling of 1e6
            "\n"                        # 8 blank: a line, never a problem
            "2024-02-30,,1,-2\n"        # 9
            "2024-01-01,A,1,4\n"        # 10 duplicate of 2
            "2024-01-11,B,,\n")         # 11
    result = read(text, max_quantity=1e6)
    assert problems(result) == [
        (3, "not a finite number"), (4, "not a finite number"), (5, "absurd quantity (above the ceiling of 1e+06)"),
        (6, "not a finite number"), (7, "absurd quantity (above the ceiling of 1e+06)"),
        (9, "not a date (read as ISO)"), (9, "empty item"), (9, "negative quantity"),
        (10, "duplicate of line 2 (same date, item and store)"), (11, "empty quantity"), (11, "empty store")]
    assert result.rows["line"].tolist() == [2, 3, 4, 5, 6, 7, 9, 10, 11]
    assert not [p for p in problems(read(text, max_quantity=None)) if p[1].startswith("absurd")]


def test_default_ceiling_is_a_billion():
    assert problems(read("date,item,store,sales\n2024-01-01,A,1,999999999\n2024-01-02,A,1,1000000001\n")) == [
        (3, "absurd quantity (above the ceiling of 1e+09)")]


def test_future_dates_only_when_asked():
    text = "date,item,store,sales\n2024-01-01,A,1,3\n2031-01-01,A,1,3\n"
    assert problems(read(text)) == []
    assert problems(read(text, today="2024-06-30")) == [(3, "date in the future")]


@pytest.mark.parametrize("data, message", [
    (b"", "empty"), (b" \n\n", "empty"), (b"date,item,store,sales\n", "no data rows"),
    (b"date,item,store,sales\n  ,  , ,\n", "no data rows"),
    (b"date,item,store,sales\n2024-01-01,A,1\n2024-01-02,A,1,3,9\n", "line 3"),
    (b"\x1f\x8bnot gzip", "gzip"),
    (b"date,item,store,sales\n2024-01-01,A,1,3,9\n", "line 2 has more fields than the header"),
])
def test_file_level_errors(data, message):
    with pytest.raises(DataError, match=message):
        reader.read_sales(io.BytesIO(data))


def test_cli_refuses_what_it_cannot_read_and_accepts_notes():
    text = "date,item,store,sales\n2024-01-01,A,1,3\n2024-01-01,A,1,-1\n2024-01-02,A,1,\n"
    df = read_sales_csv(io.BytesIO(text.encode()))
    assert df["sales"].tolist() == [3.0, -1.0, 0.0] and df.attrs["blank_qty"] == 1  # duplicate, return, blank
    with pytest.raises(DataError, match=r"line 3: absurd quantity .* '5e9'; 3 problems in all") as err:
        read_sales_csv(io.BytesIO((text + "2024-01-03,A,1,5e9\n2024-01-04,A,1,inf\n").replace(",-1", ",5e9").encode()))
    assert err.value.line == 3 and err.value.kind == "quantity"
    assert read_sales_csv(io.BytesIO(b"date,item,store,sales\n2024-01-01,A,1,5e9\n"), max_quantity=1e10)[
        "sales"].tolist() == [5e9]


# -- the command line and the wizard read a file the same way ----------------------------
QTY = st.one_of(st.integers(-5, 10**6).map(str), st.floats(0, 1e4, allow_nan=False).map(lambda x: f"{x:.2f}"),
                st.sampled_from(["", "nan", "inf", "-inf", "1e308", "2e9", "abc", "1,5", "1.234,5", "1 000"]))
DATE = st.one_of(st.dates(pd.Timestamp("2020-01-01").date(), pd.Timestamp("2024-12-31").date()).map(str),
                 st.sampled_from(["", "2024-02-30", "soon", "31/12/2023"]))


@st.composite
def sales_files(draw):
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    header = draw(st.sampled_from([("date", "item", "store", "sales"), ("Date", "Product", "Warehouse", "Qty"),
                                   ("day", "sku", "shop", "units")]))
    n = draw(st.integers(1, 25))
    rows = [sep.join(header)]
    for _ in range(n):
        item = draw(st.sampled_from(["A", "007", "Crème", "", f"x{sep}y"]))
        fields = [draw(DATE), item, draw(st.sampled_from(["W1", "W2", ""])), draw(QTY)]
        rows.append(sep.join(f'"{f}"' if sep in f or "," in f else f for f in fields))
        if draw(st.integers(0, 9)) == 0:
            rows.append("")
    text = "\n".join(rows) + "\n"
    data = text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"])))
    return gzip.compress(data) if draw(st.booleans()) else data


@SETTINGS
@given(sales_files(), st.sampled_from([1e9, 1e6]))
def test_cli_and_wizard_read_the_same_rows_and_problems(data, ceiling):
    cli = reader.read_sales(io.BytesIO(data), {}, max_quantity=ceiling)  # read_sales_csv's call
    wizard = wizard_read(data, reader.guess_columns(reader.read_table(data, nrows=5)[0].columns),
                         max_quantity=ceiling)
    pd.testing.assert_frame_equal(cli.rows, wizard.rows)
    pd.testing.assert_frame_equal(cli.problems, wizard.problems)
    assert cli.info == wizard.info
    # The command line refuses exactly the files with an unreadable value, naming the first one's line.
    blocking = cli.problems[~cli.problems["kind"].isin(reader.NOTE_KINDS)]
    if len(blocking):
        with pytest.raises(DataError) as err:
            read_sales_csv(io.BytesIO(data), max_quantity=ceiling)
        assert err.value.line == blocking["line"].iloc[0]
    else:
        df = read_sales_csv(io.BytesIO(data), max_quantity=ceiling)
        assert len(df) == len(cli.rows)
        assert np.isfinite(df["sales"]).all() and (df["sales"].abs() <= ceiling).all()
        pd.testing.assert_frame_equal(df, sales_frame(wizard))


def test_the_ceiling_never_exceeds_what_the_models_accept():
    from sales_forecast_ai.engine.models.base import MAX_ABS_DEMAND

    assert reader.MAX_CEILING == MAX_ABS_DEMAND
    with pytest.raises(DataError, match="at most 1e\\+12"):
        read("date,item,store,sales\n2024-01-01,A,1,3\n", max_quantity=1e13)
