"""Files handed to a visitor live in scratch folders tied to their browser session, and die with it.

A session's folders are deleted when its page is closed, reloaded or reset (``demo.unload``), and in any case
by :func:`relive.retention.sweep` once the retention window has passed. A folder a phone has opened through the QR
code (:func:`claim`, called by the souvenir routes) is the exception: the phone may still be downloading when the
kiosk resets, so it lives on — behind its unguessable link only — until the retention window ends.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import gradio as gr

from relive import retention

_FOLDERS: dict[str, list[Path]] = {}
_SHARED: set[Path] = set()
_LOCK = threading.Lock()


def session_folder(request: gr.Request | None) -> Path:
    """A new scratch folder owned by the request's session."""
    folder = retention.scratch_folder()
    with _LOCK:
        _FOLDERS.setdefault(_session(request), []).append(folder)
    return folder


def latest_folder(request: gr.Request | None) -> Path | None:
    """The session's newest scratch folder that still exists, or None: never another session's."""
    with _LOCK:
        folders = list(_FOLDERS.get(_session(request), []))
    return next((folder for folder in reversed(folders) if folder.is_dir()), None)


def claim(folder: Path) -> None:
    """A phone opened the folder's link: keep it past the page's end, until the retention sweep."""
    with _LOCK:
        if any(folder in folders for folders in _FOLDERS.values()):  # only a folder a live session still owns
            _SHARED.add(folder)


def forget_session(request: gr.Request | None) -> None:
    """Delete everything the session was given (its page is gone), except what a phone has opened."""
    with _LOCK:
        folders = _FOLDERS.pop(_session(request), [])
        kept = {folder for folder in folders if folder in _SHARED}
        _SHARED.difference_update(kept)  # the sweep deletes them; nothing left to remember
    for folder in folders:
        if folder not in kept:
            shutil.rmtree(folder, ignore_errors=True)


def _session(request: gr.Request | None) -> str:
    return getattr(request, "session_hash", None) or "no-session"
