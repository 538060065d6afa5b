"""Build the CAROUSEL training data: rendered festival scenes, photos bundled with installed packages and the
photographs in Debian's wallpaper packages (fetched with `apt-get download`, unpacked with `dpkg-deb -x`).

Writes ``OUT/collages/*.png``, ``OUT/manifest.csv``, ``OUT/rejected.csv``, ``OUT/DATASET.md`` (what went in) and,
when complete, ``OUT/READY`` (training polls it). Resumable: run it again after an interruption.

    python tools/make_carousel_data.py [--out data/carousel] [--scenes 2000] [--photo-variants 40] [--seed 0]
                                       [--workers 2] [--val-fraction 0.1] [--max-side 512]

The held-out photos of people (``skimage.data.astronaut`` and ``camera``, matplotlib's ``grace_hopper.jpg``) are
never used. ``--no-wallpapers`` builds from what is installed alone (no apt).
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from relive.carousel.training import collage, perturb
from relive.errors import ReliveError


# The photographs among the images of Debian's wallpaper packages (bookworm), looked at one by one: the rest of
# those packages are drawings, renders and patterns (gnome-backgrounds, ukui-wallpapers and lomiri-wallpapers hold
# no photographs). package → (licence per debian/copyright or the wallpaper's metadata.json, [paths in the .deb]).
PLASMA = "usr/share/wallpapers/{}/contents/images/{}"
MATE = "usr/share/backgrounds/mate/nature/{}.jpg"
WALLPAPER_PHOTOS = {
    "plasma-workspace-wallpapers": ("LGPL-3 (Altai, MilkyWay: CC-BY-SA-4.0)", [
        PLASMA.format("Altai", "5120x2880.png"), PLASMA.format("BytheWater", "2560x1600.jpg"),
        PLASMA.format("ColdRipple", "2560x1600.jpg"), PLASMA.format("DarkestHour", "2560x1600.jpg"),
        PLASMA.format("EveningGlow", "2560x1600.jpg"), PLASMA.format("FallenLeaf", "2560x1600.jpg"),
        PLASMA.format("Grey", "2560x1600.jpg"), PLASMA.format("Kite", "2560x1600.jpg"),
        PLASMA.format("MilkyWay", "5120x2880.png"), PLASMA.format("OneStandsOut", "2560x1600.jpg"),
        PLASMA.format("Path", "2560x1600.jpg"), PLASMA.format("summer_1am", "2560x1600.jpg")]),
    "mate-backgrounds": ("GPL-2+", [MATE.format(name) for name in (
        "Aqua", "Blinds", "Dune", "FreshFlower", "Garden", "GreenMeadow", "LadyBird", "RainDrops", "Storm",
        "TwoWings", "Wood", "YellowFlower")]),
}


def wallpaper_photos(root: Path) -> dict[str, str]:
    """source name → file of every photograph in ``WALLPAPER_PHOTOS``, downloading and unpacking a package into
    ``root`` the first time (``apt-get download`` needs the Debian archive, nothing else)."""
    files = {}
    for package, (_licence, paths) in WALLPAPER_PHOTOS.items():
        unpacked = root / package
        if not all((unpacked / path).is_file() for path in paths):
            root.mkdir(parents=True, exist_ok=True)
            subprocess.run(["apt-get", "download", package], cwd=root, check=True, capture_output=True)
            deb = max(root.glob(f"{package}_*.deb"))
            subprocess.run(["dpkg-deb", "-x", str(deb), str(unpacked)], check=True)
        for path in paths:
            name = Path(path).parents[2].name if path.startswith("usr/share/wallpapers") else Path(path).stem
            files[f"debian:{package}/{name}"] = str(unpacked / path)
    return files


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "carousel")
    parser.add_argument("--scenes", type=int, default=2000, help="rendered festival scenes (1–2 people each)")
    parser.add_argument("--photo-variants", type=int, default=40, help="masked crops per bundled photo")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=None, help="processes (default: every core)")
    parser.add_argument("--val-fraction", type=float, default=collage.VAL_FRACTION)
    parser.add_argument("--max-side", type=int, default=collage.MAX_SIDE)
    parser.add_argument("--wallpapers", type=Path, default=ROOT / "data" / "wallpapers",
                        help="where Debian's wallpaper packages are downloaded and unpacked")
    parser.add_argument("--no-wallpapers", action="store_true", help="leave Debian's wallpaper photos out")
    parser.add_argument("--no-progress", action="store_true")
    return parser.parse_args(argv)


def dataset_card(args: argparse.Namespace, report: collage.BuildReport, seconds: float, argv: list[str]) -> str:
    """DATASET.md: exactly what went in, counted from the manifest on disk."""
    rows = collage.read_manifest(args.out)
    kind_of = lambda source: source.split("/")[1] if source.startswith("scene/") else source
    per_source = Counter((kind_of(r["source"]), r["split"]) for r in rows)
    sources = sorted({kind_of(r["source"]) for r in rows})
    scene_sources = Counter(r["split"] for r in {r["source"]: r for r in rows if r["source"].startswith("scene/")}.values())
    lines = [
        "# CAROUSEL training data",
        "",
        (f"Built by `{' '.join(shlex.quote(a) for a in argv)}` in {seconds / 60:.1f} min "
        f"(seed {args.seed}, {args.workers or 'all'} workers, max side {args.max_side} px)."),
        "",
        (f"**{len(rows)} pairs**: train {sum(r['split'] == 'train' for r in rows)}, val {sum(r['split'] == 'val' for r in rows)} "
        f"(split by source with a stable hash, val fraction {args.val_fraction}; no source is in both splits)."),
        "",
        ("Each `collages/<id>.png` is `[ground truth | clean background (OpenCV Telea) | perturbed avatar on black | mask]`; "
        "`manifest.csv` has `id,source,person,x,y,w,h,split`."),
        "",
        "## Sources",
        "",
        (f"- **Rendered festival scenes** (`relive/carousel/training/scenes.py`, {args.scenes} scenes, kinds in turn: "
        f"{', '.join(collage_scene_kinds())}), 1–2 people each lit by the scene (ambient, coloured key, rim). "
        f"Scene sources: train {scene_sources.get('train', 0)}, val {scene_sources.get('val', 0)}. Each visible person "
        f"(≥ {collage.MIN_PERSON_FRACTION:.0%} of the frame) is a pair."),
        (f"- **Photos bundled with scikit-image, scikit-learn and matplotlib** ({args.photo_variants} random crops each): "
        f"{', '.join(collage.BUNDLED_PHOTOS)}."),
        (f"- **Photographs from Debian's wallpaper packages** ({args.photo_variants} random crops each; "
        "`apt-get download` + `dpkg-deb -x`): " + ("none (--no-wallpapers)" if args.no_wallpapers else "; ".join(
            f"{package} ({licence}): {len(paths)} photos" for package, (licence, paths) in WALLPAPER_PHOTOS.items()))
         + "."),
        (f"- Each photo crop's foreground is, {collage.SEGMENT_PROBABILITY:.0%} of the time, one of its own regions "
        "(SLIC superpixels grown by a neighbour or two: an object with true edges), else a drawn person silhouette "
        "(head, torso, arms, legs in a random pose). The region's real pixels are the target. "
        f"{collage.SCENE_LIGHT_PROBABILITY:.0%} of photo pairs are the booth's case: the whole photo under a coloured "
        f"light ({', '.join(perturb.SCENE_LIGHTS)}) and the region pasted as it was, unlit."),
        (f"- **Held out, never used**: {', '.join(collage.HELD_OUT)} (the final check on real people: "
        "`relive.carousel.training.evaluate.heldout_people_pairs`)."),
        "",
        "## Perturbation (`relive/carousel/training/perturb.py`)",
        "",
        ("Inside the mask only: Reinhard colour transfer in Lab toward another photo or a small rendered scene "
        f"(strength {perturb.TRANSFER_STRENGTH}, 80 % of draws), then 2–4 of: per-channel monotone tone curve, exposure "
        f"±{perturb.EXPOSURE_STOPS} stops, contrast {perturb.CONTRAST}, saturation {perturb.SATURATION}, temperature "
        f"±{perturb.TEMPERATURE} / tint ±{perturb.TINT}, slight blur or unsharp mask. Pairs whose mean absolute "
        f"difference inside the mask is below {perturb.MIN_GAP} (0–255 scale) after 4 tries are dropped as near no-ops; "
        f"draws above {perturb.MAX_GAP} are redrawn."),
        "",
        "## Pairs per source",
        "",
        "| source | train | val |",
        "|---|---:|---:|",
        *(f"| {s} | {per_source.get((s, 'train'), 0)} | {per_source.get((s, 'val'), 0)} |" for s in sources),
        "",
        f"Rejected (not written): {len(report.rejected)} this run — see `rejected.csv`.",
        "",
    ]
    return "\n".join(lines)


def collage_scene_kinds() -> list[str]:
    from relive.carousel.training import scenes

    return list(scenes.KINDS)


def main(argv: list[str] | None = None) -> int:
    argv_list = sys.argv[1:] if argv is None else argv
    args = parse_args(argv_list)
    ready = args.out / "READY"
    ready.unlink(missing_ok=True)
    start = time.perf_counter()
    try:
        photo_files = {} if args.no_wallpapers else wallpaper_photos(args.wallpapers)
        report = collage.build_synthetic(args.out, n_scenes=args.scenes, photo_variants=args.photo_variants,
                                         seed=args.seed, val_fraction=args.val_fraction, workers=args.workers,
                                         max_side=args.max_side, photo_files=photo_files,
                                         progress=not args.no_progress)
    except subprocess.CalledProcessError as err:
        print(f"error: {' '.join(err.cmd)} failed ({(err.stderr or b'').decode(errors='replace').strip()}); "
              "it needs the Debian archive: run `apt-get update`, or build without them: --no-wallpapers",
              file=sys.stderr)
        return 2
    except ReliveError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    seconds = time.perf_counter() - start
    print(report.summary())
    (args.out / "DATASET.md").write_text(dataset_card(args, report, seconds, ["python", "tools/make_carousel_data.py", *argv_list]),
                                         encoding="utf-8")
    ready.write_text(f"{report.total} pairs\n", encoding="utf-8")
    print(f"{report.total} pairs ready in {args.out} ({seconds:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
