"""The global models' outputs kept on disk while the shards are finished, read back a shard at a time.

At 50,000 series x 90 days the five global models' backtest forecasts, final forecasts and own
intervals are ~630 MB of float32: held in the driver for the whole finishing phase, they would be
most of its memory. Each array is saved once as .npy; ``slice(start, stop)`` maps the file, copies the
shard's rows and unmaps it again, so only the slice in hand counts in the driver's resident memory.
The directory is named like the global child's (``global_process.DIR_PREFIX`` + this pid), so one
left by a killed driver is swept at the next run.
"""
from __future__ import annotations

import os
import shutil
import tempfile

import numpy as np

from .global_process import DIR_PREFIX


class SpilledOutputs:
    """``distributed.model_outputs`` on disk; ``slice`` gives what ``distributed.slice_outputs`` gives."""

    def __init__(self, outputs: dict, root: str | None = None):
        self.dir = tempfile.mkdtemp(prefix=f"{DIR_PREFIX}{os.getpid()}-outputs-", dir=root)
        self.models = {}
        try:
            for name, out in outputs.items():
                self.models[name] = {
                    "forecasts": self._save(out["forecasts"]), "final": self._save(out["final"]),
                    "own_intervals": {lvl: (self._save(lo), self._save(hi))
                                      for lvl, (lo, hi) in out["own_intervals"].items()},
                    "failures": out["failures"], "seconds": out["seconds"], "fitted": out["fitted"]}
        except BaseException:
            self.close()
            raise

    def _save(self, array):
        if array is None:
            return None
        path = os.path.join(self.dir, f"{len(os.listdir(self.dir))}.npy")
        np.save(path, array)
        return path

    @staticmethod
    def _cut(path, start, stop, axis=0):
        if path is None:
            return None
        mapped = np.load(path, mmap_mode="r")
        part = np.array(mapped[:, start:stop] if axis else mapped[start:stop])
        del mapped  # unmapped: the pages read leave this process' resident set
        return part

    def slice(self, start: int, stop: int) -> dict:
        cut = self._cut
        return {name: {"forecasts": cut(m["forecasts"], start, stop, 1), "final": cut(m["final"], start, stop),
                       "own_intervals": {lvl: (cut(lo, start, stop), cut(hi, start, stop))
                                         for lvl, (lo, hi) in m["own_intervals"].items()},
                       "failures": {i - start: msg for i, msg in m["failures"].items() if start <= i < stop},
                       "seconds": m["seconds"], "fitted": m["fitted"]}
                for name, m in self.models.items()}

    def close(self):
        shutil.rmtree(self.dir, ignore_errors=True)
