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
import shutil
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
    """A local TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch_app(env: Mapping[str, str] | None = None, *, log: Path | None = None, args: Sequence[str] = (),
               timeout: float = 90) -> tuple[subprocess.Popen, str]:
    """``python app.py *args`` on 127.0.0.1 and a free port (unless ``env`` names one); returns (process, URL)
    once the server answers. ``env`` is added to this process's environment; the app's output goes to ``log``
    (by default a file in the app's own temp folder, else a temporary file). Raises RuntimeError, with the log,
    when the app exits or does not answer.

    Unless ``env`` sets RELIVE_TMP, the app gets a temp folder of its own (removed by :func:`stop_app`), which
    also holds Gradio's cache unless ``env`` sets GRADIO_TEMP_DIR. Apps sharing one cache break each other: Gradio
    names an upload by its content, so two apps given the same photo share one file, and the first app to stop
    deletes it while the other's queued requests still point at it (seen under load, ``bench/load.py``)."""
    given = dict(env or {})
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_ANALYTICS_ENABLED": "False", **given}
    env.setdefault("GRADIO_SERVER_PORT", str(free_port()))
    own_tmp = None
    if "RELIVE_TMP" not in given:
        own_tmp = tempfile.mkdtemp(prefix="relive-app-")
        env["RELIVE_TMP"] = own_tmp
    if "GRADIO_TEMP_DIR" not in given:
        env.pop("GRADIO_TEMP_DIR", None)  # the app puts it inside RELIVE_TMP (relive.retention)
    if log is None:
        log = Path(own_tmp or tempfile.mkdtemp(prefix="relive-app-")) / "app.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "app.py", *args], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    proc.relive_tmp = own_tmp  # for stop_app
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
            time.sleep(0.05)  # fine-grained: bench/app_start.py times start-up with this
    raise RuntimeError(f"app.py did not answer on {url} within {timeout} s:\n{Path(log).read_text()}")


def stop_app(proc: subprocess.Popen, timeout: float = 30) -> None:
    """Terminate the app and wait for it (killed if it does not stop within ``timeout`` s); then remove the temp
    folder :func:`launch_app` made for it."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)
    if getattr(proc, "relive_tmp", None):
        shutil.rmtree(proc.relive_tmp, ignore_errors=True)


@contextlib.contextmanager
def running_app(env: Mapping[str, str] | None = None, *, log: Path | None = None,
                args: Sequence[str] = ()) -> Iterator[tuple[subprocess.Popen, str]]:
    """:func:`launch_app` as a context manager: yields (process, URL) and stops the app on exit."""
    proc, url = launch_app(env, log=log, args=args)
    try:
        yield proc, url
    finally:
        stop_app(proc)
