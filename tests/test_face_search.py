"""The full-range face search skips its smallest tiles when every face is near (issue 14: an instant avatar spent
~0.37 s there), and finds the same faces as the exhaustive search on the sample portraits and group photos."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from relive.avatar.sample_people import GROUPS, group_photo, real_photos
from relive.backends import faces
from relive.config import settings

needs_models = pytest.mark.skipif(not (settings().models_dir / faces.MediaPipeFullRangeFaces.MODEL).is_file(),
                                  reason=f"offline models missing in {settings().models_dir}; run `make models`")
pytestmark = [needs_models, pytest.mark.slow]  # group photos are composed with the segmenter


def _every_window(detector, rgb: np.ndarray) -> list[faces.Face]:
    """The search before issue 14: the whole picture and every tile of each size, always."""
    height, width = rgb.shape[:2]
    side = min(width, height)
    windows = faces.square_windows(width, height) + [
        window for parts in detector.SMALLER_WINDOWS if side // parts >= detector.MIN_SMALL_WINDOW
        for window in faces.tile_windows(width, height, side // parts)]
    return detector._faces(detector._search(rgb, windows))


@pytest.fixture(scope="module")
def photos():
    people = real_photos()
    portrait = people["astronaut"].resize((1024, 1024), Image.LANCZOS)  # as a kiosk photo arrives
    return {**{name: group_photo(name) for name in GROUPS}, **people, "astronaut at 1024 px": portrait}


@pytest.fixture(scope="module")
def detector():
    return faces.FACES.session("mediapipe-full")


def test_the_same_faces_as_the_exhaustive_search(photos, detector):
    for name, photo in photos.items():
        rgb = np.asarray(photo.convert("RGB"))
        assert detector._find(rgb) == _every_window(detector, rgb), name


def test_a_near_face_skips_the_smallest_tiles_and_far_faces_do_not(photos, detector, monkeypatch):
    runs = []
    model = detector._detector
    monkeypatch.setattr(detector, "_detector", type("Counting", (), {
        "detect": lambda self, image: runs.append(image.width) or model.detect(image)})())
    detector.detect(photos["astronaut at 1024 px"])
    assert len(runs) == 1 + 9  # the whole picture and the half tiles; not the 36 third tiles
    runs.clear()
    detector.detect(photos["three_far"])  # faces of 44–85 px in 1600 × 1000: far people, so every tile
    third = 1000 // 3
    assert runs.count(third) == len(faces.tile_windows(1600, 1000, third))
