"""Resident memory of a process and everything it started, from ``/proc`` (Linux).

``ru_maxrss`` gives one process's peak, or the largest of its waited-for children's, never
what a process and its children held at the same moment; a build with two processes, or the
app with its embedded database server, needs the sum. :class:`TreePeak` samples that sum.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

__all__ = ["TreePeak", "descendants", "rss_mb", "tree_rss_mb"]


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def descendants(pid: int) -> list[int]:
    """Every process started by ``pid``, its children's children too."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{parent}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                children = Path(f"/proc/{parent}/task/{task}/children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                found.append(child)
                todo.append(child)
    return found


def rss_mb(pid: int | None = None) -> float:
    """Resident size of one process now, in MB."""
    return _status_kb(pid or os.getpid(), "VmRSS") / 1024


def tree_rss_mb(pid: int | None = None) -> float:
    """Resident size of a process and all its descendants now, in MB."""
    pid = pid or os.getpid()
    return sum(_status_kb(p, "VmRSS") for p in [pid, *descendants(pid)]) / 1024


class TreePeak:
    """Sample :func:`tree_rss_mb` of ``pid`` (default: this process) every ``interval``
    seconds while the ``with`` block runs; ``peak_mb`` is the largest sum seen.

    A peak shorter than the interval can be missed.
    """

    def __init__(self, pid: int | None = None, interval: float = 0.02) -> None:
        self.pid = pid or os.getpid()
        self.interval = interval
        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        while True:
            self.peak_mb = max(self.peak_mb, tree_rss_mb(self.pid))
            if self._stop.wait(self.interval):
                return

    def __enter__(self) -> TreePeak:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.peak_mb = max(self.peak_mb, tree_rss_mb(self.pid))
