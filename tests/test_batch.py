"""relive.pet.batch.assign_csv: users CSV in, ``UserID,Head,Torso,Face,Score`` out, all or nothing."""

import csv
import random

import numpy as np
import pytest

from relive.errors import InvalidGenres, InvalidInput
from relive.genres import GENRES
from relive.pet.batch import OUTPUT_COLUMNS, assign_csv
from relive.pet.catalog import SLOTS, load_catalog, read_catalog
from relive.pet.matcher import match_batch

HEADER_LINE = "UserID,Head,Torso,Face,Score"


def weights(**named):
    out = ["0"] * 18
    for name, value in named.items():
        out[GENRES.index(name.replace("_", "-"))] = str(value)
    return out


CATALOG_ROWS = [
    ["cap.png", "Head", *weights(Rock=1, Punk=0.5)],
    ["crown.png", "Head", *weights(Classical=0.9, Art=0.4)],
    ["beanie.png", "Head", *weights(Reggae=0.9, Chill=0.5)],
    ["shades.png", "Face", *weights(Electronic=0.8, Pop=0.3)],
    ["monocle.png", "Face", *weights(Jazz=0.7, Classical=0.2)],
    ["leather_jacket.png", "Torso", *weights(Rock=0.9, Punk=0.9)],
    ["hoodie.png", "Torso", *weights(Hip_hop=1, Rap=0.6)],
    ["apron.png", "Torso", *weights(Food=1, Comedy=0.3)],
]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = tmp_path_factory.mktemp("catalog")
    path = folder / "accessories.csv"
    path.write_text("\n".join([",".join(["FileName", "Type", *GENRES])] + [",".join(r) for r in CATALOG_ROWS]) + "\n")
    return read_catalog(path, check_images=False)


@pytest.fixture(scope="module")
def shipped():
    return load_catalog(check_images=False)


def random_users(n, seed=0):
    rng = np.random.default_rng(seed)
    v = np.round(rng.random((n, 18)) * (rng.random((n, 18)) < 0.4), 3)
    v[0] = 0  # an all-zero user is defined too
    return v


def write_users(path, header, rows, prefix=""):
    path.write_text(prefix + "\n".join([",".join(header)] + [",".join(map(str, r)) for r in rows]) + "\n",
                    encoding="utf-8")
    return path


def write_vectors(path, vectors, ids=None):
    ids = ids or [f"u{i}" for i in range(len(vectors))]
    return write_users(path, ["UserID", *GENRES], [[i, *(f"{x:g}" for x in v)] for i, v in zip(ids, vectors)])


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def run(users, out, catalog, **kw):
    return assign_csv(users, out, catalog, progress=False, **kw)


def expected_rows(ids, vectors, catalog, top_n=10):
    rows, scores = match_batch(np.asarray(vectors, dtype=float), catalog, top_n)
    slot = {s: k for k, s in enumerate(SLOTS)}
    return [[uid, catalog.files[r[slot["Head"]]], catalog.files[r[slot["Torso"]]], catalog.files[r[slot["Face"]]],
             float(s)] for uid, r, s in zip(ids, rows, scores)]


def assert_output_matches(out, ids, vectors, catalog, top_n=10):
    got = read_rows(out)
    assert got[0] == list(OUTPUT_COLUMNS) == HEADER_LINE.split(",")
    want = expected_rows(ids, vectors, catalog, top_n)
    assert len(got) - 1 == len(want)
    for g, w in zip(got[1:], want):
        assert g[:4] == w[:4]
        assert float(g[4]) == pytest.approx(w[4], abs=1e-6)


def leftovers(folder, *keep):
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


# --- results ---------------------------------------------------------------------------------------------------

def test_small_catalogue_matches_match_batch(tmp_path, small):
    vectors = random_users(30)
    ids = [f"u{i}" for i in range(30)]
    report = run(write_vectors(tmp_path / "users.csv", vectors, ids), tmp_path / "out.csv", small)
    assert report.users == 30 and report.invalid_lines == [] and report.problems == []
    assert_output_matches(tmp_path / "out.csv", ids, vectors, small)
    assert leftovers(tmp_path) == ["out.csv", "users.csv"]


def test_shipped_catalogue_matches_match_batch(tmp_path, shipped):
    vectors = random_users(40, seed=1)
    ids = [f"u{i}" for i in range(40)]
    run(write_vectors(tmp_path / "users.csv", vectors, ids), tmp_path / "out.csv", shipped)
    assert_output_matches(tmp_path / "out.csv", ids, vectors, shipped)


def test_top_n_is_passed_on(tmp_path, small):
    vectors = random_users(20, seed=2)
    ids = [f"u{i}" for i in range(20)]
    run(write_vectors(tmp_path / "users.csv", vectors, ids), tmp_path / "out.csv", small, top_n=1)
    assert_output_matches(tmp_path / "out.csv", ids, vectors, small, top_n=1)


def test_output_text_format(tmp_path, small):
    write_users(tmp_path / "users.csv", ["UserID", "Rock"], [["a", 1]])
    run(tmp_path / "users.csv", tmp_path / "out.csv", small)
    text = (tmp_path / "out.csv").read_bytes().decode("utf-8")
    lines = text.split("\n")
    assert lines[0] == HEADER_LINE and lines[-1] == "" and len(lines) == 3
    assert "\r" not in text
    assert lines[1].startswith("a,cap.png,leather_jacket.png,")
    assert len(lines[1].rsplit(",", 1)[1].split(".")[1]) == 6  # score with 6 decimals


# --- columns ---------------------------------------------------------------------------------------------------

def test_shuffled_genre_columns(tmp_path, small):
    vectors = random_users(15, seed=3)
    order = list(range(18))
    random.Random(5).shuffle(order)
    header = ["UserID"] + [GENRES[i] for i in order]
    rows = [[f"u{k}", *(f"{v[i]:g}" for i in order)] for k, v in enumerate(vectors)]
    run(write_users(tmp_path / "users.csv", header, rows), tmp_path / "out.csv", small)
    assert_output_matches(tmp_path / "out.csv", [f"u{k}" for k in range(15)], vectors, small)


def test_user_id_column_need_not_be_first(tmp_path, small):
    write_users(tmp_path / "users.csv", ["Jazz", "UserID"], [[0.9, "a"]])
    run(tmp_path / "users.csv", tmp_path / "out.csv", small)
    vec = np.zeros((1, 18))
    vec[0, GENRES.index("Jazz")] = 0.9
    assert_output_matches(tmp_path / "out.csv", ["a"], vec, small)


def test_subset_of_genres_missing_are_zero(tmp_path, small):
    rows = [["a", 1, 0.2], ["b", 0, 0.9], ["c", 0.5, 0.5]]
    run(write_users(tmp_path / "users.csv", ["UserID", "Rock", "Jazz"], rows), tmp_path / "out.csv", small)
    full = np.zeros((3, 18))
    full[:, GENRES.index("Rock")] = [1, 0, 0.5]
    full[:, GENRES.index("Jazz")] = [0.2, 0.9, 0.5]
    assert_output_matches(tmp_path / "out.csv", ["a", "b", "c"], full, small)


def test_loosely_spelled_genre_columns(tmp_path, small):
    vectors = random_users(10, seed=4)
    loose = {"Hip-hop": "hip hop", "Rock": "ROCK", "Electronic": "electronic", "Classical": "Classical_"}
    header = ["UserID"] + [loose.get(g, g) for g in GENRES]
    rows = [[f"u{k}", *(f"{x:g}" for x in v)] for k, v in enumerate(vectors)]
    run(write_users(tmp_path / "users.csv", header, rows), tmp_path / "out.csv", small)
    assert_output_matches(tmp_path / "out.csv", [f"u{k}" for k in range(10)], vectors, small)


@pytest.mark.parametrize("header", [["UserID", "Rock", "Metal"], ["UserID", "Rock", "rock"], ["UserID", "Rock", "Age"]])
def test_unknown_or_repeated_column_stops_before_writing(tmp_path, small, header):
    write_users(tmp_path / "users.csv", header, [["a", 0.5, 0.5]])
    with pytest.raises(InvalidGenres) as info:
        run(tmp_path / "users.csv", tmp_path / "out.csv", small)
    assert repr(header[2]) in str(info.value)
    assert leftovers(tmp_path) == ["users.csv"]


def test_missing_user_id_column(tmp_path, small):
    write_users(tmp_path / "users.csv", ["ID", "Rock"], [["a", 0.5]])
    with pytest.raises(InvalidInput, match="UserID"):
        run(tmp_path / "users.csv", tmp_path / "out.csv", small)
    assert leftovers(tmp_path) == ["users.csv"]


# --- odd files ---------------------------------------------------------------------------------------------------

def test_empty_file(tmp_path, small):
    (tmp_path / "users.csv").write_bytes(b"")
    with pytest.raises(InvalidInput, match="empty"):
        run(tmp_path / "users.csv", tmp_path / "out.csv", small)
    assert leftovers(tmp_path) == ["users.csv"]


def test_header_only(tmp_path, small):
    (tmp_path / "users.csv").write_text("UserID," + ",".join(GENRES) + "\n")
    report = run(tmp_path / "users.csv", tmp_path / "out.csv", small)
    assert report.users == 0
    assert (tmp_path / "out.csv").read_text() == HEADER_LINE + "\n"


def test_header_only_still_checks_columns(tmp_path, small):
    (tmp_path / "users.csv").write_text("UserID,Metal\n")
    with pytest.raises(InvalidGenres, match="Metal"):
        run(tmp_path / "users.csv", tmp_path / "out.csv", small)


def test_missing_input_path(tmp_path, small):
    with pytest.raises(InvalidInput, match="no users file"):
        run(tmp_path / "nope.csv", tmp_path / "out.csv", small)
    assert leftovers(tmp_path) == []


def test_byte_order_mark(tmp_path, small):
    write_users(tmp_path / "users.csv", ["UserID", "Jazz"], [["a", 1]], prefix="\ufeff")
    run(tmp_path / "users.csv", tmp_path / "out.csv", small)
    assert read_rows(tmp_path / "out.csv")[1][0] == "a"  # not "\ufeffUserID" trouble
    vec = np.zeros((1, 18))
    vec[0, GENRES.index("Jazz")] = 1
    assert_output_matches(tmp_path / "out.csv", ["a"], vec, small)


def test_quoted_user_ids_with_spaces_commas_and_zeros(tmp_path, small):
    ids = ["Smith, John", "Ana Maria", "007", 'say "hi"', "x,y,z"]
    with open(tmp_path / "users.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["UserID", "Rock", "Jazz"])
        for k, uid in enumerate(ids):
            writer.writerow([uid, k / 10, 1 - k / 10])
    run(tmp_path / "users.csv", tmp_path / "out.csv", small)
    assert [r[0] for r in read_rows(tmp_path / "out.csv")[1:]] == ids


def test_blank_cells_count_as_zero(tmp_path, small):
    (tmp_path / "users.csv").write_text("UserID,Rock,Jazz,Punk\na,,0.5,\nb,1,, \nc,,,\n")
    run(tmp_path / "users.csv", tmp_path / "out.csv", small)
    full = np.zeros((3, 18))
    full[0, GENRES.index("Jazz")] = 0.5
    full[1, GENRES.index("Rock")] = 1
    assert_output_matches(tmp_path / "out.csv", ["a", "b", "c"], full, small)


# --- invalid rows --------------------------------------------------------------------------------------------------

BAD_USERS = "UserID,Rock,Jazz\n" + "\n".join([
    "good1,0.5,0.5",   # line 2
    "text,loud,0.5",   # line 3
    "good2,1,0",       # line 4
    "nan,nan,0.5",     # line 5
    "inf,0.5,inf",     # line 6
    "neg,-0.1,0.5",    # line 7
    "big,0.5,1.5",     # line 8
    "good3,0,1",       # line 9
]) + "\n"
BAD_LINES = [3, 5, 6, 7, 8]


def test_invalid_rows_listed_and_nothing_written(tmp_path, small):
    (tmp_path / "users.csv").write_text(BAD_USERS)
    with pytest.raises(InvalidGenres) as info:
        run(tmp_path / "users.csv", tmp_path / "out.csv", small)
    assert "line(s) 3, 5, 6, 7, 8;" in str(info.value)
    assert "--skip-invalid" in str(info.value)
    assert leftovers(tmp_path) == ["users.csv"]  # no output, no temporary file


def test_invalid_rows_keep_an_existing_output(tmp_path, small):
    (tmp_path / "users.csv").write_text(BAD_USERS)
    (tmp_path / "out.csv").write_text("previous results\n")
    with pytest.raises(InvalidGenres):
        run(tmp_path / "users.csv", tmp_path / "out.csv", small)
    assert (tmp_path / "out.csv").read_text() == "previous results\n"
    assert leftovers(tmp_path) == ["out.csv", "users.csv"]


@pytest.mark.parametrize("chunk_rows", [2, 3, 100])
def test_skip_invalid_writes_good_rows_and_lists_bad_lines(tmp_path, small, chunk_rows):
    (tmp_path / "users.csv").write_text(BAD_USERS)
    report = run(tmp_path / "users.csv", tmp_path / "out.csv", small, skip_invalid=True, chunk_rows=chunk_rows)
    assert report.users == 3
    assert report.invalid_lines == BAD_LINES
    assert len(report.problems) == 1 and "line(s) 3, 5, 6, 7, 8;" in report.problems[0]
    full = np.zeros((3, 18))
    full[:, GENRES.index("Rock")] = [0.5, 1, 0]
    full[:, GENRES.index("Jazz")] = [0.5, 0, 1]
    assert_output_matches(tmp_path / "out.csv", ["good1", "good2", "good3"], full, small)
    assert leftovers(tmp_path) == ["out.csv", "users.csv"]


@pytest.mark.parametrize("chunk_rows", [1, 3, 4])
def test_invalid_line_numbers_across_chunks(tmp_path, small, chunk_rows):
    (tmp_path / "users.csv").write_text(BAD_USERS)
    with pytest.raises(InvalidGenres, match=r"line\(s\) 3, 5, 6, 7, 8;"):
        run(tmp_path / "users.csv", tmp_path / "out.csv", small, chunk_rows=chunk_rows)


def test_many_invalid_lines_are_summarised(tmp_path, small):
    (tmp_path / "users.csv").write_text("UserID,Rock\n" + "".join(f"u{i},2\n" for i in range(25)))
    with pytest.raises(InvalidGenres) as info:
        run(tmp_path / "users.csv", tmp_path / "out.csv", small)
    assert "(25 in all)" in str(info.value) and "line(s) 2, 3," in str(info.value)


def test_invalid_line_numbers_count_blank_lines(tmp_path, small):
    (tmp_path / "users.csv").write_text("UserID,Rock\na,0.1\n\nb,2\n")  # the bad row is on line 4
    with pytest.raises(InvalidGenres, match=r"line\(s\) 4;"):
        run(tmp_path / "users.csv", tmp_path / "out.csv", small)


# --- chunks ------------------------------------------------------------------------------------------------------

def test_chunk_boundaries_do_not_change_the_output(tmp_path, small):
    vectors = random_users(10, seed=6)
    users = write_vectors(tmp_path / "users.csv", vectors)
    run(users, tmp_path / "one.csv", small)
    for chunk_rows in (1, 3, 10):
        run(users, tmp_path / f"chunks{chunk_rows}.csv", small, chunk_rows=chunk_rows)
        assert (tmp_path / f"chunks{chunk_rows}.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()


def test_chunk_with_text_only_in_a_later_chunk(tmp_path, small):
    # first chunk all numbers, a later chunk has a blank cell (text column there): same result as one chunk
    (tmp_path / "users.csv").write_text("UserID,Rock,Jazz\na,0.5,0.5\nb,1,0\nc,0.2,0.3\nd,,0.7\ne,0.9,\n")
    run(tmp_path / "users.csv", tmp_path / "one.csv", small)
    run(tmp_path / "users.csv", tmp_path / "three.csv", small, chunk_rows=3)
    assert (tmp_path / "three.csv").read_bytes() == (tmp_path / "one.csv").read_bytes()
    assert len(read_rows(tmp_path / "one.csv")) == 6
