"""One pet, warm: match + render at 1024 px + chart (the figure the issue targets), and the card on top; and one
/pet served by the app (``--served``): its wall time and the server's CPU time per pet, encoding and Gradio's own
work included (issue 14: 0.61 s of server CPU per pet before the chart left matplotlib)."""

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


def served(pets: int = 20) -> list[Figure]:
    """``pets`` /pet calls, one at a time, against a freshly launched app once its warm-up is done."""
    import time

    import numpy as np
    from common import cpu_seconds
    from gradio_client import Client

    from relive.pet.catalog import creatures
    from relive.testing import running_app

    auto = "auto (best match)"
    rng = np.random.default_rng(0)
    with running_app({"RELIVE_DEV": "1"}) as (proc, url):
        client = Client(url, verbose=False)

        def pet():
            client.predict(next(iter(creatures())), auto, auto, auto, *rng.random(18).round(2).tolist(), api_name="/pet")

        time.sleep(20)  # the app's warm-up (fusion model, pet art) runs a few seconds after start
        for _ in range(pets):  # caches filled
            pet()
        walls, cpu = [], cpu_seconds(proc.pid)
        for _ in range(pets):
            start = time.perf_counter()
            pet()
            walls.append(time.perf_counter() - start)
        cpu = (cpu_seconds(proc.pid) - cpu) / pets
        client.close()
    return [Figure(f"/pet served, one at a time (median of {pets})", float(np.median(walls)), "s", "",
                   "upload, queue, processing, download"),
            Figure("  server CPU per /pet", cpu, "s", "", "match, drawing, encoding and Gradio's own work")]


if __name__ == "__main__":
    for fig in run() + (served() if "--served" in sys.argv else []):
        print(fig.row())
