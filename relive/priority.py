"""Model work (avatars, fusions, albums) at a lower CPU priority than everything else, the instant pets above all.

On a CPU-only booth both kinds of work share the same cores. At equal priority every avatar being made (up to one
per core, :func:`relive.config.model_slots`) stretched each pet asked for meanwhile (``bench/load.py`` with 20
visitors: /pet p95 2.6 s for 0.12 s of work). Run in threads whose Linux nice value is :data:`MODEL_NICENESS`,
model work still gets every core nobody else wants, so souvenirs per minute do not drop, but gives a core up to a
pet within a scheduler tick. Threads that model work starts (torch's and OpenCV's pools) inherit the nice value.

    handler = at_model_priority(make_avatar)   # same signature; the call runs on a low-priority worker thread

Linux gives each thread its own nice value; elsewhere the workers run at normal priority (nothing else changes).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

from relive.config import model_slots

# Added to the app's nice value. Linux CFS weights: a thread 10 steps nicer gets about 1/10 of a core that the
# other also wants.
MODEL_NICENESS = 10


def at_model_priority(fn):
    """``fn`` run on one of :func:`model_slots` worker threads at :data:`MODEL_NICENESS`; the caller waits for it.

    The caller's context variables travel with the call (Gradio's progress bar and request live in them)."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        context = contextvars.copy_context()
        return _workers().submit(context.run, fn, *args, **kwargs).result()

    return run


@functools.lru_cache(maxsize=1)
def _workers() -> ThreadPoolExecutor:
    # as many workers as model events may run at once (the app's "gpu" group), so none waits here
    return ThreadPoolExecutor(model_slots(), thread_name_prefix="relive-model", initializer=_lower_this_thread)


def _lower_this_thread() -> None:
    if sys.platform.startswith("linux"):  # PRIO_PROCESS with a thread id: that thread alone
        thread = threading.get_native_id()
        with contextlib.suppress(OSError):  # relative to the app's own nice value; 19 is the lowest priority
            os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + MODEL_NICENESS))
