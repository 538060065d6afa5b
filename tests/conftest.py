"""Shared fixtures: small random catalogues for matcher tests and a launched app for server/browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from relive import genres
from relive.pet.catalog import Catalog

ROOT = Path(__file__).resolve().parent.parent


def random_catalog(rng: np.random.Generator, per_slot=(12, 11, 13), density: float = 0.3, decimals: int | None = 2) -> Catalog:
    """A catalogue of random accessory vectors (no images), ``per_slot`` accessories for Head, Face, Torso."""
    types = tuple(t for t, n in zip(("Head", "Face", "Torso"), per_slot) for _ in range(n))
    vectors = rng.random((len(types), genres.N_GENRES)) * (rng.random((len(types), genres.N_GENRES)) < density)
    if decimals is not None:
        vectors = np.round(vectors, decimals)
    order = rng.permutation(len(types))  # slots interleaved, as a hand-edited CSV might be
    return Catalog(Path("."), tuple(f"a{i}.png" for i in order), tuple(types[i] for i in order), vectors[order])


@pytest.fixture(scope="module")
def one_torch_thread():
    """The tiny diffusion models are all per-op overhead: a second intra-op thread only adds synchronisation, and
    on a shared 2-core machine it made each call about 5x slower. Restored afterwards for the other modules."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """``python app.py`` on a free local port, as a user would start it; yields its URL."""
    port = free_port()
    log = tmp_path_factory.mktemp("app") / "app.log"
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False", "RELIVE_DEV": "1"}  # RELIVE_DEV: offer the tiny generator
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(url, proc, log)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _wait_for(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app.py exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url + "/config", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"app.py did not answer on {url} within {timeout} s:\n{log.read_text()}")
