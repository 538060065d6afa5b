"""Does the avatar still show the visitor? dlib face-identity distance, photo ↔ avatar, per photo and look.

For every people photo of :mod:`relive.avatar.sample_people` (the real ones and the composed group photos; the one
with its faces blurred away has no identity to keep and is left out) and every look, the instant (offline)
generator makes the avatar through the same ``make_avatar`` the app calls; the distance between the 128-D dlib
embeddings of the photo's main face and the avatar's face is printed (≤ 0.6: the same person for dlib). Targets:
≤ 0.6 on every photo, median ≤ 0.45. "no face" means the avatar shows no face dlib's pipeline can find.

    python bench/avatar_identity.py [--looks comic,ink …] [--cutout]

Needs ``make models`` (MediaPipe + dlib face models). Takes about 2 s per avatar on two cores.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from relive import genres
from relive.avatar.pipeline import make_avatar
from relive.avatar.prompt import STYLES
from relive.backends import identity
from relive.avatar.sample_people import GROUPS, group_photo, real_photos

TASTE = genres.parse("Rock=1,Indie=0.7")
SAME_PERSON = identity.SAME_PERSON
MEDIAN_TARGET = 0.45


def distance_or_none(photo, avatar) -> float | None:
    try:
        return identity.identity_distance(photo, avatar)
    except identity.FaceNotFound:
        return None


def measure(looks: list[str], cutout: bool) -> dict[tuple[str, str], float | None]:
    """(photo, look) → distance (None: no face in the avatar)."""
    photos = {**real_photos(), **{name: group_photo(name) for name in GROUPS}}
    results = {}
    for name, photo in photos.items():
        for look in looks:
            avatar = make_avatar(photo, TASTE, generator="instant", style=look)
            results[name, look] = distance_or_none(photo, avatar.cutout if cutout else avatar.image)
            print(f"  {name:<14} {look:<12} {format_distance(results[name, look])}", file=sys.stderr)
    return results


def format_distance(value: float | None) -> str:
    return "no face" if value is None else f"{value:.3f}"


def report(results: dict[tuple[str, str], float | None], looks: list[str]) -> bool:
    """Print the table and the summary; True when both targets are met."""
    photos = sorted({name for name, _ in results}, key=list(dict.fromkeys(n for n, _ in results)).index)
    print("| photo | " + " | ".join(looks) + " |")
    print("|---|" + "---|" * len(looks))
    for name in photos:
        print(f"| {name} | " + " | ".join(format_distance(results[name, look]) for look in looks) + " |")
    found = [value for value in results.values() if value is not None]
    missing = len(results) - len(found)
    worst = max(found, default=float("nan"))
    median = statistics.median(found) if found else float("nan")
    print(f"\n{len(results)} avatars: median {median:.3f} (target ≤ {MEDIAN_TARGET}), worst {worst:.3f} "
          f"(target ≤ {SAME_PERSON}), no face in {missing}")
    return missing == 0 and worst <= SAME_PERSON and median <= MEDIAN_TARGET


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--looks", default=",".join(STYLES), help="comma-separated looks (default: every style)")
    parser.add_argument("--cutout", action="store_true", help="measure the transparent cut-out, not the avatar "
                                                              "on its backdrop")
    args = parser.parse_args(argv)
    looks = [look.strip() for look in args.looks.split(",") if look.strip()]
    return 0 if report(measure(looks, args.cutout), looks) else 1


if __name__ == "__main__":
    sys.exit(main())
