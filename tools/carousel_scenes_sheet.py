"""Before/after sheet of the example avatar fused into every shipped scene: ``docs/carousel_scenes.png``.

One row per scene: copy-paste (before) and fused (after), with the booth's check written under it (how far the
person moved toward the scene's light, chroma before → after; see relive.carousel.training.metrics.light_response).

    python tools/carousel_scenes_sheet.py [--model CHECKPOINT] [--avatar PNG] [--out docs/carousel_scenes.png]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from relive.carousel.backgrounds import list_backgrounds
from relive.backends.fusion import load_fusion_model
from relive.carousel.training.metrics import fused_light_response, light_problems

CELL_HEIGHT = 300
LABEL_HEIGHT = 40
INK, PAPER, BAD = (30, 24, 40), (255, 250, 242), (180, 20, 20)


def scene_row(background, avatar: Image.Image, model) -> tuple[Image.Image, str, bool]:
    """Before | after for one scene, its caption and whether the booth's check passed."""
    result, response = fused_light_response(background, avatar, model)
    problems = light_problems(response)
    width = round(result.image.width * CELL_HEIGHT / result.image.height)
    pair = Image.new("RGB", (2 * width, CELL_HEIGHT))
    pair.paste(result.composite.resize((width, CELL_HEIGHT), Image.LANCZOS), (0, 0))
    pair.paste(result.image.resize((width, CELL_HEIGHT), Image.LANCZOS), (width, 0))
    caption = (f"{background.title}: toward the light {response['toward']:+.1f} Lab, chroma "
               f"{response['chroma_before']:.1f} -> {response['chroma_after']:.1f} (scene {response['scene_chroma']:.1f})"
               + (f"\nFAILS: {'; '.join(problems)}" if problems else "  ok"))
    return pair, caption, not problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, help="fusion model folder (default: the shipped checkpoint)")
    parser.add_argument("--avatar", type=Path, default=ROOT / "assets" / "examples" / "avatar-astronaut.png")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "carousel_scenes.png")
    args = parser.parse_args(argv)
    model, avatar = load_fusion_model(args.model), Image.open(args.avatar)
    rows = [scene_row(background, avatar, model) for background in list_backgrounds()]
    width = max(pair.width for pair, _, _ in rows)
    sheet = Image.new("RGB", (width, LABEL_HEIGHT + len(rows) * (CELL_HEIGHT + LABEL_HEIGHT)), PAPER)
    draw = ImageDraw.Draw(sheet)
    draw.text((8, 8), "before (copy-paste) | after (fused)", fill=INK)
    y = LABEL_HEIGHT
    for pair, caption, ok in rows:
        sheet.paste(pair, (0, y))
        draw.multiline_text((8, y + CELL_HEIGHT + 4), caption, fill=INK if ok else BAD)
        y += CELL_HEIGHT + LABEL_HEIGHT
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, optimize=True)
    print(f"{args.out}: {sum(ok for _, _, ok in rows)} / {len(rows)} scenes pass the scene-light check")
    return 0


if __name__ == "__main__":
    sys.exit(main())
