"""Which processes the parent may signal and reap: only the job it started for a work directory."""
import os
import signal
import subprocess
import sys
import time

import pytest

from sales_forecast_ai.engine import job


def proc_state(pid):
    """The process' state letter (R, S, Z...), or None when no such process exists any more."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().split(b")")[-1].split()[0].decode()
    except OSError:
        return None


def wait_for(predicate, seconds=30.0, what="condition"):
    deadline = time.time() + seconds
    while not predicate():
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def fake_python(tmp_path):
    """An executable standing in for Python in ``job.spawn``: it only sleeps, but its command line is the
    job's (``python <script> -m sales_forecast_ai.engine.job --nice 5 <work dir>``)."""
    path = tmp_path / "fake-python"
    path.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(60)\n")
    path.chmod(0o755)
    return str(path)


@pytest.fixture
def workdir(tmp_path):
    path = tmp_path / "run_7"
    path.mkdir()
    return str(path)


@pytest.fixture
def cleanup():
    children = []
    yield children.append
    for child in children:
        if child.poll() is None:
            child.kill()
            child.wait(10)


def test_spawned_job_is_recognised_signalled_and_reaped(workdir, fake_python, tmp_path, cleanup):
    child = job.spawn(workdir, python=fake_python)
    cleanup(child)
    token = job.read_token(workdir)
    assert len(token) == 32
    assert oct(os.stat(os.path.join(workdir, job.TOKEN_FILE)).st_mode & 0o777) == "0o600"
    assert job.is_job_process(child.pid, workdir)
    assert job.job_alive(child.pid, workdir)
    # The same process is not the job of another run's directory, even one holding the same name.
    other = tmp_path / "other" / "run_7"
    other.mkdir(parents=True)
    (other / job.TOKEN_FILE).write_text(token)
    assert not job.is_job_process(child.pid, str(other))
    assert not job.signal_job(child.pid, str(other), signal.SIGKILL)
    assert proc_state(child.pid) in ("S", "R")
    # A new token in the directory (a later attempt) disowns the old process.
    (tmp_path / "run_7" / job.TOKEN_FILE).write_text("0" * 32)
    assert not job.is_job_process(child.pid, workdir)
    (tmp_path / "run_7" / job.TOKEN_FILE).write_text(token)

    assert job.signal_job(child.pid, workdir, signal.SIGTERM)
    wait_for(lambda: proc_state(child.pid) in ("Z", None), what="the child to end")
    assert not job.job_alive(child.pid, workdir), "an ended child is not alive"
    assert proc_state(child.pid) is None, "job_alive reaped our ended child: no <defunct> left"
    assert child.returncode == -signal.SIGTERM
    assert not job.signal_job(child.pid, workdir, signal.SIGKILL), "nothing left to signal"


def test_lookalike_processes_are_never_signalled(workdir, cleanup):
    """A process with the job's command line but not its token: e.g. a forged or recycled pid."""
    with open(os.path.join(workdir, job.TOKEN_FILE), "w") as fh:
        fh.write("a" * 32)
    argv = [sys.executable, "-c", "import time; time.sleep(60)", "-m", job.JOB_MODULE, workdir]
    env = {k: v for k, v in os.environ.items() if k != job.TOKEN_ENV}
    no_token = subprocess.Popen(argv, env=env)
    wrong_token = subprocess.Popen(argv, env=dict(env, **{job.TOKEN_ENV: "b" * 32}))
    right_token = subprocess.Popen(argv, env=dict(env, **{job.TOKEN_ENV: "a" * 32}))
    sleeper = subprocess.Popen(["sleep", "60"], env=dict(env, **{job.TOKEN_ENV: "a" * 32}))
    for child in (no_token, wrong_token, right_token, sleeper):
        cleanup(child)
    wait_for(lambda: all(job.runs_job(open(f"/proc/{c.pid}/cmdline", "rb").read().decode().split("\0"), workdir)
                         for c in (no_token, wrong_token, right_token)), what="the interpreters to start")
    for child in (no_token, wrong_token, sleeper):
        assert not job.is_job_process(child.pid, workdir)
        assert not job.signal_job(child.pid, workdir, signal.SIGKILL)
        assert child.poll() is None, "a process that is not the job is never killed"
    assert job.is_job_process(right_token.pid, workdir), "the token, with the command line, is the proof"
    os.remove(os.path.join(workdir, job.TOKEN_FILE))
    assert not job.is_job_process(right_token.pid, workdir), "no token file, no proof"


@pytest.mark.parametrize("pid", [0, -1, 1, True, None, "123", 1.5])
def test_pids_that_name_groups_or_nothing_are_refused(workdir, pid):
    # kill(0) signals the process group and kill(-1) every process of the user: never reached.
    assert not job.is_job_process(pid, workdir)
    assert not job.signal_job(pid, workdir, signal.SIGKILL)


def test_own_pid_is_never_signalled(workdir):
    assert not job.signal_job(os.getpid(), workdir, signal.SIGKILL)
    assert not job.pid_alive(-1)


def test_finished_job_is_reaped_not_left_defunct(workdir, cleanup):
    """The real job, started the real way, ends at once (no input): once its end is seen, it is reaped."""
    child = job.spawn(workdir)
    cleanup(child)
    wait_for(lambda: job.read_status(workdir), seconds=120, what="the job's status file")
    assert job.read_status(workdir)["exit_code"] == job.EXIT_BAD_INPUT
    wait_for(lambda: proc_state(child.pid) == "Z", what="the child to exit")  # ended, nobody waited yet
    assert job.reap(child.pid, timeout=5) == [child.pid]
    assert proc_state(child.pid) is None, "no <defunct> process left behind"
    assert child.returncode == job.EXIT_BAD_INPUT
    assert job.reap(child.pid) == [], "reaped once"


def test_reap_leaves_children_it_did_not_start(cleanup):
    other = subprocess.Popen([sys.executable, "-c", "pass"])
    cleanup(other)
    wait_for(lambda: proc_state(other.pid) == "Z", what="the other child to exit")
    assert job.reap(other.pid) == [] and other.pid not in job.reap()
    assert proc_state(other.pid) == "Z", "whoever started it collects its status"
    assert other.wait(5) == 0


def test_runs_job_reads_the_command_line():
    wd = "/data/sales_forecast_ai/db/run_3"
    assert job.runs_job(["/usr/bin/python3", "-m", job.JOB_MODULE, "--nice", "5", wd, ""], wd)
    assert job.runs_job(["python", "-m", job.JOB_MODULE, wd + "/"], wd)
    assert not job.runs_job(["python", "-m", job.JOB_MODULE, "/data/sales_forecast_ai/db/run_33"], wd)
    assert not job.runs_job(["python", "-m", "other.module", wd], wd)
    assert not job.runs_job(["sleep", wd], wd)
    assert not job.runs_job([], wd)
