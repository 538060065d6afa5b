"""Seconds per avatar and peak VRAM for the real ``sdxl`` and ``sdxl-fast`` generators on a CUDA GPU.

A 1024 px photo goes in (``sdxl`` works at 1024 px, ``sdxl-fast`` fits it to Turbo's 512 px); one warm-up call,
then the median of a few timed runs, each ended by ``torch.cuda.synchronize``. Peak VRAM is
``torch.cuda.max_memory_allocated`` over the timed runs (PyTorch's allocations; the driver's total is higher).
Memory savers follow the environment (``RELIVE_CPU_OFFLOAD``, ``RELIVE_VAE_TILING``).

Without a CUDA GPU or without the weights it says why, reports nothing and exits 0: it never makes numbers up.

    python bench/avatar_gpu.py [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Figure
from PIL import Image

from relive.avatar.generator import GENERATORS

TARGETS = {"sdxl": "≤ 5 s (H100-class)", "sdxl-fast": "≤ 1 s (H100-class)"}
PROMPT = ("anime style, cel shaded portrait of a person wearing a studded leather jacket and a band t-shirt, "
          "festival lights, vibrant colors, clean lines")
NEGATIVE = "blurry, lowres, deformed, extra limbs, text, watermark"


def why_not() -> str:
    """'' when a CUDA GPU is there, else the reason."""
    try:
        import torch
    except ImportError:
        return "torch is not installed"
    if not torch.cuda.is_available():
        return f"no CUDA GPU visible to torch {torch.__version__} (CPU build or no device)"
    return ""


def photo_1024() -> Image.Image:
    """A real photo when scikit-image is there (public-domain astronaut), else a smooth synthetic one."""
    try:
        from skimage import data

        return Image.fromarray(data.astronaut()).resize((1024, 1024), Image.LANCZOS)
    except ImportError:
        return Image.radial_gradient("L").resize((1024, 1024)).convert("RGB")


def measure(name: str, runs: int) -> list[Figure]:
    import torch

    generator = GENERATORS.session(name)
    photo = photo_1024()

    def call(seed: int):
        return generator.generate(photo, PROMPT, NEGATIVE, seed=seed)

    start = time.perf_counter()
    call(0)  # loads the pipelines and warms the kernels
    torch.cuda.synchronize()
    load_and_first = time.perf_counter() - start
    torch.cuda.reset_peak_memory_stats()
    times = []
    for seed in range(1, runs + 1):
        start = time.perf_counter()
        call(seed)
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    peak = torch.cuda.max_memory_allocated() / 2**30
    device = torch.cuda.get_device_name()
    note = f"{device}; {generator.size} px; runs {', '.join(f'{t:.2f}' for t in times)} s"
    return [
        Figure(f"{name}: seconds per avatar (1024 px photo, warm, median of {runs})", statistics.median(times), "s",
               TARGETS[name], note),
        Figure(f"{name}: peak VRAM (max_memory_allocated)", peak, "GiB", "", device),
        Figure(f"{name}: load + first call", load_and_first, "s", "", "cold: reads the weights from disk"),
    ]


def run(runs: int = 3) -> list[Figure]:
    reason = why_not()
    if reason:
        print(f"avatar_gpu: cannot run: {reason}", file=sys.stderr)
        return []
    figures = []
    for name in TARGETS:
        ok, missing = GENERATORS.get(name).available()
        if not ok:
            print(f"avatar_gpu: skipped {name}: {missing}", file=sys.stderr)
            continue
        figures += measure(name, runs)
        GENERATORS.clear()  # one model family in VRAM at a time: each peak is its own
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per generator (after one warm-up)")
    figures = run(parser.parse_args().runs)
    for fig in figures:
        print(fig.row())
    if not figures:
        print("avatar_gpu: no figures (see the reasons above)")
