"""The Dask side of the distributed forecast: reaching a cluster, watching its health, closing it.

``connect`` gives a client on an existing scheduler (``address``) or on a LocalCluster of single-threaded
worker processes on 127.0.0.1; ``Watch`` fails the run when the scheduler or every worker is gone for
LOST_TIMEOUT seconds, so a run never hangs on a lost cluster; ``raise_failed`` names the shard a task
failed on; ``close`` cancels what is left and closes the client and a cluster this run started.
"""
from __future__ import annotations

import logging
import os
import time

CONNECT_TIMEOUT = 20  # seconds to reach a scheduler before the run fails, naming it
LOST_TIMEOUT = 30  # seconds without a scheduler connection or without any worker before the run fails
CHECK_EVERY = 2.0  # seconds between two looks at the cluster's health

_logger = logging.getLogger(__name__)


class ClusterError(RuntimeError):
    """The cluster cannot run the forecast (unreachable, lost, out of workers, a shard killing workers)."""


def connect(address, workers):
    """(client, cluster or None); a scheduler that cannot be reached fails within CONNECT_TIMEOUT."""
    from distributed import Client, LocalCluster

    if address:
        try:
            return Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False), None
        except (OSError, TimeoutError, ValueError) as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {address} within {CONNECT_TIMEOUT} s "
                               f"({type(exc).__name__}: {exc})") from None
    # No dashboard; the scheduler's small HTTP server (health, metrics) on a free loopback port.
    cluster = LocalCluster(n_workers=int(workers or os.cpu_count() or 1), threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None, silence_logs=logging.WARNING,
                           scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
    try:
        return Client(cluster, set_as_default=False), cluster
    except BaseException:
        cluster.close()
        raise


def count_workers(client) -> int:
    try:
        return len(client.sync(client.scheduler.identity, n_workers=-1, callback_timeout=5).get("workers", {}))
    except Exception:  # the scheduler went away mid-call, or does not answer
        return 0


class Watch:
    """Fails the run when the scheduler is unreachable or no worker is left for LOST_TIMEOUT seconds."""

    def __init__(self, client, where: str):
        self.client, self.where = client, where
        self.since, self.last = None, 0.0

    def check(self):
        if time.monotonic() - self.last < CHECK_EVERY:
            return
        self.last = time.monotonic()
        status = self.client.status
        if status in ("closed", "closing"):
            raise ClusterError(f"the connection to the Dask scheduler at {self.where} was closed")
        if status == "running" and count_workers(self.client):
            self.since = None
            return
        self.since = self.since or time.monotonic()
        if time.monotonic() - self.since > LOST_TIMEOUT:
            what = "no worker" if status == "running" else "no connection to the scheduler"
            raise ClusterError(f"{what} at {self.where} for {LOST_TIMEOUT} s: the forecast was stopped")


def raise_failed(future, k: int, bounds):
    if future.status != "error":
        return
    from distributed.scheduler import KilledWorker

    exc = future.exception()
    a, b = bounds[k]
    where = f"shard {k + 1}/{len(bounds)} (series {a + 1} to {b})"
    if isinstance(exc, KilledWorker):
        raise ClusterError(f"a Dask worker died {exc.allowed_failures + 1} times on {where}; "
                           f"last on {exc.last_worker.address}") from None
    raise ClusterError(f"{where} failed: {type(exc).__name__}: {exc}") from exc


def close(client, cluster, futures):
    try:
        if futures and client.status == "running":
            client.cancel(futures, force=True)
    except Exception:  # the cluster may already be gone
        pass
    try:
        client.close(timeout=10)
    except Exception:
        _logger.warning("closing the Dask client failed", exc_info=True)
    if cluster is not None:
        try:
            cluster.close(timeout=20)
        except Exception:
            _logger.warning("closing the local Dask cluster failed", exc_info=True)
