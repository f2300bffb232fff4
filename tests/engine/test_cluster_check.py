"""The settings' connection check when there is nothing usable to connect to (a live cluster: see
tests/test_docker_wiring.py, which checks the compose services' own commands)."""
import json
import socket
import subprocess
import sys
import time

import pytest

from sales_forecast_ai.engine.cluster_check import check_scheduler

pytest.importorskip("distributed")


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_scheduler_is_reported_quickly():
    started = time.monotonic()
    report = check_scheduler(f"tcp://127.0.0.1:{_closed_port()}", timeout=3)
    assert time.monotonic() - started < 30
    assert not report["ok"] and "cannot reach the scheduler" in report["error"]


@pytest.mark.parametrize("address, error", [("", "local cluster"), ("http://x:1", "must be tcp or tls"), ("tcp://x", "tcp://host:port")])
def test_no_or_a_bad_address_is_reported_without_connecting(address, error):
    report = check_scheduler(address)
    assert not report["ok"] and error in report["error"]


def test_command_line_prints_one_json_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "sales_forecast_ai.engine.cluster_check", "tcp://host:0"],
                          capture_output=True, text=True, timeout=60, cwd=str(tmp_path),
                          env={"PYTHONPATH": str(__import__("pathlib").Path(__file__).resolve().parents[2])})
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["error"].endswith("the port must be between 1 and 65535")
