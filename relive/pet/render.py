"""Draw a pet: accessories layered Torso → Face → Head on a creature, the taste chart, the shareable card."""

from __future__ import annotations

import textwrap
from functools import lru_cache
from pathlib import Path

import numpy as np
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image, ImageDraw, ImageFont

from relive import genres, imaging
from relive.pet.catalog import SLOTS, Catalog

PET_SIZE = 1024
DRAW_ORDER = ("Torso", "Face", "Head")  # bottom layer first
PALETTE = {"user": "#2b2135", "Head": "#ff5d8f", "Face": "#ffb703", "Torso": "#2ec4b6"}
CARD_BACKGROUND = (255, 246, 232)
CARD_HEX = "#fff6e8"
CARD_SIZE = (1600, 1000)
CHART_SIZE = (800, 620)
INK = (43, 33, 53)


@lru_cache(maxsize=512)
def _layer(path: Path, size: int) -> Image.Image:
    img = imaging.load_image(path, "RGBA")
    return img if img.size == (size, size) else img.resize((size, size), Image.LANCZOS)


def render_pet(catalog: Catalog, creature: Path, rows: tuple[int | None, int | None, int | None],
               size: int = PET_SIZE) -> Image.Image:
    """The creature wearing the accessories at catalogue ``rows`` (slot order; ``None`` = nothing): RGBA."""
    by_slot = dict(zip(SLOTS, rows))
    layers = [_layer(catalog.image_path(by_slot[s]), size) if by_slot[s] is not None else None for s in DRAW_ORDER]
    return imaging.layer(_layer(creature, size), layers)


def taste_chart(vec: np.ndarray, catalog: Catalog, rows: tuple[int | None, ...],
                size: tuple[int, int] = CHART_SIZE) -> Image.Image:
    """Horizontal bars: the user's taste per genre (thick) against each chosen accessory (thin): RGB."""
    fig = Figure(figsize=(size[0] / 100, size[1] / 100), dpi=100, facecolor=CARD_HEX)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(facecolor=CARD_HEX)
    y = np.arange(genres.N_GENRES)[::-1]  # first genre on top
    ax.barh(y, vec, height=0.8, color=PALETTE["user"], alpha=0.18, label="you")
    chosen = [(s, r) for s, r in zip(SLOTS, rows) if r is not None]
    for k, (slot, row) in enumerate(chosen):
        offset = (k - (len(chosen) - 1) / 2) * 0.22
        ax.barh(y + offset, catalog.vectors[row], height=0.2, color=PALETTE[slot], label=catalog.name(row))
    ax.set_yticks(y, genres.GENRES, fontsize=12)
    ax.set_xlim(0, 1.45)  # room on the right for the legend
    ax.set_xticks([0, 0.5, 1], ["0", "½", "1"])
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper right", fontsize=11, frameon=False)
    ax.set_title("Your taste vs. your pet's outfit", fontsize=15, loc="left", color=PALETTE["user"])
    fig.tight_layout()
    fig.canvas.draw()
    return Image.fromarray(np.asarray(fig.canvas.buffer_rgba())).convert("RGB")


@lru_cache(maxsize=16)
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    family = font_manager.FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")
    return ImageFont.truetype(font_manager.findfont(family), size)


def pet_card(pet: Image.Image, chart: Image.Image, top: list[str], explanation: list[str]) -> Image.Image:
    """A 1600×1000 shareable card: the pet, the chart, the top genres and why each accessory: RGB."""
    card = Image.new("RGB", CARD_SIZE, CARD_BACKGROUND)
    draw = ImageDraw.Draw(card)
    draw.text((48, 36), "My festival pet", font=_font(56, bold=True), fill=INK)
    draw.text((52, 108), "into " + (", ".join(top) if top else "a bit of everything"), font=_font(30), fill=INK)
    small = pet.resize((780, 780), Image.LANCZOS)
    card.paste(small, (20, 190), small)
    card.paste(chart.resize(CHART_SIZE, Image.LANCZOS) if chart.size != CHART_SIZE else chart, (790, 24))
    lines = [part for line in explanation for part in textwrap.wrap(line, 62, subsequent_indent="   ")]
    for k, line in enumerate(lines[:9]):
        draw.text((810, 660 + 32 * k), line, font=_font(22), fill=INK)
    draw.text((1390, 955), "made with relive", font=_font(22), fill=(150, 120, 140))
    return card


def explain(vec: np.ndarray, catalog: Catalog, rows: tuple[int | None, ...], similarities: tuple[float, ...]) -> list[str]:
    """One line per chosen accessory: its match with the user and its strongest genres."""
    lines = []
    for slot, row, sim in zip(SLOTS, rows, similarities):
        if row is None:
            lines.append(f"{slot}: nothing, as you asked")
            continue
        strongest = genres.top_genres(catalog.vectors[row], 2)
        shared = [g for g in strongest if vec[genres.GENRES.index(g)] > 0]
        because = f"all about {' & '.join(strongest)}" + (f"; you love {' & '.join(shared)} too" if shared else "")
        lines.append(f"{slot}: {catalog.name(row)} — {sim:.0%} match, {because}")
    return lines
