"""CAROUSEL fuse latency on this machine's CPU: model load (cold) and one fused picture at 512, 1024 and 4096 px
(warm), each into a square photo background.

The avatar is a 1024×1024 RGBA cut-out (as the AVATAR tab makes), the backgrounds are photos resized to the size
measured; images are already decoded, as in the app (file decode/encode is reported as its own figure).
"""

from __future__ import annotations

import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Figure, median_of  # noqa: E402

from PIL import Image, ImageDraw  # noqa: E402

from relive.backends import fusion  # noqa: E402
from relive.carousel import fuse as fusing  # noqa: E402
from relive.config import settings  # noqa: E402


def test_images(size: int) -> tuple[Image.Image, Image.Image]:
    """A photo background of ``size``×``size`` and a 1024 px person-shaped RGBA cut-out."""
    from skimage import data

    background = Image.fromarray(data.coffee()).resize((size, size), Image.BICUBIC)
    person = Image.fromarray(data.astronaut()).resize((1024, 1024), Image.BICUBIC).convert("RGBA")
    alpha = Image.new("L", (1024, 1024), 0)
    ImageDraw.Draw(alpha).ellipse((180, 40, 800, 1120), fill=255)
    person.putalpha(alpha)
    return background, person


def run() -> list[Figure]:
    import torch

    shipped = (settings().fusion_model / "config.json").is_file()
    fusion.clear_model_cache()
    start = time.perf_counter()
    model = fusion.load_fusion_model() if shipped else None
    load_s = time.perf_counter() - start
    note = "shipped checkpoint" if shipped else "checkpoint absent: fresh compact model (same cost)"
    if model is None:
        from relive.backends.fusion.model import build_model

        model = build_model().eval()
    threads = f"{torch.get_num_threads()} torch threads"
    figures = [Figure("fusion model load from the checkpoint (cold; torch already imported)", load_s * 1e3, "ms", "", note)]
    for size, target, repeat in ((512, "", 7), (1024, "≤ 1 s", 7), (4096, "≤ 4 s", 3)):
        background, avatar = test_images(size)
        seconds = median_of(lambda: fusing.fuse(background, avatar, model=model), repeat=repeat)
        figures.append(Figure(f"fuse {size}×{size} background + 1024 px RGBA avatar (warm, median)", seconds * 1e3,
                              "ms", target, threads))
    background, avatar = test_images(4096)
    in_place = Image.new("RGBA", background.size, (0, 0, 0, 0))
    in_place.paste(avatar.resize((3072, 3072)), (512, 1024))
    seconds = median_of(lambda: fusing.fuse(background, in_place, model=model), repeat=3)
    figures.append(Figure("fuse 4096 px, same-size avatar used in place (3072 px person)", seconds * 1e3, "ms",
                          "≤ 4 s", "worst case: the correction covers most of the frame"))
    figures.append(Figure("PNG decode + encode around a 1024 px fuse", _file_overhead(1024) * 1e3, "ms", "",
                          "not part of fuse() itself"))
    return figures


def _file_overhead(size: int) -> float:
    background, avatar = test_images(size)
    blobs = []
    for image in (background, avatar):
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        blobs.append(buffer.getvalue())

    def decode_encode():
        from relive import imaging

        imaging.load_image(blobs[0], "RGB")
        imaging.load_image(blobs[1], "RGBA")
        background.save(io.BytesIO(), "PNG")

    return median_of(decode_encode, repeat=5)


if __name__ == "__main__":
    for fig in run():
        print(fig.row())
