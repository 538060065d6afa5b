"""Write the app's example inputs to assets/examples/: two public-domain portraits that ship inside installed
packages (NASA's astronaut Eileen Collins from scikit-image, Grace Hopper from matplotlib) and an avatar cut-out
made from the first with the instant generator, for the Carousel tab.

    .venv/bin/python tools/make_examples.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from relive import genres
from relive.avatar.pipeline import make_avatar
from relive.carousel.training.collage import load_bundled

OUT = Path(__file__).resolve().parent.parent / "assets" / "examples"
PORTRAITS = {"astronaut.jpg": "skimage:astronaut", "grace-hopper.jpg": "matplotlib:grace_hopper.jpg"}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, source in PORTRAITS.items():
        Image.fromarray(load_bundled(source)).save(OUT / name, quality=90)
    avatar = make_avatar(OUT / "astronaut.jpg", genres.parse("Electronic=1,Pop=0.6"), generator="instant",
                         backdrop=False)
    cutout = avatar.cutout.crop(avatar.cutout.getchannel("A").getbbox())
    cutout.thumbnail((640, 640))
    cutout.save(OUT / "avatar-astronaut.png", optimize=True)
    for path in sorted(OUT.iterdir()):
        print(f"{path.name}: {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
