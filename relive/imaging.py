"""The one image convention: RGB/RGBA uint8; PIL at the API edges, numpy inside; masks uint8, 255 = foreground.

:func:`load_image` is the single door for images from users and disk: it turns every odd file (EXIF rotation,
16-bit, CMYK, palette, LA…) into plain RGB/RGBA, and every bad one into an :class:`InvalidImage` with a fix.
"""

from __future__ import annotations

import io
import os
import threading
import warnings
from pathlib import Path
from typing import IO, Literal, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from relive.config import settings
from relive.errors import InvalidImage
from relive.messages import Message

ImageSource = Union[str, os.PathLike, bytes, IO[bytes], Image.Image, np.ndarray]
Mode = Literal["RGB", "RGBA"]
READABLE = Message("JPEG, PNG or WebP")
PREMULTIPLIED = {"La": "LA", "RGBa": "RGBA"}  # Pillow's premultiplied-alpha modes → straight alpha
# Image.MAX_IMAGE_PIXELS and the warning filters are process-wide: one image is opened under them at a time.
_OPEN_LOCK = threading.Lock()


def load_image(source: ImageSource, mode: Mode = "RGB", *, min_side: int = 1, max_pixels: int | None = None) -> Image.Image:
    """Open, validate and normalise an image: EXIF orientation applied, ``mode`` RGB or RGBA, uint8."""
    if mode not in ("RGB", "RGBA"):
        raise InvalidImage("images are loaded as 'RGB' or 'RGBA', not {mode!r}", mode=mode)
    max_pixels = settings().max_image_pixels if max_pixels is None else max_pixels
    img = _open(source, max_pixels)
    try:
        _check(img, source, min_side, max_pixels)
        return _normalise_mode(ImageOps.exif_transpose(img), mode)
    except InvalidImage:
        raise  # already says what is wrong (InvalidImage is a ValueError too: keep it out of the clause below)
    except (OSError, SyntaxError, ValueError) as err:
        raise InvalidImage("{name} is truncated or corrupt ({error}); save it again as {readable}", name=_name(source),
                           error=err, readable=READABLE) from None
    finally:
        if img is not source:
            img.close()  # the normalised image is a copy; release the file now


def _check(img: Image.Image, source: ImageSource, min_side: int, max_pixels: int) -> None:
    # The size first: counting a GIF's frames decodes them.
    if img.width * img.height > max_pixels:
        raise InvalidImage("{name} is {width}×{height}, over the {limit:,}-pixel limit; resize it first",
                           name=_name(source), width=img.width, height=img.height, limit=max_pixels)
    # A multi-picture JPEG (MPO, as many cameras and phones save) is one photo plus previews: frame 0 is the photo.
    if getattr(img, "n_frames", 1) > 1 and img.format != "MPO":
        raise InvalidImage("{name} is animated ({frames} frames); use a still photo ({readable})", name=_name(source),
                           frames=img.n_frames, readable=READABLE)
    if min(img.size) < min_side:
        raise InvalidImage("{name} is only {width}×{height}; use an image at least {side}×{side}", name=_name(source),
                           width=img.width, height=img.height, side=min_side)
    img.load()


def _open(source: ImageSource, max_pixels: int) -> Image.Image:
    if isinstance(source, Image.Image):
        return source  # never modified: every step below returns a new image
    if isinstance(source, np.ndarray):
        return to_image(source)
    if isinstance(source, (str, os.PathLike)) and not Path(source).is_file():
        raise InvalidImage("no image file at {path!r}; check the path", path=os.fspath(source))
    stream = io.BytesIO(source) if isinstance(source, bytes) else source
    with _OPEN_LOCK, warnings.catch_warnings():
        # Over the limit, Pillow warns (and raises DecompressionBombError at twice it); _check refuses such an
        # image with a clear message, so the warning would only be noise on stderr.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        old_limit = Image.MAX_IMAGE_PIXELS
        Image.MAX_IMAGE_PIXELS = max_pixels
        try:
            return Image.open(stream)
        except Image.DecompressionBombError:
            raise InvalidImage("{name} is far over the {limit:,}-pixel limit (a decompression bomb?)",
                               name=_name(source), limit=max_pixels) from None
        except (UnidentifiedImageError, OSError, ValueError):
            raise InvalidImage("{name} is not an image relive can read; use {readable}", name=_name(source),
                               readable=READABLE) from None
        finally:
            Image.MAX_IMAGE_PIXELS = old_limit


def _name(source: ImageSource) -> str:
    return repr(os.fspath(source)) if isinstance(source, (str, os.PathLike)) else Message("the file")


def _normalise_mode(img: Image.Image, mode: Mode) -> Image.Image:
    if img.mode.startswith("I") or img.mode == "F":
        img = _to_8bit(img)
    if img.mode in PREMULTIPLIED:
        img = img.convert(PREMULTIPLIED[img.mode])
    if mode == "RGB" and has_alpha(img):
        # Transparent pixels become white, not the black that a bare convert() gives.
        return flatten(img.convert("RGBA"))
    return img.convert(mode)


def _to_8bit(img: Image.Image) -> Image.Image:
    """16/32-bit integer or float greyscale → 8-bit L. 16-bit modes span 0–65535; float spans [0, 1] or 0–255."""
    with np.errstate(invalid="ignore"):  # a signalling NaN warns when cast; it is refused just below
        arr = np.asarray(img, dtype=np.float64)
    if not np.isfinite(arr).all():  # only float ("F") images can hold them
        raise InvalidImage("the image holds NaN or infinite pixel values; save it as an 8-bit {readable}",
                           readable=READABLE)
    peak = arr.max(initial=0)
    if img.mode.startswith("I;16"):
        top = 65535.0
    elif img.mode == "F":
        top = 1.0 if peak <= 1.0 else 255.0
    else:  # "I": 32-bit, in practice 8- or 16-bit data
        top = 255.0 if peak <= 255 else 65535.0
    return Image.fromarray(np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8), "L")


def has_alpha(img: Image.Image) -> bool:
    """Whether the image carries transparency (an alpha band, premultiplied modes or a transparent colour)."""
    return img.mode in ("RGBA", "LA", "PA", *PREMULTIPLIED) or "transparency" in img.info


def flatten(img: Image.Image, background: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """RGBA → RGB over a solid background."""
    base = Image.new("RGBA", img.size, background + (255,))
    return Image.alpha_composite(base, img.convert("RGBA")).convert("RGB")


def to_array(img: Image.Image) -> np.ndarray:
    """PIL → numpy uint8 (H, W, C)."""
    return np.asarray(img, dtype=np.uint8)


def to_image(arr: np.ndarray) -> Image.Image:
    """numpy (H, W), (H, W, 3) or (H, W, 4) → PIL; floats are taken as [0, 1]."""
    arr = np.asarray(arr)
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all():
            raise InvalidImage("the image array holds NaN or infinite values")
        arr = np.clip(arr * 255.0 + 0.5, 0, 255).astype(np.uint8)
    elif arr.dtype != np.uint8:
        raise InvalidImage("image arrays must be uint8 or float in [0, 1], got {dtype}", dtype=arr.dtype)
    if arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (3, 4)):
        return Image.fromarray(arr)
    raise InvalidImage("an image array has shape (H, W), (H, W, 3) or (H, W, 4), got {shape}", shape=arr.shape)


def alpha_mask(img: Image.Image) -> np.ndarray:
    """The alpha channel as a uint8 mask (255 = opaque foreground)."""
    if img.mode != "RGBA":
        raise InvalidImage("expected an RGBA image with transparency, got mode {mode}", mode=img.mode)
    return np.asarray(img.getchannel("A"), dtype=np.uint8)


def layer(base: Image.Image, layers: list[Image.Image | None]) -> Image.Image:
    """Stack RGBA ``layers`` (bottom first, ``None`` skipped) over ``base``; every layer is resized to the base."""
    out = base.convert("RGBA")
    for top in layers:
        if top is not None:
            top = top.convert("RGBA")
            out = Image.alpha_composite(out, top if top.size == out.size else top.resize(out.size, Image.LANCZOS))
    return out


SAVE_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}


def check_output_path(path: str | os.PathLike) -> tuple[Path, str]:
    """``(path, Pillow format)`` for an image to be written, or InvalidImage naming what to change."""
    path = Path(path)
    fmt = SAVE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InvalidImage("cannot save {path!r} as {suffix!r}; use .png, .jpg or .webp", path=os.fspath(path),
                           suffix=path.suffix or Message("no extension"))
    if not path.parent.is_dir():
        raise InvalidImage("folder {path!r} does not exist; create it first", path=os.fspath(path.parent))
    return path, fmt


def save_image(img: Image.Image, path: str | os.PathLike) -> Path:
    """Write ``img`` by its extension (PNG keeps alpha; JPEG is flattened), atomically: no half-written file."""
    path, fmt = check_output_path(path)
    if fmt == "JPEG" and img.mode != "RGB":
        img = flatten(img) if has_alpha(img) else img.convert("RGB")
    tmp = path.with_name(f".{path.name}.partial")
    try:
        img.save(tmp, fmt)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
