"""The Gradio app: one module per tab; adapters only, the work is done by library calls."""

from __future__ import annotations

import gradio as gr

from relive.ui.avatar_tab import build_avatar_tab
from relive.ui.pet_tab import build_pet_tab
from relive.ui.theme import CSS, festival_theme

TITLE = "relive — festival souvenirs"


def build_demo() -> gr.Blocks:
    with gr.Blocks(title=TITLE, delete_cache=(600, 3600)) as demo:
        gr.Markdown("# relive\nYour music taste, turned into festival souvenirs.", elem_id="relive-title")
        with gr.Tabs():
            with gr.Tab("1 · Pet", id="pet"):
                pet = build_pet_tab(demo)
            with gr.Tab("2 · Avatar", id="avatar"):
                build_avatar_tab(pet["sliders"])
    demo.queue(default_concurrency_limit=4, max_size=64)
    return demo


def launch_kwargs() -> dict:
    """Arguments for ``demo.launch``: Gradio 6 takes theme and css there. Host/port come from GRADIO_SERVER_*."""
    return {"theme": festival_theme(), "css": CSS, "footer_links": ["api"]}
