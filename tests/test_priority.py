"""relive.priority: model work runs below the pets' CPU priority, and otherwise like a plain call."""

from __future__ import annotations

import contextvars
import inspect
import os
import sys
import threading

import pytest

from relive.priority import MODEL_NICENESS, at_model_priority

VISITOR = contextvars.ContextVar("visitor")


def _where(form, progress=None):
    """What the worker sees: its thread, its nice value, the caller's context variable."""
    return threading.get_ident(), os.getpriority(os.PRIO_PROCESS, threading.get_native_id()), VISITOR.get(None)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own nice value is Linux's")
def test_model_work_runs_niced_on_a_worker_with_the_callers_context():
    VISITOR.set("session-42")
    here = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    thread, nice, visitor = at_model_priority(_where)("form")
    assert thread != threading.get_ident()
    assert nice == min(19, here + MODEL_NICENESS)
    assert visitor == "session-42"  # Gradio's progress bar and request travel this way
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == here  # the caller is untouched


def test_signature_result_and_errors_are_the_handlers():
    def fails(form):
        raise ValueError("bad photo")

    assert inspect.signature(at_model_priority(_where)) == inspect.signature(_where)  # Gradio reads it
    assert at_model_priority(lambda a, b=1: a + b)(2, b=3) == 5
    with pytest.raises(ValueError, match="bad photo"):
        at_model_priority(fails)("form")
