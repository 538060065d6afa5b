"""``relive pet-batch`` on 100,000 synthetic users, against the plain-loop reference on a sample of them."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from common import Figure  # noqa: E402
from reference_matcher import match_one  # noqa: E402

from relive import genres  # noqa: E402
from relive.pet.catalog import load_catalog  # noqa: E402
from relive.pet.users import synthetic_users  # noqa: E402

N_USERS = 100_000
LOOP_SAMPLE = 200


def run() -> list[Figure]:
    table, _ = synthetic_users(N_USERS, seed=42)
    with tempfile.TemporaryDirectory() as tmp:
        users_csv, out_csv = Path(tmp) / "users.csv", Path(tmp) / "assignments.csv"
        table.to_csv(users_csv, index=False, float_format="%.3f")
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "relive", "pet-batch", "--users", str(users_csv), "--out", str(out_csv),
                        "--quiet"], check=True, capture_output=True)
        cli_seconds = time.perf_counter() - start
    catalog = load_catalog(check_images=False)
    sample = table[list(genres.GENRES)].to_numpy()[:LOOP_SAMPLE]
    start = time.perf_counter()
    for vec in sample:
        match_one(vec.tolist(), catalog.vectors.tolist(), catalog.types)
    loop_per_user = (time.perf_counter() - start) / LOOP_SAMPLE
    per_user = cli_seconds / N_USERS
    return [
        Figure("pet-batch, 100k users (CLI, end to end)", cli_seconds, "s", "≤ 10 s"),
        Figure("loop reference, per user", loop_per_user * 1e3, "ms", "", f"timed on the first {LOOP_SAMPLE} users"),
        Figure("pet-batch speed-up over the loop", loop_per_user / per_user, "×", "",
               f"loop extrapolated to 100k: {loop_per_user * N_USERS / 60:.0f} min"),
    ]


if __name__ == "__main__":
    for fig in run():
        print(fig.row())
