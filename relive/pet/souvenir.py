"""The whole PET souvenir in one call: match, optional swaps, pet image, chart, card and explanation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from PIL import Image

from relive import genres
from relive.errors import InvalidInput, UnknownName
from relive.pet import matcher, render
from relive.pet.catalog import NOTHING, SLOTS, Catalog, creature_path, load_catalog

AUTO = "auto"
STRATEGIES = ("best", "surprise")


@dataclass(frozen=True)
class PetSouvenir:
    """A made pet: the taste, the match, what it wears after swaps, the pet, chart, card and explanation."""

    vector: np.ndarray
    match: matcher.PetMatch  # what the matcher chose
    rows: tuple[int | None, int | None, int | None]  # what the pet wears, after the user's swaps
    image: Image.Image  # RGBA pet
    chart: Image.Image
    card: Image.Image
    explanation: list[str]

    def accessories(self, catalog: Catalog) -> dict[str, str]:
        """What the pet wears, ``{slot: display name}`` (``nothing`` for an empty slot)."""
        return {s: (catalog.name(r) if r is not None else NOTHING) for s, r in zip(SLOTS, self.rows)}


def choose(vec: genres.Taste | np.ndarray, catalog: Catalog, strategy: str = "best",
           seed: int | None = None) -> matcher.PetMatch:
    """The accessories for ``strategy``: ``best`` (the brief's scoring) or ``surprise`` (a seeded nearest pick)."""
    if strategy == "best":
        return matcher.best_match(vec, catalog)
    if strategy == "surprise":
        return matcher.surprise_match(vec, catalog, seed=seed)
    raise UnknownName("strategy", strategy, STRATEGIES)


def apply_swaps(rows: tuple[int | None, ...], catalog: Catalog, swaps: Mapping[str, str] | None) -> tuple[int | None, ...]:
    """Replace the picked ``rows`` per slot by ``auto`` (keep), ``nothing`` or an accessory name."""
    rows = dict(zip(SLOTS, rows))
    for slot, choice in (swaps or {}).items():
        if slot not in rows:
            raise UnknownName("slot", slot, SLOTS)
        if choice is None or choice.strip().lower() == AUTO:
            continue
        rows[slot] = None if choice.strip().lower() == NOTHING else catalog.find(slot, choice)
    return tuple(rows[s] for s in SLOTS)


def make_pet(taste: genres.Taste | np.ndarray, *, creature: str | None = None, strategy: str = "best",
             seed: int | None = None, swaps: Mapping[str, str] | None = None, catalog: Catalog | None = None,
             size: int = render.PET_SIZE, words: Mapping[str, str] = render.WORDS) -> PetSouvenir:
    """Everything the Pet tab and ``relive pet`` show, for one taste (a :class:`~relive.genres.Taste`, or 18 values
    checked here); the chart, card and explanation in ``words`` (English by default, see
    :data:`relive.pet.render.WORDS`)."""
    taste = genres.Taste.of(taste)
    vec = taste.values
    if not 64 <= size <= 4096:
        raise InvalidInput("pet size must be between 64 and 4096 pixels, got {size}", size=size)
    catalog = catalog or load_catalog()
    match = choose(taste, catalog, strategy, seed)
    # No taste yet (all zero): the creature waits, bare, for the first slider to move.
    rows = apply_swaps(match.rows if vec.any() else (None, None, None), catalog, swaps)
    cos, _ = matcher.similarities(vec[None, :], catalog)
    sims = tuple(float(cos[0, r]) if r is not None else 0.0 for r in rows)
    creature = creature_path(creature)
    image = render.render_pet(catalog, creature, rows, size)
    chart = render.taste_chart(vec, catalog, rows, words=words)
    explanation = render.explain(vec, catalog, rows, sims, words=words)
    # the card's pet is drawn at its own size from cached layers: resampling the whole pet cost ~55 ms
    on_card = render.render_pet(catalog, creature, rows, render.CARD_PET_SIZE[0])
    card = render.pet_card(on_card, chart, taste.top(), explanation, words=words)
    return PetSouvenir(vec, match, rows, image, chart, card, explanation)
