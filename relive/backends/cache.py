"""The one cache of loaded models: every backend session, diffusion pipeline and fusion network of the process.

Entries are grouped by *family* (``"segmentation backend"``, ``"diffusion pipelines"``, ``"fusion model"``…) and
keyed within it. One policy for all of them:

- a model is loaded on first use, once: concurrent callers of one family wait for that load rather than start a
  second one (two Gradio workers must not load the same weights twice);
- a family may have a *capacity* (the diffusion pipelines have 1: one family of weights in memory at a time); a
  miss in a full family first evicts its least recently used entries, *then* loads, so what is freed is there for
  the new model;
- evicting or clearing an entry calls its ``close()`` when it has one and gives the memory back (garbage
  collection, and the accelerator's cache when torch is loaded).

    model = MODELS.get("fusion model", (folder, device), lambda: load(folder, device))
    MODELS.clear("fusion model")      # or MODELS.clear() for everything (tests, a changed models folder)
"""

from __future__ import annotations

import gc
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


def free_memory() -> None:
    """Give freed models' memory back: a garbage collection, then the accelerator's cached blocks (only when torch
    is already loaded: a MediaPipe-only process never imports it for this)."""
    gc.collect()
    torch = sys.modules.get("torch")
    if torch is None:
        return
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    if torch.backends.mps.is_available():
        torch.mps.empty_cache()


def _close(entry: Any) -> None:
    close = getattr(entry, "close", None)
    if callable(close):
        close()


class ModelCache:
    """Loaded models by (family, key), least recently used last, under the policy of the module docstring."""

    def __init__(self):
        self._families: dict[str, OrderedDict[Hashable, Any]] = {}
        self._capacity: dict[str, int] = {}
        self._loading: dict[str, threading.RLock] = {}  # one load at a time per family; other families go on
        self._lock = threading.Lock()  # guards the dicts above, never held while loading

    def set_capacity(self, family: str, capacity: int) -> None:
        """Hold at most ``capacity`` entries of ``family`` (default: no limit)."""
        self._capacity[family] = capacity

    def get(self, family: str, key: Hashable, load: Callable[[], T]) -> T:
        """The entry ``key`` of ``family``, loaded with ``load()`` on a miss (after making room)."""
        with self._family_lock(family):
            with self._lock:
                entries = self._families.setdefault(family, OrderedDict())
                if key in entries:
                    entries.move_to_end(key)
                    return entries[key]
            capacity = self._capacity.get(family)
            if capacity is not None:
                self._evict(family, lambda k: True, leave=capacity - 1)
            value = load()
            with self._lock:
                entries[key] = value
            return value

    def keys(self, family: str) -> list[Hashable]:
        """The keys of ``family``'s loaded entries, least recently used first."""
        with self._lock:
            return list(self._families.get(family, ()))

    def evict(self, family: str, keep: Callable[[Hashable], bool] = lambda key: False) -> int:
        """Evict every entry of ``family`` whose key ``keep`` does not accept; how many were evicted."""
        return self._evict(family, lambda key: not keep(key))

    def clear(self, family: str | None = None) -> None:
        """Evict every entry of ``family`` (None: of every family)."""
        with self._lock:
            families = list(self._families) if family is None else [family]
        for name in families:
            self._evict(name, lambda key: True)

    def _evict(self, family: str, chosen: Callable[[Hashable], bool], leave: int = 0) -> int:
        with self._lock:
            entries = self._families.get(family, OrderedDict())
            candidates = [key for key in entries if chosen(key)]
            gone = [entries.pop(key) for key in candidates[:max(0, len(entries) - leave)]]
        for entry in gone:
            _close(entry)
        if gone:
            free_memory()
        return len(gone)

    def _family_lock(self, family: str) -> threading.RLock:
        with self._lock:
            return self._loading.setdefault(family, threading.RLock())


MODELS = ModelCache()
