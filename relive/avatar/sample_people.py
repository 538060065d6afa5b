"""Photos of real people for the tests, the benches and the contact sheets — and group photos composed from them.

The real photos are the public ones every install has: scikit-image's ``astronaut`` (Eileen Collins, NASA, public
domain) and ``camera`` (a man with a camera), and matplotlib's ``grace_hopper.jpg``. Group photos are made by
cutting those people out (the offline segmenter) and pasting them, near or far, side by side or touching, onto a
rendered festival scene (:func:`relive.carousel.training.scenes.render_background`): what a street or stadium
photo asks of the framing, with a known answer.

    photos = real_photos()                       # name → PIL RGB
    group = group_photo("two_touching")          # PIL RGB; GROUPS lists the layouts
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image

from relive.errors import UnknownName


def real_photos() -> dict[str, Image.Image]:
    """The real people photos: name → RGB image."""
    import matplotlib.cbook
    from skimage import data

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as handle:
        hopper = Image.open(handle).convert("RGB")
    return {
        "astronaut": Image.fromarray(data.astronaut()),
        "camera": Image.fromarray(data.camera()).convert("RGB"),
        "grace_hopper": hopper,
    }


@cache
def person_cutout(name: str) -> Image.Image:
    """The person of real photo ``name`` cut out (RGBA), cropped to the person."""
    from relive.backends import segmentation

    photo = real_photos()[name]
    mask = segmentation.SEGMENTERS.session("mediapipe").segment(photo)
    person = segmentation.cutout(photo, mask)
    return person.crop(person.getchannel("A").point(lambda a: 255 if a > 127 else 0).getbbox())


@dataclass(frozen=True)
class Placement:
    """One person in a group photo: whose cut-out, its height and where its bottom centre goes (fractions)."""

    name: str
    height: float  # of the canvas height
    x: float  # bottom centre, fraction of the width
    bottom: float = 1.0  # fraction of the height; 1.0 = cut by the frame's lower edge, as in a photo


@dataclass(frozen=True)
class Layout:
    """A composed group photo: the scene, its size and the people placed on it, back to front."""
    scene: str
    size: tuple[int, int]
    people: tuple[Placement, ...]  # back to front: later ones are pasted over earlier ones


GROUPS = {
    # Two people side by side, shoulders overlapping (the stadium photo of the issue).
    "two_touching": Layout("stage", (1200, 800), (Placement("grace_hopper", 0.9, 0.37),
                                                  Placement("astronaut", 0.85, 0.63))),
    # Three people far away on a wide scene: faces of ~40–60 px (the street photo of the issue).
    "three_far": Layout("sunset_crowd", (1600, 1000), (Placement("camera", 0.26, 0.3, 0.9),
                                                       Placement("astronaut", 0.22, 0.52, 0.88),
                                                       Placement("grace_hopper", 0.24, 0.7, 0.9))),
    # One person near the camera, another small and far to the side: the near one is the visitor.
    "near_and_far": Layout("food_trucks", (1280, 853), (Placement("astronaut", 0.3, 0.82, 0.7),
                                                        Placement("grace_hopper", 0.92, 0.4))),
    # Three people close together, the middle one in front.
    "three_close": Layout("festival_gate", (1400, 900), (Placement("camera", 0.7, 0.25),
                                                         Placement("grace_hopper", 0.72, 0.75),
                                                         Placement("astronaut", 0.8, 0.5))),
}


def group_photo(layout: str, seed: int = 0) -> Image.Image:
    """The composed group photo ``layout`` (see :data:`GROUPS`) as RGB."""
    return group_photo_with_masks(layout, seed)[0]


def group_photo_with_masks(layout: str, seed: int = 0) -> tuple[Image.Image, dict[str, np.ndarray]]:
    """The composed group photo ``layout`` (RGB) and, per person (by name), where they are visible in it: a bool
    (H, W) mask, with the people pasted in front taken away — the known answer to "who is where"."""
    from relive.carousel.training.scenes import render_background

    if layout not in GROUPS:
        raise UnknownName("group layout", layout, GROUPS)
    spec = GROUPS[layout]
    canvas = render_background(spec.scene, seed, *spec.size).convert("RGBA")
    width, height = spec.size
    visible: dict[str, np.ndarray] = {}
    for place in spec.people:
        person = person_cutout(place.name)
        scale = place.height * height / person.height
        person = person.resize((round(person.width * scale), round(person.height * scale)), Image.LANCZOS)
        left = round(place.x * width - person.width / 2)
        top = round(place.bottom * height - person.height)
        canvas.paste(person, (left, top), person)  # paste, not alpha_composite: it takes offsets off the canvas
        alpha = Image.new("L", spec.size, 0)
        alpha.paste(person.getchannel("A"), (left, top))
        covered = np.asarray(alpha) > 127
        for mask in visible.values():
            mask &= ~covered  # the people behind lose what this one hides
        visible[place.name] = covered
    return canvas.convert("RGB"), visible


def faceless(photo: Image.Image) -> Image.Image:
    """``photo`` with every face the default detector finds blurred beyond recognition (as a privacy blur, or a
    face in deep shadow): people a segmenter still sees, with no face to find."""
    from PIL import ImageDraw, ImageFilter

    from relive.backends import faces

    blurred = photo.convert("RGB")
    for face in faces.detect(blurred):
        box = (face.x, face.y, face.x + face.w, face.y + face.h)
        patch = blurred.crop(box).filter(ImageFilter.BoxBlur(max(2, face.w // 4)))
        oval = Image.new("L", patch.size, 0)
        ImageDraw.Draw(oval).ellipse((0, 0, patch.width - 1, patch.height - 1), fill=255)
        blurred.paste(patch, box[:2], oval)
    return blurred


def all_photos() -> dict[str, Image.Image]:
    """The real photos, every group photo and a faceless one (``near_and_far`` with its faces painted over)."""
    groups = {name: group_photo(name) for name in GROUPS}
    return {**real_photos(), **groups, "faceless": faceless(groups["near_and_far"])}

