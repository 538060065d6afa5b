"""``relive collage``, ``relive train``, ``relive evaluate`` and ``relive fuse``: thin shells over the CAROUSEL."""

from __future__ import annotations

import argparse
from functools import partial
from pathlib import Path

from relive.errors import InvalidInput


def _collage(args: argparse.Namespace) -> None:
    from relive.carousel.training.collage import build_collages

    report = build_collages(args.sources, args.out, backend=args.backend, workers=args.workers, seed=args.seed,
                            val_fraction=args.val_fraction, min_person_fraction=args.min_person,
                            max_side=args.max_side, progress=not args.quiet)
    print(report.summary())
    if report.total == 0:
        raise InvalidInput("no usable person was found in those photos; give photos with a whole person in view")


def train_config_from(args: argparse.Namespace):
    """The :class:`~relive.carousel.training.config.TrainConfig` that ``relive train``'s flags describe."""
    from dataclasses import fields

    from relive.carousel.training.config import TrainConfig

    return TrainConfig(**{f.name: getattr(args, f.name) for f in fields(TrainConfig)})


def _train(args: argparse.Namespace) -> None:
    import json
    import logging

    from relive.carousel.training.trainer import train

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    result = train(train_config_from(args))
    print(json.dumps({"out": str(result.out_dir), "steps": result.step, "best_fmse": round(result.best_fmse, 2),
                      "best_step": result.best_step, "copy_paste_fmse": result.copy_paste_fmse,
                      "minutes": round(result.elapsed_s / 60, 1), "stopped_because": result.stopped_because}))


TRAIN_HELP = {
    "data": "folder made by `relive collage` (collages/ + manifest.csv)",
    "out": "run folder: checkpoints, best/, last/, samples/, log.jsonl, curves.png",
    "arch": "compact (CPU-friendly, shipped) or resnet50-transformer (the brief's architecture)",
    "widths": "compact encoder widths, e.g. 24,48,96,192",
    "resnet_weights": "torchvision-format ResNet-50 .pth to start the resnet50-transformer encoder from",
    "init_from": "model folder to fine-tune: its weights and config, with a new optimizer and schedule",
    "max_minutes": "wall-clock budget; the cosine schedule is fitted to it",
    "vgg_weights": "torchvision-format VGG16 .pth for the perceptual term (else 1 − SSIM is used)",
    "resume": "'auto' (= <out>/last if present) or a checkpoint folder",
    "threads": "torch CPU threads (default: all cores; 1 is faster on a busy machine)",
    "photo_fraction": "probability of drawing a photo-derived pair instead of a rendered scene (e.g. 0.5)",
    "zoom": "share of training items cropped close around the person (needs --train-size)",
    "tone": "share of training items given one random gamma/contrast as a whole (needs --train-size)",
    "soften": "share of training items whose perturbation is weakened, a fifth of them to none (needs --train-size)",
    "encoder": "resnet50-transformer's encoder: resnet50 or efficientnet-lite0 (starts from its ImageNet weights)",
    "perceptual": "perceptual loss term: ssim (structural) or efficientnet (ImageNet EfficientNet-Lite0 features)",
    "scene_light": "share of training items lit by a coloured scene light with the person pasted unlit, the booth's "
                   "case (needs --train-size)",
    "cartoon": "share of training items whose person is drawn in the instant avatars' flat cel colours, pasted "
               "as drawn (needs --train-size)",
    "freeze_norm": "keep the BatchNorm statistics of the starting weights (fine-tuning on another mix)",
    "grey": "share of training items turned black-and-white as a whole: no colour to add to a grey photo "
            "(needs --train-size)",
    "train_size": "downscale each crop to this size before the model (e.g. --crop 512 --train-size 256)",
    "mixed_precision": "auto = fp16 on CUDA, none on CPU; or no/fp16/bf16",
}


def _int_tuple(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}") from None


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """One flag per :class:`~relive.carousel.training.config.TrainConfig` field, its default shown."""
    from dataclasses import fields

    from relive.carousel.training.config import TrainConfig

    defaults = TrainConfig()
    for f in fields(TrainConfig):
        flag, default, text = "--" + f.name.replace("_", "-"), getattr(defaults, f.name), TRAIN_HELP.get(f.name, "")
        if isinstance(default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default, help=text)
        elif f.name == "widths":
            parser.add_argument(flag, type=_int_tuple, default=None, help=text)
        else:
            kind = int if f.type.startswith("int") else float if f.type.startswith("float") else str
            parser.add_argument(flag, type=kind, default=default, help=text,
                                choices=["compact", "resnet50-transformer"] if f.name == "arch" else None)


def model_labels(checkpoints: list) -> list[str]:
    """The report's name of each checkpoint: "model" alone, else "model:" + the shortest tail of its path that
    tells it from the others (runs/a/last and runs/b/last are a/last and b/last, not two "last" rows in one)."""
    if len(checkpoints) == 1:
        return ["model"]
    parts = [Path(path).parts for path in checkpoints]
    for depth in range(1, max(map(len, parts)) + 1):
        tails = ["/".join(p[-depth:]) for p in parts]
        if len(set(tails)) == len(tails):
            return [f"model:{tail}" for tail in tails]
    raise InvalidInput("the same checkpoint is given twice; give each --checkpoint once")


def _evaluate(args: argparse.Namespace) -> None:
    from relive.carousel.training.baselines import BASELINES
    from relive.carousel.training.evaluate import evaluate, evaluate_pairs, heldout_people_pairs, markdown_table, write_report
    from relive.backends.fusion import load_fusion_model
    from relive.carousel.fuse import harmonise
    from relive.carousel.training.perturb import SCENE_LIGHTS

    if args.data is None and not args.heldout:
        raise InvalidInput("give the data folder made by `relive collage`, or --heldout")
    checkpoints = args.checkpoint or [None]
    models = {label: partial(harmonise, load_fusion_model(path))
              for label, path in zip(model_labels(checkpoints), checkpoints)}
    methods = {**(BASELINES if args.baselines else {"copy_paste": BASELINES["copy_paste"]}), **models}
    if args.heldout:
        lights = [name.strip() for name in args.scene_lights.split(",") if name.strip()]
        unknown = sorted(set(lights) - set(SCENE_LIGHTS))
        if unknown:
            raise InvalidInput(f"unknown scene light {', '.join(unknown)}; use some of {', '.join(SCENE_LIGHTS)}")
        pairs = heldout_people_pairs(args.seed, variants=args.variants, scene_lights=lights)
        results = evaluate_pairs(pairs, methods,
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

    train = sub.add_parser("train", help="train the fusion model (one CPU, a GPU, or `accelerate launch -m relive train`)",
                           description="Train (or resume) the CAROUSEL fusion model; see relive.carousel.training.trainer.",
                           formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    add_train_arguments(train)
    train.set_defaults(run=_train)

    evaluate = sub.add_parser("evaluate", help="PSNR/SSIM/MSE/fMSE of the model and the baselines")
    evaluate.add_argument("data", type=Path, nargs="?", help="data folder made by `relive collage`")
    evaluate.add_argument("--out", required=True, type=Path, help="folder for evaluation.md and evaluation.json")
    evaluate.add_argument("--checkpoint", type=Path, action="append",
                          help="model folder (default: the shipped checkpoint); repeat it to compare models")
    evaluate.add_argument("--baselines", action=argparse.BooleanOptionalAction, default=True,
                          help="also score Reinhard transfer and Poisson blending (copy-paste is always scored)")
    evaluate.add_argument("--split", default="val", choices=["val", "train"])
    evaluate.add_argument("--limit", type=int, help="evaluate only the first N pairs")
    evaluate.add_argument("--heldout", action="store_true", help="real people never used in training, perturbed")
    evaluate.add_argument("--seed", type=int, default=0, help="perturbation seed for --heldout")
    evaluate.add_argument("--variants", type=int, default=12, help="perturbations per held-out person")
    from relive.carousel.training.perturb import SCENE_LIGHTS

    evaluate.add_argument("--scene-lights", default=",".join(SCENE_LIGHTS),
                          help="comma-separated scene lights for --heldout: the scene lit, the person pasted unlit "
                               "(empty: none)")
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
