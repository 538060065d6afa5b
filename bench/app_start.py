"""Cold start of ``python app.py``: seconds from launch until the server answers (the issue's bar: < 5 s)."""

from __future__ import annotations

import time

from common import Figure

from relive.testing import launch_app, stop_app


def start_seconds() -> float:
    start = time.perf_counter()
    proc, _ = launch_app()  # returns as soon as the server answers
    elapsed = time.perf_counter() - start
    stop_app(proc)
    return elapsed


def run() -> list[Figure]:
    times = sorted(start_seconds() for _ in range(3))
    return [Figure("app cold start: python app.py → server answers (median of 3)", times[1], "s", "< 5 s")]


if __name__ == "__main__":
    for fig in run():
        print(fig.row())
