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
#relive-header {align-items: center;}
#relive-title {min-width: 220px !important;}
#relive-steps {min-width: 410px !important; flex-grow: 2 !important;}
.lang-button.current {border-color: var(--primary-500) !important; color: var(--primary-700) !important;}
#start-over, .lang-button {white-space: nowrap; flex: 0 0 auto !important;}  /* as wide as its words */
.relive-steps {display: flex; gap: 0.6rem; list-style: none; margin: 0; padding: 0; flex-wrap: wrap;
  justify-content: center;}
.relive-steps li {white-space: nowrap;}
.relive-steps li {display: flex; align-items: center; gap: 0.4rem; padding: 0.35rem 0.9rem; border-radius: 999px;
  background: var(--neutral-100); color: var(--neutral-600); font-weight: 600;}
.relive-steps li span {display: inline-grid; place-items: center; width: 1.6rem; height: 1.6rem; border-radius: 50%;
  background: var(--neutral-300); color: white;}
.relive-steps li.active {background: var(--primary-100); color: var(--primary-700);}
.relive-steps li.active span {background: var(--primary-500);}
.next-step {min-height: 52px; margin-top: 0.5rem;}
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
