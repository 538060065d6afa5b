"""Start Gradio without its typing-stub writer: ~1.4 s of ``import gradio`` (40 %) on the 2-core booth machine.

Every Gradio component class, when it is defined, re-parses its own source file and rewrites a ``.pyi`` typing stub
beside it (``gradio.component_meta.create_or_modify_pyi``): a tool for Gradio's developers that runs on every
import, for ~80 classes, and writes into site-packages (and beside any module that subclasses a component). A
server needs none of it. The function is looked up when each class is created, so replacing it right after its
module runs, before any component class exists, skips all of it; if a Gradio release renames it, nothing changes.
Importing this module installs the hook (``relive.ui`` imports it before Gradio).
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys

_MODULE = "gradio.component_meta"
_WRITER = "create_or_modify_pyi"


class _SkipStubWriter(importlib.abc.MetaPathFinder):
    """Finds ``gradio.component_meta`` like the default finder, and swaps the stub writer for a no-op once it ran."""

    def find_spec(self, name, path, target=None):
        if name != _MODULE:
            return None
        sys.meta_path.remove(self)  # one module, once
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is None or spec.loader is None:
            return spec
        run_module = spec.loader.exec_module

        def exec_module(module):
            run_module(module)
            if hasattr(module, _WRITER):
                setattr(module, _WRITER, _no_stub)

        spec.loader.exec_module = exec_module
        return spec


def _no_stub(*_args, **_kwargs) -> None:
    """Stand-in for Gradio's stub writer: a served app needs no typing stubs."""


if _MODULE not in sys.modules:  # imported after Gradio, every component class exists already: nothing to skip
    sys.meta_path.insert(0, _SkipStubWriter())
