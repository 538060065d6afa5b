"""The tiny random SDXL pair (tests/CI stand-in): build time, two-stage generation at 64 px, LoRA training steps.

Warm figures: imports done and the pipelines built before timing. These time diffusers' code paths, not a
useful picture: the tiny model's output is noise.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from common import Figure, best_of, median_of
from PIL import Image

from relive.backends import tiny_sdxl as tiny
from relive.backends.generators import GENERATORS

PROMPT, NEGATIVE = "a person in a studded leather jacket, anime style", "blurry, lowres"


def _photo(size: int) -> Image.Image:
    return Image.fromarray(np.random.default_rng(0).integers(0, 256, (size, size, 3), dtype=np.uint8))


def _lora_training_seconds(steps: int) -> float:
    from relive.avatar.lora import train_lora

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        for i in range(3):
            _photo(96).save(folder / f"{i}.png")
            (folder / f"{i}.txt").write_text(f"a person, look {i}")
        train_lora(folder, Path(tmp) / "warm", base="tiny", steps=1)  # first call pays peft's set-up
        start = time.perf_counter()
        train_lora(folder, Path(tmp) / "lora", base="tiny", steps=steps)
        return time.perf_counter() - start


def _end_to_end() -> None:
    from skimage import data

    from relive import genres
    from relive.avatar.pipeline import make_avatar

    photo = Image.fromarray(data.astronaut()).resize((1024, 1024), Image.LANCZOS)
    make_avatar(photo, genres.parse("Rock=1,Punk=0.7"), generator="tiny", seed=1)


def run() -> list[Figure]:
    start = time.perf_counter()
    import diffusers  # noqa: F401  — the import cost is reported on its own line
    import torch
    import transformers  # noqa: F401

    imports = time.perf_counter() - start
    generator = GENERATORS.session("tiny")
    photo = _photo(generator.size)

    def generate():
        return generator.generate(photo, PROMPT, NEGATIVE, seed=1)

    steps = " + ".join(f"{s.denoising_steps} {s.name}" for s in generator.stages)
    figures = [
        Figure("import torch + diffusers + transformers (first in process)", imports, "s"),
        Figure("tiny SDXL base + refiner build from config (warm imports, best of 3)",
               best_of(tiny.build_pipelines, repeat=3), "s", "≈ 3 s with imports (DESIGN.md)"),
        Figure(f"tiny two-stage img2img at {generator.size} px ({steps} steps, warm, median of 10)",
               median_of(generate, repeat=10), "s", "< 0.1 s per stage (DESIGN.md)", "1 torch thread (tiny's own)"),
    ]
    figures.append(Figure("tiny avatar end to end: 1024 px photo → crop → prompt → base + refiner → cut-out "
                          "(warm, median of 5)", median_of(_end_to_end, repeat=5), "s", "≤ 3 s"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the tiny generator runs itself
    try:
        figures.append(Figure("train_lora on tiny: 3 images, 4 steps, encode + train + save (warm, 1 thread)",
                              _lora_training_seconds(4), "s"))
    finally:
        torch.set_num_threads(threads)
    return figures


if __name__ == "__main__":
    for fig in run():
        print(fig.row())
