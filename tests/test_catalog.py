"""relive.pet.catalog: the shipped accessory catalogue and the checks that catch a broken one."""

import random
import re

import numpy as np
import pytest
from PIL import Image

from relive.errors import CatalogError, ReliveError, UnknownName
from relive.genres import GENRES
from relive.pet import catalog as cat
from relive.pet.catalog import SLOTS, check_catalog, creature_path, creatures, load_catalog, read_catalog

HEADER = ["FileName", "Type", *GENRES]


# --- the shipped catalogue -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped():
    return load_catalog()


def test_shipped_catalogue_loads_and_has_no_problems(shipped):
    import pandas as pd

    path = cat.settings().pet_dir / "accessories.csv"
    table = pd.read_csv(path, encoding="utf-8-sig", dtype={"FileName": str, "Type": str}, skipinitialspace=True)
    assert check_catalog(table, path.parent) == []
    assert len(shipped) == len(table)


def test_shipped_catalogue_size_and_slots(shipped):
    assert len(shipped) >= 60
    assert set(shipped.types) == set(SLOTS)
    assert shipped.vectors.shape == (len(shipped), 18)
    assert np.all((shipped.vectors >= 0) & (shipped.vectors <= 1))


@pytest.mark.parametrize("slot", SLOTS)
def test_shipped_catalogue_covers_every_genre_in_every_slot(shipped, slot):
    """For each genre, some accessory of ``slot`` has it as its (possibly tied) strongest, non-zero weight."""
    v = shipped.vectors[shipped.slot_rows(slot)]
    leads = (v > 0) & (v == v.max(axis=1, keepdims=True))  # (accessories, genres)
    uncovered = [g for g, covered in zip(GENRES, leads.any(axis=0)) if not covered]
    assert uncovered == [], f"no {slot} accessory leads with: {', '.join(uncovered)}"


def test_shipped_images_exist_and_are_1024_rgba(shipped):
    bad = []
    for row in range(len(shipped)):
        path = shipped.image_path(row)
        if not path.is_file():
            bad.append(f"{path}: missing")
            continue
        with Image.open(path) as img:
            if img.size != (1024, 1024) or img.mode != "RGBA":
                bad.append(f"{path}: {img.size} {img.mode}")
    assert bad == []


def test_shipped_file_names_unique(shipped):
    assert len({f.lower() for f in shipped.files}) == len(shipped)


def test_shipped_creatures():
    known = creatures()
    assert len(known) >= 3
    for name, path in known.items():
        assert path.is_file(), f"{name}: {path} missing"
        with Image.open(path) as img:
            assert img.mode == "RGBA"
    assert creature_path(None) == next(iter(known.values()))


def test_creature_by_name_and_stem():
    name, path = next(iter(creatures().items()))
    assert creature_path(name.upper()) == path
    assert creature_path(f" {path.stem} ") == path


def test_creature_unknown_lists_valid_names():
    with pytest.raises(UnknownName) as info:
        creature_path("Godzilla")
    msg = str(info.value)
    assert "'Godzilla'" in msg
    for name in creatures():
        assert name in msg
    assert isinstance(info.value, ReliveError)


# --- catalogues written for a test -----------------------------------------------------------------------------

def tiny_png(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGBA", (4, 4), (0, 0, 0, 0)).save(path)


def weights(**named):
    out = ["0"] * 18
    for name, value in named.items():
        out[GENRES.index(name.replace("_", "-"))] = str(value)
    return out


def write_catalog(folder, rows, header=HEADER, images=True, text_prefix="", name="accessories.csv"):
    """Write ``rows`` (lists of cells) under ``header``; create a tiny PNG for every (FileName, Type) row."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [",".join(header)] + [",".join(r) for r in rows]
    path = folder / name
    path.write_text(text_prefix + "\n".join(lines) + "\n", encoding="utf-8")
    if images:
        for r in rows:
            cells = dict(zip(header, r))
            file_name, slot = cells.get("FileName", "").strip().strip('"'), cells.get("Type", "").strip()
            if file_name and slot:
                tiny_png(folder / slot.lower() / file_name)
    return path


GOOD_ROWS = [
    ["cap.png", "Head", *weights(Rock=1, Punk=0.5)],
    ["crown.png", "Head", *weights(Classical=0.9, Art=0.4)],
    ["shades.png", "Face", *weights(Electronic=0.8)],
    ["monocle.png", "Face", *weights(Jazz=0.7, Classical=0.2)],
    ["leather_jacket.png", "Torso", *weights(Rock=0.9, Punk=0.9)],
    ["hoodie.png", "Torso", *weights(Hip_hop=1, Rap=0.6)],
]


@pytest.fixture
def good(tmp_path):
    return read_catalog(write_catalog(tmp_path, GOOD_ROWS))


def test_good_catalogue(good, tmp_path):
    assert len(good) == 6
    assert good.files == tuple(r[0] for r in GOOD_ROWS)
    assert good.types == tuple(r[1] for r in GOOD_ROWS)
    assert good.vectors.dtype == np.float64 and good.vectors.shape == (6, 18)
    assert good.vectors[1, GENRES.index("Classical")] == 0.9
    assert good.slot_rows("Face").tolist() == [2, 3]
    assert good.image_path(5) == tmp_path / "torso" / "hoodie.png"
    assert good.name(4) == "Leather jacket"


def test_display_name():
    assert cat.display_name("rasta_beanie.png") == "Rasta beanie"
    assert cat.display_name("Rasta Beanie.png") == "Rasta beanie"


def test_load_catalog_with_path(tmp_path):
    path = write_catalog(tmp_path, GOOD_ROWS)
    assert load_catalog(path).files == read_catalog(path).files


def problems_of(path, **kw):
    with pytest.raises(CatalogError) as info:
        read_catalog(path, **kw)
    err = info.value
    assert str(err).count("problem") >= 1 and str(len(err.problems)) in str(err)
    return err.problems


def line_of(problem):
    m = re.match(r"line (\d+): ", problem)
    return int(m.group(1)) if m else None


def test_every_row_problem_listed_in_one_error(tmp_path):
    rows = [
        ["cap.png", "Head", *weights(Rock=1)],                         # line 2: fine
        ["hat.png", "Hat", *weights(Rock=1)],                          # line 3: unknown Type
        ["big.png", "Head", *weights(Rock=1.5)],                       # line 4: weight > 1
        ["neg.png", "Torso", *weights(Jazz=-0.1)],                     # line 5: weight < 0
        ["word.png", "Head", *weights(Soul="loud")],                   # line 6: not a number
        ["nan.png", "Torso", *weights(Folk="nan")],                    # line 7: NaN
        ["ghost.png", "Torso", *weights(Rock=1)],                      # line 8: image missing (removed below)
        ["cap.png", "Head", *weights(Punk=1)],                         # line 9: duplicate FileName
        ["", "Torso", *weights(Pop=1)],                                # line 10: empty FileName
    ]
    path = write_catalog(tmp_path, rows)
    (tmp_path / "torso" / "ghost.png").unlink()
    problems = problems_of(path)
    by_line = {}
    for p in problems:
        by_line.setdefault(line_of(p), []).append(p)
    assert 2 not in by_line
    assert "unknown Type 'Hat'" in by_line[3][0] and "Head" in by_line[3][0]
    assert "Rock=1.5" in by_line[4][0]
    assert "Jazz=-0.1" in by_line[5][0]
    assert "Soul=loud" in by_line[6][0]
    assert "Folk=nan" in by_line[7][0]
    assert "torso/ghost.png" in by_line[8][0] and "not found" in by_line[8][0]
    assert "duplicate FileName 'cap.png'" in by_line[9][0] and "line 2" in by_line[9][0]
    assert any("empty FileName" in p for p in by_line[10])
    # the catalogue-wide problem: no Face accessory at all
    assert by_line[None] == ["no Face accessory at all; every slot needs at least one"]


def test_duplicate_file_name_is_case_insensitive(tmp_path):
    rows = GOOD_ROWS + [["CAP.PNG", "Head", *weights(Rock=1)]]
    problems = problems_of(write_catalog(tmp_path, rows))
    assert problems == ["line 8: duplicate FileName 'CAP.PNG' in Head (first on line 2)"]


def test_same_file_name_in_two_slots_is_allowed(tmp_path):
    """Images live in per-slot folders, so head/star.png and face/star.png are different files."""
    rows = GOOD_ROWS + [["cap.png", "Face", *weights(Pop=1)]]
    catalog = read_catalog(write_catalog(tmp_path, rows))
    assert catalog.files.count("cap.png") == 2


def test_empty_file_name_is_one_problem(tmp_path):
    rows = GOOD_ROWS + [["", "Torso", *weights(Pop=1)]]
    assert problems_of(write_catalog(tmp_path, rows)) == ["line 8: empty FileName"]


def test_line_numbers_count_blank_lines(tmp_path):
    path = tmp_path / "accessories.csv"
    for r in GOOD_ROWS:
        tiny_png(tmp_path / r[1].lower() / r[0])
    lines = [",".join(HEADER)] + [",".join(r) for r in GOOD_ROWS[:3]] + [""] + [",".join(r) for r in GOOD_ROWS[3:]]
    lines.append(",".join(["bad.png", "Head", *weights(Rock=2)]))
    path.write_text("\n".join(lines) + "\n")
    tiny_png(tmp_path / "head" / "bad.png")
    # header = line 1, rows = 2-4, blank = 5, rows = 6-8, the bad row is the last line (9)
    assert [line_of(p) for p in problems_of(path)] == [len(lines)]


def test_slot_without_accessory(tmp_path):
    rows = [r for r in GOOD_ROWS if r[1] != "Torso"]
    assert problems_of(write_catalog(tmp_path, rows)) == ["no Torso accessory at all; every slot needs at least one"]


def test_header_problems_all_listed(tmp_path):
    header = ["FileName", "Type", *[g for g in GENRES if g != "Other"], "Metal", "rock"]
    rows = [["cap.png", "Head", *(["0"] * 17), "0", "0"]]
    problems = problems_of(write_catalog(tmp_path, rows, header=header))
    text = " | ".join(problems)
    assert "'Metal'" in text
    assert "given twice" in text and "'rock'" in text
    assert "missing genre column(s): Other" in text
    assert len(problems) == 3


@pytest.mark.parametrize("missing", ["FileName", "Type"])
def test_missing_fixed_column(tmp_path, missing):
    header = [c for c in HEADER if c != missing]
    rows = [[c for h, c in zip(HEADER, r) if h != missing] for r in GOOD_ROWS]
    problems = problems_of(write_catalog(tmp_path, rows, header=header, images=False))
    assert f"missing column '{missing}'" in problems


def test_check_images_false_skips_image_checks(tmp_path):
    path = write_catalog(tmp_path, GOOD_ROWS, images=False)
    problems = problems_of(path)
    assert len(problems) == len(GOOD_ROWS) and all("not found" in p for p in problems)
    assert len(read_catalog(path, check_images=False)) == len(GOOD_ROWS)


def test_check_images_false_still_checks_everything_else(tmp_path):
    rows = GOOD_ROWS + [["x.png", "Head", *weights(Rock=7)]]
    problems = problems_of(write_catalog(tmp_path, rows, images=False), check_images=False)
    assert len(problems) == 1
    assert re.fullmatch(r"line 8: weights must be numbers in \[0, 1\]: Rock=7(\.0)?", problems[0])


def test_bom_quoted_names_with_spaces_and_spaces_after_commas(tmp_path):
    header = ", ".join(HEADER)
    rows = ['"Rasta Beanie.png", Head, ' + ", ".join(weights(Reggae=0.95, Chill=0.5)),
            '"Round Glasses.png", Face, ' + ", ".join(weights(Indie=0.9)),
            '"Hoodie.png", Torso, ' + ", ".join(weights(Hip_hop=0.9))]
    path = tmp_path / "accessories.csv"
    path.write_bytes(("\ufeff" + header + "\n" + "\n".join(rows) + "\n").encode("utf-8"))
    for file_name, slot in (("Rasta Beanie.png", "head"), ("Round Glasses.png", "face"), ("Hoodie.png", "torso")):
        tiny_png(tmp_path / slot / file_name)
    c = read_catalog(path)
    assert c.files == ("Rasta Beanie.png", "Round Glasses.png", "Hoodie.png")
    assert c.types == ("Head", "Face", "Torso")
    assert c.vectors[0, GENRES.index("Reggae")] == 0.95
    assert c.image_path(0) == tmp_path / "head" / "Rasta Beanie.png"
    assert c.find("Head", "rasta beanie") == 0


def test_shuffled_and_loosely_named_genre_columns_give_same_vectors(tmp_path):
    reference = read_catalog(write_catalog(tmp_path / "a", GOOD_ROWS))
    order = list(range(2, 20))
    random.Random(7).shuffle(order)
    loose = {"Hip-hop": "hip hop", "Electronic": "ELECTRONIC"}
    header = ["Type", "FileName"] + [loose.get(HEADER[i], HEADER[i]) for i in order]
    rows = [[r[1], r[0]] + [r[i] for i in order] for r in GOOD_ROWS]
    shuffled = read_catalog(write_catalog(tmp_path / "b", rows, header=header))
    np.testing.assert_array_equal(shuffled.vectors, reference.vectors)
    assert shuffled.files == reference.files and shuffled.types == reference.types


def test_missing_catalogue_file(tmp_path):
    problems = problems_of(tmp_path / "nope.csv")
    assert "file not found" in problems[0]


def test_empty_catalogue_file(tmp_path):
    (tmp_path / "accessories.csv").write_bytes(b"")
    assert "not a readable CSV" in problems_of(tmp_path / "accessories.csv")[0]


# --- Catalog.find --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["leather_jacket.png", "LEATHER_JACKET.PNG", "leather_jacket", "Leather jacket",
                                  "  leather jacket "])
def test_find_by_file_or_display_name(good, name):
    assert good.find("Torso", name) == 4


def test_find_only_looks_in_its_slot(good):
    with pytest.raises(UnknownName):
        good.find("Head", "hoodie")


def test_find_unknown_lists_valid_names(good):
    with pytest.raises(UnknownName) as info:
        good.find("Face", "Top hat")
    msg = str(info.value)
    assert "'Top hat'" in msg and "face accessory" in msg
    assert "Shades" in msg and "Monocle" in msg
    assert "Cap" not in msg  # other slots' names are not offered
    assert isinstance(info.value, KeyError) and isinstance(info.value, ReliveError)
