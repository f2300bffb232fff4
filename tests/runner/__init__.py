"""Helpers of tests/run.py (stdlib only: they run before any virtualenv exists)."""
