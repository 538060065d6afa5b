"""Where personal data may touch the disk, and how long it stays: nowhere else, and never past the window.

Results handed over as files (album zips, phone downloads) are written into a *scratch folder* under
``settings().temp_dir``: a folder with an unguessable name (it doubles as the download token), readable by this
user only. :func:`sweep` deletes every scratch folder older than the retention window; it runs whenever a new
folder is made and from the app's timer, so nothing outlives the window by more than one sweep.

    folder = retention.scratch_folder()      # temp_dir/<token>/
    (folder / "album.zip").write_bytes(...)
    retention.sweep()                        # folders older than settings().retention_s are gone
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from pathlib import Path

from relive.config import settings
from relive.errors import StorageFull

SCRATCH_PREFIX = "s-"
GRADIO_CACHE_PREFIX = "gradio-"
TOKEN = re.compile(r"s-[A-Za-z0-9_-]{32}")  # what scratch_folder names: token_urlsafe(24) is 32 characters

def scratch_root() -> Path:
    """The folder that holds every visit's private scratch folder (under ``RELIVE_TMP``)."""
    return settings().temp_dir / "scratch"


def scratch_folder() -> Path:
    """A new private folder for one result; older folders past the retention window are swept first."""
    sweep()
    folder = scratch_root() / f"{SCRATCH_PREFIX}{secrets.token_urlsafe(24)}"
    try:
        folder.mkdir(mode=0o700, parents=True)
    except OSError as err:
        raise StorageFull(f"cannot write results to {scratch_root()} ({err.strerror}); free some disk space or "
                          "point RELIVE_TMP at a writable folder") from None
    return folder


def find_scratch(token: str) -> Path | None:
    """The live scratch folder named ``token``, or None (unknown, malformed or expired — all look the same)."""
    if not TOKEN.fullmatch(token):
        return None
    folder = scratch_root() / token
    if not folder.is_dir() or _age(folder) > settings().retention_s:
        return None
    return folder


def sweep(max_age_s: float | None = None) -> int:
    """Delete scratch folders older than ``max_age_s`` (default: the retention window); how many were deleted."""
    root = scratch_root()
    if not root.is_dir():
        return 0
    limit = settings().retention_s if max_age_s is None else max_age_s
    removed = 0
    for folder in root.iterdir():
        if folder.name.startswith(SCRATCH_PREFIX) and _age(folder) > limit:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _age(path: Path) -> float:
    try:
        return time.time() - os.stat(path).st_mtime
    except FileNotFoundError:
        return float("inf")


def keep_uploads_private() -> Path:
    """Point Gradio's upload/result cache into relive's temp folder (unless GRADIO_TEMP_DIR is set): one place
    holds every personal file, emptied by the app's ``delete_cache`` on the same window. Call before importing
    gradio.

    Each app process gets a cache of its own (``gradio-<pid>``): Gradio names an upload by its content, so two
    apps sharing a cache share files, and the first to stop deletes what the other still needs. Caches left by
    processes that are gone (a crash, a kill) are deleted here.
    """
    root = settings().temp_dir
    for orphan in root.glob(f"{GRADIO_CACHE_PREFIX}*"):
        if not _running(orphan.name.removeprefix(GRADIO_CACHE_PREFIX)):
            shutil.rmtree(orphan, ignore_errors=True)
    cache = Path(os.environ.setdefault("GRADIO_TEMP_DIR", os.fspath(root / f"{GRADIO_CACHE_PREFIX}{os.getpid()}")))
    cache.mkdir(mode=0o700, parents=True, exist_ok=True)
    return cache


def _running(pid: str) -> bool:
    if not pid.isdigit():
        return True  # not one of ours: leave it alone
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
