"""Peak resident memory of a process tree, sampled with psutil: the one sampler of the benchmarks.

    with TreeSampler(pid) as s:        # pid and everything it starts, every 0.2 s
        ...
    s.peaks            {pid: {"role", "peak"}}: each process' own peak RSS, named by role()
    s.peak_of(role)    the largest peak of the processes of that role (0 if none)
    s.total_peak       the largest sum over the tree at one instant (PSS with pss_total=True: forked
                       workers share pages with their parent, which adding up RSS would count twice)

A sampler can miss a spike shorter than its period: where a process reports its own exact peak (the
job's status, the global child's VmHWM) the benchmarks print both.
"""
from __future__ import annotations

import threading

SAMPLE_EVERY = 0.2


def role(proc, root_pid: int, root_cmd=None) -> str:
    """What a process of the tree is, from its command line ("starting": forked, not yet exec'd)."""
    if proc.pid == root_pid:
        return "driver"
    try:
        argv = proc.cmdline()
    except Exception:  # gone, or a zombie
        return "starting"
    if not argv or argv == root_cmd:
        return "starting"
    cmd = " ".join(argv)
    if "engine.global_child" in cmd:
        return "global models"
    if "resource_tracker" in cmd or "semaphore_tracker" in cmd:
        return "mp helper"
    if "spawn_main" in cmd or "forkserver" in cmd or "dask_worker" in cmd or "distributed" in cmd:
        return "dask worker"
    return "other: " + (proc.name() if hasattr(proc, "name") else "?")


class TreeSampler:
    """Peak RSS of every process under ``pid`` (itself included), sampled every ``every`` seconds."""

    def __init__(self, pid: int, every: float = SAMPLE_EVERY, pss_total: bool = False):
        import psutil

        self.psutil, self.root, self.every, self.pss_total = psutil, psutil.Process(pid), every, pss_total
        try:
            self.root_cmd = self.root.cmdline()
        except psutil.Error:
            self.root_cmd = None
        self.peaks = {}  # pid -> {"role", "peak"}
        self.total_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="rss-sampler")

    def peak_of(self, name: str) -> int:
        return max((e["peak"] for e in self.peaks.values() if e["role"] == name), default=0)

    def pids_of(self, name: str) -> set:
        return {pid for pid, e in self.peaks.items() if e["role"] == name}

    def sample(self):
        try:
            procs = [self.root, *self.root.children(recursive=True)]
        except self.psutil.Error:
            return
        total = 0
        for proc in procs:
            try:
                rss = proc.memory_info().rss
                total += proc.memory_full_info().pss if self.pss_total and len(procs) > 1 else rss
            except self.psutil.Error:  # it just exited
                continue
            entry = self.peaks.get(proc.pid)
            if entry is None:
                name = role(proc, self.root.pid, self.root_cmd)
                if name == "starting":
                    # A fork not yet exec'd shows its parent's pages: named once it is what it will be
                    # (a fork that never execs, a process pool's worker, counts in total_peak only).
                    continue
                entry = self.peaks[proc.pid] = {"role": name, "peak": 0}
            entry["peak"] = max(entry["peak"], rss)
        self.total_peak = max(self.total_peak, total)

    def _run(self):
        while not self._stop.wait(self.every):
            self.sample()

    def __enter__(self):
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sample()
