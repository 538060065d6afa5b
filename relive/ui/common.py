"""Adapters shared by the tabs: library errors become friendly ``gr.Error`` messages."""

from __future__ import annotations

import functools
import logging
import re

import gradio as gr

from relive.config import settings
from relive.errors import ReliveError

log = logging.getLogger("relive.ui")


def friendly(fn):
    """Run a handler; a user mistake (ReliveError) is shown as a gr.Error with its fix, never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ReliveError as err:
            raise gr.Error(visitor_message(str(err)), title="Let's fix that") from None

    return wrapper


def visitor_message(message: str) -> str:
    """``message`` with the server's upload folders cut from file paths: the visitor knows the file by its name,
    and the server's layout is nobody's business."""
    cache = re.escape(gr.utils.get_upload_folder().rstrip("/"))
    return re.sub(cache + r"/[^/'\"]+/", "", message)


def on_gpu(fn):
    """Hugging Face ZeroGPU: hold a GPU only while ``fn`` runs when the ``spaces`` package is there; elsewhere
    (the kiosk, this machine) ``fn`` is returned unchanged."""
    try:
        import spaces
    except ImportError:
        return fn
    return spaces.GPU(duration=120)(fn)


EXAMPLE_PHOTOS = ("astronaut.jpg", "grace-hopper.jpg")  # public-domain portraits (tools/make_examples.py)
EXAMPLE_AVATAR = "avatar-astronaut.png"


def example(name: str) -> str:
    return str(settings().assets_dir / "examples" / name)


def show_examples() -> bool:
    """Examples help in a browser; at the booth every visitor brings their own face."""
    return not settings().kiosk
