"""``relive collage``, ``relive train``, ``relive evaluate`` and ``relive fuse``: thin shells over the CAROUSEL."""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

from relive.errors import InvalidInput


def _collage(args: argparse.Namespace) -> None:
    from relive.carousel.collage import build_collages

    report = build_collages(args.sources, args.out, backend=args.backend, workers=args.workers, seed=args.seed,
                            val_fraction=args.val_fraction, min_person_fraction=args.min_person,
                            max_side=args.max_side, progress=not args.quiet)
    print(report.summary())
    if report.total == 0:
        raise InvalidInput("no usable person was found in those photos; give photos with a whole person in view")


def _train(args: argparse.Namespace) -> None:
    from relive.carousel.train import main

    code = main(args.options)
    if code:
        raise SystemExit(code)


def _evaluate(args: argparse.Namespace) -> None:
    from relive.carousel.baselines import BASELINES
    from relive.carousel.evaluate import evaluate, evaluate_pairs, heldout_people_pairs, markdown_table, write_report
    from relive.carousel.fuse import harmonise, load_fusion_model

    if args.data is None and not args.heldout:
        raise InvalidInput("give the data folder made by `relive collage`, or --heldout")
    methods = {**BASELINES, "model": partial(harmonise, load_fusion_model(args.checkpoint))}
    if args.heldout:
        results = evaluate_pairs(heldout_people_pairs(args.seed, variants=args.variants), methods,
                                 name="held-out people", progress=True)
    else:
        results = evaluate(args.data, methods, split=args.split, limit=args.limit)
    md, js = write_report(results, args.out)
    print(markdown_table(results) + f"\n→ {md}, {js}")


def _fuse(args: argparse.Namespace) -> None:
    from relive import imaging
    from relive.carousel.fuse import fuse, parse_position

    for path in (args.out, args.before):
        if path:
            imaging.check_output_path(path)
    result = fuse(args.background, args.avatar, position=parse_position(args.position) if args.position else None,
                  scale=args.scale, shadow=args.shadow, model_path=args.checkpoint)
    imaging.save_image(result.image, args.out)
    if args.before:
        imaging.save_image(result.composite, args.before)
    print(f"fused → {args.out}" + "".join(f"\nnote: {n}" for n in result.notices))


def register(sub) -> None:
    """Add the CAROUSEL subcommands to ``relive``'s subparsers."""
    collage = sub.add_parser("collage", help="build training collages from folders/zips of photos of people")
    collage.add_argument("sources", nargs="+", type=Path, help="folders, .zip archives or image files")
    collage.add_argument("--out", required=True, type=Path, help="data folder: collages/ + manifest.csv")
    collage.add_argument("--backend", default="mediapipe", help="person segmentation: mediapipe, rembg, detectron2")
    collage.add_argument("--workers", type=int, help="processes (default: all cores)")
    collage.add_argument("--seed", type=int, default=0)
    collage.add_argument("--val-fraction", type=float, default=0.1, help="share of source photos kept for validation")
    collage.add_argument("--min-person", type=float, default=0.02, help="skip persons smaller than this image share")
    collage.add_argument("--max-side", type=int, default=512, help="collage panels are at most this many pixels")
    collage.add_argument("--quiet", action="store_true", help="no progress bar")
    collage.set_defaults(run=_collage)

    train = sub.add_parser("train", add_help=False, help="train the fusion model (`relive train --help` lists options)")
    train.set_defaults(run=_train, passthrough=True)  # every option goes to relive.carousel.train's own parser

    evaluate = sub.add_parser("evaluate", help="PSNR/SSIM/MSE/fMSE of the model and the baselines")
    evaluate.add_argument("data", type=Path, nargs="?", help="data folder made by `relive collage`")
    evaluate.add_argument("--out", required=True, type=Path, help="folder for evaluation.md and evaluation.json")
    evaluate.add_argument("--checkpoint", type=Path, help="model folder (default: the shipped checkpoint)")
    evaluate.add_argument("--split", default="val", choices=["val", "train"])
    evaluate.add_argument("--limit", type=int, help="evaluate only the first N pairs")
    evaluate.add_argument("--heldout", action="store_true", help="real people never used in training, perturbed")
    evaluate.add_argument("--seed", type=int, default=0, help="perturbation seed for --heldout")
    evaluate.add_argument("--variants", type=int, default=12, help="perturbations per held-out person")
    evaluate.set_defaults(run=_evaluate)

    fuse = sub.add_parser("fuse", help="fuse an RGBA avatar into a festival photo")
    fuse.add_argument("background", type=Path, help="the festival photo (up to 4096 px)")
    fuse.add_argument("avatar", type=Path, help="the avatar cut-out: RGBA PNG with transparency")
    fuse.add_argument("--out", required=True, type=Path, help="the fused picture")
    fuse.add_argument("--position", help="X,Y: where the avatar's feet go, in background pixels")
    fuse.add_argument("--scale", type=float, help="avatar height as a share of the background height")
    fuse.add_argument("--shadow", action=argparse.BooleanOptionalAction, default=None, help="soft contact shadow")
    fuse.add_argument("--checkpoint", type=Path, help="model folder (default: the shipped checkpoint)")
    fuse.add_argument("--before", type=Path, help="also write the plain copy-paste, for comparison")
    fuse.set_defaults(run=_fuse)
