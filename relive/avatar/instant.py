"""The ``instant`` avatar generator: the offline looks of :mod:`relive.avatar.stylize` behind the generator contract.

It lives here, not in :mod:`relive.backends.generators`, because it draws with the avatar's own looks (a higher
layer than the backends); importing :mod:`relive.avatar` registers it in
:data:`relive.backends.generators.GENERATORS`, so every caller of an avatar function finds it by name.
"""

from __future__ import annotations

import importlib.util

from relive import imaging
from relive.backends import Availability
from relive.backends.generators import GENERATORS, Generator


@GENERATORS.register
class Instant(Generator):
    """The offline cartoon filter of :mod:`relive.avatar.stylize`: no weights, no diffusion, no prompt."""

    name = "instant"
    label = "instant (offline cartoon, no AI model)"
    size = 1024
    is_diffusion = False

    @classmethod
    def available(cls) -> Availability:
        """Always here when relive is: the looks need no weights (only the stylize module itself)."""
        found = importlib.util.find_spec("relive.avatar.stylize") is not None
        return Availability(found, "" if found else "relive.avatar.stylize is missing from this install")

    def _generate(self, image, prompt, negative, *, seed, genres, lora_scale, progress, hints):
        from relive.avatar.stylize import stylize  # imported on use: the registry stays cheap to import

        face = hints["face"] if hints["face"] is not None else "crop"  # "crop": where face_square_crop puts it
        result = stylize(image, genres, seed=seed, size=self.size, mask=hints["mask"], face=face, look=hints["style"])
        if progress:
            progress(1, 1, "stylize")
        return imaging.load_image(result, "RGB")
