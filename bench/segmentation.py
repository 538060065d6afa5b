"""Background removal and face detection on the astronaut (skimage, public domain), warm, on the CPU."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Figure, median_of  # noqa: E402
from PIL import Image  # noqa: E402
from skimage import data  # noqa: E402

from relive.backends import faces, segmentation  # noqa: E402


def run() -> list[Figure]:
    photo = Image.fromarray(data.astronaut()).resize((1024, 1024), Image.LANCZOS)
    figures = []
    if segmentation.SEGMENTERS.get("mediapipe").available():
        segmenter = segmentation.SEGMENTERS.session("mediapipe")
        figures += [
            Figure("remove_background 1024 px → 1024² RGBA, mediapipe (warm, median of 10)",
                   median_of(lambda: segmentation.remove_background(photo), repeat=10) * 1e3, "ms"),
            Figure("  of which: selfie segmenter only", median_of(lambda: segmenter.segment(photo), 10) * 1e3, "ms"),
        ]
    else:
        print("skipped the segmentation figures: models missing; run `make models`", file=sys.stderr)
    for backend in faces.FACES.names():
        ok, reason = faces.FACES.get(backend).available()
        if not ok:
            print(f"skipped face detection with {backend}: {reason}", file=sys.stderr)
            continue
        figures.append(Figure(f"face detection 1024 px, {backend} (warm, median of 10)",
                              median_of(lambda b=backend: faces.detect(photo, b), repeat=10) * 1e3, "ms"))
    return figures


if __name__ == "__main__":
    for fig in run():
        print(fig.row())
