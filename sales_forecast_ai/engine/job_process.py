"""Telling this directory's forecast job from any other process, and signalling only it.

Whatever names a process (a pid in a database row or in progress.json) may be stale or forged:
a pid is this work directory's job only when its command line runs ``JOB_MODULE`` on the directory
AND its environment holds the secret token that ``job.spawn`` wrote to ``job.token``. Pure Python,
no Odoo; ``engine.job`` re-exports these names.
"""
from __future__ import annotations

import hmac
import os
import signal
import subprocess
import threading

JOB_MODULE = "sales_forecast_ai.engine.job"
TOKEN_FILE = "job.token"
TOKEN_ENV = "SALES_FORECAST_JOB_TOKEN"
HAS_PROC = os.path.isdir("/proc/self")  # where a process' command line and environment can be read
# Children started by this process (``job.spawn``), by pid: only these are ever reaped (waiting on any
# other pid could steal the exit status another thread of the server waits for).
_CHILDREN: dict = {}
_CHILDREN_LOCK = threading.Lock()


def lower_priority(n: int) -> None:
    """Lower this process' CPU priority by ``n`` (0 or less: unchanged); where that is refused, the
    process simply runs at its parent's priority."""
    if n > 0:
        try:
            os.nice(n)
        except OSError:
            pass


def _valid_pid(pid) -> bool:
    """A pid that names one other process: 0 and negative pids name process groups or every process
    of the user for ``kill``, and the server never signals itself."""
    return isinstance(pid, int) and not isinstance(pid, bool) and pid > 1 and pid != os.getpid()


def read_token(workdir: str) -> str:
    try:
        with open(os.path.join(workdir, TOKEN_FILE), encoding="ascii") as fh:
            return fh.read().strip()
    except (OSError, ValueError):
        return ""


def _proc_items(pid: int, name: str) -> list:
    with open(f"/proc/{pid}/{name}", "rb") as fh:
        return fh.read().split(b"\0")


def runs_job(args: list, workdir: str) -> bool:
    """Is ``args`` (a command line) the engine job of ``workdir``: ``... -m <JOB_MODULE> ... <workdir>``?"""
    args = [a for a in args if a]
    if len(args) < 3 or not any(args[i] == "-m" and args[i + 1] == JOB_MODULE for i in range(len(args) - 1)):
        return False
    return os.path.normpath(os.path.abspath(args[-1])) == os.path.normpath(os.path.abspath(workdir))


def is_job_process(pid, workdir: str) -> bool:
    """Is ``pid`` a live engine job started by ``spawn`` for ``workdir``, on this machine?

    Both its command line and the token of its environment must match the directory: a pid read
    from anywhere may by now name any process of the server's user (recycled after a restart, or
    written by someone who should not), and the token is what no other process can hold.
    """
    if not _valid_pid(pid):
        return False
    token = read_token(workdir)
    if len(token) < 32:
        return False
    try:
        args = [os.fsdecode(a) for a in _proc_items(pid, "cmdline")]
        environ = _proc_items(pid, "environ")  # readable only for processes of our own user
    except OSError:
        return False
    if not runs_job(args, workdir):
        return False
    prefix = f"{TOKEN_ENV}=".encode()
    found = next((item[len(prefix):] for item in environ if item.startswith(prefix)), b"")
    return hmac.compare_digest(found, token.encode("ascii"))


def job_alive(pid, workdir: str) -> bool:
    """Is the job of ``workdir`` still running as ``pid``? A finished child of ours is reaped on the way.

    Without /proc (not Linux) a job cannot be told from another process: only whether the pid lives
    is known then, which is enough to wait for it, never to signal it (see ``signal_job``).
    """
    if _valid_pid(pid):
        reap(pid)
    if not HAS_PROC:
        return pid_alive(pid)
    return is_job_process(pid, workdir) and pid_alive(pid)


def signal_job(pid, workdir: str, sig: int = signal.SIGTERM) -> bool:
    """Send ``sig`` to ``pid`` only if it is the job of ``workdir`` (see ``is_job_process``).

    The process is held through a pidfd while it is checked, so it cannot exit and leave its pid to
    another process between the check and the signal. Returns whether the signal was sent.
    """
    if not _valid_pid(pid):
        return False
    pidfd = None
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return False
    except (AttributeError, OSError):  # no pidfd here (old kernel, a thread id): check, then kill
        pidfd = None
    try:
        if not is_job_process(pid, workdir):
            return False
        if pidfd is not None:
            signal.pidfd_send_signal(pidfd, sig)
        else:
            os.kill(pid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False
    finally:
        if pidfd is not None:
            os.close(pidfd)


def pid_alive(pid: int) -> bool:
    """Is this process running (a zombie is not)? Reaps it when ``spawn`` started it here."""
    if not _valid_pid(pid) and pid != os.getpid():
        return False
    if pid != os.getpid() and reap(pid):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().split(b")")[-1].split()[0] != b"Z"
    except OSError:
        return True


def reap(pid: int | None = None, timeout: float = 0.0) -> list:
    """Collect the exit status of finished children this process started: ``pid`` only (waiting up
    to ``timeout`` seconds for it to exit), or all of them. Returns the pids reaped.

    A pid this process did not start through ``spawn`` is left alone: it is another worker's child
    (the system reaps it) or no child at all.
    """
    with _CHILDREN_LOCK:
        items = [(pid, _CHILDREN.get(pid))] if pid is not None else list(_CHILDREN.items())
    reaped = []
    for child_pid, child in items:
        if child is None:
            continue
        try:
            ended = child.wait(timeout) is not None if timeout else child.poll() is not None
        except subprocess.TimeoutExpired:
            ended = False
        except ChildProcessError:  # already reaped elsewhere: nothing left to wait for
            ended = True
        if ended:
            with _CHILDREN_LOCK:
                _CHILDREN.pop(child_pid, None)
            reaped.append(child_pid)
    return reaped
