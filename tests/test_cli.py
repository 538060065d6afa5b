"""The ``relive`` command line, run as a user would: a subprocess per call, in a scratch folder."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import relive
from PIL import Image

from relive import genres
from relive.genres import GENRES
from relive.pet.catalog import SLOTS, load_catalog
from relive.pet.matcher import best_match
from relive.pet.presets import preset_vector

SMALL = ["--size", "128"]  # pet image size for tests that do not look at the picture



def assert_one_line_error(result):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("relive: error: ")
    assert len(lines[0]) > len("relive: error: ") + 10


def files_in(folder):
    return sorted(p.name for p in Path(folder).iterdir())


def expected_names(vec):
    catalog = load_catalog()
    match = best_match(vec, catalog)
    return {slot: catalog.name(row) for slot, row in zip(SLOTS, match.rows)}


# --- help ------------------------------------------------------------------------------------------------------

def test_help_lists_the_subcommands(tmp_path):
    result = relive("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("pet", "pet-batch", "users"):
        assert command in result.stdout


@pytest.mark.parametrize("command", ["pet", "pet-batch", "users"])
def test_subcommand_help(tmp_path, command):
    result = relive(command, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert "--out" in result.stdout


def test_console_script_next_to_python(tmp_path):
    script = Path(sys.executable).parent / "relive"
    assert script.is_file(), f"{script} is missing: install the package (pip install -e .)"
    result = subprocess.run([str(script), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "pet-batch" in result.stdout


# --- relive pet ----------------------------------------------------------------------------------------------

def test_pet_writes_three_pngs_and_json(tmp_path):
    result = relive("pet", "--genres", "Rock=1,Punk=0.8", "--out", "x.png", "--chart", "c.png",
                    "--card", "k.png", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert files_in(tmp_path) == ["c.png", "k.png", "x.png"]
    with Image.open(tmp_path / "x.png") as pet:
        assert pet.format == "PNG" and pet.mode == "RGBA" and pet.size == (1024, 1024)
    for name in ("c.png", "k.png"):
        with Image.open(tmp_path / name) as img:
            assert img.format == "PNG" and min(img.size) > 100
    data = json.loads(result.stdout)
    assert set(data["accessories"]) == set(SLOTS)
    assert data["accessories"] == expected_names(genres.parse("Rock=1,Punk=0.8"))
    assert isinstance(data["score"], float) and -1 <= data["score"] <= 1
    assert data["strategy"] == "best"
    assert isinstance(data["explanation"], list) and data["explanation"]
    assert all(isinstance(line, str) and line for line in data["explanation"])


def test_pet_without_json_prints_the_explanation(tmp_path):
    result = relive("pet", "--genres", "Jazz", "--out", "x.png", *SMALL, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() and not result.stdout.lstrip().startswith("{")
    assert files_in(tmp_path) == ["x.png"]
    with Image.open(tmp_path / "x.png") as pet:
        assert pet.size == (128, 128)


def test_pet_preset(tmp_path):
    result = relive("pet", "--preset", "Jazz cat", "--out", "x.png", "--json", *SMALL, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["accessories"] == expected_names(preset_vector("Jazz cat"))


def test_pet_surprise_is_reproducible_with_a_seed(tmp_path):
    args = ["pet", "--genres", "Reggae=1,Chill=0.6", "--surprise", "--seed", "3", "--json", *SMALL]
    first = relive(*args, "--out", "a.png", cwd=tmp_path)
    second = relive(*args, "--out", "b.png", cwd=tmp_path)
    assert first.returncode == second.returncode == 0
    assert json.loads(first.stdout)["strategy"] == "surprise"
    assert first.stdout == second.stdout
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_pet_head_nothing(tmp_path):
    result = relive("pet", "--genres", "Rock=1", "--head", "nothing", "--out", "x.png", "--json", *SMALL, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    accessories = json.loads(result.stdout)["accessories"]
    assert accessories["Head"] == "nothing"
    assert accessories["Face"] != "nothing" and accessories["Torso"] != "nothing"


@pytest.mark.parametrize("args, says", [
    (["--genres", "Rock=2", "--out", "x.png"], "Rock=2"),
    (["--genres", "Metal=1", "--out", "x.png"], "unknown genre 'Metal'"),
    (["--genres", "Rock=abc", "--out", "x.png"], "not a number"),
    (["--genres", "", "--out", "x.png"], "no genres given"),
    (["--preset", "No such preset", "--out", "x.png"], "Jazz cat"),
    (["--genres", "Rock", "--creature", "Godzilla", "--out", "x.png"], "unknown creature 'Godzilla'"),
    (["--genres", "Rock", "--head", "Top hat of nowhere", "--out", "x.png"], "unknown head accessory"),
    (["--genres", "Rock", "--size", "10", "--out", "x.png"], "got 10"),
    (["--genres", "Rock", "--out", "x.gif"], "'.gif'"),
    (["--genres", "Rock", "--out", "missing/x.png"], "does not exist"),
    (["--genres", "Rock", "--out", "x.png", "--catalog", "nope.csv"], "nope.csv"),
], ids=["out-of-range", "unknown-genre", "not-a-number", "empty-genres", "unknown-preset", "unknown-creature",
        "unknown-accessory", "bad-size", "gif", "missing-folder", "missing-catalog"])
def test_pet_bad_input_one_line_exit_2_no_output(tmp_path, args, says):
    result = relive("pet", *SMALL, *args, cwd=tmp_path)  # args last: their --size wins
    assert_one_line_error(result)
    assert says in result.stderr
    assert files_in(tmp_path) == []


def test_pet_bad_chart_path_leaves_no_output(tmp_path):
    result = relive("pet", "--genres", "Rock", "--out", "x.png", "--chart", "c.gif", *SMALL, cwd=tmp_path)
    assert_one_line_error(result)
    assert "'.gif'" in result.stderr
    assert files_in(tmp_path) == []


# --- relive users ----------------------------------------------------------------------------------------------

def test_users_reproducible_canonical_and_in_range(tmp_path):
    first = relive("users", "--n", "500", "--seed", "1", "--out", "u.csv", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    data = (tmp_path / "u.csv").read_bytes()
    second = relive("users", "--n", "500", "--seed", "1", "--out", "u.csv", cwd=tmp_path)
    assert second.returncode == 0
    assert (tmp_path / "u.csv").read_bytes() == data
    with open(tmp_path / "u.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["UserID", *GENRES]
    assert len(rows) == 501
    assert len({r[0] for r in rows[1:]}) == 500
    values = np.array([[float(x) for x in r[1:]] for r in rows[1:]])
    assert values.shape == (500, 18)
    assert values.min() >= 0 and values.max() <= 1
    assert (values.sum(axis=1) > 0).all()


def test_users_other_seed_differs(tmp_path):
    relive("users", "--n", "50", "--seed", "1", "--out", "a.csv", cwd=tmp_path)
    relive("users", "--n", "50", "--seed", "2", "--out", "b.csv", cwd=tmp_path)
    assert (tmp_path / "a.csv").read_bytes() != (tmp_path / "b.csv").read_bytes()


def test_users_analysis_png(tmp_path):
    result = relive("users", "--n", "300", "--seed", "1", "--out", "u.csv", "--analysis", "a.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with Image.open(tmp_path / "a.png") as img:
        assert img.format == "PNG" and min(img.size) > 300
    assert "a.png" in result.stdout


@pytest.mark.parametrize("args", [["--n", "0", "--out", "u.csv"], ["--n", "5", "--out", "missing/u.csv"]],
                         ids=["zero-users", "missing-folder"])
def test_users_bad_input(tmp_path, args):
    assert_one_line_error(relive("users", *args, cwd=tmp_path))
    assert files_in(tmp_path) == []


# --- relive pet-batch ------------------------------------------------------------------------------------------

def test_pet_batch_on_synthetic_users(tmp_path):
    assert relive("users", "--n", "200", "--seed", "4", "--out", "u.csv", cwd=tmp_path).returncode == 0
    result = relive("pet-batch", "--users", "u.csv", "--out", "a.csv", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # --quiet: no progress bar
    assert "200" in result.stdout
    with open(tmp_path / "a.csv", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["UserID", "Head", "Torso", "Face", "Score"]
    assert len(rows) == 201
    catalog = load_catalog(check_images=False)
    heads = {catalog.files[r] for r in catalog.slot_rows("Head")}
    assert all(r[1] in heads for r in rows[1:])
    assert files_in(tmp_path) == ["a.csv", "u.csv"]


def test_pet_batch_skip_invalid_warns(tmp_path):
    (tmp_path / "u.csv").write_text("UserID,Rock\na,0.5\nb,7\n")
    result = relive("pet-batch", "--users", "u.csv", "--out", "a.csv", "--quiet", "--skip-invalid", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    warnings = result.stderr.splitlines()
    assert len(warnings) == 1 and warnings[0].startswith("relive: warning: ") and "line(s) 3" in warnings[0]
    assert len((tmp_path / "a.csv").read_text().splitlines()) == 2


@pytest.mark.parametrize("content, args, says", [
    (None, [], "no users file"),
    ("UserID,Rock,Metal\na,0.5,0.5\n", [], "'Metal'"),
    ("UserID,Rock\na,0.5\nb,1.5\n", [], "line(s) 3"),
    ("ID,Rock\na,0.5\n", [], "UserID"),
    ("", [], "empty"),
    ("UserID,Rock\na,0.5\n", ["--catalog", "nope.csv"], "nope.csv"),
    ("UserID,Rock\na,0.5\n", ["--top-n", "0"], "top_n"),
], ids=["missing-users", "unknown-column", "bad-value", "no-userid", "empty", "missing-catalog", "top-n-0"])
def test_pet_batch_errors_one_line_exit_2_no_output(tmp_path, content, args, says):
    if content is not None:
        (tmp_path / "u.csv").write_text(content)
    before = files_in(tmp_path)
    result = relive("pet-batch", "--users", "u.csv", "--out", "a.csv", "--quiet", *args, cwd=tmp_path)
    assert_one_line_error(result)
    assert says in result.stderr
    assert files_in(tmp_path) == before


def test_pet_batch_missing_output_folder(tmp_path):
    (tmp_path / "u.csv").write_text("UserID,Rock\na,0.5\n")
    assert_one_line_error(relive("pet-batch", "--users", "u.csv", "--out", "missing/a.csv", "--quiet", cwd=tmp_path))
    assert files_in(tmp_path) == ["u.csv"]


def test_pet_batch_missing_output_folder_message(tmp_path):
    (tmp_path / "u.csv").write_text("UserID,Rock\na,0.5\n")
    result = relive("pet-batch", "--users", "u.csv", "--out", "missing/a.csv", "--quiet", cwd=tmp_path)
    assert ".pet-batch-" not in result.stderr
    assert "missing" in result.stderr


def test_pet_batch_malformed_csv_one_line(tmp_path):
    (tmp_path / "u.csv").write_text("UserID,Rock\na,0.1\nb,0.2,0.3,0.4\n")
    assert_one_line_error(relive("pet-batch", "--users", "u.csv", "--out", "a.csv", "--quiet", cwd=tmp_path))
