import subprocess
import sys
import time
import xml.etree.ElementTree as ET


def log(message):
    print(f"[run {time.strftime('%H:%M:%S')}] {message}", flush=True)
    sys.stdout.flush()


def junit_counts(xml_path, exit_code):
    """Pass/fail/skip counts from a pytest JUnit file; a run that wrote none counts as one failure."""
    try:
        root = ET.parse(xml_path).getroot()
    except (OSError, ET.ParseError):
        return {"passed": 0, "failed": 1, "skipped": 0, "note": f"pytest exited {exit_code} without results"}
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = sum(int(s.get("tests", 0)) for s in suites)
    failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    counts = {"passed": total - failed - skipped, "failed": failed, "skipped": skipped}
    if exit_code not in (0, 1) and failed == 0:
        # pytest's own errors (usage, collection, internal) leave no failed test behind.
        counts["failed"] = 1
        counts["note"] = f"pytest exited {exit_code}"
    return counts


def pip_install(python, requirement_files):
    """pip install -r each file into `python`; raises on failure, prints pip's output minus index noise."""
    cmd = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    for req in requirement_files:
        cmd += ["-r", str(req)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    noise = ("WARNING: Location", "[notice]")
    for line in (result.stdout + result.stderr).splitlines():
        if line.strip() and not line.startswith(noise):
            print(line)
    if result.returncode:
        raise SystemExit(f"pip install into {python} failed (exit {result.returncode})")
