"""Person segmentation behind a registry, plus the cut-out helpers the AVATAR and CAROUSEL use.

Every backend answers ``session.segment(image) -> uint8 (H, W)`` soft mask, 255 = person (a probability scaled
to 0..255, not a hard 0/255 mask). Backends:

- ``mediapipe`` (offline default): the MediaPipe selfie segmenter (``selfie_segmentation.tflite``, 250 KB) on the
  mediapipe tasks API; ``make models`` puts the file in the models folder.
- ``rembg``: rembg's ``u2net_custom`` session on a local u2net-family ``.onnx`` (never downloads).
- ``detectron2``: COCO Mask R-CNN, person instances only (not on PyPI; weights by path).

    from relive.backends import segmentation
    avatar = segmentation.remove_background(photo)            # 1024×1024 RGBA
    mask = segmentation.SEGMENTERS.session("rembg").segment(photo)
"""

from __future__ import annotations

import abc
import os
import threading
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from relive import imaging
from relive.backends import (
    Availability,
    Backend,
    MediaPipeModel,
    Registry,
    mediapipe_image,
    models_file,
    module_missing,
)
from relive.errors import InvalidImage, InvalidInput


class Segmenter(Backend):
    """A person segmenter: ``segment(RGB image) -> uint8 (H, W) mask``, soft, 255 = person."""

    def segment(self, image: imaging.ImageSource) -> np.ndarray:
        rgb = imaging.to_array(imaging.load_image(image, "RGB"))
        with self._lock:  # the underlying runtimes are not safe for concurrent calls on one session
            mask = self._predict(rgb)
        return mask

    @abc.abstractmethod
    def _predict(self, rgb: np.ndarray) -> np.ndarray:
        """The person mask of an RGB uint8 array: uint8 (H, W), soft, 255 = person."""

    def close(self) -> None:
        """Release the native resources (cached sessions are closed by ``SEGMENTERS.clear()``)."""


SEGMENTERS: Registry[Segmenter] = Registry("segmentation backend", preference=("mediapipe", "rembg", "detectron2"))


def _probability_to_mask(prob: np.ndarray) -> np.ndarray:
    return (np.clip(prob, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


@SEGMENTERS.register
class MediaPipeSegmenter(MediaPipeModel, Segmenter):
    """MediaPipe selfie segmenter: one confidence mask, the person's probability."""

    name = "mediapipe"
    MODEL = "selfie_segmentation.tflite"

    def __init__(self):
        from mediapipe.tasks.python import vision

        options = vision.ImageSegmenterOptions(
            base_options=self.base_options(),
            running_mode=vision.RunningMode.IMAGE,
            output_confidence_masks=True,
            output_category_mask=False,
        )
        self._segmenter = vision.ImageSegmenter.create_from_options(options)
        self._lock = threading.Lock()

    def _predict(self, rgb: np.ndarray) -> np.ndarray:
        result = self._segmenter.segment(mediapipe_image(rgb))
        # The selfie model has a single label ("selfie"), so one float mask (H, W, 1) at the input's size.
        prob = np.asarray(result.confidence_masks[0].numpy_view()).reshape(rgb.shape[:2])
        return _probability_to_mask(prob)

    def close(self) -> None:
        self._segmenter.close()


U2NET_FILES = ("u2net_human_seg.onnx", "u2net.onnx", "u2netp.onnx", "isnet-general-use.onnx", "silueta.onnx")


def u2net_home() -> Path:
    """rembg's model folder: ``U2NET_HOME``, default ``~/.u2net``."""
    return Path(os.environ.get("U2NET_HOME") or Path.home() / ".u2net").expanduser()


def find_u2net_model(model_path: str | os.PathLike | None = None) -> Path | None:
    """The .onnx to use: ``model_path`` if given, else the first u2net-family file in ``U2NET_HOME``."""
    if model_path is not None:
        path = Path(model_path).expanduser()
        return path if path.is_file() else None
    return next((u2net_home() / f for f in U2NET_FILES if (u2net_home() / f).is_file()), None)


@SEGMENTERS.register
class RembgSegmenter(Segmenter):
    """rembg's ``u2net_custom`` session on a local .onnx: rembg never downloads anything this way."""

    name = "rembg"

    @classmethod
    def available(cls, model_path: str | os.PathLike | None = None) -> Availability:
        if reason := module_missing("rembg", '"rembg[cpu]"'):
            return Availability(False, reason)
        if find_u2net_model(model_path) is None:
            where = Path(model_path) if model_path is not None else u2net_home()
            return Availability(False, f"no u2net-family .onnx at {where}; put e.g. u2net_human_seg.onnx in U2NET_HOME "
                                       "(default ~/.u2net) or pass model_path=/path/to/model.onnx")
        return Availability(True)

    def __init__(self, model_path: str | os.PathLike | None = None):
        from rembg import new_session

        self.model_path = find_u2net_model(model_path)
        self._session = new_session("u2net_custom", model_path=os.fspath(self.model_path))
        self._lock = threading.Lock()

    def _predict(self, rgb: np.ndarray) -> np.ndarray:
        # predict() gives one soft "L" mask per output, already resized to the input.
        mask = self._session.predict(Image.fromarray(rgb))[0]
        return np.asarray(mask.convert("L").resize((rgb.shape[1], rgb.shape[0])), dtype=np.uint8)


DETECTRON2_CONFIG = "COCO-InstanceSegmentation/mask_rcnn_R_50_FPN_3x.yaml"
DETECTRON2_WEIGHTS_URL = ("https://dl.fbaipublicfiles.com/detectron2/COCO-InstanceSegmentation/"
                          "mask_rcnn_R_50_FPN_3x/137849600/model_final_f10217.pkl")
COCO_PERSON = 0


def detectron2_weights(weights: str | os.PathLike | None = None) -> Path:
    return Path(weights).expanduser() if weights is not None else models_file("detectron2/model_final_f10217.pkl")


@SEGMENTERS.register
class Detectron2Segmenter(Segmenter):
    """COCO Mask R-CNN (R50-FPN 3x); the person instances' masks, each weighted by its detection score."""

    name = "detectron2"

    @classmethod
    def available(cls, weights: str | os.PathLike | None = None) -> Availability:
        pip_hint = "'git+https://github.com/facebookresearch/detectron2.git' (it is not on PyPI; needs torch)"
        if reason := module_missing("detectron2", pip_hint):
            return Availability(False, reason)
        path = detectron2_weights(weights)
        if not path.is_file():
            return Availability(False, f"weights file {path} is missing; download {DETECTRON2_WEIGHTS_URL} there "
                                       "or pass weights=/path/to/model_final_f10217.pkl")
        return Availability(True)

    def __init__(self, weights: str | os.PathLike | None = None):
        from detectron2 import model_zoo
        from detectron2.config import get_cfg
        from detectron2.engine import DefaultPredictor

        from relive.config import resolve_device

        cfg = get_cfg()
        cfg.merge_from_file(model_zoo.get_config_file(DETECTRON2_CONFIG))
        cfg.MODEL.WEIGHTS = os.fspath(detectron2_weights(weights))
        device = resolve_device()
        cfg.MODEL.DEVICE = device if device.startswith("cuda") else "cpu"  # detectron2 has no MPS kernels
        self._predictor = DefaultPredictor(cfg)
        self._lock = threading.Lock()

    def _predict(self, rgb: np.ndarray) -> np.ndarray:
        # DefaultPredictor takes OpenCV's BGR order, whatever the model's INPUT.FORMAT.
        instances = self._predictor(np.ascontiguousarray(rgb[:, :, ::-1]))["instances"].to("cpu")
        people = instances[instances.pred_classes == COCO_PERSON]
        if len(people) == 0:
            return np.zeros(rgb.shape[:2], np.uint8)
        # Mask R-CNN pastes hard masks; the score makes overlapping/unsure people softer, cutout() softens edges.
        weighted = people.pred_masks.numpy().astype(np.float32) * people.scores.numpy()[:, None, None]
        return _probability_to_mask(weighted.max(axis=0))


# --- cut-outs -------------------------------------------------------------------------------------------------

# Alpha below/above these is snapped to 0/255: the guided filter leaves a faint haze over the whole background.
ALPHA_FLOOR, ALPHA_CEIL = 8, 247


def as_mask(mask: np.ndarray | Image.Image, size: tuple[int, int]) -> np.ndarray:
    """A mask in the house convention (uint8 (H, W), 255 = foreground) for an image of ``size`` (W, H)."""
    arr = np.asarray(mask.convert("L") if isinstance(mask, Image.Image) else mask)
    if arr.dtype == bool:
        arr = arr.astype(np.uint8) * 255
    elif arr.dtype.kind == "f":
        arr = _probability_to_mask(arr)
    elif arr.dtype != np.uint8:
        raise InvalidImage("a mask must be uint8 (255 = foreground), bool or float in [0, 1], got {dtype}",
                           dtype=arr.dtype)
    if arr.shape != (size[1], size[0]):
        raise InvalidImage("the mask is {mask} but the image is {width}×{height}; segment this very image (or resize "
                           "the mask to it)", mask=arr.shape[1::-1] if arr.ndim == 2 else arr.shape, width=size[0],
                           height=size[1])
    return arr


# The mask's soft band that is kept before the guided filter: low-resolution models (MediaPipe runs at 256 px)
# smear the edge over ~1 % of the image, which shows as a halo of background; the filter puts softness back
# only where the photo itself has an edge.
EDGE_BAND = (96, 224)


def tighten(mask: np.ndarray, band: tuple[int, int] = EDGE_BAND) -> np.ndarray:
    """Remap the mask's ``band`` to 0..255 (below → 0, above → 255): a steeper, thinner soft edge."""
    low, high = band
    return (np.clip((mask.astype(np.float32) - low) / (high - low), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def _ximgproc():
    """OpenCV's contrib filters, or None where only plain OpenCV (or none) is installed."""
    try:
        from cv2 import ximgproc
    except ImportError:
        return None
    return ximgproc


def refine_alpha(rgb: np.ndarray, mask: np.ndarray, radius: int) -> np.ndarray:
    """Soft alpha edges that follow the photo: a guided filter (guided by the photo) over the tightened mask.

    Falls back to a plain feathered blur where OpenCV's contrib module (``cv2.ximgproc``) is missing.
    """
    if radius <= 0:
        return mask.copy()
    sharp = tighten(mask)
    ximgproc = _ximgproc()
    if ximgproc is None:
        alpha = np.asarray(Image.fromarray(sharp).filter(ImageFilter.GaussianBlur(radius / 3)), dtype=np.uint8)
    else:
        # eps in the guide's units (0..255)²: (0.02·255)² follows hair and collar edges without haloing.
        # (The "fast" variant, scale=0.5, is 3× quicker but leaves faces ~7 % translucent near the chin.)
        alpha = ximgproc.guidedFilter(guide=rgb, src=sharp, radius=radius, eps=(0.02 * 255) ** 2, dDepth=-1)
    alpha = alpha.copy()
    alpha[alpha < ALPHA_FLOOR] = 0
    alpha[alpha > ALPHA_CEIL] = 255
    return alpha


def cutout(image: imaging.ImageSource, mask: np.ndarray | Image.Image, feather: float = 0.012) -> Image.Image:
    """The photo as RGBA, its alpha the mask with soft edges; ``feather`` is the edge radius as a fraction of the
    image's shorter side (0 = the mask as is)."""
    if not 0 <= feather <= 0.1:
        raise InvalidInput("feather={feather} is out of range; use 0 (hard edges) to 0.1 (very soft)", feather=feather)
    img = imaging.load_image(image, "RGB")
    rgb = imaging.to_array(img)
    alpha = refine_alpha(rgb, as_mask(mask, img.size), round(feather * min(img.size)))
    return Image.fromarray(np.dstack([rgb, alpha]), "RGBA")


def fit_square(img: Image.Image, size: int) -> tuple[Image.Image, tuple[int, int]]:
    """``img`` scaled (aspect kept) to fit a ``size`` square; and where it goes in that square (left, top)."""
    scale = size / max(img.size)
    fitted = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.LANCZOS)
    return fitted, ((size - fitted.width) // 2, (size - fitted.height) // 2)


def remove_background(image: imaging.ImageSource, size: int = 1024, backend: str | None = None,
                      feather: float = 0.012) -> Image.Image:
    """The person cut out, fitted into a transparent ``size``×``size`` RGBA square (aspect never distorted).

    ``backend=None`` takes the first available segmenter, ``mediapipe`` first. The photo is scaled before
    segmenting, so a 12-megapixel photo costs the same as a 1024 px one.
    """
    if not isinstance(size, int) or not 16 <= size <= 8192:
        raise InvalidInput("size={size!r} is out of range; use a whole number of pixels from 16 to 8192", size=size)
    segmenter = SEGMENTERS.session(backend)
    fitted, offset = fit_square(imaging.load_image(image, "RGB"), size)
    person = cutout(fitted, segmenter.segment(fitted), feather)
    canvas = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    canvas.paste(person, offset)
    return canvas
