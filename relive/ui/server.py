"""The web server: the Gradio app and relive's own routes (the phone downloads) in one FastAPI app on one port.

    app = build_app(demo)      # FastAPI: /souvenirs/… first, then Gradio mounted at /
    serve(demo)                # what ``python app.py`` runs: uvicorn on GRADIO_SERVER_NAME:GRADIO_SERVER_PORT

In kiosk mode the API is closed: no endpoint is listed (every event is private, ``relive.ui.build_demo``), and the
API description, docs and direct-call routes answer 404 (:class:`HideApi`); the page itself only uses Gradio's
queue, which stays open. A background task sweeps expired scratch folders while the server runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket

import gradio as gr
import numpy as np
from fastapi import FastAPI

from relive import retention
from relive.backends.fusion import load_fusion_model
from relive.config import model_slots, settings, usable_cores
from relive.errors import ModelUnavailable, ReliveError
from relive.genres import N_GENRES
from relive.priority import at_model_priority
from relive.ui import souvenirs

log = logging.getLogger("relive.ui")
# The warm-up (torch's import, mostly Python, ~2 s) waits this long after start: run at once, it holds the GIL
# against the event loop while the first page is being served.
WARM_UP_DELAY_S = 3.0

# What describes or calls the API directly (not the queue the page itself uses): closed in kiosk mode.
API_PATHS = {"/gradio_api/info", "/gradio_api/openapi.json", "/gradio_api/mcp", "/gradio_api/runs",
             "/gradio_api/deep_link", "/monitoring", "/docs", "/redoc", "/openapi.json"}
API_PREFIXES = ("/gradio_api/info/", "/gradio_api/call/", "/gradio_api/api/", "/gradio_api/run/", "/gradio_api/mcp/",
                "/gradio_api/runs/", "/gradio_api/run-history/", "/gradio_api/vibe", "/gradio_api/undo-vibe",
                "/monitoring/")


class HideApi:
    """ASGI middleware: 404 for the API description and direct-call routes (kiosk mode)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and self.blocked(scope.get("path", "")):
            await send({"type": "http.response.start", "status": 404,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": b'{"detail":"Not Found"}'})
            return
        await self.app(scope, receive, send)

    @staticmethod
    def blocked(path: str) -> bool:
        """Whether ``path`` is one of the API routes the kiosk hides."""
        path = "/" + path.lstrip("/")
        return path.rstrip("/") in API_PATHS or path.startswith(API_PREFIXES)


def _warm_up() -> None:
    """Load the fusion model (and torch with it), the pet matcher's compiled pass (numba, ~0.5 s on first use) and
    the pet art at the sizes shown once the server answers, so that start-up stays fast and the first visitors do
    not wait for them; a missing model or catalogue was already reported when the app was built."""
    from relive.pet.catalog import creatures, load_catalog
    from relive.pet.matcher import match_batch
    from relive.pet.render import draw_ahead

    share_cores_between_model_slots()
    with contextlib.suppress(ModelUnavailable):
        load_fusion_model()
    with contextlib.suppress(ReliveError):
        catalog = load_catalog()
        match_batch(np.full(N_GENRES, 0.5), catalog)
        draw_ahead(catalog, creatures().values())


def share_cores_between_model_slots() -> None:
    """Give each model slot its share of the cores for torch's own threads (the fusion model). On a CPU box the app
    runs one model event per core (:func:`relive.config.model_slots`); torch's default of one thread per core on
    top made two fusions fight over both cores: a fuse took 0.33–0.49 s of CPU with 2 threads against 0.23 s with 1
    (load 7–8), and no less wall time."""
    import torch

    torch.set_num_threads(max(1, usable_cores() // model_slots()))


def forget_closed_sessions(demo: gr.Blocks) -> None:
    """Drop the Gradio state of sessions whose page is gone. Gradio keeps a closed session's state (the visitor's
    photo and avatar) for an hour in case the page comes back; a kiosk never comes back (a reload is a fresh
    session), so that hour only piles up memory (bench/soak.py: ≈ 7 MB per visit) and personal data."""
    holder = demo.state_holder
    for session, state in list(holder.session_data.items()):
        if state.is_closed:
            holder.delete_state(session)
            holder.session_data.pop(session, None)
            holder.time_last_used.pop(session, None)


def _background_tasks(demo: gr.Blocks):
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        """While the server runs, delete expired scratch folders every so often (links already stop at expiry) and
        closed sessions' state every few seconds; warm the fusion model up once at start."""
        # at the model work's lower priority: the first visitors' pets come first (relive.priority)
        warm = asyncio.create_task(_after(WARM_UP_DELAY_S, lambda: asyncio.to_thread(at_model_priority(_warm_up))))
        async def forget():  # on the event loop: Gradio changes its session table there too
            forget_closed_sessions(demo)

        tasks = [asyncio.create_task(_every(max(5.0, min(60.0, settings().retention_s / 2)),
                                            lambda: asyncio.to_thread(_sweep))),
                 asyncio.create_task(_every(5.0, forget))]
        try:
            yield
        finally:
            for task in [warm, *tasks]:
                task.cancel()

    return lifespan


async def _after(delay: float, job) -> None:
    """Await ``job()`` once, ``delay`` seconds from now."""
    await asyncio.sleep(delay)
    await job()


async def _every(period: float, job) -> None:
    """Await ``job()`` every ``period`` seconds."""
    while True:
        await asyncio.sleep(period)
        await job()


def _sweep() -> None:
    try:
        retention.sweep()
    except OSError as err:  # a full or read-only disk must not stop the server
        log.warning("sweep failed: %s", err.strerror)


def build_app(demo: gr.Blocks) -> FastAPI:
    """relive's routes, then the Gradio app mounted at ``/`` (it answers everything else)."""
    from relive.ui import launch_kwargs

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, lifespan=_background_tasks(demo))
    app.include_router(souvenirs.router)
    if settings().kiosk:
        app.add_middleware(HideApi)
    host, port = server_address()
    return gr.mount_gradio_app(app, demo, path="/", server_name=host, server_port=port, show_error=False,
                               **launch_kwargs())


def server_address() -> tuple[str, int]:
    """GRADIO_SERVER_NAME (default 127.0.0.1) and GRADIO_SERVER_PORT (default: the first free port from 7860)."""
    host = os.environ.get("GRADIO_SERVER_NAME") or "127.0.0.1"
    port = os.environ.get("GRADIO_SERVER_PORT")
    if port:
        return host, int(port)
    for candidate in range(7860, 7960):
        with socket.socket() as probe:
            try:
                probe.bind((host, candidate))
            except OSError:
                continue
            return host, candidate
    raise OSError(f"no free port in 7860–7959 on {host}; set GRADIO_SERVER_PORT")


def serve(demo: gr.Blocks) -> None:
    """Run the app until interrupted. No access log: request lines would carry the secret phone links."""
    import uvicorn

    app = build_app(demo)
    host, port = server_address()
    shown = "127.0.0.1" if host == "0.0.0.0" else host
    print(f"* relive running on http://{shown}:{port}" + (" (kiosk mode)" if settings().kiosk else ""), flush=True)
    if settings().kiosk and not settings().public_url:
        print("* QR codes point at the address the kiosk's browser uses; set RELIVE_PUBLIC_URL to the address "
              "phones can reach (e.g. http://192.168.1.20:7860)", flush=True)
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning")
