"""Can a forecast run use this Dask scheduler? What an administrator wants to know before saving it.

    python -m sales_forecast_ai.engine.cluster_check [--timeout 10] tcp://dask-scheduler:8786    # one JSON line

Connects as the job would, then reports the workers (and their threads), the packages whose versions
differ between this machine, the scheduler and the workers (Dask refuses to run tasks across some of
them), and whether the workers can import the engine (their ``PYTHONPATH``). The settings' button runs
it in its own process, so the Odoo server never loads Dask. Nothing is left running on the cluster.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys

from .cluster_address import parse_scheduler_address

# What must match for the engine's tasks to run identically everywhere.
PACKAGES = ("python", "dask", "distributed", "cloudpickle", "msgpack", "numpy", "pandas", "statsforecast")
# Looked up on each worker: a top-level package, so a missing one is None rather than an import error.
ENGINE_PACKAGE = "sales_forecast_ai"


def _mismatches(versions: dict) -> list:
    """["numpy: here 2.1.0, scheduler 2.1.0, workers 1.26.4", ...] for every package that differs."""
    places = {"here": versions.get("client") or {}, "scheduler": versions.get("scheduler") or {}}
    places.update({f"worker {addr}": info or {} for addr, info in (versions.get("workers") or {}).items()})
    out = []
    for package in PACKAGES:
        found = {where: (info.get("packages") or {}).get(package) or "missing" for where, info in places.items()}
        if len(set(found.values())) > 1:
            out.append(f"{package}: " + ", ".join(f"{where} {version}" for where, version in found.items()))
    return out


def check_scheduler(address: str, timeout: float = 10.0) -> dict:
    """``{"ok", "address", "workers", "threads", "mismatches", "engine_missing", "error"}``; never raises."""
    report = {"ok": False, "address": "", "workers": 0, "threads": 0, "mismatches": [], "engine_missing": [],
              "error": ""}
    try:
        report["address"] = parse_scheduler_address(address)
    except ValueError as exc:
        report["error"] = str(exc)
        return report
    if not report["address"]:
        report["error"] = "no scheduler address (a local cluster is used)"
        return report
    try:
        from distributed import Client
    except ImportError as exc:
        report["error"] = f"Dask is not installed here ({exc})"
        return report
    try:
        client = Client(report["address"], timeout=timeout, set_as_default=False)
    except Exception as exc:  # noqa: BLE001 - whatever stops the connection is the answer
        report["error"] = f"cannot reach the scheduler within {timeout:g} s ({type(exc).__name__}: {exc})"
        return report
    try:
        workers = client.scheduler_info(n_workers=-1).get("workers") or {}
        report["workers"] = len(workers)
        report["threads"] = sum(int(info.get("nthreads") or 0) for info in workers.values())
        report["mismatches"] = _mismatches(client.get_versions(check=False, packages=list(PACKAGES[5:])))
        if workers:
            found = client.run(importlib.util.find_spec, ENGINE_PACKAGE)  # each worker, nothing kept
            report["engine_missing"] = sorted(addr for addr, spec in found.items() if spec is None)
        if workers and not report["engine_missing"]:
            # One engine task end to end: the scheduler unpickles it too, so it needs the engine as well.
            future = client.submit(parse_scheduler_address, " tcp://engine-check:1 ", pure=False)
            try:
                if future.result(timeout=timeout) != "tcp://engine-check:1":
                    report["error"] = "an engine task gave a wrong answer on the cluster"
            except Exception as exc:  # noqa: BLE001
                report["error"] = f"an engine task failed on the cluster ({type(exc).__name__}: {exc})"
        elif not workers:
            report["error"] = "the scheduler has no worker"
        report["ok"] = not report["error"] and not report["mismatches"] and not report["engine_missing"]
    except Exception as exc:  # noqa: BLE001 - a scheduler that answers oddly is not usable either
        report["error"] = f"{type(exc).__name__}: {exc}"
    finally:
        client.close(timeout=timeout)
    return report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sales_forecast_ai.engine.cluster_check",
                                     description="Can a forecast run use this Dask scheduler? One JSON line.")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to connect (1-60, default 10)")
    parser.add_argument("address", help="tcp://host:port or tls://host:port")
    args = parser.parse_args(argv)
    report = check_scheduler(args.address, timeout=min(max(args.timeout, 1.0), 60.0))
    print(json.dumps(report))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
