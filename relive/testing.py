"""Start ``python app.py`` on a free local port, as a user would, for the tests and the benchmarks (one launcher).

    proc, url = launch_app({"RELIVE_DEV": "1"}, log=path)   # returns once the server answers
    ...
    stop_app(proc)

    with running_app({"RELIVE_DEV": "1"}) as (proc, url):   # the same, stopped on exit
        ...

Needs a source checkout: ``app.py`` is run from the repository root (:data:`ROOT`).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch_app(env: Mapping[str, str] | None = None, *, log: Path | None = None, args: Sequence[str] = (),
               timeout: float = 90) -> tuple[subprocess.Popen, str]:
    """``python app.py *args`` on 127.0.0.1 and a free port (unless ``env`` names one); returns (process, URL)
    once the server answers. ``env`` is added to this process's environment; the app's output goes to ``log``
    (a temporary file by default). Raises RuntimeError, with the log, when the app exits or does not answer."""
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_ANALYTICS_ENABLED": "False", **(env or {})}
    env.setdefault("GRADIO_SERVER_PORT", str(free_port()))
    if log is None:
        log = Path(tempfile.mkstemp(prefix="relive-app-", suffix=".log")[1])
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "app.py", *args], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{env['GRADIO_SERVER_PORT']}"
    try:
        wait_for(url, proc, log, timeout)
    except BaseException:
        stop_app(proc)
        raise
    return proc, url


def wait_for(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    """Until ``url`` answers; RuntimeError with the log when ``proc`` exits first or ``timeout`` s pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited with {proc.returncode}:\n{Path(log).read_text()}")
        try:
            with urllib.request.urlopen(url + "/config", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"app.py did not answer on {url} within {timeout} s:\n{Path(log).read_text()}")


def stop_app(proc: subprocess.Popen, timeout: float = 30) -> None:
    """Terminate the app and wait for it (killed if it does not stop within ``timeout`` s)."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


@contextlib.contextmanager
def running_app(env: Mapping[str, str] | None = None, *, log: Path | None = None,
                args: Sequence[str] = ()) -> Iterator[tuple[subprocess.Popen, str]]:
    proc, url = launch_app(env, log=log, args=args)
    try:
        yield proc, url
    finally:
        stop_app(proc)
