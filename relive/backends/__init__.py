"""Swappable external models behind small registries (name → backend class), as rembg's ``new_session`` does.

A backend class has a ``name``, a classmethod :meth:`Backend.available` (is the dependency importable and are
the weights present?) and the family's uniform call (``segment``, ``detect``…). Registries import nothing
heavy: each backend imports its library inside ``__init__``, so ``import relive.backends.faces`` stays cheap.

    registry = Registry("segmentation backend", preference=("mediapipe", "rembg"))

    @registry.register
    class MediaPipe(Backend):
        name = "mediapipe"
        ...

    session = registry.new_session("mediapipe")   # UnknownName / ModelUnavailable with a fix in the message
    session = registry.session()                  # cached; None → the first available in preference order

The families, a module each: :mod:`~relive.backends.segmentation`, :mod:`~relive.backends.faces`,
:mod:`~relive.backends.identity`, :mod:`~relive.backends.attributes`, :mod:`~relive.backends.generators` (with
:mod:`~relive.backends.tiny_sdxl`), :mod:`~relive.backends.fusion` (a package: checkpoint, model, efficientnet).
Every loaded model sits in the one cache, :data:`relive.backends.cache.MODELS`; where weights come from is
resolved in :mod:`relive.backends.weights`.
"""

from __future__ import annotations

import abc
import atexit
import importlib.util
import threading
from typing import ClassVar, Generic, NamedTuple, TypeVar

from relive.backends.cache import MODELS
from relive.backends.weights import FETCH_HINT, models_file
from relive.config import settings
from relive.errors import ModelUnavailable, UnknownName


class Availability(NamedTuple):
    """Whether a backend can run here; ``reason`` says what is missing and how to fix it (empty when ok)."""

    ok: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.ok


class Backend(abc.ABC):
    """Base class of every backend. Subclasses set ``name``, override :meth:`available` and implement their
    family's abstract call."""

    name: ClassVar[str] = ""

    @classmethod
    def available(cls, **kwargs) -> Availability:
        """Whether the dependency is importable and the weights are present (override per backend)."""
        return Availability(True)

    @classmethod
    def require(cls, **kwargs) -> None:
        """Raise :class:`ModelUnavailable` (with the reason as the fix) when the backend cannot run."""
        ok, reason = cls.available(**kwargs)
        if not ok:
            raise ModelUnavailable(f"{cls.name}: {reason}")


def module_missing(module: str, pip_name: str | None = None) -> str:
    """'' when ``module`` is importable, else a reason naming the pip package; never imports the module."""
    try:
        found = importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        found = False
    return "" if found else f"the {module!r} package is not installed; run `pip install {pip_name or module}`"


B = TypeVar("B", bound=Backend)


class Registry(Generic[B]):
    """Backends of one family by name, with a default choice and a cache of ready sessions."""

    def __init__(self, kind: str, preference: tuple[str, ...] = ()):
        self.kind = kind  # used in messages: "unknown segmentation backend 'x'; choose one of: …"
        self.preference = preference
        self._classes: dict[str, type[B]] = {}
        self.closing_registered = False

    def register(self, cls: type[B]) -> type[B]:
        """Class decorator: add ``cls`` under ``cls.name``."""
        if not cls.name or cls.name in self._classes:
            raise ValueError(f"{self.kind} {cls.__name__} needs a unique non-empty name, got {cls.name!r}")
        self._classes[cls.name] = cls
        return cls

    def names(self) -> list[str]:
        """The registered backend names, in registration order."""
        return list(self._classes)

    def get(self, name: str) -> type[B]:
        """The backend class called ``name``; :class:`UnknownName` listing the valid names otherwise."""
        try:
            return self._classes[name]
        except KeyError:
            raise UnknownName(self.kind, name, self._classes) from None

    def available(self) -> dict[str, Availability]:
        """Every backend's availability, by name (cheap: nothing is loaded)."""
        return {name: cls.available() for name, cls in self._classes.items()}

    def default_name(self) -> str:
        """The first available backend in preference order; else the first preferred (whose error then explains)."""
        order = list(self.preference) + [n for n in self._classes if n not in self.preference]
        return next((n for n in order if self._classes[n].available()), order[0])

    def new_session(self, name: str | None = None, **kwargs) -> B:
        """A fresh, ready backend. Unknown name → UnknownName; missing dependency/weights → ModelUnavailable."""
        cls = self.get(name or self.default_name())
        cls.require(**kwargs)
        return cls(**kwargs)

    def session(self, name: str | None = None, **kwargs) -> B:
        """Like :meth:`new_session`, but loaded once and reused (in :data:`relive.backends.cache.MODELS`, under
        this registry's ``kind``). Keyed on the settings too, so changing ``RELIVE_MODELS`` (and clearing
        ``settings``' cache) gives a new session."""
        name = name or self.default_name()
        key = (name, tuple(sorted(kwargs.items())), settings())

        def load() -> B:
            session = self.new_session(name, **kwargs)
            _close_at_exit(self)
            return session

        return MODELS.get(self.kind, key, load)

    def clear(self) -> None:
        """Close and forget the cached sessions (tests, or after the models folder changed)."""
        MODELS.clear(self.kind)


def _close_at_exit(registry: Registry) -> None:
    """Close ``registry``'s native sessions at exit, before the thread pools they run on are shut down.

    MediaPipe's tasks dispatch through a ``concurrent.futures`` pool, which is shut down by a threading exit hook
    that runs *before* ``atexit`` (and then every close, and mediapipe's own ``__del__``, fails noisily). Those
    hooks run last-in first-out, so registering after the backend imported its library puts this one first.
    ``threading._register_atexit`` is what concurrent.futures itself uses; plain atexit is the fallback.
    """
    register = getattr(threading, "_register_atexit", None)
    if registry.closing_registered:
        return
    try:
        (register or atexit.register)(registry.clear)
    except RuntimeError:  # already shutting down
        return
    registry.closing_registered = True


# --- helpers shared by the MediaPipe backends (segmentation and faces use the same install step) -------------

def mediapipe_missing(model_filename: str) -> str:
    """'' when mediapipe is importable and the model file is present, else the reason and the fix."""
    path = models_file(model_filename)
    if not path.is_file():
        return f"model file {path} is missing; {FETCH_HINT}, or set RELIVE_MODELS to the folder that holds it"
    return module_missing("mediapipe")


class MediaPipeModel:
    """Mixin for backends running one MediaPipe task model from the models folder (``MODEL`` = its file name)."""

    MODEL: ClassVar[str] = ""

    @classmethod
    def available(cls) -> Availability:
        """mediapipe importable and the model file in the models folder."""
        reason = mediapipe_missing(cls.MODEL)
        return Availability(not reason, reason)

    @classmethod
    def base_options(cls):
        """MediaPipe task options pointing at this backend's model file."""
        from mediapipe.tasks.python.core.base_options import BaseOptions

        return BaseOptions(model_asset_path=str(models_file(cls.MODEL)))


def mediapipe_image(rgb):
    """An RGB uint8 numpy image as a ``mediapipe.Image`` (which needs C-contiguous memory)."""
    import mediapipe as mp
    import numpy as np

    return mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb, dtype=np.uint8))
