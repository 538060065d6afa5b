"""Cold start of ``python app.py``: seconds from launch until the server answers (issue 14's bar: ≤ 3 s).

Beside the wall time, the CPU time the app process spent until it answered (from /proc): it moves much less with
other load on a shared machine than the wall clock does, so before/after comparisons stay meaningful there.
"""

from __future__ import annotations

import os
import time

from common import Figure, cpu_seconds

from relive.testing import launch_app, stop_app

REPEAT = 5


def start_seconds() -> tuple[float, float]:
    """(wall, CPU) seconds from ``python app.py`` until the server answers."""
    start = time.perf_counter()
    proc, _ = launch_app()  # returns as soon as the server answers
    elapsed = time.perf_counter() - start
    cpu = cpu_seconds(proc.pid)
    stop_app(proc)
    return elapsed, cpu


def run() -> list[Figure]:
    load = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at start"
    runs = [start_seconds() for _ in range(REPEAT)]
    walls, cpus = sorted(r[0] for r in runs), sorted(r[1] for r in runs)
    return [Figure(f"app cold start: python app.py → server answers (best of {REPEAT})", walls[0], "s", "≤ 3 s", load),
            Figure(f"  median of {REPEAT}", walls[REPEAT // 2], "s"),
            Figure("  CPU time of the app until it answers (best)", cpus[0], "s", "", "user + system")]


if __name__ == "__main__":
    for fig in run():
        print(fig.row())
