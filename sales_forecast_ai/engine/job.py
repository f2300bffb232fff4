"""A forecast job that runs in its own process, driven through files in a work directory.

The Odoo cron writes the input, starts ``python -m sales_forecast_ai.engine.job WORKDIR`` and
comes back every minute to read the progress; the child imports the engine WITHOUT Odoo, so the
memory of TensorFlow and of the training data is given back to the system when it exits and never
grows the Odoo worker. Like OCA queue_job's job.py, this module knows nothing about Odoo.

Work directory (every file is written whole: a temporary file in the same directory, then
``os.replace``, so a reader never sees half a file):

  input.json     parameters and series keys (parent); ``cluster`` says where the forecast runs
                 (``cluster_options``: a local Dask cluster by default, see ``engine.distributed``)
  input.npz      ``values`` (all series end to end) and ``lengths`` (parent)
  progress.json  phase, done/total, percent, message, pid, heartbeat time (child, on every step
                 and every HEARTBEAT_SECONDS, so a silent child is a dead child)
  result.json    per-series outputs, pooled scores, timings, log, forecast dates (child, on success)
  result.npz     ``forecast`` and ``lo_<level>``/``hi_<level>`` arrays (n series x h; NaN rows for
                 series without a forecast) (child, on success)
  status.json    state done|failed|cancelled, exit code, error, traceback, peak RSS (child, last)
  pkg/           a private import path holding only a link to the add-on (parent, see spawn)
  job.log        the child's stdout/stderr (parent)
  job.token      a random secret, also given to the child in its environment (parent, see spawn):
                 with the command line, it proves that a pid is this directory's job before any signal

Whatever names a process (a pid in a database row or in progress.json) may be stale or forged: the
parent signals a pid only through ``signal_job``, which checks the process against the directory
first, and reaps the children it started (``reap``) so that a long-running server does not collect
one ``<defunct>`` process per run.

Exit codes: 0 done; 1 the engine failed; 2 the input cannot be used (retrying will not help);
3 cancelled (SIGTERM).
"""
from __future__ import annotations

import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback


# The files of a job; re-exported so callers only need ``engine.job``.
from .job_io import (INPUT_JSON, INPUT_NPZ, LOG_FILE, PROGRESS_JSON, RESULT_JSON, RESULT_NPZ,  # noqa: F401
                     STATUS_JSON, Results, read_input, read_json, read_progress, read_status, tail, write_input,
                     write_json)
from .job_process import (_CHILDREN, _CHILDREN_LOCK, HAS_PROC, JOB_MODULE, TOKEN_ENV, TOKEN_FILE,  # noqa: F401
                          is_job_process, job_alive, lower_priority, pid_alive, read_token, reap, runs_job,
                          signal_job)
from .result_writer import ResultWriter, write_results  # noqa: F401 - write_results: re-exported
from .results import RunCancelled

_logger = logging.getLogger(__name__)

EXIT_DONE, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_CANCELLED = 0, 1, 2, 3
HEARTBEAT_SECONDS = 5.0
# The add-on's directory: the child imports ``sales_forecast_ai`` from a link to it.
ADDON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Cancelled(RunCancelled):
    """Raised in the child when the parent asks it to stop (SIGTERM). A BaseException (via RunCancelled)
    so the pipeline's per-model error isolation cannot swallow it."""


# -- parent side: spawn, polling ------------------------------------------------------------
def child_env(workdir: str, threads: int | None = None) -> dict:
    """Environment of the child: the private import path first, bounded native threads, quiet TF."""
    pkg = os.path.join(workdir, "pkg")
    os.makedirs(pkg, exist_ok=True)
    link = os.path.join(pkg, "sales_forecast_ai")
    try:
        if not os.path.lexists(link):
            os.symlink(ADDON_DIR, link)
        path = pkg
    except OSError:  # no symlinks here: fall back to the directory holding the add-on
        path = os.path.dirname(ADDON_DIR)
    # Only the link goes on the path: an add-ons directory may hold modules named like the
    # standard library (Odoo's own "calendar"), which would shadow it in the child.
    env = dict(os.environ, PYTHONPATH=path, PYTHONHASHSEED="0", TF_CPP_MIN_LOG_LEVEL="2",
               PYTHONUNBUFFERED="1")
    env.pop("PYTHONSTARTUP", None)
    if threads:
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
            env[var] = str(threads)
    return env


def spawn(workdir: str, python: str | None = None, threads: int | None = None, nice: int = 5):
    """Start the job detached (own session, output to job.log); returns the Popen.

    A fresh token goes to ``job.token`` in the directory and to the child's environment, so that
    ``is_job_process`` can later tell this child from any other process that has its pid.
    """
    workdir = os.path.abspath(workdir)
    token = secrets.token_hex(16)
    fd = os.open(os.path.join(workdir, TOKEN_FILE), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(token)
    env = child_env(workdir, threads)
    env[TOKEN_ENV] = token
    log = open(os.path.join(workdir, LOG_FILE), "ab")
    try:
        child = subprocess.Popen(
            [python or sys.executable, "-m", JOB_MODULE, "--nice", str(nice), workdir],
            cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True, close_fds=True)
    finally:
        log.close()
    with _CHILDREN_LOCK:
        _CHILDREN[child.pid] = child
    # Popen returns as the exec starts, a moment before the kernel shows the new command line: wait
    # for it, so that the job can be recognised as soon as anyone looks (a poll right after the start).
    deadline = time.monotonic() + (5.0 if HAS_PROC else 0.0)
    while child.poll() is None and not is_job_process(child.pid, workdir) and time.monotonic() < deadline:
        time.sleep(0.002)
    return child


# -- child side -----------------------------------------------------------------------------------
class _Reporter:
    """The engine's progress callback: keeps the latest state and writes it to progress.json."""

    def __init__(self, workdir: str):
        self.path = os.path.join(workdir, PROGRESS_JSON)
        self.state = {"phase": "start", "done": 0, "total": 0, "percent": 0.0, "message": "",
                      "pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None

    def __call__(self, phase=None, fraction=None, message="", **extra):
        """The pipeline's callback: ``progress(phase, fraction, message)``, fraction in 0..1 or None."""
        update = dict(extra)
        if phase is not None:
            update["phase"] = str(phase)
        update["message"] = str(message or "")
        if fraction is not None:
            try:
                update["percent"] = round(100.0 * min(max(float(fraction), 0.0), 1.0), 1)
            except (TypeError, ValueError):
                pass
        self.update(**update)

    def update(self, **values):
        with self._lock:
            self.state.update(values)
            done, total = self.state.get("done") or 0, self.state.get("total") or 0
            if "percent" not in values and total:
                self.state["percent"] = round(100.0 * min(max(float(done) / float(total), 0.0), 1.0), 1)
            self._write()

    def _write(self):
        self.state["heartbeat"] = time.time()
        try:
            write_json(self.path, self.state)
        except OSError as exc:  # a full disk must not kill the training; the heartbeat retries
            _logger.warning("cannot write progress: %s", exc)

    def start_heartbeat(self):
        def beat():
            while not self._stop.wait(HEARTBEAT_SECONDS):
                with self._lock:
                    self._write()

        self._thread = threading.Thread(target=beat, name="job-heartbeat", daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()


def _peak_rss_mb() -> float:
    try:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux
    except (ImportError, OSError):
        return 0.0


def _finish(workdir: str, state: str, code: int, error: str = "", tb: str = "", started: float = 0.0) -> int:
    write_json(os.path.join(workdir, STATUS_JSON), {
        "state": state, "exit_code": code, "error": error, "traceback": tb, "finished": time.time(),
        "seconds": round(time.time() - started, 3) if started else None, "peak_rss_mb": round(_peak_rss_mb(), 1),
        "pid": os.getpid(),
    })
    return code


# A scheduler address as Dask takes it: tcp:// or tls://, a host name or IP (v6 in brackets), a port.
_ADDRESS = re.compile(r"^(tcp|tls)://([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):[0-9]{1,5}$")


def cluster_options(cluster) -> dict:
    """``run_forecast_distributed`` options from the input's ``cluster`` entry: ``address`` ("" = a local
    cluster), ``workers`` (0 = one per CPU), ``shard_size`` (optional). The parent wrote it from a
    setting, but a file is no proof: anything else is refused (ValueError)."""
    cluster = cluster or {}
    if not isinstance(cluster, dict) or set(cluster) - {"address", "workers", "shard_size"}:
        raise ValueError(f"cluster must hold address, workers and shard_size only, got {cluster!r}")
    address = cluster.get("address") or ""
    if not isinstance(address, str) or (address and not _ADDRESS.match(address)):
        raise ValueError(f"cluster address must look like tcp://host:port, got {address!r}")
    options = {"address": address or None}
    for key, low in (("workers", 0), ("shard_size", 1)):
        value = cluster.get(key)
        if value is None or (key == "workers" and value == 0):
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"cluster {key} must be a whole number >= {low}, got {value!r}")
        options[key] = value
    return options


def run(workdir: str) -> int:
    """Run the job of ``workdir`` in this process; returns the exit code."""
    from .data import DataError

    started = time.time()
    reporter = _Reporter(workdir)
    reporter.update(phase="load", message="reading the input")

    def on_term(signum, frame):
        raise Cancelled()

    previous = signal.signal(signal.SIGTERM, on_term)
    reporter.start_heartbeat()
    try:
        try:
            panel, params = read_input(workdir)
            cluster = cluster_options(params.get("cluster"))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return _finish(workdir, "failed", EXIT_BAD_INPUT, f"unusable job input: {exc}", started=started)
        reporter.update(phase="forecast", done=0, total=len(panel), message=f"{len(panel)} series")
        from .distributed import run_forecast_distributed

        # Each shard's series are written as soon as it is finished: the job never holds them all.
        writer = ResultWriter(workdir, len(panel), params["horizon"], params["levels"])
        try:
            result = run_forecast_distributed(
                panel, params["horizon"], levels=tuple(params["levels"]), folds=params["folds"],
                models=params.get("models"), metric=params.get("metric") or "mase", seed=params.get("seed", 0),
                progress=reporter, model_params=params.get("model_params"), sink=writer.add, **cluster)
            reporter.update(phase="write", message="writing results")
            writer.close(result, panel, params.get("extra"))
        finally:
            writer.discard()
        reporter.update(phase="done", done=len(panel), total=len(panel), percent=100.0, message="done")
        return _finish(workdir, "done", EXIT_DONE, started=started)
    except Cancelled:
        return _finish(workdir, "cancelled", EXIT_CANCELLED, "cancelled on request", started=started)
    except DataError as exc:
        return _finish(workdir, "failed", EXIT_BAD_INPUT, str(exc), traceback.format_exc(), started)
    except MemoryError:
        return _finish(workdir, "failed", EXIT_FAILED, "out of memory", traceback.format_exc(), started)
    except Exception as exc:  # noqa: BLE001 - any engine error ends the job with its message
        return _finish(workdir, "failed", EXIT_FAILED, f"{type(exc).__name__}: {exc}", traceback.format_exc(),
                       started)
    finally:
        reporter.stop()
        signal.signal(signal.SIGTERM, previous)


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m sales_forecast_ai.engine.job",
                                     description="Run one forecast job from its work directory.")
    parser.add_argument("workdir")
    parser.add_argument("--nice", type=int, default=0, help="lower this process' CPU priority by N")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    lower_priority(args.nice)  # training yields to the Odoo workers serving users
    if not os.path.isdir(args.workdir):
        print(f"no such work directory: {args.workdir}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return run(args.workdir)


if __name__ == "__main__":
    sys.exit(main())
