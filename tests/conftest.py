"""Shared fixtures: one torch thread for the tiny models, a launched app and a browser for server/browser tests."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from relive.testing import launch_app, stop_app


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


@pytest.fixture(scope="module")
def browser(app_url):
    """Debian's Chromium driven by Playwright, one per test module, for the browser tests of the shared app."""
    from helpers import launch_chromium
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch_chromium(pw)
        yield chromium
        chromium.close()
