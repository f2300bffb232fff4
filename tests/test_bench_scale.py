"""The scale benchmark's own logic (tests/benchmarks/bench_scale.py): its panels and its verdicts.
The benchmark itself is run by hand (bench_engine.py --scale), never here."""
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "benchmarks"))
import bench_scale  # noqa: E402
import process_memory  # noqa: E402

GB = 1024 ** 3


def test_panels_are_seeded_and_each_size_extends_the_smaller_one():
    small, big = bench_scale.make_panel(1200, 60), bench_scale.make_panel(2500, 60)
    again = bench_scale.make_panel(2500, 60)
    assert len(small) == 1200 and len(big) == 2500 and {len(v) for v in big.values} == {60}
    assert all(np.array_equal(a, b) for a, b in zip(big.values, again.values))
    # The first 1,200 series are the same at every size: growth compares like with like.
    assert all(np.array_equal(a, b) for a, b in zip(small.values, big.values[:1200]))
    assert small.keys == big.keys[:1200] and len(set(big.keys)) == 2500
    assert not np.array_equal(big.values[0], big.values[1000])  # chunks are seeded apart
    y = np.array(big.values)
    assert np.isfinite(y).all() and (y >= 0).all()
    mostly_zero = (y == 0).mean(axis=1) > 0.5
    assert 0.15 < mostly_zero.mean() < 0.45  # the intermittent share, beside smooth and seasonal series


def _row(size, workers, wall, shards, peaks=(("driver", 0.3 * GB), ("dask worker", 0.4 * GB))):
    return {"size": size, "workers": workers, "wall": wall, "timings": {"shards": shards, "global": 1.0,
                                                                         "shards_count": 4},
            "processes": [{"role": r, "peak": p} for r, p in peaks], "log": ["ran on a local Dask cluster"]}


class _Args:
    length, horizon, folds, models, shard_size = 730, 90, 2, None, None
    load_at_start, engine_root, global_nice = "0.00", ".", 0


def _report(rows, capsys):
    ok = bench_scale.report(rows, _Args())
    return ok, capsys.readouterr().out


def test_report_passes_linear_growth_speedup_and_memory(capsys):
    rows = [_row(1000, 1, 100.0, 90.0), _row(1000, 2, 55.0, 50.0),
            _row(4000, 1, 410.0, 370.0), _row(4000, 2, 220.0, 200.0)]
    ok, out = _report(rows, capsys)
    assert ok, out
    assert "x1.80" in out and "x1.85" in out and "FAIL" not in out and "OVERALL: PASS" in out


@pytest.mark.parametrize("rows, expected", [
    # 2 workers only 1.5x faster on the per-series part
    ([_row(1000, 1, 100.0, 90.0), _row(1000, 2, 70.0, 60.0)], "x1.50"),
    # time per series grew by 30 %
    ([_row(1000, 1, 100.0, 90.0), _row(4000, 1, 520.0, 480.0)], "FAIL (superlinear)"),
    # a worker above 1.5 GB
    ([_row(1000, 1, 100.0, 90.0, (("driver", GB), ("dask worker", 1.6 * GB)))], "largest dask worker"),
])
def test_report_fails_a_missed_target(capsys, rows, expected):
    ok, out = _report(rows, capsys)
    assert not ok
    assert expected in out and "OVERALL: FAIL" in out


def test_the_report_says_when_the_global_models_yielded_the_cpu(capsys):
    rows = [_row(1000, 1, 100.0, 90.0)]
    assert "below the shards' CPU priority" not in _report(rows, capsys)[1]
    args = _Args()
    args.global_nice = 10
    bench_scale.report(rows, args)
    assert "global-model child 10 below the shards' CPU priority" in capsys.readouterr().out
    assert bench_scale.parse_args(["--sizes", "1000", "--global-nice", "10"]).global_nice == 10


def test_a_failed_run_fails_the_benchmark(capsys):
    ok, out = _report([_row(1000, 1, 100.0, 90.0), {"size": 4000, "workers": 1, "error": "timed out after 60 s",
                                                    "processes": []}], capsys)
    assert not ok and "timed out after 60 s" in out


def test_growth_verdicts():
    assert bench_scale.growth_verdict(1.19)[0] is True
    assert bench_scale.growth_verdict(1.21)[0] is False
    assert bench_scale.growth_verdict(0.5) == (True, "PASS (sublinear: fixed costs spread)")


class _Proc:
    def __init__(self, pid, cmd):
        self.pid, self._cmd = pid, cmd

    def cmdline(self):
        return self._cmd

    def name(self):
        return self._cmd[0]


@pytest.mark.parametrize("cmd, expected", [
    (["python", "bench_scale.py", "--child", "--size", "9"], "driver"),
    (["python", "-c", "from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5, pipe_handle=9)",
      "--multiprocessing-fork"], "dask worker"),
    (["python", "-m", "sales_forecast_ai.engine.global_child", "/tmp/x"], "global models"),
    (["python", "-c", "from multiprocessing.resource_tracker import main;main(4)"], "mp helper"),
    (["sh", "-c", "true"], "other: sh"),
    # forked by the driver, not yet exec'd: still the driver's command line
    (["python", "bench_scale.py", "--child", "--size", "9"], "starting"),
])
def test_processes_are_named_by_role(cmd, expected):
    pid = 10 if expected == "driver" else 11
    root_cmd = ["python", "bench_scale.py", "--child", "--size", "9"]
    assert process_memory.role(_Proc(pid, cmd), root_pid=10, root_cmd=root_cmd) == expected
