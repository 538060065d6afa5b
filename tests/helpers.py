"""What several test modules share: the ``relive`` command run as a user runs it, random catalogues, Debian's
Chromium for Playwright, slider dragging, a test avatar."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from relive import genres
from relive.pet.catalog import Catalog

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"  # every screenshot a test takes (git-ignored)


def keep_screenshot(path: Path, docs_name: str) -> None:
    """Copy a screenshot to docs/ (the README's pictures) when RELIVE_UPDATE_DOCS=1; a plain test run leaves the
    tracked files alone."""
    if os.environ.get("RELIVE_UPDATE_DOCS") == "1":
        shutil.copy(path, ROOT / "docs" / docs_name)


def relive(*args, cwd, timeout: float = 600) -> subprocess.CompletedProcess:
    """``python -m relive ARGS`` in ``cwd``, as a user runs it: a fresh process, output captured as text."""
    return subprocess.run([sys.executable, "-m", "relive", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def random_catalog(rng: np.random.Generator, per_slot=(12, 11, 13), density: float = 0.3,
                   decimals: int | None = 2) -> Catalog:
    """A catalogue of random accessory vectors (no images), ``per_slot`` accessories for Head, Face, Torso."""
    types = tuple(t for t, n in zip(("Head", "Face", "Torso"), per_slot) for _ in range(n))
    vectors = rng.random((len(types), genres.N_GENRES)) * (rng.random((len(types), genres.N_GENRES)) < density)
    if decimals is not None:
        vectors = np.round(vectors, decimals)
    order = rng.permutation(len(types))  # slots interleaved, as a hand-edited CSV might be
    return Catalog(Path("."), tuple(f"a{i}.png" for i in order), tuple(types[i] for i in order), vectors[order])


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without these, Chromium keeps trying to reach Google's hosts, which this offline machine refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# A fake camera (a moving test pattern) that needs no permission prompt.
FAKE_WEBCAM_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


def launch_chromium(playwright, *extra_args: str):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *extra_args])


def drag_slider_to_end(page, genre: str) -> None:
    """Drag a Pet-tab genre slider to 1 with the mouse, as a visitor does."""
    slider = page.get_by_label(f"range slider for {genre}")
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 2, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] - 1, y, steps=8)
    page.mouse.up()


def save_test_avatar(path: Path) -> Path:
    """A standing person-ish RGBA cut-out (an opaque ellipse with margins on a transparent canvas)."""
    image = Image.new("RGBA", (300, 600), (0, 0, 0, 0))
    ImageDraw.Draw(image).ellipse((60, 30, 240, 590), fill=(230, 170, 130, 255))
    image.save(path)
    return path


def raise_through_friendly(error: Exception, lang: str, caplog) -> tuple:
    """``error`` raised inside a ``@friendly`` UI handler of a ``lang`` session: the ``gr.Error`` the visitor gets
    and the log records of ``relive.ui`` (INFO and up)."""
    import logging
    from types import SimpleNamespace

    import gradio as gr
    import pytest

    from relive.ui.common import friendly

    @friendly
    def handler(form):
        raise error

    with caplog.at_level(logging.INFO, logger="relive.ui"), pytest.raises(gr.Error) as err:
        handler(SimpleNamespace(lang=lang))
    return err.value, [r for r in caplog.records if r.name == "relive.ui"]
