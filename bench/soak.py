"""A festival day, compressed: thousands of visits against one app process, checking that nothing piles up.

    report = soak(url, visits=2000, visitors=8, pid=server_pid, tmp=the app's RELIVE_TMP)

Each visit is a fresh Gradio session (its own ``gradio_client.Client``), as a new visitor at the kiosk is, and is
one of (:data:`VISITS`):

* **full** — /pet, /avatar (instant), /fuse, /album of two backgrounds, the album's zip downloaded over HTTP;
* **abandoned** — /pet and /avatar, then the visitor walks away (the session just stops);
* **idle** — /pet only, then the page is left alone until the kiosk starts over (a new session).

``visitors`` visits run at once. A sampler reads, every :data:`SAMPLE_S` seconds, the server's RSS (with its
children), its open files and threads (``/proc``) and the scratch folders in the app's temp folder. The run
passes when there are no errors, the RSS after the warm-up grows ≤ :data:`MAX_RSS_GROWTH_MB`, open files and
threads end where they were after the warm-up (± :data:`FLAT_SLACK`), and the temp folder never holds more
session folders than the visits that made one within the retention window (+ one sweep period).

``python bench/soak.py [visits] [visitors]`` launches the app itself (with ``MALLOC_ARENA_MAX=2``, as ``make run``
does, and a 60 s retention window so that a compressed day crosses it many times) and prints the figures.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from common import Figure  # noqa: E402
from load import _fixtures, _forget, _Worker, rss_mb  # noqa: E402

VISITS = {"full": 0.5, "abandoned": 0.25, "idle": 0.25}
ALBUM_PAGES = 2
SAMPLE_S = 2.0
WARM_UP_VISITS = 8  # one of each kind, twice over, before the baseline is taken
MAX_RSS_GROWTH_MB = 150
FLAT_SLACK = 8  # open files / threads: Gradio and uvicorn keep a few per live connection
RETENTION_S = 60.0  # the soak's retention window (RELIVE_RETENTION_S)
SWEEP_S = max(5.0, min(60.0, RETENTION_S / 2))  # relive.ui.server's sweep period for that window


@dataclass
class Sample:
    at: float  # seconds since the soak began
    rss_mb: float | None
    files: int | None
    threads: int | None
    folders: int  # session scratch folders in the app's temp folder
    allowed: int  # visits that made a folder within the retention window + one sweep period


@dataclass
class SoakReport:
    visits: dict[str, int]
    seconds: float
    errors: list[str]
    warm: Sample
    end: Sample
    samples: list[Sample] = field(default_factory=list)

    @property
    def rss_growth_mb(self) -> float:
        return (self.end.rss_mb or np.nan) - (self.warm.rss_mb or np.nan)

    @property
    def most_folders_over_allowed(self) -> int:
        return max((s.folders - s.allowed for s in self.samples), default=0)

    def table(self) -> str:
        top = max(self.samples, key=lambda s: s.rss_mb or 0, default=self.end)
        return "\n".join([
            f"{sum(self.visits.values())} visits {self.visits} in {self.seconds:.0f} s, {len(self.errors)} errors",
            f"RSS warm {self.warm.rss_mb:.0f} MB → end {self.end.rss_mb:.0f} MB (peak {top.rss_mb:.0f} MB)",
            f"open files {self.warm.files} → {self.end.files}, threads {self.warm.threads} → {self.end.threads}",
            f"session folders at most {max(s.folders for s in self.samples)}, over the retention window's visits "
            f"by at most {self.most_folders_over_allowed}",
            *self.errors[:10],
        ])


def _proc_count(pid: int | None, what: str) -> int | None:
    """Open files (``fd``) or threads (``task``) of ``pid``, from /proc (None where it cannot be read)."""
    try:
        return len(os.listdir(f"/proc/{pid}/{what}"))
    except (OSError, TypeError):
        return None


def _session_folders(tmp: Path) -> int:
    scratch = tmp / "scratch"
    return sum(1 for p in scratch.iterdir() if p.is_dir()) if scratch.is_dir() else 0


class _Visit(_Worker):
    """One visitor: load.py's client calls plus the album and its download."""

    def album(self):
        from gradio_client import handle_file

        slugs = [b.slug for b in self.fixtures["backgrounds"][:ALBUM_PAGES]]

        def check(result):
            gallery, zip_path = result
            if len(gallery) != ALBUM_PAGES or not zipfile_ok(zip_path):
                raise AssertionError(f"album: {len(gallery)} pages, zip {zip_path!r}")
            _forget(zip_path, *(item["image"] for item in gallery))

        return [handle_file(str(self.fixtures["avatar"])), slugs, True], "/album", check

    def request(self, endpoint: str):
        return self.album() if endpoint == "/album" else super().request(endpoint)


def zipfile_ok(path) -> bool:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return z.testzip() is None and len(z.namelist()) >= ALBUM_PAGES


STEPS = {"full": ("/pet", "/avatar instant", "/fuse", "/album"), "abandoned": ("/pet", "/avatar instant"),
         "idle": ("/pet",)}


def _one_visit(index: int, kind: str, url: str, fixtures: dict, folder: Path, made_folder: list) -> list[str]:
    visit = _Visit(index, url, fixtures, 0, folder / f"visit-{index}", [0.0, 0.0])
    try:
        visit.connect()
        for endpoint in STEPS[kind]:
            visit.call(endpoint)
            if endpoint in ("/fuse", "/album"):
                made_folder.append(time.monotonic())
    except Exception as err:  # noqa: BLE001 — a visit that cannot even connect is an error, not a crash
        return [f"visit {index} ({kind}): {type(err).__name__}: {err}"]
    finally:
        if visit.client is not None:
            visit.client.close()
        shutil.rmtree(folder / f"visit-{index}", ignore_errors=True)
    return [c.error for c in visit.calls if not c.ok] + visit.leaks


def soak(url: str, visits: int, visitors: int, pid: int | None, tmp: Path, seed: int = 0) -> SoakReport:
    """Run ``visits`` visits, ``visitors`` at a time, against the app at ``url`` (server ``pid``, temp folder
    ``tmp``); see the module docstring."""
    rng = np.random.default_rng(seed)
    kinds = list(VISITS)
    plan = [kinds[i % len(kinds)] for i in range(WARM_UP_VISITS)]
    plan += list(rng.choice(kinds, size=max(0, visits - WARM_UP_VISITS), p=list(VISITS.values())))
    folder = Path(tempfile.mkdtemp(prefix="relive-soak-"))
    fixtures = _fixtures(folder, seed)
    made_folder: list[float] = []
    errors: list[str] = []
    began = time.monotonic()

    def sample() -> Sample:
        now = time.monotonic()
        window = RETENTION_S + SWEEP_S
        # a visit's folder may also outlive the window by the time the visit itself took: count generously
        return Sample(now - began, rss_mb(pid), _proc_count(pid, "fd"), _proc_count(pid, "task"),
                      _session_folders(tmp), sum(1 for t in list(made_folder) if now - t <= window) + visitors)

    try:
        with ThreadPoolExecutor(visitors) as pool:
            for found in pool.map(lambda i: _one_visit(i, plan[i], url, fixtures, folder, made_folder),
                                  range(WARM_UP_VISITS)):
                errors += found
        warm = sample()
        samples = [warm]
        stop = threading.Event()

        def sampler():
            while not stop.wait(SAMPLE_S):
                samples.append(sample())

        watcher = threading.Thread(target=sampler, daemon=True)
        watcher.start()
        with ThreadPoolExecutor(visitors) as pool:
            for found in pool.map(lambda i: _one_visit(i, plan[i], url, fixtures, folder, made_folder),
                                  range(WARM_UP_VISITS, len(plan))):
                errors += found
        stop.set()
        watcher.join()
        time.sleep(SAMPLE_S)  # let the last sessions' cleanup run
        end = sample()
        samples.append(end)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    counts = {k: plan.count(k) for k in kinds}
    return SoakReport(counts, time.monotonic() - began, errors, warm, end, samples)


def soak_app(visits: int, visitors: int) -> SoakReport:
    """Launch the app (its own temp folder, the soak's retention window) and soak it."""
    from relive.testing import launch_app, stop_app

    tmp = Path(tempfile.mkdtemp(prefix="relive-soak-app-"))
    proc, url = launch_app({"RELIVE_DEV": "1", "RELIVE_TMP": str(tmp), "RELIVE_RETENTION_S": str(RETENTION_S),
                            "MALLOC_ARENA_MAX": "2"}, log=tmp.parent / f"{tmp.name}.log", timeout=300)
    try:
        return soak(url, visits, visitors, proc.pid, tmp)
    finally:
        stop_app(proc)
        shutil.rmtree(tmp, ignore_errors=True)


def run(visits: int = 2000, visitors: int = 8) -> list[Figure]:
    report = soak_app(visits, visitors)
    print(report.table(), file=sys.stderr)
    load = f"load average {os.getloadavg()[0]:.1f} at the end"
    return [
        Figure(f"soak: {sum(report.visits.values())} visits, {visitors} at once (wall)", report.seconds / 60, "min",
               "≤ 20 min", f"{report.visits}; {load}"),
        Figure("soak: errors", len(report.errors), "", "0"),
        Figure("soak: server RSS growth after the warm-up", report.rss_growth_mb, "MB", f"≤ {MAX_RSS_GROWTH_MB} MB",
               f"warm {report.warm.rss_mb:.0f} MB, end {report.end.rss_mb:.0f} MB"),
        Figure("soak: open files, after warm-up → end", report.end.files - report.warm.files, "", "flat",
               f"{report.warm.files} → {report.end.files}"),
        Figure("soak: threads, after warm-up → end", report.end.threads - report.warm.threads, "", "flat",
               f"{report.warm.threads} → {report.end.threads}"),
        Figure("soak: session folders beyond the retention window's visits", report.most_folders_over_allowed, "",
               "≤ 0", f"retention {RETENTION_S:.0f} s, most folders at once "
                      f"{max(s.folders for s in report.samples)}"),
    ]


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    for fig in run(*args):
        print(fig.row())
