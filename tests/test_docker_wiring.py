"""Docker is not available where the tests run: check the compose file and Dockerfile wiring instead,
so a typo in a service name, a path or the init command cannot land unnoticed."""
import re
import shlex
from configparser import ConfigParser
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
DOCKER = REPO / "docker"
ADDON = "sales_forecast_ai"
ADDON_IN_IMAGE = f"/mnt/extra-addons/{ADDON}"


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((DOCKER / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def dockerfile():
    """Dockerfile instructions as (KEYWORD, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (DOCKER / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [tuple(line.split(None, 1)) for line in lines]


@pytest.fixture(scope="module")
def odoo_conf():
    parser = ConfigParser()
    parser.read(DOCKER / "odoo.conf")
    return parser["options"]


def _compose_path(path):
    """A compose-relative host path, resolved like docker compose does (against the file's folder)."""
    return (DOCKER / path).resolve()


def test_services(compose):
    assert set(compose["services"]) == {"db", "odoo", "dask-scheduler", "dask-worker"}
    assert compose["services"]["db"]["image"].startswith("postgres:16")


def test_odoo_builds_from_the_repository_root(compose):
    build = compose["services"]["odoo"]["build"]
    assert _compose_path(build["context"]) == REPO
    assert (_compose_path(build["context"]) / build["dockerfile"]).resolve() == DOCKER / "Dockerfile"


def test_dockerfile_uses_the_official_odoo_18_image(dockerfile):
    assert dockerfile[0] == ("FROM", "odoo:18.0")


def test_requirements_are_installed_in_the_image(dockerfile):
    copies = [args.split() for kw, args in dockerfile if kw == "COPY"]
    target = next(dst for src, dst in copies if src == "requirements.txt")
    assert (REPO / "requirements.txt").is_file()
    pip_runs = [args for kw, args in dockerfile if kw == "RUN" and re.search(r"\bpip3? install\b", args)]
    assert pip_runs, "no pip install in the Dockerfile"
    words = shlex.split(pip_runs[0])
    assert "-r" in words and words[words.index("-r") + 1] == target
    # The image's system Python is externally managed: without this flag pip refuses to install.
    assert "--break-system-packages" in words
    # pip runs as root, and the image is handed back to the odoo user afterwards.
    users = [(i, args) for i, (kw, args) in enumerate(dockerfile) if kw == "USER"]
    pip_index = next(i for i, (kw, args) in enumerate(dockerfile) if kw == "RUN" and args == pip_runs[0])
    assert any(user == "root" and i < pip_index for i, user in users)
    assert users[-1][1] == "odoo"


def test_addon_is_copied_and_mounted_at_the_same_path(compose, dockerfile):
    copies = [args.split() for kw, args in dockerfile if kw == "COPY"]
    assert [ADDON, ADDON_IN_IMAGE] in copies
    mounts = [volume.split(":") for volume in compose["services"]["odoo"]["volumes"]]
    addon_mounts = [m for m in mounts if m[1] == ADDON_IN_IMAGE]
    assert len(addon_mounts) == 1
    host = _compose_path(addon_mounts[0][0])
    assert host == REPO / ADDON and (host / "__manifest__.py").is_file()


def test_addons_path_contains_the_mounted_addon(compose, odoo_conf):
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in compose["services"]["odoo"]["volumes"]}
    assert _compose_path(mounts["/etc/odoo/odoo.conf"]) == DOCKER / "odoo.conf"
    addons_paths = [p.strip() for p in odoo_conf["addons_path"].split(",")]
    assert str(Path(ADDON_IN_IMAGE).parent) in addons_paths


def test_init_command_installs_the_addon_with_demo_data(compose, odoo_conf):
    command = compose["services"]["odoo"]["command"]
    words = shlex.split(command) if isinstance(command, str) else list(command)
    assert words[0] == "odoo"
    db = words[words.index("-d") + 1]
    assert ADDON in words[words.index("-i") + 1].split(",")
    # Demo data is on by default in 18.0; any --without-demo (even "=False") switches it off.
    assert not any(w.startswith("--without-demo") for w in words)
    assert "without_demo" not in odoo_conf
    # The server only serves the database it initialised.
    filters = [w.split("=", 1)[1] for w in words if w.startswith("--db-filter=")] or [odoo_conf.get("dbfilter")]
    assert all(re.fullmatch(f, db) for f in filters)


def test_database_credentials_match(compose, odoo_conf):
    db_env = compose["services"]["db"]["environment"]
    odoo_env = compose["services"]["odoo"]["environment"]
    # The official image's entrypoint reads HOST/USER/PASSWORD; odoo.conf says the same.
    assert odoo_env["HOST"] == odoo_conf["db_host"] == "db"
    assert odoo_env["USER"] == odoo_conf["db_user"] == db_env["POSTGRES_USER"]
    assert odoo_env["PASSWORD"] == odoo_conf["db_password"] == db_env["POSTGRES_PASSWORD"]
    assert odoo_conf["db_port"] == "5432"
    depends = compose["services"]["odoo"]["depends_on"]
    assert "db" in depends


def test_odoo_port_is_published(compose):
    assert "8069:8069" in [str(p) for p in compose["services"]["odoo"]["ports"]]


# -- the Dask cluster (compose profile "dask") ---------------------------------------------------
DASK = ("dask-scheduler", "dask-worker")


def _words(command):
    return shlex.split(command) if isinstance(command, str) else list(command)


def _interpolate(word):
    """${VAR:-default} as docker compose expands it when VAR is unset."""
    return re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", word)


def _option(words, name):
    return words[words.index(name) + 1]


def test_dask_services_are_off_by_default(compose):
    services = compose["services"]
    for name in DASK:
        assert services[name]["profiles"] == ["dask"], name
    # A plain `docker compose up` starts only what has no profile: the database and Odoo.
    assert {name for name, svc in services.items() if not svc.get("profiles")} == {"db", "odoo"}
    assert not any(dep in DASK for dep in services["odoo"].get("depends_on", {}))


def test_dask_services_use_the_odoo_image(compose):
    # Same Python packages as the Odoo server: Dask refuses a client and workers of other versions.
    odoo = compose["services"]["odoo"]
    for name in DASK:
        svc = compose["services"][name]
        assert svc["build"] == odoo["build"], name
        assert svc["image"] == odoo["image"], name


def test_dask_scheduler_listens_on_the_private_network_only(compose):
    svc = compose["services"]["dask-scheduler"]
    words = _words(svc["command"])
    assert words[:3] == ["python3", "-m", "distributed.cli.dask_scheduler"]
    port = _option(words, "--port")
    assert [str(p) for p in svc["expose"]] == [port]
    # A scheduler runs the code its clients send: never published on the host.
    assert "ports" not in svc and "network_mode" not in svc
    assert "--no-dashboard" in words


def test_dask_workers_reach_the_scheduler_and_import_the_engine(compose, dockerfile):
    from sales_forecast_ai.engine.cluster_address import parse_scheduler_address

    scheduler = compose["services"]["dask-scheduler"]
    svc = compose["services"]["dask-worker"]
    words = _words(svc["command"])
    assert words[:3] == ["python3", "-m", "distributed.cli.dask_worker"]
    address = words[3]
    # The value the setting documents is the one the workers use, and the setting accepts it.
    assert address == f"tcp://dask-scheduler:{_option(_words(scheduler['command']), '--port')}"
    assert parse_scheduler_address(address) == address
    assert address in (DOCKER / "README.md").read_text()
    assert _option(words, "--nthreads") == "1"
    assert "dask-scheduler" in svc["depends_on"]
    # The scheduler unpickles the task graph and the workers run it: both import the engine, its
    # package alone on the path, a link to the add-on mounted like Odoo's.
    links = [shlex.split(args) for kw, args in dockerfile if kw == "RUN" and "ln -s" in args]
    for name in DASK:
        service = compose["services"][name]
        pkg_dir = service["environment"]["PYTHONPATH"]
        assert any(ADDON_IN_IMAGE in words_ and f"{pkg_dir}/{ADDON}" in words_ for words_ in links), name
        mounts = [volume.split(":") for volume in service["volumes"]]
        assert [_compose_path(m[0]) for m in mounts if m[1] == ADDON_IN_IMAGE] == [REPO / ADDON], name


def test_dask_workers_bound_native_threads_like_the_job_child(compose, tmp_path):
    from sales_forecast_ai.engine import job

    env = compose["services"]["dask-worker"]["environment"]
    child = job.child_env(str(tmp_path), threads=1)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        assert str(env[var]) == child[var], var


def test_dask_commands_start_a_working_cluster(compose, tmp_path):
    """The two compose commands, run here on 127.0.0.1 with this Python: a worker imports the engine."""
    import importlib.util
    import json
    import os
    import subprocess
    import sys
    import time

    from sales_forecast_ai.engine.cluster_address import parse_scheduler_address
    from sales_forecast_ai.engine.cluster_check import check_scheduler

    distributed = pytest.importorskip("distributed")
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / ADDON).symlink_to(REPO / ADDON)
    env = dict(os.environ, **{k: str(v) for k, v in compose["services"]["dask-worker"]["environment"].items()})
    assert env == dict(os.environ, **{k: str(v) for k, v in compose["services"]["dask-scheduler"]["environment"].items()})
    env["PYTHONPATH"] = str(pkg)  # the image's folder, here
    sched = [_interpolate(w) for w in _words(compose["services"]["dask-scheduler"]["command"])]
    sched[sched.index("--host") + 1], sched[sched.index("--port") + 1] = "127.0.0.1", "0"
    sched_file = tmp_path / "scheduler.json"
    procs = [subprocess.Popen([sys.executable, *sched[1:], "--scheduler-file", str(sched_file)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)]
    try:
        deadline = time.monotonic() + 60
        while not sched_file.exists() and time.monotonic() < deadline:
            assert procs[0].poll() is None, "the scheduler command exited"
            time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        worker = [_interpolate(w) for w in _words(compose["services"]["dask-worker"]["command"])]
        worker[3] = address
        worker[worker.index("--local-directory") + 1] = str(tmp_path / "worker")
        procs.append(subprocess.Popen([sys.executable, *worker[1:]], env=env, cwd=tmp_path,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with distributed.Client(address, timeout=30) as client:
            client.wait_for_workers(1, timeout=60)
            # Functions travel by reference: the scheduler (it unpickles the graph) and the worker import
            # the engine; only standard and engine functions here, as this test module is on no path there.
            assert client.submit(parse_scheduler_address, " tls://[::1]:1 ").result(timeout=60) == "tls://[::1]:1"
            spec = client.submit(importlib.util.find_spec, "sales_forecast_ai.engine.cluster_address",
                                 pure=False).result(timeout=60)
            threads = client.submit(os.getenv, "OPENBLAS_NUM_THREADS", pure=False).result(timeout=60)
        assert Path(spec.origin).resolve().is_relative_to((REPO / ADDON).resolve())
        assert threads == "1"

        # The settings' connection check says the same of this cluster ...
        report = check_scheduler(address)
        assert report["ok"], report
        assert (report["workers"], report["threads"], report["mismatches"], report["engine_missing"]) == (1, 1, [], [])
        # ... and names a worker started without the engine on its path.
        bare = {k: v for k, v in env.items() if k != "PYTHONPATH"}
        procs.append(subprocess.Popen([sys.executable, *worker[1:-1], str(tmp_path / "bare")], env=bare,
                                      cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with distributed.Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        report = check_scheduler(address)
        assert not report["ok"] and report["workers"] == 2 and len(report["engine_missing"]) == 1, report
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

