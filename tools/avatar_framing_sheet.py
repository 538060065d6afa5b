"""Contact sheet of the AVATAR framing: every people photo (real and composed group photos), before and after.

One row per photo: the photo with every face found (the framed one in green, the others in orange) and the
number of people; the cut-out the avatar is made from (on grey: only the chosen person should be there, head and
shoulders, filling the square); and the instant avatar. With ``--before PATH`` a first column shows another
checkout's avatar of the same photo (e.g. ``/work/main``, run in a subprocess), to compare.

    python tools/avatar_framing_sheet.py [--out docs/avatar_framing.png] [--cell 256] [--before CHECKOUT]
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from relive import genres
from relive.avatar.pipeline import make_avatar
from relive.avatar.sample_people import all_photos

TASTE_SPEC = "Rock=1,Indie=0.7"
TASTE = genres.parse(TASTE_SPEC)
GREY = (128, 128, 128)
LABEL = 20

# Run in the other checkout: its make_avatar on the same photo, the result's PNG bytes to stdout.
BEFORE_SCRIPT = """
import io, sys
from PIL import Image
from relive import genres
from relive.avatar.pipeline import make_avatar
photo = Image.open(io.BytesIO(sys.stdin.buffer.read()))
result = make_avatar(photo, genres.parse({taste!r}), generator="instant")
out = io.BytesIO(); result.image.save(out, "PNG"); sys.stdout.buffer.write(out.getvalue())
"""


def with_faces(photo: Image.Image, result) -> Image.Image:
    """``photo`` with the faces found drawn on it: the framed one green, the others orange."""
    marked = photo.copy()
    draw = ImageDraw.Draw(marked)
    width = max(2, photo.width // 200)
    for face in result.framing.faces:
        colour = (40, 220, 80) if face == result.framing.face else (255, 150, 0)
        draw.rectangle((face.x, face.y, face.x + face.w, face.y + face.h), outline=colour, width=width)
    return marked


def fit(img: Image.Image, cell: int) -> Image.Image:
    """``img`` fitted into a ``cell``² grey square (transparency shown on grey)."""
    canvas = Image.new("RGB", (cell, cell), GREY)
    thumb = img.copy()
    thumb.thumbnail((cell, cell), Image.LANCZOS)
    rgba = thumb.convert("RGBA")
    canvas.paste(rgba, ((cell - thumb.width) // 2, (cell - thumb.height) // 2), rgba)
    return canvas


def before(checkout: Path, photo: Image.Image) -> Image.Image:
    """The avatar another checkout makes of ``photo`` (its own code and models, in a subprocess)."""
    data = io.BytesIO()
    photo.save(data, "PNG")
    proc = subprocess.run([sys.executable, "-c", BEFORE_SCRIPT.format(taste=TASTE_SPEC)], input=data.getvalue(), capture_output=True, cwd=checkout,
                          env={"PYTHONPATH": str(checkout), "PATH": "/usr/bin:/bin"}, check=True)
    return Image.open(io.BytesIO(proc.stdout))


def row(name: str, photo: Image.Image, cell: int, checkout: Path | None) -> Image.Image:
    result = make_avatar(photo, TASTE, generator="instant")
    cells = [before(checkout, photo)] if checkout else []
    cells += [with_faces(photo, result), result.cutout, result.image]
    strip = Image.new("RGB", (cell * len(cells), cell + LABEL), "white")
    for i, img in enumerate(cells):
        strip.paste(fit(img, cell), (i * cell, LABEL))
    found = result.framing.faces_found
    ImageDraw.Draw(strip).text((4, 4), f"{name}: {found} face{'s' if found != 1 else ''} found"
                               + (f" - {result.notices[0]}" if result.notices else ""), fill="black")
    return strip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "avatar_framing.png")
    parser.add_argument("--cell", type=int, default=256)
    parser.add_argument("--before", type=Path, help="another checkout whose avatars fill a first column")
    args = parser.parse_args(argv)
    rows = [row(name, photo, args.cell, args.before) for name, photo in all_photos().items()]
    sheet = Image.new("RGB", (rows[0].width, sum(r.height for r in rows)), "white")
    for i, strip in enumerate(rows):
        sheet.paste(strip, (0, i * strip.height))
    sheet.save(args.out)
    print(f"wrote {args.out} ({len(rows)} photos)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
