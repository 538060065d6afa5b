"""The AVATAR: a photo and a music taste become a stylized festival avatar.

- :mod:`relive.backends.attributes` — face-attribute backends (gender presentation, age group) behind a registry,
  and the user's choices merged over what was detected (the user has the last word).
- :mod:`relive.avatar.prompt` — the genre → outfit wardrobe and the weighted prompt builder, kept within CLIP's
  77-token window as measured by CLIP's own tokenizer.

Nothing heavy is imported here: each module loads its models lazily, on first use.
"""

from relive.avatar import instant  # noqa: F401 — registers the offline generator under its name, for every caller
