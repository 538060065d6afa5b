"""Render the pet art catalogue from SVG sources to transparent PNGs.

Every ``assets/pet/svg/<kind>/<stem>.svg`` (kinds: creatures, head, face,
torso) becomes ``assets/pet/<kind>/<stem>.png``, an RGBA square image with a
transparent background. All sources share one 1024x1024 canvas and the anchor
points documented in ``assets/pet/svg/ANCHORS.md``, so any accessory PNG can be
alpha-composited straight onto any creature PNG.

Usage: python tools/render_pet_art.py [--size 1024] [--root assets/pet]
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from PIL import Image

KINDS = ("creatures", "head", "face", "torso")
DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "assets" / "pet"


def svg_to_png_bytes(svg_path: Path, size: int) -> bytes:
    """Rasterise one SVG file to PNG bytes at ``size`` x ``size`` pixels."""
    try:
        import resvg_py
    except ImportError:  # fall back to cairosvg when the resvg wheel is missing
        import cairosvg

        return cairosvg.svg2png(url=str(svg_path), output_width=size, output_height=size)
    return bytes(resvg_py.svg_to_bytes(svg_path=str(svg_path), width=size, height=size))


def render_file(svg_path: Path, png_path: Path, size: int) -> None:
    """Render ``svg_path`` and write it as an optimised RGBA PNG."""
    image = Image.open(io.BytesIO(svg_to_png_bytes(svg_path, size))).convert("RGBA")
    if image.size != (size, size):
        image = image.resize((size, size), Image.LANCZOS)
    png_path.parent.mkdir(parents=True, exist_ok=True)
    image.save(png_path, optimize=True)


def render_all(root: Path, size: int) -> int:
    """Render every SVG of every kind under ``root``; return the file count."""
    count = 0
    for kind in KINDS:
        for svg_path in sorted((root / "svg" / kind).glob("*.svg")):
            render_file(svg_path, root / kind / f"{svg_path.stem}.png", size)
            count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1024, help="output edge in pixels")
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="assets/pet folder")
    args = parser.parse_args()
    print(f"rendered {render_all(args.root, args.size)} PNGs")


if __name__ == "__main__":
    main()
