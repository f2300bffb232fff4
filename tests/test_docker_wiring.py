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
    assert set(compose["services"]) == {"db", "odoo"}
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
