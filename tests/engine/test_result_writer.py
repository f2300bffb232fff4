"""The job's results written shard by shard (engine.result_writer) read back as one whole result."""
import json
import os

import numpy as np
import pytest
from demand_panels import END, intermittent_series, seasonal_series

from sales_forecast_ai.engine import job
from sales_forecast_ai.engine.job_io import _clean
from sales_forecast_ai.engine.panel import Panel
from sales_forecast_ai.engine.pipeline import run_forecast
from sales_forecast_ai.engine.result_writer import ResultWriter, series_record

H = 14


@pytest.fixture(scope="module")
def result_and_panel():
    values = [intermittent_series(120, seed=i) if i % 3 == 0 else seasonal_series(120, level=4 + i, seed=i)
              for i in range(9)]
    values[4] = np.zeros(120)  # no forecast-worthy demand: a status, maybe no interval
    panel = Panel([(f"P{i}", "WH") for i in range(9)], values, END, "D")
    return run_forecast(panel, H, models=["naive", "seasonal_naive", "croston"], folds=2), panel


def test_blocks_written_in_any_order_read_back_as_the_whole(tmp_path, result_and_panel):
    result, panel = result_and_panel
    whole, parts = tmp_path / "whole", tmp_path / "parts"
    whole.mkdir()
    parts.mkdir()
    job.write_results(str(whole), result, panel, {"source": "test"})
    writer = ResultWriter(str(parts), len(panel), H, result.levels)
    for start, stop in ((6, 9), (0, 3), (3, 6)):  # shards finish in any order
        writer.add(start, result.series[start:stop])
    writer.close(result, panel, {"source": "test"})
    assert sorted(os.listdir(parts)) == ["result.json", "result.npz"]  # the parts are gone
    assert (parts / "result.json").read_bytes() == (whole / "result.json").read_bytes()
    a, b = job.Results(str(whole)), job.Results(str(parts))
    assert len(b) == len(panel) and b.meta["extra"] == {"source": "test"}
    for i, sr in enumerate(result.series):
        got = b.series(i)
        assert got["key"] == list(sr.key) and got["champion"] == sr.champion
        assert got["arrays"].keys() == a.series(i)["arrays"].keys()
        if got["has_forecast"]:
            np.testing.assert_array_equal(got["arrays"]["forecast"], sr.forecast)
            for lvl, (lo, hi) in sr.intervals.items():
                np.testing.assert_array_equal(got["arrays"][f"lo_{int(lvl)}"], lo)
                np.testing.assert_array_equal(got["arrays"][f"hi_{int(lvl)}"], hi)
    with np.load(parts / "result.npz") as npz, np.load(whole / "result.npz") as ref:
        assert sorted(npz.files) == sorted(ref.files)
        for k in ref.files:
            np.testing.assert_array_equal(npz[k], ref[k])


def test_a_block_that_does_not_fit_is_refused_and_a_missing_one_writes_nothing(tmp_path, result_and_panel):
    result, panel = result_and_panel
    writer = ResultWriter(str(tmp_path), len(panel), H, result.levels)
    writer.add(0, result.series[:5])
    with pytest.raises(ValueError, match="do not fit"):
        writer.add(0, result.series[:5])  # the same block twice
    with pytest.raises(ValueError, match="do not fit"):
        writer.add(7, result.series[:5])  # past the end
    with pytest.raises(RuntimeError, match="5 series written, the run has 9"):
        writer.close(result, panel)
    assert os.listdir(tmp_path) == []  # no result file, no parts


def test_a_series_record_is_plain_json(result_and_panel):
    result, _ = result_and_panel
    record = series_record(result.series[0], True)
    assert json.loads(json.dumps(_clean(record)))["key"] == ["P0", "WH"]


def test_results_hold_no_series_and_map_the_arrays(tmp_path, result_and_panel):
    """The Odoo worker reads a series' line when it saves it: 50,000 series are never all in memory."""
    result, panel = result_and_panel
    job.write_results(str(tmp_path), result, panel)
    lines = (tmp_path / "result.json").read_bytes().split(b"\n")
    assert len(lines) == len(panel) + 2  # the head, a line per series, the run's figures
    results = job.Results(str(tmp_path))
    assert "series" not in results.meta and results.meta["horizon"] == H
    assert all(isinstance(a, np.memmap) for a in results.arrays.values())
    whole = json.loads((tmp_path / "result.json").read_bytes())["series"]
    for i in reversed(range(len(panel))):  # any order
        got = results.series(i)
        assert {k: v for k, v in got.items() if k != "arrays"} == whole[i]
        if got["has_forecast"]:
            np.testing.assert_array_equal(got["arrays"]["forecast"], result.series[i].forecast)


def test_results_of_another_layout_are_read_whole(tmp_path, result_and_panel):
    """A result.json written in one piece (and a compressed .npz) reads the same."""
    result, panel = result_and_panel
    (tmp_path / "lines").mkdir()
    job.write_results(str(tmp_path / "lines"), result, panel)
    ref = job.Results(str(tmp_path / "lines"))
    doc = json.loads((tmp_path / "lines" / "result.json").read_bytes())
    (tmp_path / "result.json").write_text(json.dumps(doc, indent=1))
    with np.load(tmp_path / "lines" / "result.npz") as npz:
        np.savez_compressed(tmp_path / "result.npz", **{k: npz[k] for k in npz.files})
    other = job.Results(str(tmp_path))
    assert len(other) == len(ref) and other.meta == ref.meta
    for i in range(len(ref)):
        a, b = ref.series(i), other.series(i)
        assert a.keys() == b.keys() and a["champion"] == b["champion"]
        for k in a["arrays"]:
            np.testing.assert_array_equal(a["arrays"][k], b["arrays"][k])


def test_an_incomplete_result_is_refused_not_half_read(tmp_path, result_and_panel):
    result, panel = result_and_panel
    job.write_results(str(tmp_path), result, panel)
    text = (tmp_path / "result.json").read_bytes()
    (tmp_path / "result.json").write_bytes(text[: text.rindex(b"\n")])  # the run's figures cut off
    with pytest.raises(ValueError, match="incomplete"):
        job.Results(str(tmp_path))


def test_a_run_without_series_reads_as_empty(tmp_path, result_and_panel):
    result, panel = result_and_panel
    empty = Panel([], [], END, "D")
    writer = ResultWriter(str(tmp_path), 0, H, result.levels)
    writer.close(result, empty)
    results = job.Results(str(tmp_path))
    assert len(results) == 0 and json.loads((tmp_path / "result.json").read_bytes())["series"] == []
