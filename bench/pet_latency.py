"""One pet, warm: match + render at 1024 px + chart (the figure the issue targets), and the card on top."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Figure, median_of  # noqa: E402

from relive.pet import matcher, render  # noqa: E402
from relive.pet.catalog import creature_path, load_catalog  # noqa: E402
from relive.pet.presets import preset_vector  # noqa: E402
from relive.pet.souvenir import make_pet  # noqa: E402


def run() -> list[Figure]:
    catalog = load_catalog()
    vec = preset_vector("Raver")
    creature = creature_path(None)

    def pet_and_chart():
        match = matcher.best_match(vec, catalog)
        render.render_pet(catalog, creature, match.rows, 1024)
        render.taste_chart(vec, catalog, match.rows)

    return [
        Figure("one pet: match + render 1024 px + chart (warm, median)", median_of(pet_and_chart) * 1e3, "ms", "≤ 150 ms"),
        Figure("match only", median_of(lambda: matcher.best_match(vec, catalog)) * 1e3, "ms"),
        Figure("full souvenir incl. card + explanation", median_of(lambda: make_pet(vec)) * 1e3, "ms"),
    ]


if __name__ == "__main__":
    for fig in run():
        print(fig.row())
