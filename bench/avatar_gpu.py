"""Seconds per avatar and peak memory for the ``sdxl`` and ``sdxl-fast`` generators: real weights, or random weights
of the published architectures (``--random-weights``), on a CUDA GPU; or a CPU smoke run of the same code.

A 1024 px photo goes in (``sdxl`` works at 1024 px: base img2img strength 0.7 × 30 steps, then the refiner 0.3 × 30
steps; ``sdxl-fast`` fits it to Turbo's 512 px), fp16 on CUDA. One warm-up call, then the median of a few timed
runs, each ended by ``torch.cuda.synchronize``. Peak VRAM is ``torch.cuda.max_memory_allocated`` over the timed runs
(PyTorch's allocations; the driver's total is higher). Memory savers follow the environment (``RELIVE_CPU_OFFLOAD``,
``RELIVE_VAE_TILING``).

``--random-weights`` needs no weights: :mod:`relive.avatar.random_sdxl` builds the published base + refiner (and
Turbo) architectures from the JSON configs in the repo, materialises random fp16 weights on the GPU, and runs them
through the generators' own two-stage code. Speed and memory are those of the real models; the pictures are noise.

``--cpu-smoke`` runs that same path on the CPU, scaled down so a laptop can run it: widths divided by 8 (depths
kept), 128 px, 2 base + 1 refiner denoising steps, fp32. ``--cpu-smoke --real-size`` builds the full-size
architectures instead (bf16, ~11 GiB of RAM; refused below that), at 256 px, 1 + 1 steps.

The random-weights runs tokenize with CLIP's own vocabulary: run ``make models`` first (it fetches it, offline-safe).
Without a CUDA GPU (and without ``--cpu-smoke``) or without the weights it says why, reports nothing and exits 0:
it never makes numbers up.

    python bench/avatar_gpu.py [--runs 3] [--random-weights]
    python bench/avatar_gpu.py --cpu-smoke [--real-size]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Figure
from PIL import Image

from relive.backends.generators import GENERATORS, Generator, Stage, unload_all

TARGETS = {"sdxl": "≤ 3 s (H100/H200-class)", "sdxl-fast": "≤ 0.5 s (H100/H200-class)"}
PROMPT = ("anime style, cel shaded portrait of a person wearing a studded leather jacket and a band t-shirt, "
          "festival lights, vibrant colors, clean lines")
NEGATIVE = "blurry, lowres, deformed, extra limbs, text, watermark"
# CPU smoke: (width divisor, picture size, stages) — same strengths as sdxl, far fewer steps
SMOKE = (8, 128, (Stage("base", strength=0.7, guidance=8.5, steps=3), Stage("refiner", strength=0.3, guidance=5.0,
                                                                             steps=4)))
SMOKE_REAL_SIZE = (1, 256, (Stage("base", strength=0.7, guidance=8.5, steps=2),
                            Stage("refiner", strength=0.3, guidance=5.0, steps=4)))


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


def make_generator(name: str, random_weights: bool) -> Generator:
    if not random_weights:
        return GENERATORS.session(name)
    from relive.avatar.random_sdxl import RandomSDXL, RandomSDXLFast

    return RandomSDXL() if name == "sdxl" else RandomSDXLFast()


def measure(name: str, generator: Generator, runs: int, kind: str) -> list[Figure]:
    import torch

    photo = photo_1024()

    def call(seed: int):
        return generator.generate(photo, PROMPT, NEGATIVE, seed=seed)

    start = time.perf_counter()
    call(0)  # loads (or builds) the pipelines and warms the kernels
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
    steps = " + ".join(f"{s.name} {s.strength} × {s.steps}" for s in generator.stages)
    note = f"{device}; {kind}; {generator.size} px, {steps}, fp16; runs {', '.join(f'{t:.2f}' for t in times)} s"
    return [
        Figure(f"{name}: seconds per avatar ({kind}, warm, median of {runs})", statistics.median(times), "s",
               TARGETS[name], note),
        Figure(f"{name}: peak VRAM (max_memory_allocated, {kind})", peak, "GiB", "", device),
        Figure(f"{name}: load + first call ({kind})", load_and_first, "s", "",
               "cold: builds random weights on the GPU" if kind == "random weights" else "cold: reads the weights"),
    ]


def run(runs: int = 3, random_weights: bool = False) -> list[Figure]:
    reason = why_not()
    if reason:
        print(f"avatar_gpu: cannot run: {reason}", file=sys.stderr)
        return []
    kind = "random weights" if random_weights else "real weights"
    figures = []
    for name in TARGETS:
        if not random_weights:
            ok, missing = GENERATORS.get(name).available()
            if not ok:
                print(f"avatar_gpu: skipped {name}: {missing}", file=sys.stderr)
                continue
        figures += measure(name, make_generator(name, random_weights), runs, kind)
        unload_all()  # one model family in VRAM at a time: each peak is its own
    return figures


def cpu_smoke(real_size: bool = False) -> list[Figure]:
    """The random-weights path on the CPU, scaled down (or full size in bf16); one call, timed."""
    import torch

    from relive.avatar.random_sdxl import RandomSDXL

    shrink, size, stages = SMOKE_REAL_SIZE if real_size else SMOKE
    dtype = torch.bfloat16 if real_size else torch.float32  # full size in fp32 is ~23 GiB: it does not fit
    if not real_size:  # narrow layers are all per-op overhead: a second thread only adds synchronisation
        torch.set_num_threads(1)
    generator = RandomSDXL(shrink=shrink, size=size, stages=stages, dtype=dtype)
    generator.device = "cpu"
    what = "full-size architectures, bf16" if real_size else f"widths ÷ {shrink}, depths kept, fp32"
    start = time.perf_counter()
    generator.load()  # refuses with NotEnoughMemory when the RAM is not there
    build = time.perf_counter() - start
    print(f"avatar_gpu: built in {build:.1f} s; generating", file=sys.stderr, flush=True)  # a long run shows progress
    steps = []
    start = time.perf_counter()
    picture = generator.generate(photo_1024(), PROMPT, NEGATIVE, seed=1, progress=lambda *step: steps.append(step))
    seconds = time.perf_counter() - start
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB on Linux
    denoising = " + ".join(f"{sum(1 for s in steps if s[2] == stage.name)} {stage.name}" for stage in stages)
    note = f"{what}; {torch.get_num_threads()} torch threads; picture {picture.size[0]} px"
    return [
        Figure(f"CPU smoke: build random SDXL base + refiner ({what})", build, "s", "", "meta → materialise"),
        Figure(f"CPU smoke: one avatar, {size} px, {denoising} denoising steps", seconds, "s", "", note),
        Figure("CPU smoke: peak RSS of the process", peak_rss, "GiB", "", "ru_maxrss"),
    ]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per generator (after one warm-up)")
    parser.add_argument("--random-weights", action="store_true",
                        help="random weights of the published architectures instead of real weights")
    parser.add_argument("--cpu-smoke", action="store_true", help="the random-weights path on the CPU, scaled down")
    parser.add_argument("--real-size", action="store_true", help="with --cpu-smoke: full-size architectures (bf16)")
    args = parser.parse_args()
    figures = cpu_smoke(args.real_size) if args.cpu_smoke else run(args.runs, args.random_weights)
    for fig in figures:
        print(fig.row())
    if not figures:
        print("avatar_gpu: no figures (see the reasons above)")
