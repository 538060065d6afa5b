"""``relive pet``, ``relive pet-batch`` and ``relive users``: thin shells over the PET library."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from relive.commands import add_taste_arguments, taste_from


def _pet(args: argparse.Namespace) -> None:
    from relive import imaging
    from relive.pet.catalog import load_catalog
    from relive.pet.souvenir import make_pet

    for path in (args.out, args.chart, args.card):
        if path:
            imaging.check_output_path(path)  # refuse a bad name before writing anything
    catalog = load_catalog(args.catalog)
    swaps = {"Head": args.head, "Face": args.face, "Torso": args.torso}
    pet = make_pet(taste_from(args), creature=args.creature, strategy="surprise" if args.surprise else "best",
                   seed=args.seed, swaps=swaps, catalog=catalog, size=args.size)
    imaging.save_image(pet.image, args.out)
    for image, path in ((pet.chart, args.chart), (pet.card, args.card)):
        if path:
            imaging.save_image(image, path)
    if args.json:
        print(json.dumps({"accessories": pet.accessories(catalog), "score": pet.match.score,
                          "strategy": pet.match.strategy, "explanation": pet.explanation}, indent=2))
    else:
        print("\n".join(pet.explanation))


def _pet_batch(args: argparse.Namespace) -> None:
    from relive.pet.batch import assign_csv
    from relive.pet.catalog import load_catalog

    catalog = load_catalog(args.catalog, check_images=False)  # matching needs no images
    report = assign_csv(args.users, args.out, catalog, top_n=args.top_n, skip_invalid=args.skip_invalid,
                        progress=not args.quiet)
    for problem in report.problems:
        print(f"relive: warning: {problem}", file=sys.stderr)
    print(f"assigned {report.users:,} users → {args.out}")


def _users(args: argparse.Namespace) -> None:
    from relive.pet.users import synthetic_users

    table, profiles = synthetic_users(args.n, args.seed)
    table.to_csv(args.out, index=False, float_format="%.3f")
    print(f"wrote {len(table):,} synthetic users → {args.out}")
    if args.analysis:
        _analyse(table, profiles, args)


def _analyse(table, profiles, args) -> None:
    from relive import genres
    from relive.pet.catalog import load_catalog
    from relive.pet.matcher import match_batch
    from relive.pet.users import analysis_figure, assignment_counts

    catalog = load_catalog(args.catalog, check_images=False)
    rows, _ = match_batch(table[list(genres.GENRES)].to_numpy(), catalog)
    counts = assignment_counts(rows, catalog)
    analysis_figure(table[list(genres.GENRES)].to_numpy(), profiles, counts, catalog).savefig(args.analysis)
    never = counts[counts == 0]
    print(f"analysis → {args.analysis}; accessories never chosen: {len(never)}" + (f" ({', '.join(never.index)})" if len(never) else ""))


def register(sub) -> None:
    """Add the PET subcommands to ``relive``'s subparsers."""
    pet = sub.add_parser("pet", help="dress a pet in the accessories that match your taste")
    add_taste_arguments(pet)
    pet.add_argument("--out", required=True, type=Path, help="pet image (.png keeps transparency)")
    pet.add_argument("--chart", type=Path, help="also write the taste chart here")
    pet.add_argument("--card", type=Path, help="also write the shareable card here")
    pet.add_argument("--creature", help="base creature by name (default: the first)")
    pet.add_argument("--surprise", action="store_true", help="random pick among the nearest accessories (KNN)")
    pet.add_argument("--seed", type=int, help="seed for --surprise")
    for slot in ("head", "face", "torso"):
        pet.add_argument(f"--{slot}", default="auto", help=f"{slot} accessory: auto, nothing or a name")
    pet.add_argument("--size", type=int, default=1024, help="pet image size in pixels (default 1024)")
    pet.add_argument("--catalog", type=Path, help="accessories.csv (default: the shipped one)")
    pet.add_argument("--json", action="store_true", help="print the result as JSON")
    pet.set_defaults(run=_pet)

    batch = sub.add_parser("pet-batch", help="assign accessories to every user of a CSV")
    batch.add_argument("--users", required=True, type=Path, help="CSV: UserID + genre columns (any order/subset)")
    batch.add_argument("--out", required=True, type=Path, help="CSV: UserID,Head,Torso,Face,Score")
    batch.add_argument("--catalog", type=Path, help="accessories.csv (FileName,Type,<18 genres>)")
    batch.add_argument("--top-n", type=int, default=10, help="accessories per slot combined (default 10)")
    batch.add_argument("--skip-invalid", action="store_true", help="write the valid rows, list the bad ones")
    batch.add_argument("--quiet", action="store_true", help="no progress bar")
    batch.set_defaults(run=_pet_batch)

    users = sub.add_parser("users", help="generate synthetic festival-goers (5 profile types)")
    users.add_argument("--n", type=int, default=100_000, help="how many (default 100000)")
    users.add_argument("--seed", type=int, default=42)
    users.add_argument("--out", required=True, type=Path, help="CSV: UserID + 18 genres")
    users.add_argument("--analysis", type=Path, help="also write a figure: PCA by profile, accessory use")
    users.add_argument("--catalog", type=Path, help="accessories.csv for the analysis")
    users.set_defaults(run=_users)
