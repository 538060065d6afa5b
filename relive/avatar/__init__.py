"""The AVATAR: a photo and a music taste become a stylized festival avatar.

- :mod:`relive.avatar.framing` — the one visitor an avatar is made of: faces found, the main person chosen;
- :mod:`relive.avatar.prompt` — the genre → outfit wardrobe and the weighted prompt builder, kept within CLIP's
  77-token window as measured by CLIP's own tokenizer;
- :mod:`relive.avatar.stylize` — the offline looks (comic, sketch, pop-art, painted), and
  :mod:`relive.avatar.instant` — the ``instant`` generator that draws with them (registered on import);
- :mod:`relive.avatar.backdrops` — the festival backdrops behind a finished avatar;
- :mod:`relive.avatar.pipeline` — ``make_avatar``: photo → framed cut-out → generator → RGBA avatar;
- :mod:`relive.avatar.lora` — LoRA training for the SDXL generators;
- :mod:`relive.avatar.random_sdxl` (published SDXL shapes, random weights, for benches) and
  :mod:`relive.avatar.sample_people` (real and composed photos for tests and contact sheets).

The models themselves (generators, face attributes, segmentation) live in :mod:`relive.backends`. Nothing heavy is
imported here: each module loads its models lazily, on first use.
"""

from relive.avatar import instant  # noqa: F401 — registers the offline generator under its name, for every caller
