"""The app under load: ≥ 20 concurrent gradio_client sessions mixing /pet, /avatar (instant and tiny) and /fuse.

    report = drive("http://127.0.0.1:7860", clients=20, seconds=60)   # an app already running (RELIVE_DEV=1)
    print(report.table())

Each client is a thread with its own ``Client`` (its own Gradio session) and runs a bounded loop until the time is
up, picking at random: /pet (random taste), /avatar with the "instant" or the "tiny" generator (the astronaut photo
from scikit-image, consent given, no backdrop) or /fuse (an RGBA cut-out into a gallery background). What is
checked, besides errors:

* **No leak between sessions.** /pet: every client's taste is its own (genre "Other" = a value no other client
  uses, the rest random) and the explanation the app returns must be the one this library computes for that very
  taste (:func:`expected_pet_text`; the accessories and their match percentages depend on the taste, so another
  session's answer does not pass). /avatar and /fuse: every client sends its own seed (avatar) or placement
  (fuse), both deterministic: the same request must always give the same picture (byte for byte) and no picture may
  come back for two different requests. The avatar's note must name the generator asked for.
* **Queue limits.** /avatar, /fuse and /album share one worker (``concurrency_id="gpu"``, limit 1) and other
  events have 4 (``default_concurrency_limit``). Gradio tells each client when its event starts and finishes
  processing (``process_starts``/``process_completed`` messages); from those times the driver counts how many
  events of a group were processing at once. A client notices a message up to ~50 ms late (gradio_client polls),
  so each interval is shortened by :data:`OVERLAP_TOLERANCE_S` at both ends before counting; a real second worker
  would overlap for whole calls (≥ 0.3 s). /pet's count is the control: it does reach 2-4. The queue length
  (``/gradio_api/queue/status``) is sampled every half second: it must stay within the queue's ``max_size`` (64).
* **Memory.** The server's RSS (with its children) when the driver starts, after one warm-up call of each kind
  (models loaded), the peak during the load and at the end. Expect it to keep growing for minutes with glibc's
  default malloc (freed memory held by per-thread arenas; with MALLOC_ARENA_MAX=2 it levels off): see
  tests/test_load.py for the figures.

Near the end (the last :data:`GPU_MARGIN_S` s) clients only ask for pets: every GPU call waits behind the others
in one queue, and stopping them early lets the run end within a few seconds of ``seconds``.

``python bench/load.py`` launches the app itself and reports p50/p95 per endpoint (``run_all.py`` runs it too).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from common import Figure  # noqa: E402

from relive.config import model_slots  # noqa: E402

OVERLAP_TOLERANCE_S = 0.1
GPU_MARGIN_S = 10.0
QUEUE_MAX_SIZE = 64  # relive.ui.build_demo: demo.queue(max_size=64)
# concurrency per group: /avatar + /fuse share "gpu" (relive.config.model_slots: 1 on a GPU, one per core on a CPU
# box; the app runs on this machine with this environment); /pet has the default 4
LIMITS = {"gpu": model_slots(), "pet": 4}
ENDPOINTS = ("/pet", "/avatar instant", "/avatar tiny", "/fuse")
# Avatars + fusions served in the 60 s of 20 clients before issue 14, quiet machine, one model slot (bench/RESULTS.md,
# 2026-11-25: 32 instant + 22 tiny avatars + 26 fusions): the throughput target is 1.5 × this.
SOUVENIRS_BEFORE = 80
MIX = (0.45, 0.2, 0.15, 0.2)  # how often a client picks each of ENDPOINTS
AUTO = "auto (best match)"
CALL_TIMEOUT_S = 180


@dataclass
class Call:
    endpoint: str
    client: int
    ok: bool
    submitted: float  # time.time() on the client
    finished: float
    started: float | None = None  # when the client heard the event started processing (None: not heard)
    done: float | None = None  # when the client heard it completed
    error: str = ""

    @property
    def latency(self) -> float:
        return self.finished - self.submitted


@dataclass
class EndpointStats:
    calls: int
    errors: int
    p50: float  # latency as the client sees it: upload, queue, processing, download
    p95: float
    max: float
    processing_p50: float  # from process_starts to process_completed (as heard by the client)


@dataclass
class LoadReport:
    clients: int
    seconds: float  # load phase, wall time (after the warm-up)
    calls: list[Call]
    leaks: list[str]  # one line per answer that was not for the session that asked
    max_concurrency: dict[str, int]  # group ("gpu", "pet") → most events seen processing at once
    max_queue_size: int | None
    rss_start_mb: float | None
    rss_warm_mb: float | None
    rss_peak_mb: float | None
    rss_after_mb: float | None
    server_summary: dict = field(default_factory=dict)  # Gradio's /monitoring/summary after the run
    distinct_pet_texts: int = 0  # how many different /pet answers were expected (the leak check's power)
    rss_samples: list[tuple[float, float]] = field(default_factory=list)  # (s since the load began, MB)
    warmup: list[Call] = field(default_factory=list)  # one call of each kind before the load (not in the stats)

    @property
    def errors(self) -> int:
        """Failed calls, the warm-up's included."""
        return sum(not c.ok for c in [*self.warmup, *self.calls])

    def stats(self) -> dict[str, EndpointStats]:
        out = {}
        for name in ENDPOINTS:
            mine = [c for c in self.calls if c.endpoint == name]
            times = np.array([c.latency for c in mine if c.ok])
            p50, p95, top = (np.percentile(times, [50, 95]).tolist() + [times.max()]) if len(times) else (np.nan,) * 3
            busy = [c.done - c.started for c in mine if c.ok and c.started is not None and c.done is not None]
            out[name] = EndpointStats(len(mine), sum(not c.ok for c in mine), float(p50), float(p95), float(top),
                                      float(np.median(busy)) if busy else np.nan)
        return out

    def table(self) -> str:
        lines = [f"{self.clients} clients, {self.seconds:.0f} s, {len(self.calls)} calls, {self.errors} errors, "
                 f"{len(self.leaks)} leaks ({self.distinct_pet_texts} distinct /pet answers checked)",
                 f"{'endpoint':<16} {'calls':>5} {'errors':>6} {'p50 s':>7} {'p95 s':>7} {'max s':>7}"
                 f" {'processing p50 s':>17}"]
        for name, s in self.stats().items():
            lines.append(f"{name:<16} {s.calls:>5} {s.errors:>6} {s.p50:>7.2f} {s.p95:>7.2f} {s.max:>7.2f}"
                         f" {s.processing_p50:>17.2f}")
        lines.append(f"most processing at once: {self.max_concurrency} (limits {LIMITS}); "
                     f"longest queue: {self.max_queue_size} (max_size {QUEUE_MAX_SIZE})")
        lines.append(f"server RSS: start {_mb(self.rss_start_mb)}, warm {_mb(self.rss_warm_mb)}, "
                     f"peak {_mb(self.rss_peak_mb)}, after {_mb(self.rss_after_mb)}")
        served = ", ".join(f"/{fn} {s.get('total_requests')} (success rate {s.get('success_rate')})"
                           for fn, s in self.server_summary.get("functions", {}).items())
        if served:  # Gradio's own count (warm-up included), refreshed every few events: a cross-check
            lines.append(f"server counted: {served}")
        for err in sorted({c.error for c in [*self.warmup, *self.calls] if not c.ok})[:10]:
            lines.append(f"error: {err}")
        lines.extend(f"leak: {leak}" for leak in self.leaks[:10])
        return "\n".join(lines)


def _mb(value: float | None) -> str:
    return "?" if value is None else f"{value:.0f} MB"


# ---------------------------------------------------------------- what each request should give back


def expected_pet_text(taste: list[float]) -> str:
    """The explanation /pet shows for ``taste`` with every slot on auto: ``relive.pet.souvenir.make_pet``'s
    explanation lines (match, then similarities and ``render.explain``, without rendering any image), as the Pet
    tab lists them."""
    from relive import genres
    from relive.pet import matcher, render
    from relive.pet.catalog import load_catalog

    vec = genres.validate(taste)
    catalog = load_catalog()
    rows = matcher.best_match(vec, catalog).rows if vec.any() else (None, None, None)
    cos, _ = matcher.similarities(vec[None, :], catalog)
    sims = tuple(float(cos[0, r]) if r is not None else 0.0 for r in rows)
    return "\n".join(f"- {line}" for line in render.explain(vec, catalog, rows, sims))


def _digest(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _forget(*paths) -> None:
    """Delete downloaded files (and their folder when empty) so a long run does not fill the disk."""
    for path in paths:
        path = Path(path)
        path.unlink(missing_ok=True)
        try:
            path.parent.rmdir()
        except OSError:
            pass


# ---------------------------------------------------------------- the server process


def server_pid(url: str) -> int | None:
    """The process listening on ``url``'s port on this machine (None when it cannot be seen)."""
    try:
        import psutil
    except ImportError:
        return None
    port = urlparse(url).port
    try:
        for conn in psutil.net_connections("tcp"):
            if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN and conn.pid:
                return conn.pid
    except (psutil.AccessDenied, OSError):
        pass
    return None


def rss_mb(pid: int | None) -> float | None:
    """Resident memory of ``pid`` and its children, in MB (psutil, else /proc/<pid>/status; None if gone)."""
    if pid is None:
        return None
    try:
        import psutil

        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
        total = 0
        for p in procs:
            try:
                total += p.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total / 1e6
    except ImportError:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024 / 1e6
        except OSError:
            return None
    except Exception:  # noqa: BLE001 — the process ended
        return None
    return None


def _get_json(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return json.loads(resp.read())
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------- one client


class _Worker:
    def __init__(self, index: int, url: str, fixtures: dict, seed: int, download: Path, deadline_box: list,
                 mix: tuple[float, ...] = MIX):
        self.index, self.url, self.fixtures = index, url, fixtures
        self.mix = np.asarray(mix, float) / np.sum(mix)
        self.rng = np.random.default_rng([seed, index])
        self.download = download
        self.deadline_box = deadline_box  # [load end, GPU calls end], set when the load starts
        self.calls: list[Call] = []
        self.pet_texts: set[str] = set()
        self.leaks: list[str] = []
        self.pictures: dict[tuple, set[str]] = {}  # request → digests of what came back
        self.client = None
        self.avatar_seed = 1000 + 7919 * index + seed  # this client's own
        self.feet_x = round(0.15 + 0.02 * (index % 36), 2)  # this client's own placement (unique up to 36)

    def connect(self) -> None:
        from gradio_client import Client

        self.client = Client(self.url, verbose=False, download_files=str(self.download))

    # each request returns (args, api_name, check) where check(result) records leaks and returns nothing

    def _taste(self) -> list[float]:
        from relive import genres

        taste = np.round(self.rng.random(genres.N_GENRES) * (self.rng.random(genres.N_GENRES) < 0.6), 2)
        taste[genres.GENRES.index("Other")] = (self.index + 1) / 1000  # no other client sends this value
        return taste.tolist()

    def pet(self):
        from relive.pet.catalog import creatures

        taste = self._taste()
        creature = self.rng.choice(list(creatures()))
        expected = expected_pet_text(taste)
        self.pet_texts.add(expected)

        def check(result):
            image, why, chart, card = result
            if why != expected:
                self.leaks.append(f"client {self.index}: /pet answered {why[:80]!r}…, expected {expected[:80]!r}…")
            _forget(image, chart, card)

        return [str(creature), AUTO, AUTO, AUTO, *taste], "/pet", check

    def avatar(self, generator: str, taste: list[float] | None = None):
        """/avatar wearing ``taste``, the one the session's last /pet was made with; without it, a /pet with one
        of a few fixed tastes is made first (untimed: only the /avatar call is measured)."""
        from gradio_client import handle_file

        from relive.pet.catalog import creatures

        if taste is None:
            taste = self.fixtures["avatar_taste"][self.index % len(self.fixtures["avatar_taste"])]
            self.client.predict(next(iter(creatures())), AUTO, AUTO, AUTO, *taste, api_name="/pet")
        args = [handle_file(str(self.fixtures["photo"])), True, "woman", "adult", "prefer not to say", "comic",
                generator, self.avatar_seed, False]
        key = ("avatar", generator, self.avatar_seed, tuple(taste))
        marker = "AI-generated" if generator == "tiny" else "no AI image model"

        def check(result):
            image, info = result
            self.pictures.setdefault(key, set()).add(_digest(image))
            if marker not in info:
                self.leaks.append(f"client {self.index}: /avatar {generator} answered {info[:80]!r}")
            _forget(image)

        return args, "/avatar", check

    def fuse(self):
        from gradio_client import handle_file

        background = self.fixtures["backgrounds"][int(self.rng.integers(len(self.fixtures["backgrounds"])))]
        args = [handle_file(str(self.fixtures["avatar"])), handle_file(str(background.path)), self.feet_x, 0.9,
                0.5, True]
        key = ("fuse", background.slug, self.feet_x)

        def check(result):
            (before, after), info = result
            self.pictures.setdefault(key, set()).add(_digest(after))
            if "AI-edited" not in info:
                self.leaks.append(f"client {self.index}: /fuse answered {info[:80]!r}")
            _forget(before, after)

        return args, "/fuse", check

    def request(self, endpoint: str):
        if endpoint == "/pet":
            return self.pet()
        if endpoint == "/fuse":
            return self.fuse()
        return self.avatar(endpoint.split()[1])

    def call(self, endpoint: str) -> None:
        from gradio_client.utils import Status

        args, api_name, check = self.request(endpoint)
        submitted = time.time()
        job = None
        try:
            job = self.client.submit(*args, api_name=api_name)
            result = job.result(timeout=CALL_TIMEOUT_S)
            ok, error = True, ""
        except Exception as err:  # noqa: BLE001 — every failure is recorded, none stops the run
            result, ok, error = None, False, f"{endpoint}: {type(err).__name__}: {str(err)[:200]}"
        finished = time.time()
        started = done = None
        updates = getattr(getattr(job, "communicator", None), "updates", None)
        while updates is not None and not updates.empty():
            update = updates.get_nowait()
            code, at = getattr(update, "code", None), getattr(update, "time", None)
            if at is None:
                continue
            if code == Status.PROCESSING and started is None:
                started = at.timestamp()
            elif code == Status.FINISHED:
                done = at.timestamp()
        if ok:
            try:
                check(result)
            except Exception as err:  # noqa: BLE001 — an answer of the wrong shape is an error too
                ok, error = False, f"{endpoint}: unexpected answer: {type(err).__name__}: {err}"
        self.calls.append(Call(endpoint, self.index, ok, submitted, finished, started, done, error))

    def loop(self, start: threading.Barrier, max_calls: int = 10_000) -> None:
        start.wait()
        end, gpu_end = self.deadline_box
        for _ in range(max_calls):  # bounded, whatever the clock does
            now = time.monotonic()
            if now >= end:
                break
            endpoint = str(self.rng.choice(ENDPOINTS, p=self.mix)) if now < gpu_end or not self.mix[0] else "/pet"
            self.call(endpoint)


# ---------------------------------------------------------------- the driver


def _fixtures(folder: Path, seed: int) -> dict:
    from PIL import Image, ImageDraw
    from skimage import data

    from relive import genres
    from relive.carousel.backgrounds import list_backgrounds

    photo = folder / "astronaut.png"
    Image.fromarray(data.astronaut()).save(photo)
    avatar = folder / "avatar.png"
    cutout = Image.new("RGBA", (300, 600), (0, 0, 0, 0))
    ImageDraw.Draw(cutout).ellipse((60, 30, 240, 590), fill=(230, 170, 130, 255))
    cutout.save(avatar)
    rng = np.random.default_rng([seed, 10**6])
    tastes = [np.round(rng.random(genres.N_GENRES), 2).tolist() for _ in range(4)]  # a few, reused: seeds differ
    return {"photo": photo, "avatar": avatar, "backgrounds": list_backgrounds(), "avatar_taste": tastes}


def _count_overlaps(calls: list[Call], tolerance: float) -> int:
    """Most ``calls`` processing at the same moment, each interval shortened by ``tolerance`` at both ends."""
    points = []
    for c in calls:
        if c.started is not None and c.done is not None and c.done - c.started > 2 * tolerance:
            points += [(c.started + tolerance, 1), (c.done - tolerance, -1)]
    most = running = 0
    for _, step in sorted(points, key=lambda p: (p[0], p[1])):  # an end before a start at the same instant
        running += step
        most = max(most, running)
    return most


def drive(url: str, clients: int = 20, seconds: float = 60, seed: int = 0, pid: int | None = None,
          mix: tuple[float, ...] = MIX) -> LoadReport:
    """Run ``clients`` concurrent sessions against the app at ``url`` for about ``seconds`` (after one warm-up
    call of each kind); ``pid``: the server process for RSS (default: whatever listens on the URL's port);
    ``mix``: how often each of :data:`ENDPOINTS` is picked."""
    if pid is None:
        pid = server_pid(url)
    rss_start = rss_mb(pid)
    folder = Path(tempfile.mkdtemp(prefix="relive-load-"))
    fixtures = _fixtures(folder, seed)
    box: list[float] = [0.0, 0.0]
    workers = [_Worker(i, url, fixtures, seed, folder / f"client-{i}", box, mix) for i in range(clients)]
    warm = _Worker(clients, url, fixtures, seed, folder / "warm-up", box, mix)
    try:
        with ThreadPoolExecutor(8) as pool:  # raises here if a client cannot connect
            list(pool.map(_Worker.connect, [*workers, warm]))
        for endpoint in ENDPOINTS:  # models loaded and caches filled before anything is timed
            warm.call(endpoint)
        rss_warm = rss_mb(pid)

        samples = {"queue": [], "rss": []}
        stop = threading.Event()

        def sample():
            while not stop.wait(0.5):
                status = _get_json(url + "/gradio_api/queue/status")
                if status and "queue_size" in status:
                    samples["queue"].append(status["queue_size"])
                if (rss := rss_mb(pid)) is not None:
                    samples["rss"].append((time.monotonic() - began, rss))

        start = threading.Barrier(clients + 1)
        threads = [threading.Thread(target=w.loop, args=(start,), daemon=True) for w in workers]
        for t in threads:
            t.start()
        began = time.monotonic()
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        box[0], box[1] = began + seconds, began + max(seconds - GPU_MARGIN_S, seconds * 0.5)
        start.wait()
        for t in threads:
            t.join(timeout=seconds + 2 * CALL_TIMEOUT_S)
        elapsed = time.monotonic() - began
        stop.set()
        sampler.join()
        rss_after = rss_mb(pid)
        summary = _get_json(url + "/monitoring/summary") or {}
    finally:
        clients_open = [w.client for w in [*workers, warm] if w.client is not None]
        if clients_open:  # each close waits up to 1 s for its heartbeat thread: all at once
            with ThreadPoolExecutor(len(clients_open)) as pool:
                list(pool.map(lambda client: client.close(), clients_open))
        shutil.rmtree(folder, ignore_errors=True)

    calls = [c for w in workers for c in w.calls]
    leaks = [leak for w in [*workers, warm] for leak in w.leaks]
    pictures: dict[tuple, set[str]] = {}
    for w in [*workers, warm]:
        for key, digests in w.pictures.items():
            pictures.setdefault(key, set()).update(digests)
    owners: dict[str, list[tuple]] = {}
    for key, digests in pictures.items():
        if len(digests) > 1:
            leaks.append(f"{key[:3]}: the same request gave {len(digests)} different pictures")
        for digest in digests:
            owners.setdefault(digest, []).append(key)
    leaks += [f"one picture came back for {len(keys)} different requests: {[k[:3] for k in keys]}"
              for keys in owners.values() if len(keys) > 1]
    concurrency = {"gpu": _count_overlaps([c for c in calls if c.endpoint != "/pet"], OVERLAP_TOLERANCE_S),
                   "pet": _count_overlaps([c for c in calls if c.endpoint == "/pet"], OVERLAP_TOLERANCE_S)}
    return LoadReport(clients, elapsed, calls, leaks, concurrency, max(samples["queue"], default=None),
                      rss_start, rss_warm, max((mb for _, mb in samples["rss"]), default=None), rss_after,
                      summary, len(set().union(*(w.pet_texts for w in workers))), samples["rss"], warm.calls)


def run() -> list[Figure]:
    from relive.testing import running_app

    clients, seconds = 20, 60
    with running_app({"RELIVE_DEV": "1"}) as (proc, url):
        report = drive(url, clients=clients, seconds=seconds, pid=proc.pid)
    print(report.table(), file=sys.stderr)
    note = f"{clients} sessions for {seconds} s, queueing included; the clients share the machine"
    figures = []
    for name, s in report.stats().items():
        figures += [Figure(f"load: {name} latency p50 ({s.calls} calls)", s.p50, "s",
                           note=f"{note}; processing alone {s.processing_p50:.2f} s"),
                    Figure(f"load: {name} latency p95", s.p95, "s", "≤ 1 s" if name == "/pet" else "",
                           note=f"max {s.max:.1f} s")]
    stats = report.stats()
    souvenirs = sum(stats[name].calls - stats[name].errors for name in ENDPOINTS if name != "/pet")
    figures += [
        Figure("load: souvenirs (avatars + fusions) served per minute", souvenirs / report.seconds * 60, "/min",
               f"≥ {1.5 * SOUVENIRS_BEFORE:.0f} /min", f"1.5 × the {SOUVENIRS_BEFORE} /min before issue 14 (quiet, "
               f"one slot); {LIMITS['gpu']} model slot(s) now"),
        Figure("load: errors / leaks across sessions", report.errors, "errors", "0",
               f"{len(report.leaks)} leaks in {len(report.calls)} calls"),
        Figure("load: most model events processing at once", report.max_concurrency["gpu"], "", str(LIMITS["gpu"]),
               f"/pet: {report.max_concurrency['pet']} (limit 4); longest queue {report.max_queue_size}"),
        Figure("load: server RSS after the warm-up", report.rss_warm_mb or float("nan"), "MB",
               note=f"cold {_mb(report.rss_start_mb)}"),
        Figure("load: server RSS growth under load (after − warm)",
               (report.rss_after_mb or np.nan) - (report.rss_warm_mb or np.nan), "MB",
               note=f"peak {_mb(report.rss_peak_mb)}"),
    ]
    return figures


if __name__ == "__main__":
    for fig in run():
        print(fig.row())
