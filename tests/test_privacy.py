"""Privacy proof: after a visitor's session and the retention window, no photo, avatar or derivative of them is
left on disk, and the app's log holds nothing about them.

The app runs with its own temp folder (RELIVE_TMP, which also holds Gradio's cache) and a 5-second retention
window; a visitor uploads a photo, gets an instant avatar, a fused picture and an album zip. The test then lists
every file under the temp folder (and checks that Gradio's default cache outside it was not used).
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from pathlib import Path

import pytest
import skimage.data
from gradio_client import Client, handle_file
from PIL import Image

from relive import genres
from relive.carousel.backgrounds import list_backgrounds
from relive.config import settings
from relive.pet.catalog import creatures
from relive.testing import launch_app, stop_app

pytestmark = pytest.mark.server

RETENTION_S = 5
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".zip", ".gif"}


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


SHIPPED = {_digest(p) for p in _files(settings().assets_dir)}  # e.g. the gallery's own backgrounds, cached at start


def _personal(files: list[Path]) -> list[Path]:
    """Images and zips that are not byte-for-byte copies of relive's own assets."""
    return [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES and _digest(p) not in SHIPPED]


@pytest.mark.slow
def test_nothing_about_the_visitor_outlives_the_retention_window(tmp_path):
    temp = tmp_path / "relive-tmp"
    default_cache = Path(tempfile.gettempdir()) / "gradio"
    before_default = set(_files(default_cache))
    photo = tmp_path / "visitor-selfie-4711.png"
    Image.fromarray(skimage.data.astronaut()).save(photo)
    log = tmp_path / "app.log"
    proc, url = launch_app({"RELIVE_TMP": str(temp), "RELIVE_RETENTION_S": str(RETENTION_S)}, log=log)
    try:
        client = Client(url, verbose=False, download_files=tmp_path / "client")  # the visitor's own copies
        taste = genres.from_mapping({"Punk": 1}).tolist()
        client.predict(next(iter(creatures())), "auto (best match)", "auto (best match)", "auto (best match)", *taste,
                       api_name="/pet")  # the session's taste, which the avatar wears
        avatar, _, = client.predict(handle_file(str(photo)), True, "woman", "adult", "prefer not to say", "comic",
                                    "instant", 1, False, api_name="/avatar")
        background = handle_file(str(list_backgrounds()[0].path))
        client.predict(handle_file(avatar), background, 0.5, 0.9, 0.6, True, api_name="/fuse")
        _, zip_path = client.predict(handle_file(avatar), [list_backgrounds()[0].slug], True, api_name="/album")
        assert _personal(_files(temp)), "the visit should have left files in the app's temp folder meanwhile"
        assert Path(zip_path).is_file()
        client.close()

        deadline = time.monotonic() + 8 * RETENTION_S + 60  # Gradio sweeps every RETENTION_S, relive every 5 s
        while _personal(_files(temp)) and time.monotonic() < deadline:
            time.sleep(1)
        left = _personal(_files(temp))
        assert not left, f"still on disk after the retention window: {left}"
    finally:
        stop_app(proc)
    assert set(_files(default_cache)) <= before_default  # Gradio's default cache was never used
    text = log.read_text()
    assert "visitor-selfie-4711" not in text and "/souvenirs/s-" not in text  # no names or links in the log
