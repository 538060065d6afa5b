"""relive.genres: the 18 genres, parsing, validation and column mapping of preference vectors."""

import copy
import math

import numpy as np
import pytest

from relive import genres
from relive.errors import InvalidGenres, InvalidInput
from relive.genres import GENRES, N_GENRES

CANONICAL = ("Comedy", "Art", "Chill", "Food", "Social", "Rock", "Pop", "Soul", "Jazz",
             "Electronic", "Folk", "Reggae", "Hip-hop", "Punk", "Rap", "Classical", "Indie", "Other")


def vec(**values):
    """An 18-vector from keyword genres (``Hip_hop`` for Hip-hop)."""
    out = np.zeros(N_GENRES)
    for name, value in values.items():
        out[GENRES.index(genres.canonical_genre(name))] = value
    return out


def nonzero(v):
    return {g: float(x) for g, x in zip(GENRES, v) if x}


# --- the genre list ------------------------------------------------------------------------------------------

def test_canonical_order_and_count():
    assert GENRES == CANONICAL
    assert N_GENRES == 18


def test_invalid_genres_is_a_user_error():
    assert issubclass(InvalidGenres, InvalidInput)
    assert issubclass(InvalidGenres, ValueError)


# --- parse ---------------------------------------------------------------------------------------------------

def test_parse_equals_sign():
    v = genres.parse("Rock=1,Punk=0.8")
    assert v.shape == (18,) and v.dtype == np.float64
    assert nonzero(v) == {"Rock": 1.0, "Punk": 0.8}


def test_parse_colon_separator():
    assert nonzero(genres.parse("Rock:0.5,Jazz:0.25")) == {"Rock": 0.5, "Jazz": 0.25}


def test_parse_mixed_separators_and_scientific_notation():
    assert nonzero(genres.parse("Rock=1e-1, Jazz:0")) == {"Rock": 0.1}


def test_parse_bare_name_means_one():
    assert nonzero(genres.parse("Rock")) == {"Rock": 1.0}
    assert nonzero(genres.parse("Rock, Jazz=0.3")) == {"Rock": 1.0, "Jazz": 0.3}


@pytest.mark.parametrize("spelling", ["hip hop", "HIPHOP", "Hip_Hop", "hip-hop", "  Hip - Hop "])
def test_parse_loose_names(spelling):
    assert nonzero(genres.parse(f"{spelling}=0.5")) == {"Hip-hop": 0.5}


def test_parse_whitespace_everywhere():
    assert nonzero(genres.parse("  Rock = 0.5 ,  Punk:0.2  ,")) == {"Rock": 0.5, "Punk": 0.2}


def test_parse_unmentioned_genres_are_zero():
    v = genres.parse("Other=0.4")
    assert v[GENRES.index("Other")] == 0.4
    assert np.count_nonzero(v) == 1


def test_parse_unknown_genre_lists_valid_genres():
    with pytest.raises(InvalidGenres) as info:
        genres.parse("Rock=1,Metal=0.5")
    msg = str(info.value)
    assert "'Metal'" in msg
    for g in GENRES:
        assert g in msg


@pytest.mark.parametrize("text", ["Rock=1,rock=0.5", "hip hop=0.5, HIPHOP", "Jazz, Jazz"])
def test_parse_duplicate_genre(text):
    with pytest.raises(InvalidGenres, match="given twice"):
        genres.parse(text)


@pytest.mark.parametrize("value", ["abc", "", "1.5x", "0.5.5"])
def test_parse_non_number_names_genre_and_value(value):
    with pytest.raises(InvalidGenres) as info:
        genres.parse(f"Soul={value}")
    msg = str(info.value)
    assert "Soul" in msg and "not a number" in msg


@pytest.mark.parametrize("value, shown", [("nan", "nan"), ("inf", "inf"), ("-inf", "-inf"),
                                          ("-0.5", "-0.5"), ("1.5", "1.5"), ("1.0000001", "1.0000001")])
def test_parse_out_of_range_names_genre_and_value(value, shown):
    with pytest.raises(InvalidGenres) as info:
        genres.parse(f"Jazz=0.3,Reggae={value}")
    msg = str(info.value)
    assert f"Reggae={shown}" in msg
    assert "Jazz" not in msg.split(";")[0]  # only the bad genre is named as bad
    assert "[0, 1]" in msg


def test_parse_bounds_are_inclusive():
    assert nonzero(genres.parse("Rock=0,Punk=1")) == {"Punk": 1.0}


@pytest.mark.parametrize("text", ["", "   ", " , ,"])
def test_parse_empty(text):
    with pytest.raises(InvalidGenres, match="no genres given"):
        genres.parse(text)


def test_parse_missing_name():
    with pytest.raises(InvalidGenres, match="unknown genre"):
        genres.parse("=0.5")


# --- canonical_genre -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(CANONICAL))
def test_canonical_genre_round_trip(name):
    assert genres.canonical_genre(name) == name
    assert genres.canonical_genre(name.upper()) == name
    assert genres.canonical_genre(f" {name.lower()} ") == name


# --- validate ------------------------------------------------------------------------------------------------

def test_validate_1d_list_becomes_float64():
    out = genres.validate([0] * 17 + [1])
    assert out.dtype == np.float64 and out.shape == (18,)
    assert out[-1] == 1.0


def test_validate_2d():
    arr = np.random.default_rng(0).random((5, 18))
    out = genres.validate(arr)
    assert out.shape == (5, 18)
    np.testing.assert_array_equal(out, arr)


def test_validate_empty_2d_is_fine():
    assert genres.validate(np.zeros((0, 18))).shape == (0, 18)


@pytest.mark.parametrize("shape", [(17,), (19,), (), (18, 1), (2, 17), (2, 2, 18), (0,)])
def test_validate_wrong_shape(shape):
    with pytest.raises(InvalidGenres) as info:
        genres.validate(np.zeros(shape))
    assert "18" in str(info.value) and str(shape) in str(info.value)


@pytest.mark.parametrize("bad, shown", [(np.nan, "nan"), (np.inf, "inf"), (-np.inf, "-inf"),
                                        (-0.1, "-0.1"), (1.5, "1.5")])
def test_validate_1d_bad_value_named(bad, shown):
    v = vec(Rock=0.5)
    v[GENRES.index("Folk")] = bad
    with pytest.raises(InvalidGenres) as info:
        genres.validate(v)
    assert f"Folk={shown}" in str(info.value)
    assert "row" not in str(info.value)


def test_validate_2d_names_rows_by_number():
    arr = np.zeros((3, 18))
    arr[1, GENRES.index("Rock")] = 1.5
    arr[2, GENRES.index("Other")] = -1
    with pytest.raises(InvalidGenres) as info:
        genres.validate(arr)
    msg = str(info.value)
    assert "row 2: Rock=1.5" in msg
    assert "row 3: Other=-1.0" in msg
    assert "row 1" not in msg


def test_validate_2d_names_rows_by_label():
    arr = np.zeros((3, 18))
    arr[1, GENRES.index("Jazz")] = np.nan
    with pytest.raises(InvalidGenres) as info:
        genres.validate(arr, row_labels=["alice", "bob", "carol"])
    assert "row bob: Jazz=nan" in str(info.value)


def test_validate_many_bad_values_are_summarised():
    arr = np.full((2, 18), 2.0)
    with pytest.raises(InvalidGenres) as info:
        genres.validate(arr)
    msg = str(info.value)
    assert "(and 31 more)" in msg  # 36 bad values, 5 shown
    assert len(msg) < 500


@pytest.mark.parametrize("values", [["x"] * 18, [[0.0] * 18, [0.0] * 17]], ids=["text", "ragged"])
def test_validate_non_numeric_is_invalid_genres(values):
    with pytest.raises(InvalidGenres):
        genres.validate(values)


# --- from_mapping / to_mapping ---------------------------------------------------------------------------------

def test_from_mapping_loose_names_and_zeros():
    v = genres.from_mapping({"hip hop": 0.7, "ROCK": "0.2"})
    assert nonzero(v) == {"Hip-hop": 0.7, "Rock": 0.2}


def test_from_mapping_empty_is_all_zero():
    np.testing.assert_array_equal(genres.from_mapping({}), np.zeros(18))


@pytest.mark.parametrize("prefs, match", [({"Rock": None}, "not a number"),
                                          ({"Rock": "loud"}, "not a number"), ({"Rock": 2}, "Rock=2.0"),
                                          ({"Rock": math.nan}, "Rock=nan")])
def test_from_mapping_errors(prefs, match):
    with pytest.raises(InvalidGenres, match=match):
        genres.from_mapping(prefs)


def test_from_mapping_unknown_genre_lists_valid_genres():
    with pytest.raises(InvalidGenres) as info:
        genres.from_mapping({"Metal": 1})
    assert "unknown genre 'Metal'" in str(info.value)
    assert "Classical" in str(info.value)


def test_to_mapping_is_canonical_and_round_trips():
    v = np.random.default_rng(1).random(18)
    m = genres.to_mapping(v)
    assert list(m) == list(GENRES)
    assert all(type(x) is float for x in m.values())
    np.testing.assert_array_equal(genres.from_mapping(m), v)


def test_to_mapping_validates():
    with pytest.raises(InvalidGenres):
        genres.to_mapping(np.full(18, 1.5))


# --- top_genres ----------------------------------------------------------------------------------------------

def test_top_genres_strongest_first():
    assert genres.top_genres(vec(Rock=0.2, Jazz=0.9, Punk=0.5)) == ["Jazz", "Punk", "Rock"]


def test_top_genres_ties_in_canonical_order():
    # Equal values keep canonical order (Comedy < Rock < Other), not input or alphabetical order.
    v = vec(Rock=0.5, Comedy=0.5, Other=0.5, Jazz=0.9)
    assert genres.top_genres(v, k=4) == ["Jazz", "Comedy", "Rock", "Other"]
    assert genres.top_genres(v, k=2) == ["Jazz", "Comedy"]


def test_top_genres_excludes_zeros():
    assert genres.top_genres(vec(Folk=0.1), k=3) == ["Folk"]
    assert genres.top_genres(np.zeros(18)) == []


def test_top_genres_default_k_is_three():
    assert len(genres.top_genres(np.full(18, 0.5))) == 3
    assert genres.top_genres(np.full(18, 0.5)) == list(GENRES[:3])


# --- column_map / classify_columns -----------------------------------------------------------------------------

def test_column_map_loose_names():
    assert genres.column_map(["rock", "Hip Hop", "ELECTRONIC"]) == {
        "rock": "Rock", "Hip Hop": "Hip-hop", "ELECTRONIC": "Electronic"}


def test_column_map_all_canonical_in_any_order():
    cols = list(reversed(GENRES))
    assert genres.column_map(cols) == {g: g for g in cols}


def test_column_map_unknown_columns_listed():
    with pytest.raises(InvalidGenres) as info:
        genres.column_map(["Rock", "Foo", "Bar"])
    msg = str(info.value)
    assert "'Foo'" in msg and "'Bar'" in msg
    assert "Classical" in msg  # the valid genres are listed


def test_column_map_repeated_columns_listed():
    with pytest.raises(InvalidGenres) as info:
        genres.column_map(["Rock", "ROCK", "hip hop", "Hip-hop"])
    msg = str(info.value)
    assert "given twice" in msg
    assert "'ROCK'" in msg and "'Hip-hop'" in msg


def test_column_map_reports_unknown_and_repeated_together():
    with pytest.raises(InvalidGenres) as info:
        genres.column_map(["Rock", "rock", "Foo"])
    assert "'Foo'" in str(info.value) and "'rock'" in str(info.value)


def test_classify_columns():
    mapping, unknown, repeated = genres.classify_columns(["rock", "Hip Hop", "Foo", "ROCK", "Bar"])
    assert mapping == {"rock": "Rock", "Hip Hop": "Hip-hop"}
    assert unknown == ["Foo", "Bar"]
    assert repeated == ["ROCK"]


def test_classify_columns_non_string_names():
    mapping, unknown, repeated = genres.classify_columns([0, "Jazz"])
    assert mapping == {"Jazz": "Jazz"} and unknown == ["0"] and repeated == []


# --- Taste: one person's taste, validated once at the edge -------------------------------------------------------


@pytest.mark.parametrize("values, words", [
    ([0.5] * 17, "18 values"),
    ([float("nan")] + [0.0] * 17, "Comedy=nan"),
    ([-0.1] + [0.0] * 17, "Comedy=-0.1"),
    ([[0.0] * 18] * 2, "single vector"),
])
def test_a_taste_refuses_bad_values_when_it_is_made(values, words):
    with pytest.raises(genres.InvalidGenres, match=words):
        genres.Taste.of(values)


def test_a_taste_is_read_only_and_validate_hands_its_values_back_unchecked(monkeypatch):
    taste = genres.Taste.parse("Rock=1, Punk=0.8")
    assert taste.top() == ["Rock", "Punk"] and bool(taste) and not genres.Taste.of(np.zeros(18))
    with pytest.raises(ValueError, match="read-only"):
        taste.values[0] = 1.0
    monkeypatch.setattr(genres, "_describe_bad", lambda *a, **k: pytest.fail("a Taste was checked again"))
    assert genres.validate(taste) is taste.values and genres.Taste.of(taste) is taste
    assert copy.deepcopy(taste) is taste  # immutable: Gradio's per-session copy of a state keeps it read-only


def test_the_pet_and_the_prompt_take_a_taste_without_checking_it_again(monkeypatch):
    from relive.avatar.prompt import top_two
    from relive.pet.souvenir import make_pet

    taste = genres.Taste.parse("Jazz=1, Soul=0.6")
    checked = []
    real = genres.validate

    def counting(values, **kw):
        if not isinstance(values, genres.Taste):  # a Taste's values come back unchecked
            checked.append(np.asarray(values).tolist())
        return real(values, **kw)

    monkeypatch.setattr(genres, "validate", counting)
    pet = make_pet(taste)
    assert top_two(taste) == [("Jazz", 1.0), ("Soul", 0.6)]
    assert pet.vector is taste.values
    # Only matcher.match_batch (the batch matcher's own entry, owned by the matcher) still checks the plain vector.
    assert checked.count(taste.values.tolist()) <= 1
