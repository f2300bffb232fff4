"""The job's result files (result.npz, result.json) written shard by shard.

A run of 50,000 series would otherwise hold every series' results in the job process, and then a
second copy of them while writing (the arrays, the JSON text): over a gigabyte. ``add(start, series)``
writes a block of consecutive series as soon as its shard is finished -- their forecast and interval
rows straight into .npy files at their offset, their details as a JSON fragment -- and ``close`` puts
the files together: result.npz (the .npy files, stored in a zip as ``np.savez`` does) then result.json
(the fragments in panel order, then the run's figures), each written under a temporary name and
renamed, so a reader never sees half a result and a reader that finds result.json finds its arrays.
The parts live in a private directory inside the work directory until then.

result.json is one JSON document laid out a series per line (``SERIES_HEAD``, then each series' record
on its own line, the first after a newline and the others after a newline and a comma, then a line
starting with ``SERIES_TAIL`` that holds the run's figures): ``job_io.Results`` finds each series'
line without parsing the others, so the Odoo worker that saves a batch of 200 series never holds the
50,000 (~3.6 kB of JSON each, several times that as Python objects).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile

import numpy as np

from .job_io import RESULT_JSON, RESULT_NPZ, SERIES_HEAD, SERIES_TAIL, _clean

_DTYPE = np.dtype("<f8")


def series_record(sr, has_forecast: bool) -> dict:
    """What result.json holds of one series (the arrays go to result.npz)."""
    return {
        "key": list(sr.key), "status": sr.status, "message": sr.message, "demand_class": sr.demand_class,
        "champion": sr.champion, "reason": sr.reason, "has_forecast": bool(has_forecast), "scores": sr.scores,
        "coverage": {str(k): v for k, v in sr.coverage.items()},
        "totals": {str(k): v for k, v in sr.totals.items()}, "trend": sr.trend,
        "confidence": sr.confidence, "history_mean": sr.history_mean, "residual_std": sr.residual_std,
        "holdout": sr.holdout,
    }


class ResultWriter:
    def __init__(self, workdir: str, n: int, horizon: int, levels):
        self.workdir, self.n, self.h = workdir, int(n), int(horizon)
        self.levels = [int(v) for v in levels]
        self.names = ["forecast"] + [f"{side}_{lvl}" for lvl in self.levels for side in ("lo", "hi")]
        self.dir = tempfile.mkdtemp(prefix=".result-parts-", dir=workdir)
        self.offsets, self.parts, self.written = {}, {}, 0
        try:
            for name in self.names:
                with open(self._path(name), "wb") as fh:
                    np.lib.format.write_array_header_1_0(fh, {"descr": np.lib.format.dtype_to_descr(_DTYPE),
                                                               "fortran_order": False, "shape": (self.n, self.h)})
                    self.offsets[name] = fh.tell()
                    fh.truncate(self.offsets[name] + self.n * self.h * _DTYPE.itemsize)
        except BaseException:
            self.discard()
            raise

    def _path(self, name: str) -> str:
        return os.path.join(self.dir, f"{name}.npy")

    def add(self, start: int, series) -> None:
        """Write the results of the series ``start`` to ``start + len(series)`` of the panel."""
        start, count = int(start), len(series)
        if start < 0 or start + count > self.n or start in self.parts:
            raise ValueError(f"series {start} to {start + count} do not fit the {self.n} of this run")
        rows = {name: np.full((count, self.h), np.nan, dtype=_DTYPE) for name in self.names}
        records = []
        for i, sr in enumerate(series):
            has = sr.forecast is not None and len(sr.forecast) == self.h
            if has:
                rows["forecast"][i] = sr.forecast
                for lvl in self.levels:
                    if lvl in sr.intervals:
                        rows[f"lo_{lvl}"][i], rows[f"hi_{lvl}"][i] = sr.intervals[lvl]
            records.append(series_record(sr, has))
        for name, block in rows.items():
            with open(self._path(name), "r+b") as fh:
                fh.seek(self.offsets[name] + start * self.h * _DTYPE.itemsize)
                fh.write(block.tobytes())
        part = os.path.join(self.dir, f"series-{start:09d}.json")
        with open(part, "w", encoding="utf-8") as fh:  # the list's items, a line each (see the docstring)
            fh.write("\n,".join(json.dumps(record, separators=(",", ":")) for record in _clean(records)))
        self.parts[start] = (part, count)
        self.written += count

    def close(self, result, panel, extra=None) -> None:
        """Write result.npz and result.json from the parts and the run's figures; remove the parts."""
        try:
            if self.written != self.n:
                raise RuntimeError(f"results of {self.written} series written, the run has {self.n}")
            npz = os.path.join(self.workdir, RESULT_NPZ)
            tmp = f"{npz}.{os.getpid()}.tmp"
            with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
                for name in self.names:
                    zf.write(self._path(name), arcname=f"{name}.npy")
            _sync_replace(tmp, npz)
            path = os.path.join(self.workdir, RESULT_JSON)
            tmp = f"{path}.{os.getpid()}.tmp"
            rest = json.dumps(_clean(self._figures(result, panel, extra)), separators=(",", ":"))
            with open(tmp, "w", encoding="utf-8") as out:
                out.write(SERIES_HEAD)
                first = True
                for start in sorted(self.parts):
                    part, count = self.parts[start]
                    if not count:
                        continue
                    out.write("\n" if first else "\n,")
                    with open(part, encoding="utf-8") as fh:
                        shutil.copyfileobj(fh, out)
                    first = False
                out.write("\n" + SERIES_TAIL + rest[1:])
            _sync_replace(tmp, path)
        finally:
            self.discard()

    def _figures(self, result, panel, extra) -> dict:
        pooled = {}
        try:
            from .models.base import REGISTRY
        except ImportError:
            REGISTRY = {}
        for name, scores in (result.pooled or {}).items():
            pooled[name] = dict(scores)
            if not pooled[name].get("family") and name in REGISTRY:
                pooled[name]["family"] = REGISTRY[name].family
        return {"pooled": pooled, "timings": result.timings, "log": list(result.log),
                "champion_scores": result.champion_scores,
                "champion_scores_in_sample": result.champion_scores_in_sample,
                "levels": self.levels, "horizon": self.h, "freq": result.freq,
                "dates": [d.date().isoformat() for d in panel.future_dates(self.h)], "extra": extra or {}}

    def discard(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def _sync_replace(tmp: str, path: str) -> None:
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_results(workdir: str, result, panel, extra=None) -> None:
    """result.npz then result.json for a result held whole (every series in ``result.series``)."""
    writer = ResultWriter(workdir, len(result.series), result.horizon, result.levels)
    try:
        writer.add(0, result.series)
    except BaseException:
        writer.discard()
        raise
    writer.close(result, panel, extra)
