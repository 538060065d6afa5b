"""The memory album: the visitor's avatar fused into festival backgrounds, and the zip they take home.

    avatar = avatar_cutout("me.png")                  # an RGBA cut-out as is; a photo is cut out automatically
    page = fuse_on("main-stage", avatar, feet=(0.5, 0.9), scale=0.55)   # feet: relative (0–1) position
    pages = make_album(avatar, ["main-stage", "beach-night"])
    zip_path = write_album(pages, retention.scratch_folder())

Backgrounds are named by slug (the gallery in ``assets/backgrounds``; a path to one of its images counts as the
same) or given as an image (an uploaded photo). A gallery background stages the avatar (:func:`staging`): a
full-body cut-out stands at one of its spots at the crowd's scale for that depth, the front row of the crowd in
front of it, with a contact shadow and the scene's grain; a bust (a selfie cut-out) sits like a selfie, rising from
the bottom edge on the left or right, in front of everything. The album moves from spot to spot and side to side.
An uploaded photo keeps the plain tap-to-place: the feet where the visitor put them, no layers.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from relive import imaging
from relive.carousel.backgrounds import Background, find_background, get_background
from relive.carousel.fuse import DEFAULT_SCALE, FusedImage, fuse, is_bust, paste_avatar
from relive.errors import InvalidImage, InvalidInput
from relive.messages import Message

MIN_PERSON = 0.01  # a photo whose cut-out covers less than this share has nobody in it
LABEL = Message("AI-edited · relive")  # a UI draws it in its visitor's language
OWN_PHOTO = "my-photo"  # the slug of a page made on an uploaded picture (not a gallery background)
SELFIE_SIDES = (0.3, 0.7)  # a bust sits off-centre, left or right, like a selfie, so the scene shows beside it


@dataclass
class AlbumPage:
    """One page of the album: the background's slug and title, and the fused picture."""
    slug: str
    title: str
    fused: FusedImage


def avatar_cutout(source: imaging.ImageSource) -> Image.Image:
    """The avatar as an RGBA cut-out: an image with transparency is used as is; a photo has its person cut out."""
    from relive.backends.segmentation import remove_background

    image = imaging.load_image(source, "RGBA")
    alpha = imaging.alpha_mask(image)
    if alpha.min() < 255 and alpha.max() > 0:
        return image
    cut = remove_background(image.convert("RGB"))
    if float(np.mean(imaging.alpha_mask(cut) > 127)) < MIN_PERSON:
        raise InvalidImage("no person found in that picture; upload a photo with one person clearly visible, or "
                           "make your avatar in the Avatar tab first")
    return cut


def feet_pixels(frame: tuple[int, int], feet: tuple[float, float] | None) -> tuple[float, float] | None:
    """A relative (0–1) feet position → background pixels; None stays None (the default placement)."""
    if feet is None:
        return None
    x, y = (float(v) for v in feet)
    if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
        raise InvalidInput("feet position ({x:g}, {y:g}) must be relative, each between 0 and 1", x=x, y=y)
    return x * frame[0], y * frame[1]


@dataclass(frozen=True)
class Staging:
    """How an avatar is staged in a gallery background: feet (relative), scale (None: fuse's default) and whether
    the background's front layer and the scene's grain apply (a standing person in the crowd, not a selfie)."""

    feet: tuple[float, float]
    scale: float | None
    in_crowd: bool


def staging(background: Background, avatar: Image.Image, turn: int = 0) -> Staging:
    """Where ``avatar`` goes in ``background`` on the album's ``turn``-th page: a bust rises from the bottom edge,
    on the left for even turns and the right for odd ones; a full-body cut-out stands at spot ``turn`` (cycling
    through the background's spots) as tall as the crowd is at that depth."""
    if is_bust(avatar):
        return Staging((SELFIE_SIDES[turn % 2], 1.0), None, False)
    x, y = background.spots[turn % len(background.spots)]
    return Staging((x, y), background.standing_height(y), True)


def default_feet(background: Background, avatar: Image.Image) -> tuple[float, float]:
    """Where the avatar goes in a gallery background by default: its first staging (:func:`staging`)."""
    return staging(background, avatar).feet


def _stage(background: str | Background | imaging.ImageSource, avatar: Image.Image, feet: tuple[float, float] | None,
           scale: float | None, turn: int) -> tuple[Background | None, Image.Image, dict]:
    """The background's gallery entry (None for an uploaded picture), its picture, and fuse's placement keywords.
    A gallery background stages the avatar (``feet`` and ``scale``, when given, win); an upload puts the feet at
    ``feet`` (None: fuse's standard placement) with no layers."""
    if isinstance(background, str) and not Path(background).suffix:
        background = get_background(background)
    elif isinstance(background, (str, Path)):
        background = find_background(background) or background
    info = background if isinstance(background, Background) else None
    scene = imaging.load_image(info.path if info else background, "RGB")
    placing = {"scale": scale}
    if info is not None:
        staged = staging(info, avatar, turn)
        feet = staged.feet if feet is None else feet
        if scale is None and staged.in_crowd:
            placing["scale"] = info.standing_height(feet[1]) or DEFAULT_SCALE  # on the horizon: fuse's default
        placing["front"] = info.front if staged.in_crowd else None
        placing["match_scene"] = staged.in_crowd
    placing["position"] = feet_pixels(scene.size, feet)
    return info, scene, placing


def preview(background, avatar: Image.Image, *, feet: tuple[float, float] | None = None,
            scale: float | None = None, shadow: bool | None = None, turn: int = 0) -> Image.Image:
    """The plain copy-paste at that placement, no model: instant feedback while the visitor positions the avatar."""
    _, scene, placing = _stage(background, avatar, feet, scale, turn)
    placed = paste_avatar(scene, avatar, shadow=shadow, **placing)
    return Image.fromarray(placed.in_front(placed.image))


def fuse_on(background, avatar: Image.Image, *, feet: tuple[float, float] | None = None, scale: float | None = None,
            shadow: bool | None = None, model=None, turn: int = 0) -> AlbumPage:
    """``avatar`` fused into one background (slug, :class:`Background` or image). On a gallery background it is
    staged (:func:`staging`, ``turn`` picks the spot and side; ``feet``/``scale`` override); on an uploaded image
    the feet default to the standard placement."""
    info, scene, placing = _stage(background, avatar, feet, scale, turn)
    fused = fuse(scene, avatar, shadow=shadow, model=model, **placing)
    return AlbumPage(info.slug if info else OWN_PHOTO, info.title if info else "My festival photo", fused)


def make_album(avatar: Image.Image, backgrounds: Sequence, *, scale: float | None = None, shadow: bool | None = None,
               model=None, progress: Callable[[int, int, str], None] | None = None) -> list[AlbumPage]:
    """One page per background, staged there (:func:`staging`): page by page the spot and side change, so the album
    is not the same picture again. ``scale`` (None: the crowd's scale at each spot) fixes the avatar's size."""
    if not backgrounds:
        raise InvalidInput("choose at least one festival background for the album")
    pages = []
    for index, background in enumerate(backgrounds):
        page = fuse_on(background, avatar, scale=scale, shadow=shadow, model=model, turn=index)
        if progress:
            progress(index + 1, len(backgrounds), page.title)
        pages.append(page)
    return pages


def labelled(image: Image.Image, text: str = LABEL) -> Image.Image:
    """A copy with a small "AI-edited" tag in the bottom-right corner: the file says what it is wherever it goes."""
    out = image.convert("RGB")
    draw = ImageDraw.Draw(out, "RGBA")
    size = max(12, out.height // 45)
    font = ImageFont.load_default(size)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    pad = size // 2
    x, y = out.width - (right - left) - 3 * pad, out.height - (bottom - top) - 3 * pad
    draw.rounded_rectangle((x, y, out.width - pad, out.height - pad), radius=pad, fill=(0, 0, 0, 110))
    draw.text((x + pad - left, y + pad - top), text, font=font, fill=(255, 255, 255, 230))
    return out


def page_jpegs(pages: Sequence[AlbumPage], label: str = LABEL) -> list[tuple[str, bytes]]:
    """Each page labelled ``label`` as a JPEG, with its file name (``01-main-stage.jpg``…): encoded once, for the
    zip, the phone page and the gallery alike."""
    encoded = []
    for number, page in enumerate(pages, 1):
        buffer = io.BytesIO()
        labelled(page.fused.image, label).save(buffer, "JPEG", quality=92)
        encoded.append((f"{number:02d}-{page.slug}.jpg", buffer.getvalue()))
    return encoded


def as_page_jpegs(pages: Sequence[AlbumPage] | Sequence[tuple[str, bytes]], label: str = LABEL) -> list[tuple[str, bytes]]:
    """``pages`` as :func:`page_jpegs`' files (labelled ``label``); files already encoded pass as they are."""
    return page_jpegs(pages, label) if pages and isinstance(pages[0], AlbumPage) else list(pages)


def write_album(pages: Sequence[AlbumPage] | Sequence[tuple[str, bytes]], folder: Path, name: str = "relive-album.zip",
                label: str = LABEL) -> Path:
    """The pages as JPEGs labelled ``label`` in one zip inside ``folder`` (a scratch folder: it expires); ``pages``
    may be :func:`page_jpegs`' files already (then ``label`` is theirs)."""
    files = as_page_jpegs(pages, label)
    path = Path(folder) / name
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:  # JPEGs do not compress further
        for file_name, data in files:
            archive.writestr(file_name, data)
    return path
