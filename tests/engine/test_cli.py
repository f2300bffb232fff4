"""The command line, run as a user runs it: ``python -m sales_forecast_ai.engine forecast ...``."""
import gzip
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[2]
CHEAP_POOL = "naive,seasonal_naive,moving_average"


def run_cli(*args, timeout=600):
    env = dict(os.environ, PYTHONPATH=str(REPO), TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run([sys.executable, "-m", "sales_forecast_ai.engine", *map(str, args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=timeout)


def small_sales(days=120, items=("A", "007"), stores=("north", "south")):
    rng = np.random.default_rng(3)
    dates = pd.date_range("2024-01-01", periods=days, freq="D")
    rows = []
    for item in items:
        for store in stores:
            base = rng.uniform(3, 12)
            weekly = 1 + 0.4 * (dates.dayofweek >= 5)
            rows.append(pd.DataFrame({"date": dates, "item": item, "store": store,
                                      "sales": rng.poisson(base * weekly)}))
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="module")
def good_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    df = small_sales()
    # One series that cannot be backtested (three days of history): a status line, not a crash.
    df = pd.concat([df, pd.DataFrame({"date": pd.to_datetime(["2024-04-27", "2024-04-28", "2024-04-29"]),
                                      "item": "new<script>", "store": "north", "sales": [1, 0, 2]})])
    path = tmp / "sales.csv.gz"
    path.write_bytes(gzip.compress(df.to_csv(index=False, date_format="%Y-%m-%d").encode()))
    out = tmp / "out"
    proc = run_cli("forecast", path, "--horizon", 14, "--out", out, "--models", CHEAP_POOL, "--folds", 2)
    return proc, out, df


def test_good_csv_writes_the_three_outputs(good_run):
    proc, out, df = good_run
    assert proc.returncode == 0, proc.stderr
    fc = pd.read_csv(out / "forecasts.csv", dtype={"item": str, "store": str})
    assert list(fc.columns) == ["item", "store", "date", "model", "forecast", "lo_80", "hi_80", "lo_95", "hi_95"]
    keys = {(i, s) for i, s in zip(df["item"], df["store"])}
    per_series = fc.groupby(["item", "store"]).size()
    assert set(per_series.index) <= keys and (per_series == 14).all()
    assert ("007", "north") in set(per_series.index)  # codes keep their leading zeros
    assert pd.to_datetime(fc["date"]).min() == pd.Timestamp("2024-04-30")
    assert fc["model"].isin(CHEAP_POOL.split(",")).all()
    assert not fc[["forecast", "lo_80", "hi_80", "lo_95", "hi_95"]].isna().any().any()
    assert (fc["lo_95"] <= fc["lo_80"]).all() and (fc["lo_80"] <= fc["forecast"]).all()
    assert (fc["forecast"] <= fc["hi_80"]).all() and (fc["hi_80"] <= fc["hi_95"]).all()

    scores = pd.read_csv(out / "scores.csv", dtype={"item": str, "store": str})
    assert list(scores.columns) == ["item", "store", "model", "rmse", "mae", "smape", "mase", "wape", "bias",
                                    "champion"]
    full = scores[scores["item"].isin(["A", "007"])]
    assert set(full["model"]) == set(CHEAP_POOL.split(","))  # every candidate, every backtested series
    assert (full.groupby(["item", "store"])["champion"].sum() == 1).all()
    champ = full[full["champion"]].set_index(["item", "store"])["model"]
    fc_model = fc.groupby(["item", "store"])["model"].first()
    assert (fc_model.loc[champ.index] == champ).all()


def test_report_is_self_contained_and_escaped(good_run):
    proc, out, _ = good_run
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html
    assert "<script>" not in html and "new&lt;script&gt;" in html  # user strings escaped
    assert "src=\"http" not in html and "href=\"http" not in html
    for model in CHEAP_POOL.split(","):
        assert model in html
    status = html[html.index("<h2>Series status</h2>"):]
    assert "new&lt;script&gt;" in status and "short_history" in status  # a status line, not a crash


def test_levels_shape_the_interval_columns(tmp_path):
    path = tmp_path / "s.csv"
    small_sales(days=90, items=("A",), stores=("x",)).rename(columns={"sales": "qty"}).drop(columns="store").to_csv(
        path, index=False)
    proc = run_cli("forecast", path, "--horizon", 7, "--out", tmp_path / "o", "--store-col", "", "--qty-col", "qty",
                   "--levels", "50,90", "--models", "naive,seasonal_naive", "--quiet")
    assert proc.returncode == 0, proc.stderr
    fc = pd.read_csv(tmp_path / "o" / "forecasts.csv", keep_default_na=False)
    assert list(fc.columns) == ["item", "store", "date", "model", "forecast", "lo_50", "hi_50", "lo_90", "hi_90"]
    assert len(fc) == 7 and (fc["store"] == "").all()


BAD_FILES = [
    ("missing_column.csv", "date,item,store,amount\n2024-01-01,A,1,3\n",
     ["missing column quantity (none named sales, quantity, qty, units", "'date', 'item', 'store', 'amount'",
      "--qty-col"]),
    ("huge_qty.csv", "date,item,store,sales\n2024-01-01,A,1,3\n2024-01-02,A,1,1e308\n",
     ["line 3", "absurd quantity", "'1e308'"]),
    ("nan_qty.csv", "date,item,store,sales\n2024-01-01,A,1,nan\n2024-01-02,A,1,4\n",
     ["line 2", "not a finite number", "'nan'"]),
    ("bad_date.csv", "date,item,store,sales\n2024-01-01,A,1,3\n2024-01-02,A,1,4\n2024-01-32,A,1,5\n",
     ["line 4", "2024-01-32", "line 1 is the header"]),
    ("bad_qty.csv", "date,item,store,sales\n2024-01-01,A,1,3\n2024-01-02,A,1,three\n", ["line 3", "'three'"]),
    ("empty.csv", "", ["empty"]),
    ("header_only.csv", "date,item,store,sales\n", ["no data rows"]),
]


@pytest.mark.parametrize("name, text, expected", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_file_one_clear_line_and_nonzero_exit(tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_text(text)
    out = tmp_path / "out"
    proc = run_cli("forecast", path, "--horizon", 7, "--out", out)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in proc.stderr
    for fragment in expected:
        assert fragment in lines[0]
    assert not out.exists()  # nothing half written


@pytest.mark.parametrize("args, fragment", [
    (["--horizon", "0"], "--horizon must be at least 1"),
    (["--horizon", "7", "--levels", "80,120"], "--levels must be between 0 and 100"),
    (["--horizon", "7", "--models", "naive,nope"], "unknown model nope"),
    (["--horizon", "7", "--country", "QQ"], "--country QQ"),
    (["--horizon", "7", "--max-quantity", "0"], "--max-quantity must be above 0"),
    (["--horizon", "7", "--max-quantity", "1e300"], "at most 1e+12"),
])
def test_bad_options_one_clear_line(tmp_path, args, fragment):
    path = tmp_path / "s.csv"
    small_sales(days=30, items=("A",), stores=("x",)).to_csv(path, index=False)
    proc = run_cli("forecast", path, "--out", tmp_path / "o", *args)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and fragment in proc.stderr, proc.stderr


def test_missing_input_file(tmp_path):
    proc = run_cli("forecast", tmp_path / "nope.csv", "--horizon", 7, "--out", tmp_path / "o")
    assert proc.returncode == 2 and proc.stderr.strip() == f"error: {tmp_path / 'nope.csv'}: no such file"


def test_max_quantity_option_sets_the_ceiling(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("date,item,store,sales\n2024-01-01,A,1,2\n2024-01-02,A,1,3\n")
    proc = run_cli("forecast", path, "--horizon", 7, "--out", tmp_path / "o", "--max-quantity", "2.5")
    assert proc.returncode == 2
    assert "line 3: absurd quantity (above the ceiling of 2.5)" in proc.stderr and "'3'" in proc.stderr
