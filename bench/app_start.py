"""Cold start of ``python app.py``: seconds from launch until the server answers (the issue's bar: < 5 s)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from common import Figure

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import free_port  # noqa: E402


def start_seconds() -> float:
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=1):
                    return time.perf_counter() - start
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("app.py exited during start-up")
                time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run() -> list[Figure]:
    times = sorted(start_seconds() for _ in range(3))
    return [Figure("app cold start: python app.py → server answers (median of 3)", times[1], "s", "< 5 s")]


if __name__ == "__main__":
    for fig in run():
        print(fig.row())
