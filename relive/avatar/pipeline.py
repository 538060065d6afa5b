"""The AVATAR, end to end: photo + music taste → one person framed → prompt → generator → cut-out → 1024² RGBA.

One function, :func:`make_avatar`, serves the CLI, the Avatar tab and the tests. Nothing is written to disk: the
photo and every intermediate stay in memory and are gone when the result has been handed over.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from relive import genres, imaging
from relive.backends import attributes as attrs
from relive.avatar import framing
from relive.avatar.prompt import DEFAULT_STYLE, Prompt, build_prompt
from relive.backends.faces import CropInfo, FaceChoice
from relive.messages import Message

AVATAR_SIZE = 1024
MIN_PHOTO_SIDE = 64  # below this there is no face to work with
MIN_PERSON = 0.02  # a cut-out covering less of the picture than this means nobody was found

Progress = Callable[[int, int, str], None]


@dataclass
class AvatarResult:
    """A made avatar: the picture, its transparent cut-out, and what was used to make it (for the UI and the CLI)."""
    image: Image.Image  # what the visitor gets: RGBA, on the genre backdrop when asked for
    cutout: Image.Image  # RGBA on a transparent background: what the Carousel fuses
    generator: str  # registry name
    label: str  # what the UI calls it ("instant (offline cartoon, no AI model)", …)
    is_diffusion: bool
    prompt: Prompt | None  # None for generators that use no prompt
    attributes: attrs.Attributes
    notices: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    framing: CropInfo | None = None  # the faces found in the photo, the one framed, and the crop box


class _Clock:
    def __init__(self):
        self.timings: dict[str, float] = {}
        self._start = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = now - self._start
        self._start = now


def make_avatar(photo: imaging.ImageSource, taste: genres.Taste | np.ndarray, *, generator: str | None = None,
                style: str | None = None, seed: int = 0, choices: Mapping[str, str] | None = None,
                detected: attrs.Attributes | None = None, attribute_backend: str | None = None,
                backdrop: bool = True, lora: str | None = None, lora_scale: float | None = None,
                choose: FaceChoice = None, progress: Progress | None = None) -> AvatarResult:
    """A stylized avatar of the person in ``photo`` dressed for ``taste`` (a :class:`~relive.genres.Taste`, or 18
    values checked here).

    ``choices``: the user's answers per attribute (``gender``, ``age_group``, ``skin_tone``; "prefer not to say"
    removes a field); they override ``detected`` (or what ``attribute_backend`` finds when ``detected`` is None).
    ``style``: a style of :mod:`relive.avatar.prompt` for diffusion generators, an offline look for ``instant``
    (comic, sketch, pop-art, painted); None takes the generator's default.
    ``backdrop``: put the avatar on its genre-themed backdrop (the transparent cut-out is always returned too).
    ``lora``: a LoRA file/folder/hub id for diffusion generators (default: ``RELIVE_LORA``), loaded once per session.
    ``choose``: which person of a group photo (a face index, largest first, or a point (x, y) on the photo: the
    face nearest it); None takes the main person (largest, most central face). Only that person is cut out.
    """
    from relive.backends.generators import GENERATORS

    clock = _Clock()
    taste = genres.Taste.of(taste)
    top = taste.top()
    picture = imaging.load_image(photo, "RGB", min_side=MIN_PHOTO_SIDE)
    gen = GENERATORS.session(generator, **({"lora": lora} if lora is not None else {}))
    crop, crop_info = framing.frame_person(picture, gen.size, choose)
    notices = [crop_info.notice] if crop_info.notice else []
    clock.lap("crop")
    prompt = look = None  # a prompt for diffusion generators, an offline look for the others
    if gen.is_diffusion:  # only a prompt uses what the photo shows of the person: nothing is analysed otherwise
        person = _person(picture, detected, attribute_backend, choices)
        prompt = build_prompt(taste, attributes=person, style=style or DEFAULT_STYLE, seed=seed)
    else:
        person = attrs.merge_choices(detected, **dict(choices or {}))
    clock.lap("prompt")
    if gen.is_diffusion:
        art = gen.generate(crop, prompt.positive, prompt.negative, seed=seed, genres=top, lora_scale=lora_scale,
                           progress=progress)
        clock.lap("generate")
        alpha, nobody = _person_alpha(art, crop_info)  # diffusion redraws the picture: find the person in the result
        clock.lap("background removal")
    else:
        from relive.avatar.stylize import face_in_crop, offline_look  # OpenCV: on first use, not at app start

        # A filter keeps the photo's geometry, and segmenters are trained on photos: cut the photo out first and
        # let the filter spend its colours on the person and keep the face's own skin tones.
        alpha, nobody = _person_alpha(crop, crop_info)
        clock.lap("background removal")
        look, note = offline_look(style)
        notices += [note] if note else []
        art = gen.generate(crop, seed=seed, genres=top, progress=progress, person_mask=alpha,
                           face=face_in_crop(crop_info, gen.size), style=look)
        clock.lap("generate")
    cutout = _with_alpha(art, alpha)
    if nobody:
        notices.append(Message("No person found to cut out, so the avatar is a round badge of the whole picture"))
    image = _finish(cutout, top, seed, backdrop, look)
    clock.lap("backdrop")
    return AvatarResult(image, cutout, gen.name, gen.label, gen.is_diffusion, prompt, person,
                        notices + ([person.notice] if person.notice else []), clock.timings, crop_info)


def _person(picture, detected, backend, choices) -> attrs.Attributes:
    if detected is None:
        detected = attrs.analyse(picture, backend)
    return attrs.merge_choices(detected, **dict(choices or {}))


def _person_alpha(source: Image.Image, crop_info: CropInfo) -> tuple[np.ndarray, bool]:
    """The alpha (AVATAR_SIZE²) of the framed person alone in ``source``; a round badge, and True, when nobody is
    found."""
    from relive.avatar.stylize import badge_mask

    alpha = framing.person_alpha(source, crop_info, AVATAR_SIZE)
    if (alpha > 127).mean() < MIN_PERSON:
        return badge_mask(AVATAR_SIZE), True
    return alpha, False


def _with_alpha(art: Image.Image, alpha: np.ndarray) -> Image.Image:
    if art.size != (AVATAR_SIZE, AVATAR_SIZE):
        art = art.resize((AVATAR_SIZE, AVATAR_SIZE), Image.LANCZOS)
    return Image.fromarray(np.dstack([imaging.to_array(art.convert("RGB")), alpha]), "RGBA")


def _finish(cutout: Image.Image, top: list[str], seed: int, backdrop: bool, look: str | None) -> Image.Image:
    from relive.avatar import backdrops
    from relive.avatar.stylize import looks_for, poster_backdrop

    ink = looks_for(top)[0].ink
    if backdrop:
        # the pop-art look brings its own flat poster ground; every other picture stands in its genre's scene
        ground = (poster_backdrop if look == "pop-art" else backdrops.genre_backdrop)(top, AVATAR_SIZE, seed=seed)
        return backdrops.compose_on_backdrop(cutout, ground, ink=ink)
    return backdrops.sticker(cutout, ink=ink)
