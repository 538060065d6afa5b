"""Adapters shared by the tabs: named inputs (:class:`Form`), and errors made friendly, translated and logged
without anything personal (:func:`friendly`)."""

from __future__ import annotations

import functools
import inspect
import io
import logging
import re
import traceback
from types import SimpleNamespace

import gradio as gr
from gradio.processing_utils import save_bytes_to_cache
from PIL import Image

from relive.config import settings
from relive.errors import ReliveError
from relive.priority import at_model_priority
from relive.ui import i18n

log = logging.getLogger("relive.ui")


class Mistake(gr.Error):
    """A visitor's mistake a handler spots itself, shown in the visitor's language (``key``: its i18n text)."""

    def __init__(self, key: str, lang: str | None):
        self.key = key
        super().__init__(i18n.text(key, i18n.language(lang)), title=i18n.text("error.title", i18n.language(lang)),
                         print_exception=False)


def friendly(fn):
    """Run a handler. A visitor's mistake (a ReliveError, or a :class:`Mistake`) is shown with its fix, in the
    visitor's language, and logged as one line: no traceback, nothing the visitor gave (file names, values). A
    ReliveError only the staff can fix (``for_staff``: a missing model, a full disk) shows the visitor a short text
    and logs its detail, which names nothing of the visitor's. Anything else is a bug: its
    traceback goes to the log with file names and upload paths masked, and the visitor reads a calm message.
    The visitor's language comes from the handler's ``lang`` parameter or its form's ``lang``."""
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        lang = _language(signature, args, kwargs)
        try:
            return fn(*args, **kwargs)
        except Mistake as err:
            log.warning("visitor mistake in %s: %s", fn.__name__, err.key)
            raise
        except ReliveError as err:
            if err.for_staff:  # the fix (a package, a folder, the disk) is the staff's: the detail goes to the log
                log.error("needs the staff in %s: %s: %s", fn.__name__, type(err).__name__, err)
                shown = i18n.text("error.staff", lang)
            else:
                log.warning("visitor mistake in %s: %s", fn.__name__, type(err).__name__)
                shown = visitor_message(i18n.message(err.message, lang))
            raise gr.Error(shown, title=i18n.text("error.title", lang), print_exception=False) from None
        except gr.Error:  # Gradio's own checks: already worded for the visitor
            raise
        except Exception as err:  # noqa: BLE001 - a bug: logged with its traceback, the visitor told calmly
            log.error("unexpected error in %s:\n%s", fn.__name__, private_traceback(err))
            raise gr.Error(i18n.text("error.unexpected", lang), title=i18n.text("error.title", lang),
                           print_exception=False) from None

    return wrapper


def _language(signature: inspect.Signature, args, kwargs) -> str:
    try:
        given = signature.bind_partial(*args, **kwargs).arguments
    except TypeError:
        return i18n.DEFAULT
    lang = given.get("lang") or getattr(given.get("form"), "lang", None)
    return i18n.language(lang)


# A file name or path a visitor may have given (their photo's name can be personal): masked in the log.
_VISITOR_FILES = re.compile(r"[^\s'\"()<>]*\.(?:png|jpe?g|webp|gif|bmp|tiff?|heic|avif|zip)\b", re.IGNORECASE)


def private_traceback(err: BaseException) -> str:
    """``err``'s traceback for the log, with every image or archive file name masked: the code's own files (.py)
    stay, what the visitor uploaded does not."""
    text = "".join(traceback.format_exception(err))
    return _VISITOR_FILES.sub("<visitor file>", text)


class Form:
    """A handler's named inputs. Gradio hands the values of a *set* of input components to a handler as one dict
    keyed by component; a Form names the components once (a name may stand for a list or dict of components, as
    the 18 genre sliders) and gives the handler those values by name: ``form.photo``, ``form.taste``.

        form = Form(photo=photo, consent=consent, taste=sliders)
        button.click(form.bind(avatar), form.inputs, outputs)       # avatar(form, progress=gr.Progress())
    """

    def __init__(self, **components):
        self.components = components

    @property
    def inputs(self) -> set:
        """Every component, as the set Gradio takes for dict inputs (its API lists them in creation order)."""
        return set(_flatten(self.components))

    def read(self, values: dict) -> SimpleNamespace:
        """The dict Gradio passes, by name (lists and dicts of components keep their shape)."""
        return SimpleNamespace(**{name: _pick(part, values) for name, part in self.components.items()})

    def bind(self, handler):
        """``handler`` as Gradio's fn: it is called with the values by name (and whatever else its signature asks
        Gradio for: a request, progress, event data), and Gradio sees the handler's own signature."""

        def call(values: dict, *injected, **named):
            return handler(self.read(values), *injected, **named)

        functools.update_wrapper(call, getattr(handler, "func", handler), updated=())  # a partial: its function
        del call.__wrapped__  # Gradio must see ``handler``'s signature, not the unbound function's
        call.__signature__ = inspect.signature(handler)
        return call


def _flatten(part):
    if isinstance(part, dict):
        part = list(part.values())
    if isinstance(part, (list, tuple)):
        return [component for item in part for component in _flatten(item)]
    return [part]


def _pick(part, values: dict):
    if isinstance(part, dict):
        return {key: _pick(item, values) for key, item in part.items()}
    if isinstance(part, (list, tuple)):
        return [_pick(item, values) for item in part]
    return values[part]


def visitor_message(message: str) -> str:
    """``message`` with the server's upload folders cut from file paths: the visitor knows the file by its name,
    and the server's layout is nobody's business."""
    cache = re.escape(gr.utils.get_upload_folder().rstrip("/"))
    return re.sub(cache + r"/[^/'\"]+/", "", message)


def on_gpu(fn):
    """Model work. Hugging Face ZeroGPU: hold a GPU only while ``fn`` runs when the ``spaces`` package is there;
    elsewhere (the kiosk, this machine) ``fn`` runs below the pets' CPU priority (:mod:`relive.priority`)."""
    try:
        import spaces
    except ImportError:
        return at_model_priority(fn)
    return spaces.GPU(duration=120)(fn)


EXAMPLE_PHOTOS = ("astronaut.jpg", "grace-hopper.jpg")  # public-domain portraits (tools/make_examples.py)
EXAMPLE_AVATAR = "avatar-astronaut.png"


def example(name: str) -> str:
    """The path of an example photo shipped in the assets."""
    return str(settings().assets_dir / "examples" / name)


def show_examples() -> bool:
    """Examples help in a browser; at the booth every visitor brings their own face."""
    return not settings().kiosk


# How an output picture is encoded for the page. Gradio's own default (PNG at zlib level 6, or WebP) took 60–130 ms
# per 1024 px picture, three pictures per pet: zlib level 1 is ~3× faster for files ~1.3× bigger, on a local network.
PNG_LEVEL = 1
JPEG_QUALITY = 90


def shown(image: Image.Image, kind: str = "png") -> str:
    """``image`` as a file in Gradio's cache, for an image output (Gradio serves a cached file as it is): ``png``
    (lossless, transparency kept: pets, avatars, charts) or ``jpeg`` (photos and big cards: ~20× faster than PNG)."""
    buffer = io.BytesIO()
    if kind == "jpeg":
        image.convert("RGB").save(buffer, "JPEG", quality=JPEG_QUALITY)
    else:
        image.save(buffer, "PNG", compress_level=PNG_LEVEL)
    return cached(buffer.getvalue(), f"image.{'jpg' if kind == 'jpeg' else 'png'}")


def cached(data: bytes, name: str) -> str:
    """An encoded picture (``name`` gives its type) as a file in Gradio's cache, for an output component."""
    return save_bytes_to_cache(data, name, gr.utils.get_upload_folder())
