"""A festival day, compressed: thousands of visits against one app process, checking that nothing piles up.

    report = soak(url, visits=2000, visitors=8, pid=server_pid, tmp=the app's RELIVE_TMP)

Each visit is a fresh Gradio session (its own ``gradio_client.Client``, closed at the end: the page is gone, as
after the kiosk's start-over or idle reset; one client per kiosk with ``Client.reset_session`` between visitors
grew the server by 672 MB over 200 visits against 241 MB this way: the old sessions apparently stayed open) and is
one of (:data:`VISITS`):

* **full** — /pet, /avatar (instant), /fuse, /album of two backgrounds, the album's zip downloaded over HTTP, and
  the QR code's phone page and a file from it (``/souvenirs/<token>``; the token is the album's scratch folder,
  found in the app's temp folder by the zip's content: the QR image itself only reaches the page);
* **abandoned** — /pet and /avatar, then the visitor walks away (the session just stops);
* **idle** — /pet only, then the page is left alone until the kiosk starts over (a new session).

``visitors`` visits run at once. A sampler reads, every :data:`SAMPLE_S` seconds, the server's RSS (with its
children), its open files and threads (``/proc``) and the scratch folders in the app's temp folder. The run
passes when there are no errors, the RSS after the warm-up grows ≤ :data:`MAX_RSS_GROWTH_MB`, open files and
threads end where they were after the warm-up (± :data:`FLAT_SLACK`), and the temp folder never holds more
session folders than the visits that made one within the retention window (+ one sweep period).

``python bench/soak.py [visits] [visitors]`` launches the app itself (with ``MALLOC_ARENA_MAX=2``, as ``make run``
does, and a 60 s retention window so that a compressed day crosses it many times), prints the figures with their
targets and writes them, with the samples, to ``soak-<visits>.json`` and ``soak-<visits>.md`` (in ``--out``, by
default the current folder).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from common import Figure, cpu_seconds  # noqa: E402
from load import _digest, _fixtures, _forget, _Worker, rss_mb  # noqa: E402

VISITS = {"full": 0.5, "abandoned": 0.25, "idle": 0.25}
ALBUM_PAGES = 2
SAMPLE_S = 2.0
# Visits before the baseline is taken, in turn of each kind: the server's RSS climbs for about the first 30 visits
# (6 at once: 998 → 1165 MB in the first 2 minutes, then 1200–1245 MB for the next 170 visits), filling caches and
# malloc's arenas to the day's working set; measured from an earlier baseline that ramp reads as growth.
WARM_UP_VISITS = 32
MAX_RSS_GROWTH_MB = 150
CPU_PER_VISIT_S = 1.1  # 2 cores × 20 min / 2,000 visits = 1.2 s, less a margin for the driver's own share
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
    cpu_s: float | None = None  # the server's CPU time so far (user + system)


@dataclass
class SoakReport:
    visits: dict[str, int]
    seconds: float
    errors: list[str]
    warm: Sample
    end: Sample
    warm_up: int  # visits before ``warm`` was sampled
    samples: list[Sample] = field(default_factory=list)

    @property
    def rss_growth_mb(self) -> float:
        return (self.end.rss_mb or np.nan) - (self.warm.rss_mb or np.nan)

    @property
    def server_cpu_per_visit(self) -> float:
        """The server's CPU seconds per visit after the warm-up: what bounds visits per minute on a given box."""
        measured = sum(self.visits.values()) - self.warm_up
        return ((self.end.cpu_s or np.nan) - (self.warm.cpu_s or np.nan)) / max(1, measured)

    @property
    def most_folders_over_allowed(self) -> int:
        return max((s.folders - s.allowed for s in self.samples), default=0)

    def table(self) -> str:
        top = max(self.samples, key=lambda s: s.rss_mb or 0, default=self.end)
        return "\n".join([
            f"{sum(self.visits.values())} visits {self.visits} (the first {self.warm_up} to warm up) in "
            f"{self.seconds:.0f} s, {len(self.errors)} errors",
            f"RSS warm {self.warm.rss_mb:.0f} MB → end {self.end.rss_mb:.0f} MB (peak {top.rss_mb:.0f} MB)",
            f"open files {self.warm.files} → {self.end.files}, threads {self.warm.threads} → {self.end.threads}",
            f"server CPU per visit {self.server_cpu_per_visit:.2f} s (≤ {CPU_PER_VISIT_S} s for 2,000 visits in 20 min "
            f"on 2 cores)",
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

    session_taste: list[float] | None = None  # the taste of the visit's last /pet

    def album(self):
        from gradio_client import handle_file

        slugs = [b.slug for b in self.fixtures["backgrounds"][:ALBUM_PAGES]]

        def check(result):
            gallery, zip_path = result
            if len(gallery) != ALBUM_PAGES or not zipfile_ok(zip_path):
                raise AssertionError(f"album: {len(gallery)} pages, zip {zip_path!r}")
            self.phone_download(_digest(zip_path))
            _forget(zip_path, *(item["image"] for item in gallery))

        return [handle_file(str(self.fixtures["avatar"])), slugs, True], "/album", check

    def phone_download(self, zip_digest: str) -> None:
        """What a phone does with the QR code: its page, then the album's zip (it must be this very album)."""
        scratch = self.fixtures["app_tmp"] / "scratch"
        zips = [z for z in scratch.glob("*/*.zip")] if scratch.is_dir() else []
        mine = next((z for z in zips if _digest(z) == zip_digest), None)
        if mine is None:
            raise AssertionError("album: no scratch folder holds this album's zip (nothing behind the QR code)")
        page = f"{self.url}/souvenirs/{mine.parent.name}"
        with urllib.request.urlopen(page, timeout=30) as answer:
            if mine.name not in answer.read().decode():
                raise AssertionError("album: the phone page does not offer the zip")
        with urllib.request.urlopen(f"{page}/{mine.name}", timeout=30) as answer:
            if hashlib.sha256(answer.read()).hexdigest() != zip_digest:
                raise AssertionError("album: the phone got another zip than the kiosk")

    def pet(self):
        args, api_name, check = super().pet()
        self.session_taste = args[4:]  # creature, three swaps, then the taste
        return args, api_name, check

    def request(self, endpoint: str):
        if endpoint == "/album":
            return self.album()
        if endpoint == "/avatar instant":  # the visit's own pet set the session's taste: no second /pet
            return self.avatar("instant", self.session_taste)
        return super().request(endpoint)


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
            visit.client.close()  # the page is gone: Gradio sees the session close, as after a kiosk's reset
        shutil.rmtree(folder / f"visit-{index}", ignore_errors=True)
    return [c.error for c in visit.calls if not c.ok] + visit.leaks


def soak(url: str, visits: int, visitors: int, pid: int | None, tmp: Path, seed: int = 0) -> SoakReport:
    """Run ``visits`` visits, ``visitors`` at a time, against the app at ``url`` (server ``pid``, temp folder
    ``tmp``); see the module docstring."""
    rng = np.random.default_rng(seed)
    kinds = list(VISITS)
    warm_up = min(WARM_UP_VISITS, max(len(kinds), visits // 5))  # a short run keeps most of its visits measured
    plan = [kinds[i % len(kinds)] for i in range(warm_up)]
    plan += list(rng.choice(kinds, size=max(0, visits - warm_up), p=list(VISITS.values())))
    folder = Path(tempfile.mkdtemp(prefix="relive-soak-"))
    fixtures = {**_fixtures(folder, seed), "app_tmp": tmp}
    made_folder: list[float] = []
    errors: list[str] = []
    began = time.monotonic()

    def sample() -> Sample:
        now = time.monotonic()
        window = RETENTION_S + SWEEP_S
        # a visit's folder may also outlive the window by the time the visit itself took: count generously
        return Sample(now - began, rss_mb(pid), _proc_count(pid, "fd"), _proc_count(pid, "task"),
                      _session_folders(tmp), sum(1 for t in list(made_folder) if now - t <= window) + visitors,
                      cpu_seconds(pid))

    try:
        with ThreadPoolExecutor(visitors) as pool:
            def visits(indices):
                return [e for found in pool.map(lambda i: _one_visit(i, plan[i], url, fixtures, folder, made_folder),
                                                   indices) for e in found]

            errors += visits(range(warm_up))
            warm = sample()
            samples = [warm]
            stop = threading.Event()

            def sampler():
                while not stop.wait(SAMPLE_S):
                    samples.append(sample())

            watcher = threading.Thread(target=sampler, daemon=True)
            watcher.start()
            errors += visits(range(warm_up, len(plan)))
            stop.set()
            watcher.join()
        time.sleep(SAMPLE_S)  # let the last sessions' cleanup run
        end = sample()
        samples.append(end)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    counts = {k: plan.count(k) for k in kinds}
    return SoakReport(counts, time.monotonic() - began, errors, warm, end, warm_up, samples)


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


def run(visits: int = 2000, visitors: int = 8, out: Path | None = None) -> list[Figure]:
    """Soak a freshly launched app; the figures with their targets, also written to ``out`` (JSON and markdown)."""
    report = soak_app(visits, visitors)
    print(report.table(), file=sys.stderr)
    load = f"load average {os.getloadavg()[0]:.1f} at the end"
    day = sum(report.visits.values())
    figures = [
        Figure(f"soak: {day} visits, {visitors} at once (wall)", report.seconds / 60, "min",
               "≤ 20 min for 2,000", f"{report.visits}; {load}"),
        Figure("soak: visits per minute", day / (report.seconds / 60), "/min", "≥ 100 (2,000 in 20 min)"),
        Figure("soak: server CPU time per visit (after the warm-up)", report.server_cpu_per_visit, "s",
               f"≤ {CPU_PER_VISIT_S} s",
               f"at most {60 * (os.cpu_count() or 1) / report.server_cpu_per_visit:.0f} visits/min on "
               f"{os.cpu_count()} cores"),
        Figure("soak: errors", len(report.errors), "", "0"),
        Figure("soak: server RSS growth after the warm-up", report.rss_growth_mb, "MB", f"≤ {MAX_RSS_GROWTH_MB} MB",
               f"after {report.warm_up} warm-up visits: {report.warm.rss_mb:.0f} MB, end {report.end.rss_mb:.0f} MB"),
        Figure("soak: open files, after warm-up → end", report.end.files - report.warm.files, "", "flat",
               f"{report.warm.files} → {report.end.files}"),
        Figure("soak: threads, after warm-up → end", report.end.threads - report.warm.threads, "", "flat",
               f"{report.warm.threads} → {report.end.threads}"),
        Figure("soak: session folders beyond the retention window's visits", report.most_folders_over_allowed, "",
               "≤ 0", f"retention {RETENTION_S:.0f} s, most folders at once "
                      f"{max(s.folders for s in report.samples)}"),
    ]
    if out is not None:
        _write_summary(out / f"soak-{day}", report, figures, visitors)
    return figures


def _write_summary(stem: Path, report: SoakReport, figures: list[Figure], visitors: int) -> None:
    """``stem``.json (figures, errors, every sample) and ``stem``.md (the figures as a RESULTS.md table)."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    summary = {"visits": report.visits, "visitors": visitors, "seconds": report.seconds,
               "retention_s": RETENTION_S, "figures": [asdict(f) for f in figures], "errors": report.errors,
               "warm": asdict(report.warm), "end": asdict(report.end), "samples": [asdict(s) for s in report.samples]}
    stem.with_suffix(".json").write_text(json.dumps(summary, indent=1))
    rows = ["| figure | value | target | note |", "|---|---|---|---|", *(f.row() for f in figures)]
    stem.with_suffix(".md").write_text("\n".join(rows) + "\n")
    print(f"summary → {stem}.json, {stem}.md", file=sys.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="a festival day against one app process")
    parser.add_argument("visits", type=int, nargs="?", default=2000)
    parser.add_argument("visitors", type=int, nargs="?", default=8, help="kiosks at once")
    parser.add_argument("--out", type=Path, default=Path.cwd(), help="folder for soak-<visits>.json and .md")
    args = parser.parse_args()
    for fig in run(args.visits, args.visitors, args.out):
        print(fig.row())
