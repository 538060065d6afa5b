"""Ready-made tastes for the Pet tab's preset buttons and ``relive pet --preset``."""

from __future__ import annotations

import numpy as np

from relive import genres
from relive.errors import UnknownName

PRESETS: dict[str, dict[str, float]] = {
    "Rocker": {"Rock": 1.0, "Punk": 0.6, "Indie": 0.4, "Social": 0.3},
    "Jazz cat": {"Jazz": 1.0, "Soul": 0.7, "Classical": 0.3, "Chill": 0.4},
    "Raver": {"Electronic": 1.0, "Social": 0.6, "Pop": 0.4, "Other": 0.2},
    "Reggae sunshine": {"Reggae": 1.0, "Chill": 0.7, "Food": 0.3, "Social": 0.3},
    "Hip-hop head": {"Hip-hop": 1.0, "Rap": 0.8, "Soul": 0.3, "Social": 0.3},
    "Folk wanderer": {"Folk": 1.0, "Indie": 0.6, "Chill": 0.4, "Art": 0.3},
    "Pop star": {"Pop": 1.0, "Social": 0.6, "Electronic": 0.3, "Comedy": 0.2},
    "Culture vulture": {"Classical": 0.9, "Art": 0.8, "Jazz": 0.4, "Comedy": 0.3},
}


def preset_vector(name: str) -> np.ndarray:
    """The 18 values of a ready-made taste, by its name (any case)."""
    for label, prefs in PRESETS.items():
        if label.lower() == name.strip().lower():
            return genres.from_mapping(prefs)
    raise UnknownName("preset", name, PRESETS)
