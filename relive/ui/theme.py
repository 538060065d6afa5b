"""One festival look for every tab: warm colours, big friendly type, no web fonts (the kiosk may be offline)."""

from __future__ import annotations

import gradio as gr

FONT = ["Nunito", "Trebuchet MS", "ui-rounded", "system-ui", "sans-serif"]

CSS = """
.gradio-container {max-width: 1400px !important;}
#relive-title h1 {font-size: 2.4rem; margin-bottom: 0;}
#relive-title p {margin-top: 0.2rem; opacity: 0.8;}
.preset-row button {min-height: 48px; font-size: 1.05rem;}
.big-action {min-height: 56px; font-size: 1.15rem !important;}
"""


def festival_theme() -> gr.themes.Base:
    return gr.themes.Soft(
        primary_hue=gr.themes.colors.pink,
        secondary_hue=gr.themes.colors.amber,
        neutral_hue=gr.themes.colors.stone,
        font=FONT,
        radius_size=gr.themes.sizes.radius_lg,
        text_size=gr.themes.sizes.text_lg,
    )
