"""Shared fixtures: small random catalogues for matcher tests and a launched app for server/browser tests."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from relive import genres
from relive.pet.catalog import Catalog
from relive.testing import launch_app, stop_app


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


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """``python app.py`` on a free local port, as a user would start it; yields its URL and its log file."""
    log = tmp_path_factory.mktemp("app") / "app.log"
    proc, url = launch_app({"RELIVE_DEV": "1"}, log=log)  # RELIVE_DEV: offer the tiny generator
    try:
        yield SimpleNamespace(url=url, log=log)
    finally:
        stop_app(proc)


@pytest.fixture(scope="session")
def app_url(app_server):
    """The URL of :func:`app_server`."""
    return app_server.url
