import sys
from pathlib import Path

# The engine lane imports the add-on as a plain package (`sales_forecast_ai.engine`), without Odoo.
REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))
