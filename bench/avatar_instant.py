"""The INSTANT avatar end to end on the CPU, warm: face crop → background removal → stylize → backdrop.

On skimage's astronaut (public domain) upscaled from 512 to 1024 px, as a kiosk photo would arrive, through the
same ``make_avatar`` the app calls. Each run uses a new seed, so the backdrop is drawn afresh every time.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Figure, best_of, median_of  # noqa: E402
from PIL import Image  # noqa: E402
from skimage import data  # noqa: E402

from relive import genres, imaging  # noqa: E402
from relive.avatar import stylize  # noqa: E402
from relive.avatar.pipeline import make_avatar  # noqa: E402
from relive.backends import faces, segmentation  # noqa: E402

TASTE = genres.parse("Reggae=1,Electronic=0.8")
RUNS = 15


def run() -> list[Figure]:
    if not (segmentation.SEGMENTERS.get("mediapipe").available() and faces.FACES.get("mediapipe").available()):
        print("skipped the instant avatar figures: MediaPipe models missing; run `make models`", file=sys.stderr)
        return []
    photo = Image.fromarray(data.astronaut()).resize((1024, 1024), Image.LANCZOS)
    make_avatar(photo, TASTE, generator="instant", seed=-1)  # warm-up: models loaded, caches filled
    totals, steps = [], {}
    for seed in range(RUNS):
        start = time.perf_counter()
        result = make_avatar(photo, TASTE, generator="instant", seed=seed)
        totals.append(time.perf_counter() - start)
        for step, seconds in result.timings.items():
            steps.setdefault(step, []).append(seconds)
    crop, _ = faces.face_square_crop(photo, 1024)
    figures = [Figure(f"instant avatar 1024 px, end to end (warm, median of {RUNS})",
                      statistics.median(totals) * 1e3, "ms", "≤ 1500 ms")]
    figures += [Figure(f"  of which: {step}", statistics.median(times) * 1e3, "ms") for step, times in steps.items()]
    figures.append(Figure("  stylize alone, no hints (warm, median)",
                          median_of(lambda: stylize.stylize(crop, ["Reggae", "Electronic"]), 10) * 1e3, "ms"))
    return figures + look_figures(photo)


def look_figures(photo: Image.Image, repeat: int = 5) -> list[Figure]:
    """Each offline look alone at 1024 px with the pipeline's hints (person mask, face box): the best wall time
    of ``repeat`` (the least disturbed by other processes on a shared machine) and the median CPU time."""
    crop, info = faces.face_square_crop(photo, 1024)
    mask = imaging.alpha_mask(segmentation.remove_background(crop, 1024))
    face = stylize.face_in_crop(info, 1024)
    figures = []
    for look in stylize.look_names():
        def draw(look=look):
            return stylize.stylize(crop, ["Reggae", "Electronic"], mask=mask, face=face, look=look)

        cpu = []
        for _ in range(repeat):
            start = time.process_time()
            draw()
            cpu.append(time.process_time() - start)
        figures.append(Figure(f"  look {look!r} at 1024 px (warm, best of {repeat})", best_of(draw, repeat) * 1e3, "ms",
                              "≤ 1500 ms", f"CPU time {statistics.median(cpu):.2f} s (median)"))
    return figures


if __name__ == "__main__":
    for fig in run():
        print(fig.row())
