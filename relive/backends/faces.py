"""Face detection behind a registry, and the square face crop the AVATAR starts from.

Every backend answers ``session.detect(image) -> list[Face]`` (x, y, w, h in pixels of the image, and a score
in 0..1), largest face first. Backends:

- ``mediapipe-full`` (default when ``make models`` has run): MediaPipe's full-range face detector
  (``face_detection_full_range_sparse.tflite``), for faces up to ~5 m away, run over windows of two sizes so that
  a group photo's small, far faces are found too.
- ``mediapipe``: MediaPipe's short-range face detector (``face_detection_short_range.tflite``), for faces within
  ~2 m of the camera, as at a booth.
- ``haar``: OpenCV's frontal-face Haar cascade, shipped inside opencv-contrib-python (no download).

    from relive.backends import faces
    crop, info = faces.face_square_crop(photo, 512)            # the main person: largest, most central face
    crop, info = faces.face_square_crop(photo, 512, choose=(x, y))   # the face nearest a tap on the photo
    if info.notice: show(info.notice)
"""

from __future__ import annotations

import abc
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image

from relive import imaging
from relive.backends import (
    Availability,
    Backend,
    MediaPipeModel,
    Registry,
    mediapipe_image,
    module_missing,
)
from relive.errors import InvalidInput
from relive.messages import Message


class Face(NamedTuple):
    """A face box in image pixels; ``score`` is the detector's confidence in 0..1."""

    x: int
    y: int
    w: int
    h: int
    score: float

    @property
    def area(self) -> int:
        """The box's area in pixels: the larger face is the nearer one."""
        return self.w * self.h

    @property
    def center(self) -> tuple[float, float]:
        """The box's centre (x, y) in pixels."""
        return self.x + self.w / 2, self.y + self.h / 2


class FaceDetector(Backend):
    """``detect(RGB image) -> list[Face]``, largest first, boxes clamped to the image."""

    def detect(self, image: imaging.ImageSource) -> list[Face]:
        """The faces in an image, clamped to it, duplicates merged, largest first."""
        rgb = imaging.to_array(imaging.load_image(image, "RGB"))
        with self._lock:  # the underlying runtimes are not safe for concurrent calls on one session
            found = self._find(rgb)
        height, width = rgb.shape[:2]
        boxes = [clamp_face(face, width, height) for face in found]
        return sorted((f for f in boxes if f.w > 0 and f.h > 0), key=lambda f: (f.area, f.score), reverse=True)

    @abc.abstractmethod
    def _find(self, rgb: np.ndarray) -> list[Face]:
        """The faces in an RGB uint8 array, in its pixel coordinates (not yet clamped to the frame)."""

    def close(self) -> None:
        """Release the native resources (cached sessions are closed by ``FACES.clear()``)."""


FACES: Registry[FaceDetector] = Registry("face detector", preference=("mediapipe-full", "mediapipe", "haar"))


def clamp_face(face: Face, width: int, height: int) -> Face:
    """``face`` cut to the image's bounds, so crops never reach outside the picture."""
    left, top = max(0, face.x), max(0, face.y)
    right, bottom = min(width, face.x + face.w), min(height, face.y + face.h)
    return Face(left, top, right - left, bottom - top, face.score)


def overlap(a: Face, b: Face) -> float:
    """Intersection over the smaller box: 1 when one box lies inside the other (a half face found in a window
    beside the whole one), so nested duplicates are caught where IoU would keep both."""
    w = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    h = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    smaller = min(a.area, b.area)
    return max(0, w) * max(0, h) / smaller if smaller else 0.0


def suppress_duplicates(faces: list[Face], threshold: float = 0.3) -> list[Face]:
    """Non-maximum suppression: of boxes overlapping more than ``threshold`` (of the smaller), keep the best
    scored."""
    kept: list[Face] = []
    for face in sorted(faces, key=lambda f: f.score, reverse=True):
        if all(overlap(face, other) <= threshold for other in kept):
            kept.append(face)
    return kept


def square_windows(width: int, height: int) -> list[tuple[int, int, int]]:
    """Square windows (left, top, side) covering the image, side = its shorter side, half-overlapping."""
    side = min(width, height)
    span = max(width, height) - side
    starts = sorted(set(range(0, span + 1, max(1, side // 2))) | {span})
    return [(s, 0, side) if width >= height else (0, s, side) for s in starts]


def tile_windows(width: int, height: int, side: int) -> list[tuple[int, int, int]]:
    """Square windows (left, top, side) of ``side`` tiling the image in both directions, half-overlapping."""
    def starts(length: int) -> list[int]:
        return sorted(set(range(0, length - side + 1, max(1, side // 2))) | {length - side})

    return [(left, top, side) for top in starts(height) for left in starts(width)]


def cut_by_window(box, left: int, top: int, side: int, width: int, height: int) -> bool:
    """Whether a box found in a window touches one of the window's edges that lies inside the image: then it is
    likely part of a face, the whole of which another window sees."""
    x, y, w, h = box
    margin = 2
    return ((x - left <= margin < left) or (y - top <= margin < top)
            or (left + side - (x + w) <= margin and left + side < width)
            or (top + side - (y + h) <= margin and top + side < height))


@FACES.register
class MediaPipeFaces(MediaPipeModel, FaceDetector):
    """MediaPipe short-range face detector (BlazeFace, 128×128 input)."""

    name = "mediapipe"
    MODEL = "face_detection_short_range.tflite"
    MIN_CONFIDENCE = 0.6  # lower fires on coffee, cats (0.37–0.43) and galaxies (0.53); real faces score 0.8+

    def __init__(self):
        from mediapipe.tasks.python import vision

        options = vision.FaceDetectorOptions(
            base_options=self.base_options(),
            running_mode=vision.RunningMode.IMAGE,
            min_detection_confidence=self.MIN_CONFIDENCE,
        )
        self._detector = vision.FaceDetector.create_from_options(options)
        self._lock = threading.Lock()

    def windows(self, width: int, height: int) -> list[tuple[int, int, int]]:
        """The square windows the detector looks through: the task squashes any image into its square input,
        which distorts wide photos until no face is found (one window for a square photo)."""
        return square_windows(width, height)

    def _find(self, rgb: np.ndarray) -> list[Face]:
        height, width = rgb.shape[:2]
        return suppress_duplicates(self._search(rgb, self.windows(width, height)))

    def _search(self, rgb: np.ndarray, windows: list[tuple[int, int, int]]) -> list[Face]:
        """Every face the detector sees through ``windows`` (left, top, side), in the image's pixels, less those a
        window's inner edge cuts (another window sees them whole); duplicates not yet merged."""
        height, width = rgb.shape[:2]
        found = []
        for left, top, side in windows:
            window = rgb[top:top + side, left:left + side]
            for detection in self._detector.detect(mediapipe_image(window)).detections:
                box = detection.bounding_box
                face = Face(box.origin_x + left, box.origin_y + top, box.width, box.height,
                            float(detection.categories[0].score if detection.categories else 0.0))
                if not cut_by_window(face[:4], left, top, side, width, height):
                    found.append(face)
        return found

    def close(self) -> None:
        """Release MediaPipe's native detector."""
        self._detector.close()


@FACES.register
class MediaPipeFullRangeFaces(MediaPipeFaces):
    """MediaPipe full-range face detector (BlazeFace, 192×192 input, faces up to ~5 m away), over windows of the
    photo's shorter side, and of a half and a third of it: a face 40 px wide in a 1600×1000 street photo is found."""

    name = "mediapipe-full"
    MODEL = "face_detection_full_range_sparse.tflite"
    MIN_SMALL_WINDOW = 192  # the model's input: smaller windows would only be scaled up
    SMALLER_WINDOWS = (2, 3)  # tiles of 1/2 and 1/3 of the shorter side, for far faces (~0.3 s more at 1600 px)
    # The small tiles also fire on face-like specks (a reflection on a helmet); a face under this fraction of the
    # largest one is such a speck or a far bystander, never the visitor, and is not counted.
    SMALLEST_BESIDE_LARGEST = 0.125

    # The smallest tiles (36 of the 46 model runs on a 1024 px photo, ~0.35 s of CPU) look for faces further away
    # still. They run only when the larger windows found no face or a small one (under FAR_FACE of the shorter
    # side: people far away, so there may be more); at the booth the visitor's face is near and large. On the group
    # photos of tests/test_framing.py and the sample portraits, at their size and at 1024 px, skipping them changes
    # no face found (box and score). What they alone would find then: a far bystander beside only near faces.
    FAR_FACE = 0.12

    def _find(self, rgb: np.ndarray) -> list[Face]:
        height, width = rgb.shape[:2]
        side = min(width, height)
        found = self._search(rgb, square_windows(width, height))
        for level, parts in enumerate(self.SMALLER_WINDOWS):
            if side // parts < self.MIN_SMALL_WINDOW:
                break
            if level > 0 and not self._far_faces_likely(self._faces(found), side):
                break
            found += self._search(rgb, tile_windows(width, height, side // parts))
        return self._faces(found)

    def _faces(self, found: list[Face]) -> list[Face]:
        """``found`` with duplicates merged, less the specks beside the largest face."""
        found = suppress_duplicates(found)
        largest = max((max(face.w, face.h) for face in found), default=0)
        return [face for face in found if max(face.w, face.h) >= largest * self.SMALLEST_BESIDE_LARGEST]

    def _far_faces_likely(self, faces: list[Face], side: int) -> bool:
        """No face found yet, or one smaller than FAR_FACE of the photo's shorter ``side``."""
        return not faces or min(max(face.w, face.h) for face in faces) < self.FAR_FACE * side


HAAR_CASCADE = "haarcascade_frontalface_default.xml"


def haar_cascade_path() -> Path | None:
    """The frontal-face cascade shipped with OpenCV, or None (opencv-python 5.0.0.93 ships none)."""
    import cv2

    folder = getattr(getattr(cv2, "data", None), "haarcascades", None)
    path = Path(folder) / HAAR_CASCADE if folder else None
    return path if path is not None and path.is_file() else None


@FACES.register
class HaarFaces(FaceDetector):
    """OpenCV's Viola–Jones frontal-face cascade: no model download, frontal faces only, slower."""

    name = "haar"
    MAX_SIDE = 640  # detect on a copy this size at most: the cascade's cost grows with the pixel count
    # Overlapping hits needed to report a face. Real faces gather 20–50; false ones (collars, patches, coffee
    # foam) 4–8 on skimage's photos, and a weak one beside a strong face is dropped by RELATIVE_HITS.
    MIN_NEIGHBORS = 8
    RELATIVE_HITS = 0.25

    @classmethod
    def available(cls) -> Availability:
        """OpenCV installed with its Haar cascade files."""
        if reason := module_missing("cv2", "opencv-contrib-python"):
            return Availability(False, reason)
        if haar_cascade_path() is None:
            return Availability(False, f"this OpenCV build ships no {HAAR_CASCADE} (cv2.data.haarcascades); "
                                       "run `pip install opencv-contrib-python` (5.1 or 4.x has it)")
        return Availability(True)

    def __init__(self):
        import cv2

        self._cv2 = cv2
        self._cascade = cv2.CascadeClassifier(os.fspath(haar_cascade_path()))
        self._lock = threading.Lock()

    def _find(self, rgb: np.ndarray) -> list[Face]:
        cv2 = self._cv2
        scale = min(1.0, self.MAX_SIDE / max(rgb.shape[:2]))
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        if scale < 1.0:
            grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        grey = cv2.equalizeHist(grey)  # booth lighting varies; the cascade works on contrast
        min_side = max(24, round(min(grey.shape) * 0.06))
        boxes, neighbours = self._cascade.detectMultiScale2(
            grey, scaleFactor=1.1, minNeighbors=self.MIN_NEIGHBORS, minSize=(min_side, min_side))
        hits = np.asarray(neighbours, dtype=float).ravel()
        keep = hits >= self.RELATIVE_HITS * hits.max(initial=0)
        # The cascade gives no probability; more merged hits means surer, squashed into 0..1.
        return [Face(round(x / scale), round(y / scale), round(w / scale), round(h / scale),
                     float(n / (n + self.MIN_NEIGHBORS)))
                for (x, y, w, h), n in zip(np.asarray(boxes).reshape(-1, 4)[keep], hits[keep], strict=True)]


def detect(image: imaging.ImageSource, backend: str | None = None) -> list[Face]:
    """Faces in ``image``, largest first, with the cached session of ``backend`` (None: the first available, mediapipe-full first)."""
    return FACES.session(backend).detect(image)


# --- the square face crop -------------------------------------------------------------------------------------

FACE_ZOOM = 3.0  # crop side / face box side: hair above (MediaPipe boxes start at the brows), shoulders below
FACE_DROP = 0.1  # crop centre this many face heights below the face centre: the face sits a little high


# A face in a corner counts this much less than the same face in the middle: the visitor is the largest, most
# central face, but a much larger face at the side (a selfie held off-centre) still wins.
CENTRALITY = 0.5

FaceChoice = int | tuple[float, float] | None  # an index into the faces found, a point (x, y) on the photo, or None


@dataclass(frozen=True)
class CropInfo:
    """What :func:`face_square_crop` did: faces found, the face used, the crop box, and a notice for the user."""

    faces_found: int
    notice: str  # empty when there is nothing to tell
    box: tuple[int, int, int, int]  # left, top, right, bottom in the source image
    face: Face | None
    backend: str
    faces: tuple[Face, ...] = ()  # every face found, largest first, in the source image's pixels


def centre_box(width: int, height: int) -> tuple[int, int, int, int]:
    """The largest centred square of a width × height picture, as (left, top, right, bottom)."""
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    return left, top, left + side, top + side


def face_box(face: Face, width: int, height: int) -> tuple[int, int, int, int]:
    """A square around ``face`` with headroom, as large as FACE_ZOOM asks but inside the image."""
    side = min(round(max(face.w, face.h) * FACE_ZOOM), width, height)
    cx, cy = face.center
    left = min(max(0, round(cx - side / 2)), width - side)
    top = min(max(0, round(cy + FACE_DROP * face.h - side / 2)), height - side)
    return left, top, left + side, top + side


def prominence(face: Face, width: int, height: int) -> float:
    """How much ``face`` looks like the photo's subject: its size, less for being far from the centre."""
    cx, cy = face.center
    off_centre = np.hypot(cx - width / 2, cy - height / 2) / np.hypot(width / 2, height / 2)  # 0 centre, 1 corner
    return max(face.w, face.h) * (1 - CENTRALITY * off_centre)


def main_face(found: list[Face], size: tuple[int, int]) -> Face:
    """The main person's face among ``found`` (not empty) in an image of ``size``: the largest, most central."""
    return max(found, key=lambda face: prominence(face, *size))


def choose_face(found: list[Face], size: tuple[int, int], choose: FaceChoice = None) -> Face | None:
    """The face to frame: ``None`` → :func:`main_face`; an index into ``found`` (largest first); or a point
    (x, y) in the image → the face nearest it (a tap on the photo). None when nothing was found."""
    if not found:
        return None
    if choose is None:
        return main_face(found, size)
    if isinstance(choose, int) and not isinstance(choose, bool):
        if not 0 <= choose < len(found):
            raise InvalidInput("face {face} does not exist: {found} found; choose 0 to {last}", face=choose,
                               found=len(found), last=len(found) - 1)
        return found[choose]
    try:
        x, y = (float(v) for v in choose)
    except (TypeError, ValueError):
        raise InvalidInput("choose={choose!r} is neither a face number nor a point (x, y) on the photo",
                           choose=choose) from None
    return min(found, key=lambda face: np.hypot(face.center[0] - x, face.center[1] - y) / max(face.w, 1))


def crop_notice(faces_found: int) -> str:
    """What to tell the visitor about the crop, from how many faces were found ('' when exactly one)."""
    if faces_found == 0:
        return Message("No face found, so the centre of the photo is used; face the camera in good light for a "
                       "better crop")
    if faces_found > 1:
        return Message("{count} people found; the avatar shows one of them", count=faces_found)
    return ""


def face_square_crop(image: imaging.ImageSource, size: int = 512, backend: str | None = None,
                     choose: FaceChoice = None) -> tuple[Image.Image, CropInfo]:
    """A ``size``×``size`` crop centred on one face (with headroom), or the centre square when none.

    The face is the main person's (largest, most central) unless ``choose`` picks another: see
    :func:`choose_face`.
    """
    if not isinstance(size, int) or not 16 <= size <= 8192:
        raise InvalidInput("size={size!r} is out of range; use a whole number of pixels from 16 to 8192", size=size)
    img = imaging.load_image(image, "RGB")
    detector = FACES.session(backend)
    found = detector.detect(img)
    face = choose_face(found, img.size, choose)
    box = face_box(face, *img.size) if face else centre_box(*img.size)
    crop = img.crop(box).resize((size, size), Image.LANCZOS)
    return crop, CropInfo(len(found), crop_notice(len(found)), box, face, detector.name, tuple(found))
