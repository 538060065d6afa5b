"""The avatar prompt: the genre → outfit wardrobe, style presets, and a builder that stays within CLIP's window.

:func:`build_prompt` takes the user's music taste (a preference vector, ``{genre: value}``, ``"Rock=1,Punk=0.8"``
or genre names strongest first), keeps the top-2 genres, and dresses the person in at most 4 items from those
genres' wardrobes — at most one per body area, at least one from each genre, drawn by weight with a seeded numpy
Generator, so one seed always gives one outfit. The person is described only as far as :class:`Attributes` allow
(see :mod:`relive.avatar.attributes`): "prefer not to say" leaves a plain "person".

Weights: ``Prompt.positive`` is plain text, most important item first. SDXL's diffusers pipelines read
``(item:1.2)`` literally (the brackets and number become tokens of their own), so weights are not written there;
:meth:`Prompt.weighted` renders them for generators that parse them (A1111/ComfyUI syntax, or compel's).
Those parsers strip the syntax before tokenizing, so the plain prompt's token count holds for them too.

Token limit: SDXL's two text encoders read 77 CLIP tokens (BOS + 75 + EOS) and ignore the rest. The count comes
from CLIP's real BPE tokenizer (a ``transformers.CLIPTokenizer`` built from OpenAI's ``bpe_simple_vocab_16e6``
file exactly as OpenAI's ``SimpleTokenizer`` builds its vocabulary); the builder drops whole fragments, the least
important first, until the prompt fits — never a word in half. Where the vocabulary file is missing, a documented
over-estimate stands in (:func:`token_counter`).
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.util
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Literal, NamedTuple

import numpy as np

from relive import genres
from relive.avatar.attributes import Attributes, merge_choices
from relive.backends import FETCH_HINT, models_file
from relive.errors import InvalidGenres, InvalidInput, ModelUnavailable, UnknownName

log = logging.getLogger(__name__)

# --- the wardrobe ------------------------------------------------------------------------------------------------

AREAS: tuple[str, ...] = ("head", "face", "neck", "torso", "back", "hands", "legs", "feet")
# "back" is anything worn on the back or over a shoulder; "hands" covers what is held and what is on the wrists.


class OutfitItem(NamedTuple):
    genre: str
    text: str
    area: str
    weight: float  # how strongly it says the genre: drives the draw, the order, and the (item:w) emphasis


# Five items per genre: (text, body area, weight). Concrete, visible, festival-friendly, and free of words that
# would gender or age the person. Legs/feet items weigh less: a face-centred photo rarely shows them.
WARDROBE_ITEMS: Mapping[str, tuple[tuple[str, str, float], ...]] = MappingProxyType({
    "Comedy": (
        ("tilted checkered bowler hat", "head", 1.1),
        ("red foam clown nose", "face", 0.8),
        ("oversized polka-dot bow tie", "neck", 1.2),
        ("striped suspenders over a white shirt", "torso", 1.0),
        ("rubber chicken prop", "hands", 0.7),
    ),
    "Art": (
        ("black beret", "head", 1.2),
        ("round wire-rimmed glasses", "face", 0.8),
        ("long patterned silk scarf", "neck", 0.9),
        ("paint-splattered canvas smock", "torso", 1.1),
        ("wooden paint palette and brush", "hands", 1.0),
    ),
    "Chill": (
        ("woven straw sun hat", "head", 1.1),
        ("round tinted sunglasses", "face", 1.0),
        ("wooden bead necklace", "neck", 0.8),
        ("loose sage-green linen shirt", "torso", 1.0),
        ("iced drink in a mason jar", "hands", 0.8),
    ),
    "Food": (
        ("white chef's hat", "head", 1.1),
        ("bandana with a tiny taco print", "neck", 0.8),
        ("striped canvas apron", "torso", 1.2),
        ("dripping ice cream cone", "hands", 1.0),
        ("sneakers with a donut print", "feet", 0.6),
    ),
    "Social": (
        ("crown of bright daisies", "head", 1.1),
        ("glitter face gems", "face", 1.0),
        ("instant camera on a neck strap", "neck", 0.9),
        ("shimmering sequin jacket", "torso", 1.0),
        ("stack of colorful festival wristbands", "hands", 1.2),
    ),
    "Rock": (
        ("dark aviator sunglasses", "face", 0.9),
        ("black leather biker jacket", "torso", 1.3),
        ("spiked leather wristband", "hands", 0.9),
        ("ripped black skinny jeans", "legs", 0.7),
        ("scuffed black combat boots", "feet", 0.7),
    ),
    "Pop": (
        ("glossy star hair clips", "head", 0.9),
        ("pink heart-shaped sunglasses", "face", 1.1),
        ("sparkly choker with a star charm", "neck", 0.8),
        ("pastel holographic bomber jacket", "torso", 1.2),
        ("chunky platform sneakers", "feet", 0.7),
    ),
    "Soul": (
        ("deep burgundy velvet headwrap", "head", 1.1),
        ("layered gold chain necklace", "neck", 0.9),
        ("mustard wide-collar seventies shirt", "torso", 1.0),
        ("vintage chrome microphone", "hands", 1.0),
        ("flared brown corduroy trousers", "legs", 0.7),
    ),
    "Jazz": (
        ("black fedora hat", "head", 1.2),
        ("burgundy silk bow tie", "neck", 0.9),
        ("charcoal pinstripe waistcoat", "torso", 1.1),
        ("brass saxophone", "hands", 1.0),
        ("polished two-tone brogues", "feet", 0.6),
    ),
    "Electronic": (
        ("glowing neon LED visor", "face", 1.2),
        ("headphones around the neck", "neck", 1.1),
        ("reflective silver windbreaker", "torso", 1.0),
        ("neon glow-stick bracelets", "hands", 0.9),
        ("light-up high-top sneakers", "feet", 0.7),
    ),
    "Folk": (
        ("wide-brimmed felt hat", "head", 1.1),
        ("knitted wool scarf", "neck", 0.8),
        ("earth-toned plaid flannel shirt", "torso", 1.0),
        ("acoustic guitar slung over the back", "back", 1.1),
        ("worn leather lace-up boots", "feet", 0.7),
    ),
    "Reggae": (
        ("knitted red-gold-green beanie", "head", 1.0),
        ("round retro sunglasses", "face", 0.9),
        ("lion pendant on a leather cord", "neck", 0.9),
        ("loose red-gold-green striped shirt", "torso", 1.1),
        ("wooden bead bracelets", "hands", 0.8),
    ),
    "Hip-hop": (
        ("flat-brim snapback cap", "head", 1.1),
        ("chunky gold chain", "neck", 1.0),
        ("oversized graphic hoodie", "torso", 1.2),
        ("retro boombox on the shoulder", "back", 0.8),
        ("crisp white high-top sneakers", "feet", 0.8),
    ),
    "Punk": (
        ("spiky neon green mohawk", "head", 1.1),
        ("studded choker", "neck", 1.0),
        ("studded leather jacket covered in patches", "torso", 1.3),
        ("red tartan trousers with safety pins", "legs", 0.9),
        ("oxblood lace-up boots", "feet", 0.7),
    ),
    "Rap": (
        ("black bucket hat", "head", 1.0),
        ("rectangular tinted sunglasses", "face", 0.9),
        ("silver pendant on a rope chain", "neck", 1.0),
        ("velour tracksuit jacket", "torso", 1.1),
        ("gold handheld microphone", "hands", 1.0),
    ),
    "Classical": (
        ("thin gold-rimmed spectacles", "face", 0.8),
        ("pearl brooch at the collar", "neck", 0.9),
        ("black tailcoat", "torso", 1.2),
        ("violin case on the back", "back", 0.9),
        ("conductor's baton", "hands", 1.1),
    ),
    "Indie": (
        ("slouchy mustard knitted beanie", "head", 1.0),
        ("round tortoiseshell glasses", "face", 1.0),
        ("thrifted brown corduroy jacket", "torso", 1.1),
        ("canvas tote bag covered in enamel pins", "back", 0.9),
        ("scuffed canvas high-tops", "feet", 0.7),
    ),
    "Other": (
        ("headband with a geometric print", "head", 0.9),
        ("kaleidoscope-lens sunglasses", "face", 1.0),
        ("patchwork denim jacket", "torso", 1.1),
        ("rainbow friendship bracelets", "hands", 0.9),
        ("small fringed crossbody bag", "back", 0.7),
    ),
})
NEUTRAL_GENRE = "festival"  # the all-zero taste: a plain festival outfit, not an error
NEUTRAL_ITEMS: tuple[tuple[str, str, float], ...] = (
    ("canvas bucket hat", "head", 0.9),
    ("classic black sunglasses", "face", 1.0),
    ("bandana around the neck", "neck", 0.8),
    ("light denim jacket", "torso", 1.1),
    ("festival wristband", "hands", 1.0),
)
MAX_ITEMS = 4


@lru_cache(maxsize=None)
def wardrobe(genre: str) -> tuple[OutfitItem, ...]:
    """A genre's items (canonical name, loosely matched) or the neutral festival outfit for ``"festival"``."""
    if genre == NEUTRAL_GENRE:
        return tuple(OutfitItem(NEUTRAL_GENRE, *item) for item in NEUTRAL_ITEMS)
    name = genres.canonical_genre(genre)
    return tuple(OutfitItem(name, *item) for item in WARDROBE_ITEMS[name])


def wardrobe_problems() -> list[str]:
    """Everything wrong with the wardrobe data (for tests and for whoever edits it); empty when all is well."""
    problems = []
    if set(WARDROBE_ITEMS) != set(genres.GENRES):
        differ = sorted(set(WARDROBE_ITEMS) ^ set(genres.GENRES))
        problems.append(f"wardrobe genres differ from relive.genres.GENRES: {differ}")
    for genre, items in [*WARDROBE_ITEMS.items(), (NEUTRAL_GENRE, NEUTRAL_ITEMS)]:
        if len(items) != 5:
            problems.append(f"{genre} has {len(items)} items, not 5")
        if len({area for _, area, _ in items}) != len(items):  # so one item per area never starves a genre
            problems.append(f"{genre} has two items for one body area")
        for text, area, weight in items:
            if area not in AREAS:
                problems.append(f"{genre}: {text!r} has area {area!r}, not one of {', '.join(AREAS)}")
            if not 0 < weight <= 2:
                problems.append(f"{genre}: {text!r} has weight {weight}, outside (0, 2]")
            if "," in text or not text.strip() or text != text.strip():  # commas separate prompt fragments
                problems.append(f"{genre}: {text!r} must be one trimmed phrase without commas")
    return problems


# --- style presets -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StylePreset:
    name: str
    label: str  # for the UI
    lead: str  # opens the prompt; never dropped
    qualifiers: tuple[str, ...]  # most important first; the last ones go first when tokens run short
    negative: str  # added to the shared negative prompt
    offline: bool = False  # the instant generator draws it too (relive.avatar.stylize.OFFLINE_LOOKS), no model


STYLES: Mapping[str, StylePreset] = MappingProxyType({s.name: s for s in (
    StylePreset(
        "anime", "Anime (cel-shaded)", "anime style cel-shaded illustration",
        ("clean line art", "vibrant flat colors", "soft rim light"),
        "photorealistic, photo, 3d render, realistic skin texture, painterly",
    ),
    StylePreset(
        "comic", "Comic book", "comic book illustration",
        ("bold ink outlines", "halftone shading", "dynamic pose"),
        "photorealistic, photo, 3d render, soft focus, watercolor, anime",
        offline=True,
    ),
    StylePreset(
        "sketch", "Ink sketch", "ink sketch illustration",
        ("expressive pen and ink lines", "light pencil shading", "pale watercolor wash on paper"),
        "photorealistic, photo, 3d render, saturated colors, heavy shading, neon colors",
        offline=True,
    ),
    StylePreset(
        "pop-art", "Pop-art poster", "pop art poster portrait",
        ("bold flat colors", "halftone dots", "thick black outlines"),
        "photorealistic, photo, 3d render, muted colors, soft gradients, watercolor",
        offline=True,
    ),
    StylePreset(
        "painted", "Painted", "impressionist oil painting portrait",
        ("visible brush strokes", "rich warm colors", "soft painterly light"),
        "photo, photorealistic, 3d render, flat colors, line art, anime",
        offline=True,
    ),
    StylePreset(
        "watercolor", "Watercolor", "watercolor illustration",
        ("soft color washes", "visible paper texture", "loose brush strokes"),
        "photorealistic, photo, 3d render, hard outlines, neon colors, digital art",
    ),
    StylePreset(
        "3d-toy", "3D toy figure", "3d vinyl toy figure",
        ("cute chibi proportions", "glossy plastic", "soft studio lighting"),
        "photo, realistic skin, flat 2d illustration, sketch, line art, grainy",
    ),
    StylePreset(
        "pixel-art", "Pixel art", "pixel art character sprite",
        ("16-bit style", "crisp pixels", "limited color palette"),
        "blurry, smooth gradients, photorealistic, photo, 3d render, anti-aliasing",
    ),
)})
DEFAULT_STYLE = "anime"
DEFAULT_OFFLINE_STYLE = "comic"  # the instant generator's default look
SHARED_NEGATIVE = ("nsfw, nudity, deformed hands, extra fingers, extra limbs, missing limbs, bad anatomy, "
                   "distorted face, blurry, lowres, text, watermark, logo, signature")
# Helps the background removal that follows generation; kept until only the essentials remain.
BACKDROP = "plain white background"


def style_names() -> list[str]:
    return list(STYLES)


def style_choices(offline: bool = False) -> list[tuple[str, str]]:
    """(label, name) pairs for a UI choice, default style first; ``offline``: only the styles the instant
    generator draws (its default first)."""
    if offline:
        names = [DEFAULT_OFFLINE_STYLE, *(n for n, p in STYLES.items() if p.offline and n != DEFAULT_OFFLINE_STYLE)]
        return [(STYLES[name].label, name) for name in names]
    return [(preset.label, name) for name, preset in STYLES.items()]


def style_preset(name: str) -> StylePreset:
    """A style by name ("3D toy", "3d_toy" and "3d-toy" are one); unknown → UnknownName listing the styles."""
    key = "-".join(str(name).strip().lower().replace("_", " ").split())
    if key not in STYLES:
        raise UnknownName("style", name, STYLES)
    return STYLES[key]


# --- token counting ------------------------------------------------------------------------------------------------

CLIP_MAX_TOKENS = 77  # BOS + 75 + EOS: what SDXL's text encoders read
CLIP_VOCAB_FILE = "bpe_simple_vocab_16e6.txt.gz"
CLIP_VOCAB_SHA256 = "924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a"
# Packages whose wheels ship OpenAI's vocabulary next to their code (open_clip_torch, clip-anytorch/openai-clip).
# They import torchvision, so only their folders are looked up, never imported.
CLIP_VOCAB_PACKAGES = ("open_clip", "clip")
VOCAB_HINT = (f"{FETCH_HINT}: it takes the file from the open_clip_torch wheel into the models folder; or set "
              f"RELIVE_MODELS to a folder that holds {CLIP_VOCAB_FILE}")


def clip_vocab_path() -> Path | None:
    """OpenAI's BPE merges file: in the models folder, else inside an installed CLIP package; None if nowhere."""
    candidates = [models_file(CLIP_VOCAB_FILE)]
    for package in CLIP_VOCAB_PACKAGES:
        try:
            spec = importlib.util.find_spec(package)  # top-level: locates the folder, runs no package code
        except (ImportError, ValueError):
            spec = None
        for folder in (spec.submodule_search_locations or []) if spec else []:
            candidates.append(Path(folder) / CLIP_VOCAB_FILE)
    return next((path for path in candidates if path.is_file()), None)


def bytes_to_unicode() -> dict[int, str]:
    """OpenAI's reversible byte → printable-character table (CLIP's ``simple_tokenizer.bytes_to_unicode``)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    chars = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            chars.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, chars), strict=True))


def clip_vocabulary(path: Path) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """CLIP's token → id table and merges, built from the merges file exactly as ``SimpleTokenizer`` does:
    256 byte symbols, the same with ``</w>``, one token per merge (48,894), then the two special tokens."""
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != CLIP_VOCAB_SHA256:
        raise ModelUnavailable(f"{path} is not OpenAI's {CLIP_VOCAB_FILE} (sha256 differs); delete it and {VOCAB_HINT}")
    lines = gzip.decompress(data).decode("utf-8").split("\n")
    merges = [tuple(line.split()) for line in lines[1:49152 - 256 - 2 + 1]]
    symbols = list(bytes_to_unicode().values())
    tokens = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges]
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    return {token: i for i, token in enumerate(tokens)}, merges


@lru_cache(maxsize=1)
def clip_tokenizer():
    """A ``transformers.CLIPTokenizer`` (the class SDXL's pipelines use) over OpenAI's vocabulary; built once.

    Raises :class:`ModelUnavailable` naming the install step when the vocabulary file is nowhere to be found.
    """
    path = clip_vocab_path()
    if path is None:
        raise ModelUnavailable(f"CLIP's tokenizer vocabulary {CLIP_VOCAB_FILE} is missing; {VOCAB_HINT}")
    from transformers import CLIPTokenizer

    vocab, merges = clip_vocabulary(path)
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=CLIP_MAX_TOKENS)


_WORDS = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|[^\s\w]+|_+")


def estimate_tokens(text: str) -> int:
    """An over-estimate of CLIP's count, for when the vocabulary is missing: every letter run costs one token per
    started 3 letters (CLIP averages ~5 letters per token on English), every digit and symbol run as CLIP splits
    them, plus BOS and EOS. Tests check it never under-counts any prompt this module builds."""
    count = 2
    for piece in _WORDS.findall(text.lower()):
        count += math.ceil(len(piece) / 3) if piece[0].isalpha() else len(piece)
    return count


@lru_cache(maxsize=1)
def token_counter() -> Literal["clip", "estimate"]:
    """Which counter :func:`count_tokens` uses: the real CLIP tokenizer, or the over-estimate if it is missing."""
    try:
        clip_tokenizer()
        return "clip"
    except ModelUnavailable as err:
        log.warning("counting prompt tokens with a conservative estimate: %s", err)
        return "estimate"


def count_tokens(text: str) -> int:
    """CLIP tokens in ``text``, BOS and EOS included (a prompt fits SDXL when this is ≤ 77)."""
    if token_counter() == "clip":
        return len(clip_tokenizer()(text, truncation=False, verbose=False)["input_ids"])
    return estimate_tokens(text)


# --- the prompt ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Prompt:
    """A built prompt: ``positive``/``negative`` text, the outfit ``items`` (genre, area, weight), the top-2
    ``genres`` used (empty for the neutral outfit), the ``style``, the ``person`` phrase, the token counts and
    which ``counter`` measured them, and the ``dropped`` fragments that did not fit."""

    positive: str
    negative: str
    items: tuple[OutfitItem, ...]
    genres: tuple[str, ...]
    style: str
    seed: int
    person: str
    token_count: int
    negative_token_count: int
    counter: str
    dropped: tuple[str, ...] = ()

    def weighted(self, syntax: Literal["a1111", "compel"] = "a1111") -> str:
        """``positive`` with item weights written for a generator that parses them: A1111/ComfyUI ``(item:1.2)``
        or compel ``(item)1.2``. Weight 1.0 is left plain."""
        if syntax not in ("a1111", "compel"):
            raise UnknownName("weight syntax", syntax, ("a1111", "compel"))
        text = self.positive
        for item in self.items:
            if item.weight != 1.0 and item.text in text:
                mark = f"({item.text}:{item.weight:g})" if syntax == "a1111" else f"({item.text}){item.weight:g}"
                text = re.sub(rf"(?<![\w(]){re.escape(item.text)}(?![\w)])", lambda _, mark=mark: mark, text, count=1)
        return text


PromptSource = np.ndarray | Sequence[float] | Sequence[str] | Mapping[str, float] | str | None


def build_prompt(vector_or_top_genres: PromptSource, *, attributes: Attributes | Mapping[str, str] | None = None,
                 style: str = DEFAULT_STYLE, seed: int = 0) -> Prompt:
    """The avatar prompt for a music taste, a person and a style; the same inputs and seed give the same prompt.

    ``vector_or_top_genres``: an 18-value preference vector, ``{genre: value}``, ``"Rock=1,Punk=0.8"``, or genre
    names strongest first; only the top two genres dress the avatar. No genre above 0 gives a neutral festival
    outfit. ``attributes``: :class:`Attributes` (detected, merged with the user's choices) or the user's choices
    as ``{"gender": …, "age_group": …, "skin_tone": …}``; None describes a plain "person".
    """
    preset = style_preset(style)
    seed = _check_seed(seed)
    top = top_two(vector_or_top_genres)
    person = describe_person(_as_attributes(attributes))
    items = choose_outfit(top, np.random.default_rng(seed))
    fragments = prompt_fragments(preset, person, items, [g for g, _ in top])
    positive, dropped = fit_to_window(fragments)
    negative = f"{SHARED_NEGATIVE}, {preset.negative}"
    return Prompt(
        positive=positive,
        negative=negative,
        items=tuple(i for i in items if i.text not in dropped),
        genres=tuple(g for g, _ in top),
        style=preset.name,
        seed=seed,
        person=person,
        token_count=count_tokens(positive),
        negative_token_count=count_tokens(negative),
        counter=token_counter(),
        dropped=tuple(dropped),
    )


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InvalidInput("seed={seed!r} is not usable; give a whole number ≥ 0", seed=seed)
    return int(seed)


def top_two(source: PromptSource) -> list[tuple[str, float]]:
    """The two strongest genres with their strength (``[]`` when none is above 0), strongest first."""
    if source is None:
        return []
    if isinstance(source, str):
        vec = genres.parse(source)
    elif isinstance(source, Mapping):
        vec = genres.from_mapping(source)
    elif len(source) and all(isinstance(g, str) for g in source):
        names = list(dict.fromkeys(genres.canonical_genre(g) for g in source))  # repeated names count once
        return [(name, 1.0) for name in names[:2]]
    elif len(source) == 0:
        return []
    else:
        vec = genres.validate(source)
        if vec.ndim != 1:
            raise InvalidGenres("one person's taste is a single vector of {count} values, got shape {shape}",
                                count=genres.N_GENRES, shape=vec.shape)
    return [(g, float(vec[genres.GENRES.index(g)])) for g in genres.top_genres(vec, k=2)]


def _as_attributes(attributes: Attributes | Mapping[str, str] | None) -> Attributes | None:
    if attributes is None or isinstance(attributes, Attributes):
        return attributes
    return merge_choices(None, **dict(attributes))  # validates the user's words against the UI choices


def choose_outfit(top: list[tuple[str, float]], rng: np.random.Generator,
                  max_items: int = MAX_ITEMS) -> list[OutfitItem]:
    """At most ``max_items`` items, one per body area: first one from each genre (strongest genre first), then
    the rest drawn from both wardrobes, each item's chance ∝ its weight × its genre's strength. Returned most
    important (heaviest) first."""
    strengths = dict(top) if top else {NEUTRAL_GENRE: 1.0}
    pool = [item for genre in strengths for item in wardrobe(genre)]
    chosen: list[OutfitItem] = []
    for genre in strengths:  # both genres must show in the outfit
        _draw(rng, [i for i in pool if i.genre == genre], chosen, strengths)
    while len(chosen) < max_items and _draw(rng, pool, chosen, strengths):
        pass
    return sorted(chosen, key=lambda item: -item.weight)  # stable: ties keep the order they were drawn in


def _draw(rng: np.random.Generator, candidates: list[OutfitItem], chosen: list[OutfitItem],
          strengths: Mapping[str, float]) -> bool:
    """Add one weighted pick from ``candidates`` whose area is still free; False when none is left."""
    taken = {item.area for item in chosen}
    free = [item for item in candidates if item.area not in taken and item not in chosen]
    if not free:
        return False
    weights = np.array([item.weight * max(strengths[item.genre], 1e-6) for item in free])
    chosen.append(free[rng.choice(len(free), p=weights / weights.sum())])
    return True


_ARTICLE_AN = ("a", "e", "i", "o", "u")
PERSON_WORDS: Mapping[str | None, Mapping[str, str]] = MappingProxyType({
    # age group → gender → noun phrase; neutral words wherever the user gave no gender
    None: {"woman": "woman", "man": "man", "person": "person"},
    "child": {"woman": "girl", "man": "boy", "person": "child"},
    "teen": {"woman": "teenage girl", "man": "teenage boy", "person": "teenager"},
    "young adult": {"woman": "young woman", "man": "young man", "person": "young adult"},
    "adult": {"woman": "woman", "man": "man", "person": "adult"},
    "senior": {"woman": "older woman", "man": "older man", "person": "older person"},
})


def describe_person(attrs: Attributes | None) -> str:
    """'a young woman', 'an older person with medium-dark skin', or 'a person' when nothing may be said."""
    attrs = attrs or Attributes()
    if attrs.age_group not in PERSON_WORDS:
        raise UnknownName("age group", str(attrs.age_group), [g for g in PERSON_WORDS if g])
    gender = attrs.gender if attrs.gender in ("woman", "man") else "person"
    noun = PERSON_WORDS[attrs.age_group][gender]
    phrase = f"{'an' if noun.startswith(_ARTICLE_AN) else 'a'} {noun}"
    return f"{phrase} with {attrs.skin_tone} skin" if attrs.skin_tone else phrase


class Fragment(NamedTuple):
    text: str
    keep: float  # higher stays longer; math.inf is never dropped


def prompt_fragments(preset: StylePreset, person: str, items: list[OutfitItem],
                     genre_names: list[str]) -> list[Fragment]:
    """The prompt in reading order, each piece with how hard it holds on: the style lead, the person and the
    heaviest item are essential; then the backdrop, the other items by weight, the genre hint, the qualifiers."""
    hint = f"{' and '.join(genre_names)} music festival look" if genre_names else "music festival look"
    pieces = [Fragment(f"{preset.lead} of {person}", math.inf)]
    pieces += [Fragment(item.text, math.inf if i == 0 else 2 + item.weight) for i, item in enumerate(items)]
    pieces.append(Fragment(hint, 1.5))
    pieces += [Fragment(q, 1 - i / 10) for i, q in enumerate(preset.qualifiers)]
    pieces.append(Fragment(BACKDROP, 4))
    return pieces


def fit_to_window(fragments: list[Fragment], limit: int = CLIP_MAX_TOKENS) -> tuple[str, list[str]]:
    """Join the fragments with commas, dropping the least-held whole fragments until the CLIP count is within
    ``limit``; returns the text and what was dropped. Essentials that alone do not fit are an error."""
    kept = list(fragments)
    dropped: list[str] = []
    while count_tokens(text := ", ".join(f.text for f in kept)) > limit:
        weakest = min(range(len(kept)), key=lambda i: (kept[i].keep, -i))  # ties: drop the later one
        if kept[weakest].keep == math.inf:
            raise InvalidInput("the essential prompt ({tokens} tokens) exceeds CLIP's {limit}; shorten the style "
                               "lead or the person description", tokens=count_tokens(text), limit=limit)
        dropped.append(kept.pop(weakest).text)
    return text, dropped
