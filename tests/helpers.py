"""What several test modules share: Debian's Chromium for Playwright, slider dragging, a test avatar."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"  # every screenshot a test takes (git-ignored)


def keep_screenshot(path: Path, docs_name: str) -> None:
    """Copy a screenshot to docs/ (the README's pictures) when RELIVE_UPDATE_DOCS=1; a plain test run leaves the
    tracked files alone."""
    if os.environ.get("RELIVE_UPDATE_DOCS") == "1":
        shutil.copy(path, ROOT / "docs" / docs_name)


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
