"""A stand-in for the engine job, started through the real spawn path (token, command line, session)
so the server's checks see a genuine job; it only sleeps, and the test decides how it ends."""
import os
import shutil
import sys
import tempfile


def fake_job_python(test, seconds=120):
    """An executable for ``job.spawn(..., python=...)``: a script run by this Python, so the child's
    command line is ``python <script> -m sales_forecast_ai.engine.job ... <work dir>``."""
    folder = tempfile.mkdtemp(prefix="sfai-fake-job-")
    test.addCleanup(shutil.rmtree, folder, ignore_errors=True)
    path = os.path.join(folder, "python")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f"#!{sys.executable}\nimport time\ntime.sleep({float(seconds)})\n")
    os.chmod(path, 0o755)
    return path
