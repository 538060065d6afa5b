"""One festival look for every tab: warm colours, big friendly type, no web fonts (the kiosk may be offline)."""

from __future__ import annotations

import gradio as gr

FONT = ["Nunito", "Trebuchet MS", "ui-rounded", "system-ui", "sans-serif"]

CSS = """
.gradio-container {max-width: 1400px !important;}
#relive-title h1 {font-size: 2.4rem; margin-bottom: 0;}
#relive-title p {margin-top: 0.2rem; opacity: 0.8;}
.preset-row button {min-height: 48px; font-size: 1.05rem;}
.preset-row {flex-wrap: wrap !important;}
.preset-row button {flex: 1 1 150px !important; min-width: 130px !important;}
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
/* A picture's label sits above it, never over it (the avatar's head, the card's headline). */
/* The block grows by the label's height instead of cutting the picture's bottom. */
.block:has(> label[data-testid="block-label"].float) {height: auto !important; overflow: visible !important;}
.block label[data-testid="block-label"].float {position: static !important; margin: 0.3rem 0 0.3rem 0.3rem;
  width: fit-content; max-width: calc(100% - var(--relive-icons, 5.5rem));}  /* clear of the icon buttons */
/* Festival names in full, under their pictures: captions wrap instead of "Sunse…" and cover no picture. */
#carousel-gallery .thumbnail-item, #album-gallery .thumbnail-item {aspect-ratio: auto !important;
  height: auto !important; display: flex !important; flex-direction: column;}
#carousel-gallery .thumbnail-item img, #album-gallery .thumbnail-item img {width: 100%; height: auto !important;
  flex: none;}
#carousel-gallery .caption-label, #album-gallery .caption-label {position: static !important;
  transform: none !important; max-width: 100% !important; margin: 0 !important; border: none !important;
  border-radius: 0 !important; white-space: normal !important; text-align: center; line-height: 1.2;}

/* Phones: results where the visitor is looking. */
@media (max-width: 700px) {
  #relive-steps {min-width: 100% !important;}  /* a line of its own, all three steps side by side */
  .relive-steps {gap: 0.25rem; flex-wrap: nowrap;}
  .relive-steps li {padding: 0.2rem 0.45rem; font-size: 0.9rem; gap: 0.25rem;}
  .relive-steps li span {width: 1.3rem; height: 1.3rem;}
  #carousel-gallery .caption-label {font-size: 0.8rem !important;}
  /* The Pet tab in one column: the pet right under the header, then the presets and sliders that change it. */
  #pet-row {flex-direction: column !important;}
  #pet-row > .column {display: contents !important;}
  #pet-image {order: -1; max-height: 46vh;}
  #pet-image img {max-height: calc(46vh - 3rem); object-fit: contain;}
  #pet-why, #pet-more {order: 1;}
  /* Album pictures two by two, big enough to see. */
  #album-gallery .grid-container {--grid-cols: 2 !important; grid-template-columns: repeat(2, 1fr) !important;}
  #carousel-gallery .grid-container {grid-template-columns: repeat(2, 1fr) !important;}
}
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
