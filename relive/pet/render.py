"""Draw a pet: accessories layered Torso → Face → Head on a creature, the taste chart, the shareable card."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont

from relive import genres, imaging
from relive.pet.catalog import SLOTS, Catalog

PET_SIZE = 1024
DRAW_ORDER = ("Torso", "Face", "Head")  # bottom layer first
PALETTE = {"user": "#2b2135", "Head": "#ff5d8f", "Face": "#ffb703", "Torso": "#2ec4b6"}
CARD_BACKGROUND = (255, 246, 232)
CARD_SIZE = (1600, 1000)
CARD_PET_SIZE = (780, 780)  # the pet on the card
CHART_SIZE = (800, 620)
CHART_X_MAX = 1.45  # the bars' axis runs to 1.45: room on the right for the legend
CHART_YOU_ALPHA = 0.18  # the taste's bar is a light shade of the ink, under the accessories' bars
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


def _art(path: Path, size: int) -> Image.Image:
    """The art at ``path`` as a ``size`` px RGBA layer."""
    img = imaging.load_image(path, "RGBA")
    return img if img.size == (size, size) else img.resize((size, size), Image.LANCZOS)


_layer = lru_cache(maxsize=16)(_art)  # the creatures: whole layers, a few


@lru_cache(maxsize=512)
def _drawn_part(path: Path, size: int) -> tuple[Image.Image, tuple[int, int]]:
    """An accessory's layer cropped to its visible pixels, and where the crop sits: what stays cached (a whole
    1024 px layer is 4 MB, mostly transparent: all 66 of them added ~270 MB to a festival day's RSS)."""
    layer = _art(path, size)
    box = layer.getchannel("A").getbbox() or (0, 0, 1, 1)
    return layer.crop(box), box[:2]


def render_pet(catalog: Catalog, creature: Path, rows: tuple[int | None, int | None, int | None],
               size: int = PET_SIZE) -> Image.Image:
    """The creature wearing the accessories at catalogue ``rows`` (slot order; ``None`` = nothing): RGBA."""
    by_slot = dict(zip(SLOTS, rows))
    pet = _layer(creature, size).copy()
    for slot in DRAW_ORDER:
        if by_slot[slot] is not None:  # outside the crop the layer is transparent: compositing it changes nothing
            part, at = _drawn_part(catalog.image_path(by_slot[slot]), size)
            pet.alpha_composite(part, dest=at)
    return pet


def draw_ahead(catalog: Catalog, creatures: Iterable[Path], sizes: Iterable[int] = (PET_SIZE, CARD_PET_SIZE[0])
               ) -> None:
    """Load and scale every creature and accessory at ``sizes`` into the caches :func:`render_pet` draws from (the
    app does it once after start: a first pet with new accessories otherwise spends ~0.1 s decoding and resampling
    their art)."""
    for size in sizes:
        for creature in creatures:
            _layer(creature, size)
        for row in range(len(catalog)):
            _drawn_part(catalog.image_path(row), size)


def taste_chart(vec: np.ndarray, catalog: Catalog, rows: tuple[int | None, ...],
                size: tuple[int, int] = CHART_SIZE, words: Mapping[str, str] = WORDS) -> Image.Image:
    """Horizontal bars: the user's taste per genre (thick) against each chosen accessory (thin): RGB.

    Drawn with PIL on a cached frame, not with matplotlib: a pet is redrawn while a finger drags a slider, and a
    matplotlib figure cost ~0.19 s of CPU per pet (about 20× this)."""
    labels = tuple(_name(words, "genre", g) for g in genres.GENRES)
    frame, plot = _chart_frame(size, labels, words["chart.title"])
    chart = frame.copy()
    draw = ImageDraw.Draw(chart)
    scale = size[1] / CHART_SIZE[1]
    x_at = lambda value: plot.left + (plot.right - plot.left) * float(value) / CHART_X_MAX  # noqa: E731
    row_height = (plot.bottom - plot.top) / genres.N_GENRES
    chosen = [(s, r) for s, r in zip(SLOTS, rows) if r is not None]
    you = _blend(PALETTE["user"], CHART_YOU_ALPHA)
    for i in range(genres.N_GENRES):  # first genre on top
        middle = plot.top + (i + 0.5) * row_height
        _bar(draw, x_at(0), x_at(vec[i]), middle, 0.8 * row_height, you)
        for k, (slot, row) in enumerate(chosen):  # the first slot lowest, as a bar chart's y axis counts upwards
            offset = (k - (len(chosen) - 1) / 2) * 0.22 * row_height
            _bar(draw, x_at(0), x_at(catalog.vectors[row][i]), middle - offset, 0.2 * row_height, PALETTE[slot])
    legend = [(words["chart.you"], you)] + [(_name(words, "acc", catalog.name(r)), PALETTE[s]) for s, r in chosen]
    legend_font = _font(round(15 * scale))
    swatch = 30 * scale
    legend_left = plot.right - swatch - 10 * scale - max(draw.textlength(t, font=legend_font) for t, _ in legend)
    for k, (text, colour) in enumerate(legend):
        y = plot.top + 12 * scale + 23 * scale * k
        draw.rectangle([legend_left, y - 6 * scale, legend_left + swatch, y + 6 * scale], fill=colour)
        draw.text((legend_left + swatch + 10 * scale, y), text, font=legend_font, fill=INK, anchor="lm")
    return chart


class _Plot(NamedTuple):
    """Where a chart's bars go, in pixels."""

    left: float
    top: float
    right: float
    bottom: float


@lru_cache(maxsize=8)
def _chart_frame(size: tuple[int, int], labels: tuple[str, ...], title: str) -> tuple[Image.Image, _Plot]:
    """What every chart of one size and language shares: the title, the genres, the axes and their ticks (text is
    most of a chart's drawing time); the left margin fits the longest genre name."""
    width, height = size
    frame = Image.new("RGB", size, CARD_BACKGROUND)
    draw = ImageDraw.Draw(frame)
    scale = height / CHART_SIZE[1]
    label_font, tick_font = _font(round(17 * scale)), _font(round(14 * scale))
    plot = _Plot(left=max(draw.textlength(label, font=label_font) for label in labels) + 22 * scale,
                 top=44 * scale, right=width - 16 * scale, bottom=height - 42 * scale)
    row_height = (plot.bottom - plot.top) / len(labels)
    for i, label in enumerate(labels):
        draw.text((plot.left - 10 * scale, plot.top + (i + 0.5) * row_height), label, font=label_font, fill=INK,
                  anchor="rm")
    line = max(1, round(scale))
    draw.line([(plot.left, plot.top - 8 * scale), (plot.left, plot.bottom), (plot.right, plot.bottom)], fill=INK,
              width=line)
    for value, text in ((0, "0"), (0.5, "½"), (1, "1")):
        x = plot.left + (plot.right - plot.left) * value / CHART_X_MAX
        draw.line([(x, plot.bottom), (x, plot.bottom + 5 * scale)], fill=INK, width=line)
        draw.text((x, plot.bottom + 8 * scale), text, font=tick_font, fill=INK, anchor="mt")
    draw.text((plot.left, 10 * scale), title, font=_font(round(21 * scale)), fill=PALETTE["user"])
    return frame, plot


def _bar(draw: ImageDraw.ImageDraw, start: float, end: float, middle: float, thickness: float, colour) -> None:
    """One horizontal bar from ``start`` to ``end`` (pixels) centred on ``middle``; nothing for a zero value."""
    if end > start:
        draw.rectangle([start, middle - thickness / 2, end, middle + thickness / 2], fill=colour)


def _blend(colour: str, alpha: float) -> tuple[int, int, int]:
    """``colour`` (#rrggbb) at ``alpha`` over the card's background, as one opaque colour."""
    rgb = ImageColor.getrgb(colour)
    return tuple(round(alpha * c + (1 - alpha) * b) for c, b in zip(rgb, CARD_BACKGROUND))


@lru_cache(maxsize=16)
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    from matplotlib import font_manager

    family = font_manager.FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")
    return ImageFont.truetype(font_manager.findfont(family), size)


def pet_card(pet: Image.Image, chart: Image.Image, top: list[str], explanation: list[str],
             words: Mapping[str, str] = WORDS) -> Image.Image:
    """A 1600×1000 shareable card: the pet, the chart, the top genres and why each accessory: RGB. A pet drawn at
    :data:`CARD_PET_SIZE` goes on as it is (no resampling: ``render_pet(..., CARD_PET_SIZE[0])`` is cheaper)."""
    card = Image.new("RGB", CARD_SIZE, CARD_BACKGROUND)
    draw = ImageDraw.Draw(card)
    into = (words["card.into"].format(genres=", ".join(_name(words, "genre", g) for g in top)) if top
            else words["card.everything"])
    draw.text((48, 36), words["card.title"], font=_font(56, bold=True), fill=INK)
    draw.text((52, 108), into, font=_font(30), fill=INK)
    small = pet if pet.size == CARD_PET_SIZE else pet.resize(CARD_PET_SIZE, Image.LANCZOS)
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
