"""Draw a pet: accessories layered Torso → Face → Head on a creature, the taste chart, the shareable card."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
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
# Every word the chart, the card and the explanation use, in English. A UI passes its visitor's language with the
# same keys (``relive.ui.i18n``); ``genre.<name>``, ``slot.<name>`` and ``acc.<accessory name>`` keys, when given,
# translate those names.
WORDS = {
    "explain.nothing": "{slot}: nothing, as you asked",
    "explain.line": "{slot}: {name} — {match} match, {because}",
    "explain.about": "all about {genres}",
    "explain.love": "; you love {genres} too",
    "chart.you": "you",
    "chart.title": "Your taste vs. your pet's outfit",
    "card.title": "My festival pet",
    "card.into": "into {genres}",
    "card.everything": "a bit of everything",
    "card.made_with": "made with relive",
}


def _name(words: Mapping[str, str], kind: str, name: str) -> str:
    """A genre's, slot's or accessory's name in the words' language (the name itself when they have none)."""
    return words.get(f"{kind}.{name}", name)


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
                size: tuple[int, int] = CHART_SIZE, words: Mapping[str, str] = WORDS) -> Image.Image:
    """Horizontal bars: the user's taste per genre (thick) against each chosen accessory (thin): RGB."""
    fig = Figure(figsize=(size[0] / 100, size[1] / 100), dpi=100, facecolor=CARD_HEX)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(facecolor=CARD_HEX)
    y = np.arange(genres.N_GENRES)[::-1]  # first genre on top
    ax.barh(y, vec, height=0.8, color=PALETTE["user"], alpha=0.18, label=words["chart.you"])
    chosen = [(s, r) for s, r in zip(SLOTS, rows) if r is not None]
    for k, (slot, row) in enumerate(chosen):
        offset = (k - (len(chosen) - 1) / 2) * 0.22
        ax.barh(y + offset, catalog.vectors[row], height=0.2, color=PALETTE[slot],
                label=_name(words, "acc", catalog.name(row)))
    ax.set_yticks(y, [_name(words, "genre", g) for g in genres.GENRES], fontsize=12)
    ax.set_xlim(0, 1.45)  # room on the right for the legend
    ax.set_xticks([0, 0.5, 1], ["0", "½", "1"])
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper right", fontsize=11, frameon=False)
    ax.set_title(words["chart.title"], fontsize=15, loc="left", color=PALETTE["user"])
    fig.tight_layout()
    fig.canvas.draw()
    return Image.fromarray(np.asarray(fig.canvas.buffer_rgba())).convert("RGB")


@lru_cache(maxsize=16)
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    family = font_manager.FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")
    return ImageFont.truetype(font_manager.findfont(family), size)


def pet_card(pet: Image.Image, chart: Image.Image, top: list[str], explanation: list[str],
             words: Mapping[str, str] = WORDS) -> Image.Image:
    """A 1600×1000 shareable card: the pet, the chart, the top genres and why each accessory: RGB."""
    card = Image.new("RGB", CARD_SIZE, CARD_BACKGROUND)
    draw = ImageDraw.Draw(card)
    into = (words["card.into"].format(genres=", ".join(_name(words, "genre", g) for g in top)) if top
            else words["card.everything"])
    draw.text((48, 36), words["card.title"], font=_font(56, bold=True), fill=INK)
    draw.text((52, 108), into, font=_font(30), fill=INK)
    small = pet.resize((780, 780), Image.LANCZOS)
    card.paste(small, (20, 190), small)
    card.paste(chart.resize(CHART_SIZE, Image.LANCZOS) if chart.size != CHART_SIZE else chart, (790, 24))
    lines = [part for line in explanation for part in textwrap.wrap(line, 62, subsequent_indent="   ")]
    for k, line in enumerate(lines[:9]):
        draw.text((810, 660 + 32 * k), line, font=_font(22), fill=INK)
    draw.text((CARD_SIZE[0] - 20, 955), words["card.made_with"], font=_font(22), fill=(150, 120, 140), anchor="ra")
    return card


def explain(vec: np.ndarray, catalog: Catalog, rows: tuple[int | None, ...], similarities: tuple[float, ...],
            words: Mapping[str, str] = WORDS) -> list[str]:
    """One line per chosen accessory: its match with the user and its strongest genres. With no taste yet (all
    zero) an empty slot is only the pet waiting, not a choice: it gets no line."""
    lines = []
    for slot, row, sim in zip(SLOTS, rows, similarities):
        name = _name(words, "slot", slot)
        if row is None:
            if vec.any():
                lines.append(words["explain.nothing"].format(slot=name))
            continue
        strongest = genres.top_genres(catalog.vectors[row], 2)
        shared = [g for g in strongest if vec[genres.GENRES.index(g)] > 0]
        both = lambda names: " & ".join(_name(words, "genre", g) for g in names)  # noqa: E731
        because = words["explain.about"].format(genres=both(strongest))
        if shared:
            because += words["explain.love"].format(genres=both(shared))
        lines.append(words["explain.line"].format(slot=name, name=_name(words, "acc", catalog.name(row)),
                                                  match=f"{sim:.0%}", because=because))
    return lines
