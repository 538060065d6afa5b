"""``relive pet-batch`` end to end (a fresh CLI process: start-up, CSV in, matching, CSV out) on 100k and 1M
synthetic users, with the winners of a sample checked against the plain-loop reference.

Timings are the best of ``REPEAT`` runs (the machine may be shared); the CPU time (user + system) of the child
process is reported beside the wall time, since it moves much less with other load than the wall clock does.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import pandas as pd  # noqa: E402
from common import Figure  # noqa: E402
from reference_matcher import match_one  # noqa: E402

from relive import genres  # noqa: E402
from relive.pet.catalog import load_catalog  # noqa: E402
from relive.pet.users import synthetic_users  # noqa: E402

SIZES = {100_000: "≤ 2.5 s", 1_000_000: "≤ 25 s"}
REPEAT = {100_000: 3, 1_000_000: 1}
LOOP_SAMPLE = 200


def _run_cli(users_csv: Path, out_csv: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MB) of one ``relive pet-batch`` process."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "relive", "pet-batch", "--users", str(users_csv), "--out",
                              str(out_csv), "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"pet-batch failed: {child.stderr.read().decode()}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def _check_parity(table: pd.DataFrame, out_csv: Path) -> float:
    """Compare the first ``LOOP_SAMPLE`` users with the loop reference; returns the loop's time per user."""
    catalog = load_catalog(check_images=False)
    got = pd.read_csv(out_csv, nrows=LOOP_SAMPLE, dtype={"UserID": str})
    start = time.perf_counter()
    for vec, (_, row) in zip(table[list(genres.GENRES)].to_numpy()[:LOOP_SAMPLE], got.iterrows()):
        rows, score = match_one(vec.tolist(), catalog.vectors.tolist(), catalog.types)
        expected = [catalog.files[r] for r in rows]  # Head, Face, Torso
        if [row["Head"], row["Face"], row["Torso"]] != expected or abs(row["Score"] - score) > 5e-7:
            raise AssertionError(f"user {row['UserID']}: {row.to_dict()} != reference {expected} {score}")
    return (time.perf_counter() - start) / LOOP_SAMPLE


def run() -> list[Figure]:
    figures = []
    load = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at start"
    with tempfile.TemporaryDirectory() as tmp:
        for n, target in SIZES.items():
            table, _ = synthetic_users(n, seed=42)
            users_csv, out_csv = Path(tmp) / f"users{n}.csv", Path(tmp) / f"assignments{n}.csv"
            table.to_csv(users_csv, index=False, float_format="%.3f")
            runs = [_run_cli(users_csv, out_csv) for _ in range(REPEAT[n])]
            wall, cpu, rss = min(r[0] for r in runs), min(r[1] for r in runs), max(r[2] for r in runs)
            label = f"{n // 1000}k" if n < 1_000_000 else f"{n // 1_000_000} M"
            figures += [
                Figure(f"pet-batch, {label} users (CLI, end to end, best of {REPEAT[n]})", wall, "s", target, load),
                Figure("  CPU time of that process (user + system, best)", cpu, "s", "", "2 threads"),
                Figure("  peak RSS of that process", rss, "MB", "≤ 1 GB" if n >= 1_000_000 else ""),
            ]
            if n == 100_000:
                loop_per_user = _check_parity(table, out_csv)
                figures += [
                    Figure("loop reference, per user", loop_per_user * 1e3, "ms", "",
                           f"first {LOOP_SAMPLE} users: same winners, same scores (to the CSV's 6 decimals)"),
                    Figure("pet-batch speed-up over the loop", loop_per_user * n / wall, "×", "",
                           f"loop extrapolated to 100k: {loop_per_user * n / 60:.0f} min"),
                ]
            del table
    return figures


if __name__ == "__main__":
    for fig in run():
        print(fig.row())
