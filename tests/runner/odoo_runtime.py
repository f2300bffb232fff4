"""Finding and driving an Odoo 18 runtime for the Odoo lane. Nothing here installs Odoo itself."""
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .lanes import log, pip_install

DEFAULT_ODOO_PYTHON = "/opt/odoo18/venv/bin/python"
# Imports the lane needs inside the Odoo runtime: the add-on's requirements and the test tools.
LANE_IMPORTS = "pandas, sklearn, statsforecast, holidays, groq, tensorflow, pytest, pytest_odoo, websocket, yaml"


def _odoo_major(python):
    try:
        out = subprocess.run([python, "-c", "import odoo.release as r; print(r.version_info[0])"],
                             capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def find_odoo_python():
    """(python, None) for a Python that imports Odoo 18, else (None, why)."""
    candidates = [os.environ.get("ODOO_PYTHON"), DEFAULT_ODOO_PYTHON, shutil.which("python3"), sys.executable]
    tried = []
    for python in filter(None, candidates):
        if python in tried or not Path(python).exists():
            continue
        tried.append(python)
        major = _odoo_major(python)
        if major == "18":
            return python, None
        if major:
            log(f"odoo lane: {python} has Odoo {major}, not 18; skipped")
    return None, (f"no Python importing Odoo 18 among ODOO_PYTHON, {DEFAULT_ODOO_PYTHON}, python3 "
                  f"(tried: {', '.join(tried) or 'none'})")


@dataclass
class InstallJob:
    db: str
    process: subprocess.Popen
    log_path: Path
    started: float = field(default_factory=time.monotonic)
    elapsed: float = 0.0


class OdooRuntime:
    def __init__(self, python, repo, workdir):
        self.python, self.repo, self.workdir = python, Path(repo), Path(workdir)

    def _addons_path(self):
        if os.environ.get("ODOO_ADDONS_PATH"):
            paths = os.environ["ODOO_ADDONS_PATH"].split(",")
        else:
            out = subprocess.run([self.python, "-c", "import odoo, os; print(os.path.dirname(odoo.__file__))"],
                                 capture_output=True, text=True, check=True)
            package = Path(out.stdout.strip())
            paths = [str(p) for p in (package / "addons", package.parent / "addons") if (p / "web").exists()
                     or (p / "base").exists()]
        return ",".join(paths + [str(self.repo)])

    def ensure_requirements(self, requirement_files):
        check = subprocess.run([self.python, "-c", f"import {LANE_IMPORTS}"], capture_output=True, text=True)
        if check.returncode == 0:
            return
        log("odoo lane: installing the add-on's requirements into the Odoo runtime")
        pip_install(self.python, requirement_files)

    def ensure_browser(self):
        if any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")):
            return
        if os.geteuid() == 0 and shutil.which("apt-get"):
            log("odoo lane: installing Chromium for the browser tests")
            subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], check=False,
                           stdout=subprocess.DEVNULL)
        if not any(shutil.which(b) for b in ("chromium", "chromium-browser", "google-chrome")):
            raise SystemExit("odoo lane: no Chromium found; browser tests would be skipped silently")

    def write_config(self, pg, screenshots):
        data_dir = self.workdir / "data"
        data_dir.mkdir(parents=True, exist_ok=True)
        screenshots.mkdir(parents=True, exist_ok=True)
        conf = self.workdir / "odoo.conf"
        conf.write_text("\n".join([
            "[options]",
            f"addons_path = {self._addons_path()}",
            f"data_dir = {data_dir}",
            f"db_host = {pg.host}",
            f"db_port = {pg.port}",
            f"db_user = {pg.user}",
            f"db_password = {pg.password or 'False'}",
            # Demo data is a config-file setting: `--without-demo=False` on the command line disables it.
            "without_demo = False",
            "http_interface = 127.0.0.1",
            "max_cron_threads = 0",
            f"screenshots = {screenshots}",
            "",
        ]))
        return conf

    def start_install(self, conf, db, demo, log_path):
        cmd = [self.python, "-m", "odoo", "-c", str(conf), "-d", db, "-i", "sales_forecast_ai",
               "--stop-after-init", "--no-http", f"--logfile={log_path}"]
        if not demo:
            cmd.append("--without-demo=all")
        return InstallJob(db, subprocess.Popen(cmd, cwd=self.repo), Path(log_path))

    def wait(self, job, timeout=1200):
        try:
            code = job.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            job.process.kill()
            code = -1
        job.elapsed = time.monotonic() - job.started
        if code == 0 and " ERROR " in job.log_path.read_text(errors="replace"):
            code = 1  # Odoo logs data-file and hook errors but may still exit 0
        return code

    def pytest(self, conf, db, target, junit_xml, http):
        cmd = [self.python, "-m", "pytest", "-p", "no:cacheprovider", "-q", f"--odoo-config={conf}",
               f"--odoo-database={db}", "--odoo-log-level=warn", f"--junitxml={junit_xml}", target]
        if http:
            cmd.append("--odoo-http")
        log(f"odoo lane: pytest-odoo {target} on {db}")
        return subprocess.run(cmd, cwd=self.repo, env={**os.environ, "CUDA_VISIBLE_DEVICES": "-1"}).returncode

    def count_demo_sale_lines(self, pg, db):
        out = pg.psql(db, "SELECT count(*) FROM sale_order_line l JOIN sale_order o ON o.id = l.order_id "
                          "WHERE o.state = 'sale'")
        return out.stdout.strip() or f"? ({out.stderr.strip()})"

    def drop_databases(self, pg, dbs):
        for db in dbs:
            pg.psql("postgres", f'DROP DATABASE IF EXISTS "{db}"')
