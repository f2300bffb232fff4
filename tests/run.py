#!/usr/bin/env python3
"""Run every test lane this machine can run, and say plainly which ones ran.

Engine lane (always): plain pytest over tests/ (the pure-Python engine, the Docker wiring) in a
virtualenv that has no Odoo, created and kept up to date here.

Odoo lane (whenever an Odoo 18 runtime is found): the add-on is installed into throwaway databases
of a real Odoo 18 + PostgreSQL, then its TransactionCase/HttpCase tests run through pytest-odoo and
the install/uninstall checks of tests/odoo/ run against a database installed without demo data.

Where things are found (environment variables, all optional):
  ODOO_PYTHON        a Python that can `import odoo` (18.0). Default: /opt/odoo18/venv/bin/python,
                     then `python3` if it imports odoo.
  ODOO_ADDONS_PATH   Odoo's own addons folders, comma separated. Default: next to the odoo package.
  SFAI_PG_HOST/SFAI_PG_PORT/SFAI_PG_USER/SFAI_PG_PASSWORD
                     an existing PostgreSQL to use (not the `postgres` role: Odoo refuses it).
                     Default: a throwaway cluster started and removed here.
  SFAI_ENGINE_VENV   where the engine lane's virtualenv lives (~/.cache/sales_forecast_ai/engine-venv).
  SFAI_LANES         "engine", "odoo" or "engine,odoo" (default) to run fewer lanes.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from runner.lanes import junit_counts, log, pip_install  # noqa: E402
from runner.odoo_runtime import OdooRuntime, find_odoo_python  # noqa: E402
from runner.pg_cluster import PostgresCluster  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
REQUIREMENTS = [REPO / "requirements.txt", REPO / "tests" / "requirements-test.txt"]
ODOO_LANE_REQUIREMENTS = [REPO / "requirements.txt", REPO / "tests" / "requirements-odoo-lane.txt"]
DEFAULT_ENGINE_VENV = Path.home() / ".cache" / "sales_forecast_ai" / "engine-venv"


def engine_python():
    """A virtualenv without Odoo holding requirements.txt and the test tools (kept across runs)."""
    venv = Path(os.environ.get("SFAI_ENGINE_VENV", DEFAULT_ENGINE_VENV))
    python = venv / "bin" / "python"
    stamp = venv / ".requirements.sha256"
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in REQUIREMENTS)).hexdigest()
    if not python.exists():
        log(f"engine lane: creating virtualenv {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    if not stamp.exists() or stamp.read_text().strip() != digest:
        log("engine lane: installing requirements.txt and tests/requirements-test.txt")
        pip_install(python, REQUIREMENTS)
        stamp.write_text(digest)
    return str(python)


def run_engine_lane(results_dir):
    python = engine_python()
    xml = results_dir / "engine.xml"
    cmd = [python, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--ignore=tests/odoo",
           "--ignore=tests/benchmarks", f"--junitxml={xml}", "tests"]
    code = subprocess.run(cmd, cwd=REPO, env={**os.environ, "CUDA_VISIBLE_DEVICES": "-1"}).returncode
    return junit_counts(xml, code)


def run_odoo_lane(odoo_python, results_dir, work):
    runtime = OdooRuntime(odoo_python, REPO, work)
    runtime.ensure_requirements(ODOO_LANE_REQUIREMENTS)
    runtime.ensure_browser()
    with PostgresCluster.from_env_or_new(work / "pg") as pg:
        conf = runtime.write_config(pg, screenshots=results_dir / "screenshots")
        started = time.monotonic()
        demo_db, bare_db = "sfai_test_demo", "sfai_test_nodemo"
        # Both installs at once: two cores, and each is mostly single-threaded.
        jobs = [runtime.start_install(conf, demo_db, demo=True, log_path=results_dir / "install_demo.log"),
                runtime.start_install(conf, bare_db, demo=False, log_path=results_dir / "install_nodemo.log")]
        failed = [job for job in jobs if runtime.wait(job) != 0]
        log(f"odoo lane: add-on installed with and without demo data in {time.monotonic() - started:.0f} s "
            f"(demo install alone: {jobs[0].elapsed:.0f} s)")
        if failed:
            for job in failed:
                log(f"odoo lane: install into {job.db} FAILED; last lines of {job.log_path}:")
                print("".join(job.log_path.read_text(errors="replace").splitlines(True)[-40:]))
            return {"passed": 0, "failed": len(failed), "skipped": 0, "note": "install failed"}
        log(f"odoo lane: {runtime.count_demo_sale_lines(pg, demo_db)} demo sale order lines")

        totals = {"passed": 0, "failed": 0, "skipped": 0}
        for name, db, target, http in (("addon", demo_db, "sales_forecast_ai/tests", True),
                                       ("install", bare_db, "tests/odoo", False)):
            xml = results_dir / f"odoo_{name}.xml"
            code = runtime.pytest(conf, db, target, xml, http=http)
            counts = junit_counts(xml, code)
            for key in totals:
                totals[key] += counts[key]
        runtime.drop_databases(pg, [demo_db, bare_db])
        return totals


def main():
    lanes = {x.strip() for x in os.environ.get("SFAI_LANES", "engine,odoo").split(",") if x.strip()}
    results_dir = REPO / "test-results"
    shutil.rmtree(results_dir, ignore_errors=True)
    results_dir.mkdir()
    summary = {}

    if "engine" in lanes:
        log("engine lane: running")
        summary["engine"] = run_engine_lane(results_dir)

    if "odoo" in lanes:
        odoo_python, why_not = find_odoo_python()
        if odoo_python is None:
            summary["odoo"] = None
            log(f"odoo lane: NOT RUN: {why_not}")
        else:
            log(f"odoo lane: running with {odoo_python}")
            with tempfile.TemporaryDirectory(prefix="sfai-odoo-lane-") as work:
                summary["odoo"] = run_odoo_lane(odoo_python, results_dir, Path(work))

    print()
    print("=" * 72)
    passed = failed = 0
    ok = True
    for lane in ("engine", "odoo"):
        if lane not in lanes:
            print(f"{lane} lane: not requested (SFAI_LANES)")
            continue
        counts = summary.get(lane)
        if counts is None:
            print(f"{lane} lane: NOT RUN (no Odoo 18 runtime found; see tests/run.py for ODOO_PYTHON)")
            continue
        passed += counts["passed"]
        failed += counts["failed"]
        note = f" ({counts['note']})" if counts.get("note") else ""
        status = "ran, GREEN" if counts["failed"] == 0 and counts["passed"] > 0 else "ran, FAILED"
        ok = ok and status.endswith("GREEN")
        print(f"{lane} lane: {status}: {counts['passed']} passed, {counts['failed']} failed, "
              f"{counts['skipped']} skipped{note}")
    print(f"{passed} passed, {failed} failed")
    return 0 if ok and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
