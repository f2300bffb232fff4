"""``python -m sales_forecast_ai.engine forecast INPUT.csv --horizon H --out DIR`` (see engine.cli)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
