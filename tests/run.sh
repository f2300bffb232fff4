#!/usr/bin/env bash
# The whole test suite: every lane this machine can run (see tests/run.py for what each lane needs).
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 tests/run.py "$@"
