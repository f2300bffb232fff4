"""The engine must import on a machine without Odoo, and never load TensorFlow at import time."""
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CHECK = r"""
import importlib, json, pkgutil, sys
import sales_forecast_ai.engine as engine
after_package = sorted(m for m in sys.modules if m.split('.')[0] in ('odoo', 'tensorflow', 'keras'))
imported = []
for info in pkgutil.walk_packages(engine.__path__, 'sales_forecast_ai.engine.'):
    if info.name.endswith('__main__'):
        continue
    importlib.import_module(info.name)
    imported.append(info.name)
after_all = sorted(m for m in sys.modules if m.split('.')[0] in ('odoo', 'tensorflow', 'keras'))
print(json.dumps({'package': after_package, 'all': after_all, 'imported': imported}))
"""


def _run(code):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_engine_imports_without_odoo_or_tensorflow():
    found = _run(CHECK)
    assert found["package"] == [], f"import sales_forecast_ai.engine loaded {found['package']}"
    assert "sales_forecast_ai.engine.data" in found["imported"]
    assert "sales_forecast_ai.engine.cli" in found["imported"]
    assert found["all"] == [], f"importing every engine module loaded {found['all']}"


def test_addon_package_does_not_load_the_odoo_layer():
    found = _run("import json, sys, sales_forecast_ai; print(json.dumps(sorted(m for m in sys.modules "
                 "if m.startswith(('odoo', 'sales_forecast_ai.models', 'sales_forecast_ai.wizard')))))")
    assert found == []
