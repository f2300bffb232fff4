"""The "Forecast cluster" values: what the settings form, the run and the job input accept."""
import json
import os

import numpy as np
import pandas as pd
import pytest

from sales_forecast_ai.engine import job
from sales_forecast_ai.engine.cluster_address import (
    MAX_WORKERS, cluster_params, parse_scheduler_address, parse_workers)
from sales_forecast_ai.engine.panel import Panel


@pytest.mark.parametrize("address", [
    "tcp://dask-scheduler:8786", "tls://10.0.0.5:8786", "tcp://127.0.0.1:1", "tcp://scheduler.example.com:65535",
    "tcp://[::1]:8786", "tls://[2001:db8::7]:443", "tcp://localhost:8786", "tcp://node-7.cluster.local.:8786",
])
def test_valid_addresses_are_kept(address):
    assert parse_scheduler_address(address) == address
    assert parse_scheduler_address(f"  {address}\n") == address


@pytest.mark.parametrize("empty", [None, False, "", "   "])
def test_empty_means_a_local_cluster(empty):
    assert parse_scheduler_address(empty) == ""


@pytest.mark.parametrize("address", [
    "dask-scheduler:8786",  # no protocol
    "http://dask-scheduler:8786", "ucx://host:8786", "inproc://host:8786", "TCP://host:8786",
    "tcp://dask-scheduler",  # no port
    "tcp://host:0", "tcp://host:65536", "tcp://host:99999", "tcp://host:-1", "tcp://host:+80", "tcp://host:80a",
    "tcp://:8786", "tcp://ho st:8786", "tcp://host_name:8786", "tcp://-host:8786", "tcp://host-:8786",
    "tcp://999.1.1.1:8786", "tcp://10.0.0:8786.", "tcp://::1:8786", "tcp://[::g]:8786", "tcp://[]:8786", "tcp://[fe80::1%eth0]:8786",
    "tcp://host:8786/", "tcp://host:8786/path", "tcp://user@host:8786", "tcp://host:8786?x=1",
    "tcp://host:8786; rm -rf /", "tcp://host:8786\ntcp://other:1", "tcp://" + "a" * 64 + ":8786",
    "tcp://" + ".".join(["a" * 60] * 5) + ":8786",
])
def test_bad_addresses_are_refused(address):
    with pytest.raises(ValueError):
        parse_scheduler_address(address)


def test_an_address_must_be_text():
    with pytest.raises(ValueError, match="text"):
        parse_scheduler_address(8786)


@pytest.mark.parametrize("value, expected", [(None, 0), ("", 0), (0, 0), (2, 2), ("4", 4), (" 3 ", 3),
                                             (2.0, 2), (MAX_WORKERS, MAX_WORKERS)])
def test_workers(value, expected):
    assert parse_workers(value) == expected


@pytest.mark.parametrize("value", [-1, MAX_WORKERS + 1, "two", "2.5", 2.5, True, [2], "1e3"])
def test_bad_workers_are_refused(value):
    with pytest.raises(ValueError):
        parse_workers(value)


def test_cluster_params():
    assert cluster_params() == {"address": "", "workers": 0}
    assert cluster_params(" tcp://h:1 ", "2") == {"address": "tcp://h:1", "workers": 2}


def _panel():
    return Panel([("1", "1")], [np.arange(30, dtype=float)], pd.Timestamp("2024-03-31"), "D")


def test_job_input_carries_the_cluster(tmp_path):
    job.write_input(str(tmp_path), _panel(), horizon=7, cluster={"address": " tls://10.0.0.5:8786", "workers": 3})
    _, params = job.read_input(str(tmp_path))
    assert params["cluster"] == {"address": "tls://10.0.0.5:8786", "workers": 3}


def test_job_input_defaults_to_a_local_cluster(tmp_path):
    job.write_input(str(tmp_path), _panel(), horizon=7)
    with open(os.path.join(tmp_path, job.INPUT_JSON)) as fh:
        assert json.load(fh)["cluster"] == {"address": "", "workers": 0}


def test_job_input_refuses_a_bad_cluster_and_writes_nothing(tmp_path):
    with pytest.raises(ValueError):
        job.write_input(str(tmp_path), _panel(), horizon=7, cluster={"address": "tcp://evil:8786/x", "workers": 1})
    assert not os.listdir(tmp_path)
