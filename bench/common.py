"""Tiny helpers shared by the benchmarks: timing and one result row format."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str = ""
    note: str = ""

    def row(self) -> str:
        return f"| {self.name} | {self.value:,.3g} {self.unit} | {self.target} | {self.note} |"


def best_of(fn, repeat: int = 5) -> float:
    """Fastest wall time of ``repeat`` calls, in seconds (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def median_of(fn, repeat: int = 20) -> float:
    fn()
    times = sorted(_timed(fn) for _ in range(repeat))
    return times[len(times) // 2]


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a running process so far (Linux /proc; None where it cannot be read)."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
