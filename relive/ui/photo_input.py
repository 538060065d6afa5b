"""The image input for visitors' photos. A Gradio component subclass lives in a module of its own: Gradio writes
a typing stub (``photo_input.pyi``, git-ignored) next to the module that defines one."""

from __future__ import annotations

import gradio as gr


class PhotoInput(gr.Image):
    """An image upload handed over as its file path, not opened by Gradio first: relive's own loader then checks
    the file (not an image, truncated, too big, animated…) and says what is wrong, where Gradio's check only
    reports "an exception". Webcam captures that arrive as data URLs are decoded by Gradio as usual."""

    is_template = True  # the browser shows it with Gradio's own Image component

    def preprocess(self, payload):
        """The uploaded file's path, so relive reads and checks the photo itself."""
        if payload is None or payload.path is None:
            return super().preprocess(payload)
        return payload.path
