"""The booth's light check over many avatars: each avatar fused into every shipped scene, per checkpoint.

Counts the (avatar, scene) pairs that pass :func:`relive.carousel.training.metrics.light_problems` (the person moves
toward the scene's light and ends no duller than copy-paste unless the scene is), with the mean move toward the
light and the mean chroma change, for copy-paste-free comparison of fusion checkpoints.

    python bench/carousel_light.py AVATAR.png [AVATAR.png …] [--checkpoint DIR …]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from relive.backends.fusion import load_fusion_model
from relive.carousel.backgrounds import list_backgrounds
from relive.carousel.training.metrics import fused_light_response, light_problems


def check(model, avatars: list[Path]) -> dict[str, float]:
    """Pass count, mean move toward the light (Lab) and mean chroma change over every avatar × scene."""
    passed, toward, chroma = 0, [], []
    for background in list_backgrounds():
        for avatar in avatars:
            _, response = fused_light_response(background, avatar, model)
            passed += not light_problems(response)
            toward.append(response["toward"])
            chroma.append(response["chroma_after"] - response["chroma_before"])
    return {"pairs": len(toward), "passed": passed, "toward": float(np.mean(toward)), "chroma": float(np.mean(chroma))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("avatars", type=Path, nargs="+", help="RGBA avatar cut-outs")
    parser.add_argument("--checkpoint", type=Path, action="append", help="fusion model folder (repeatable; "
                        "default: the shipped checkpoint)")
    args = parser.parse_args()
    print("| checkpoint | pairs passing | mean move toward the light (Lab) | mean chroma change |")
    print("|---|---:|---:|---:|")
    for checkpoint in args.checkpoint or [None]:
        figures = check(load_fusion_model(checkpoint), args.avatars)
        print(f"| {checkpoint or 'shipped'} | {figures['passed']} / {figures['pairs']} | {figures['toward']:+.1f} | "
              f"{figures['chroma']:+.1f} |", flush=True)


if __name__ == "__main__":
    main()
