"""Files of a forecast job (see engine.job): whole-file writes, the input, the results.

Pure Python, shared by the Odoo side (writes the input, reads progress and results) and the child
process (reads the input, writes progress and results). Every write goes to a temporary file in
the same directory and is then renamed over the target, so a reader never sees half a file.
"""
from __future__ import annotations

import datetime
import json
import math
import os
import threading
import zipfile

import numpy as np
import pandas as pd

from .cluster_address import cluster_params

INPUT_JSON, INPUT_NPZ = "input.json", "input.npz"
PROGRESS_JSON, STATUS_JSON = "progress.json", "status.json"
RESULT_JSON, RESULT_NPZ = "result.json", "result.npz"
# result.json's layout, a series per line (see engine.result_writer): how its first line reads, and
# how the line after the last series starts.
SERIES_HEAD, SERIES_TAIL = '{"series":[', "],"
LOG_FILE = "job.log"


# -- files ------------------------------------------------------------------------------------
def _clean(obj):
    """JSON-safe copy: numpy scalars to Python, NaN/inf to None, tuples to lists, dates to ISO."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_clean(v) for v in obj.tolist()]
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, pd.Timestamp):
        return obj.date().isoformat()
    if isinstance(obj, (datetime.date, datetime.datetime)):
        return obj.isoformat()
    return obj


def _atomic_write(path: str, data: bytes):
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def write_json(path: str, obj):
    _atomic_write(path, json.dumps(_clean(obj), separators=(",", ":")).encode())


def read_json(path: str):
    """The file's content, or None when it does not exist (yet)."""
    try:
        with open(path, "rb") as fh:
            return json.loads(fh.read())
    except FileNotFoundError:
        return None


def _write_npz(path: str, **arrays):
    tmp = f"{path}.{os.getpid()}.tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, path)


def write_input(workdir: str, panel, *, horizon: int, levels=(80, 95), folds: int = 2, models=None,
                metric: str = "mase", seed: int = 0, model_params=None, extra=None, cluster=None):
    """Store a Panel and the run parameters for the child. ``extra`` is echoed back in the result;
    ``cluster`` is ``{"address": ..., "workers": ...}`` (checked again here: see cluster_address)."""
    cluster = cluster_params(**(cluster or {}))
    os.makedirs(workdir, exist_ok=True)
    lengths = np.array([len(v) for v in panel.values], dtype=np.int64)
    flat = np.concatenate(panel.values) if len(panel.values) else np.zeros(0)
    _write_npz(os.path.join(workdir, INPUT_NPZ), values=flat.astype(float), lengths=lengths)
    write_json(os.path.join(workdir, INPUT_JSON), {
        "keys": [list(k) for k in panel.keys], "end": panel.end.date().isoformat(), "freq": panel.freq,
        "country": panel.country, "horizon": int(horizon), "levels": [int(v) for v in levels],
        "folds": int(folds), "models": list(models) if models else None, "metric": metric, "seed": int(seed),
        "model_params": model_params or None, "extra": extra or {}, "cluster": cluster,
    })


def read_input(workdir: str):
    """(Panel, params) from the work directory; ValueError when the input is missing or broken."""
    from .panel import Panel

    params = read_json(os.path.join(workdir, INPUT_JSON))
    if params is None:
        raise ValueError(f"no {INPUT_JSON} in {workdir}")
    with np.load(os.path.join(workdir, INPUT_NPZ)) as npz:
        flat, lengths = npz["values"], npz["lengths"]
    if len(lengths) != len(params["keys"]) or int(lengths.sum()) != len(flat):
        raise ValueError("input.npz does not match the keys of input.json")
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    values = [flat[bounds[i]:bounds[i + 1]] for i in range(len(lengths))]
    panel = Panel([tuple(k) for k in params["keys"]], values, pd.Timestamp(params["end"]), params["freq"],
                  params.get("country"))
    if int(params["horizon"]) < 1:
        raise ValueError(f"horizon must be at least 1, got {params['horizon']}")
    return panel, params


def read_progress(workdir: str) -> dict:
    return read_json(os.path.join(workdir, PROGRESS_JSON)) or {}


def read_status(workdir: str) -> dict | None:
    """The child's final word, or None while it has not finished (or died without one)."""
    return read_json(os.path.join(workdir, STATUS_JSON))


def tail(path: str, n_bytes: int = 4000) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, os.path.getsize(path) - n_bytes))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


class Results:
    """The child's output, read once per run by the Odoo worker; ``series(i)`` gives one series with
    its arrays. Nothing is held per series: result.json's lines are indexed (a series per line, see
    engine.result_writer) and a series' line is parsed when it is asked for; result.npz's arrays are
    memory-mapped (stored uncompressed), so 50,000 series x 90 days cost the page cache, not the worker.
    A result.json of another layout is read whole."""

    def __init__(self, workdir: str):
        path = os.path.join(workdir, RESULT_JSON)
        try:
            self._file = open(path, "rb")
        except FileNotFoundError:
            raise FileNotFoundError(f"no {RESULT_JSON} in {workdir}") from None
        self._whole = None
        try:
            self.meta, self._spans = _index_series_lines(self._file)
            if self.meta is None:  # not a series per line: the whole document
                self._file.seek(0)
                self.meta = json.loads(self._file.read())
                self._whole = self.meta.pop("series")
            self.arrays = _map_npz(os.path.join(workdir, RESULT_NPZ))
        except BaseException:
            self._file.close()
            raise
        self.dates = [pd.Timestamp(d).date() for d in self.meta["dates"]]

    def __len__(self):
        return len(self._whole) if self._whole is not None else len(self._spans)

    def series(self, i: int) -> dict:
        if self._whole is not None:
            out = dict(self._whole[i])
        else:
            start, size = self._spans[i]
            # pread: no shared file position, so threads of one worker may read the same Results
            out = json.loads(os.pread(self._file.fileno(), int(size), int(start)))
        out["arrays"] = {k: a[i] for k, a in self.arrays.items()} if out.get("has_forecast") else {}
        return out


def _index_series_lines(fh):
    """(the run's figures, (offset, length) of each series' record) of a result.json laid out a
    series per line; (None, None) for another layout."""
    head = fh.readline()
    if head.rstrip(b"\n") != SERIES_HEAD.encode():
        return None, None
    spans, pos, tail = [], fh.tell(), None
    for line in fh:
        start, end = pos, pos + len(line)
        pos = end
        if line.startswith(SERIES_TAIL.encode()):
            tail = line[len(SERIES_TAIL):]
            break
        if line.startswith(b","):
            start += 1
        body = end - start - (1 if line.endswith(b"\n") else 0)
        if body > 0:
            spans.append((start, body))
    if tail is None:
        raise ValueError(f"{RESULT_JSON} ends before the run's figures: it is incomplete")
    meta = json.loads(b"{" + tail)
    return meta, np.array(spans, dtype=np.int64).reshape(-1, 2)


def _map_npz(path: str) -> dict:
    """The arrays of an .npz, memory-mapped where the member is stored uncompressed (as
    np.savez and ResultWriter write them), read otherwise."""
    out = {}
    with zipfile.ZipFile(path) as zf, open(path, "rb") as fh:
        for info in zf.infolist():
            name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
            version = None
            if info.compress_type == zipfile.ZIP_STORED:
                fh.seek(info.header_offset)
                local = fh.read(30)  # the local file header: its name and extra field lengths end it
                fh.seek(info.header_offset + 30 + int.from_bytes(local[26:28], "little")
                        + int.from_bytes(local[28:30], "little"))
                version = np.lib.format.read_magic(fh)
            if version not in ((1, 0), (2, 0)):
                with zf.open(info) as member:
                    out[name] = np.lib.format.read_array(member)
                continue
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            shape, fortran, dtype = read_header(fh)
            if dtype.hasobject:
                raise ValueError(f"{name} in {os.path.basename(path)} holds Python objects")
            out[name] = np.memmap(path, dtype=dtype, mode="r", offset=fh.tell(), shape=shape,
                                  order="F" if fortran else "C") if int(np.prod(shape)) else np.empty(shape, dtype)
    return out
