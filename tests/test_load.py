"""20 concurrent sessions for a minute (bench/load.py's driver): no errors, no answer reaching the wrong session,
the GPU queue's limit of one respected and the server's memory bounded. No timing is asserted here: latency
figures belong to the benchmarks (``python bench/run_all.py load``); this test prints them."""

from __future__ import annotations

import sys

import pytest

from relive.testing import ROOT, launch_app, stop_app

sys.path.insert(0, str(ROOT / "bench"))

from load import ENDPOINTS, LIMITS, QUEUE_MAX_SIZE, drive  # noqa: E402

pytestmark = [pytest.mark.server, pytest.mark.slow]

CLIENTS, SECONDS = 20, 60
MIN_CALLS = 5  # per endpoint and generator; 60 s on 2 cores made 14-29 of each GPU kind and 77-115 pets (the
# fewer while another test run shared the machine)
# Server RSS (with children) may grow this much from the end of the warm-up (every model loaded) to the end of the
# run. Measured on the 2-core CI machine, 20 clients for 60 s: +1.0 GB with glibc's default malloc (≈ 930 →
# 1930 MB; a 180 s run reached +1.35 GB, growing more and more slowly). With MALLOC_ARENA_MAX=2 the same load
# levels off at about +0.7 GB, and /pet alone at +0.45 GB within 30 s: the growth is freed memory kept by malloc's
# per-thread arenas (Gradio runs handlers on up to 40 worker threads), not objects piling up. 1.6 GB leaves that
# room plus margin, and still fails a leak that keeps a full-size picture per call (~200 calls × ≥ 8 MB).
MAX_RSS_GROWTH_MB = 1600


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """An app of its own (not the shared ``app_url``), so its memory is measured from a fresh start."""
    proc, url = launch_app({"RELIVE_DEV": "1"}, log=tmp_path_factory.mktemp("load") / "app.log")
    try:
        yield proc, url
    finally:
        stop_app(proc)


@pytest.fixture(scope="module")
def report(app):
    proc, url = app
    result = drive(url, clients=CLIENTS, seconds=SECONDS, pid=proc.pid)
    print("\n" + result.table())
    return result


def test_every_call_succeeds_and_every_endpoint_is_exercised(report):
    assert report.errors == 0, "\n".join(sorted({c.error for c in [*report.warmup, *report.calls] if not c.ok}))
    counts = report.stats()
    for name in ENDPOINTS:
        assert counts[name].calls >= MIN_CALLS, (name, counts[name])


def test_no_answer_reaches_another_session(report):
    assert report.leaks == []
    # the check has teeth: the pets asked for were told apart by their explanation (else a swap could go unseen)
    pets = report.stats()["/pet"].calls
    assert report.distinct_pet_texts >= 0.9 * pets, (report.distinct_pet_texts, pets)


def test_queue_limits_hold(report):
    # every call's processing interval was heard (else the count below would miss some)
    assert all(c.started is not None and c.done is not None for c in report.calls if c.ok)
    assert report.max_concurrency["gpu"] == LIMITS["gpu"]  # /avatar and /fuse: one at a time, and some ran
    # the control: the same measurement does see /pet events overlapping, up to their limit
    assert 2 <= report.max_concurrency["pet"] <= LIMITS["pet"]
    assert report.max_queue_size is not None and report.max_queue_size <= QUEUE_MAX_SIZE


def test_server_memory_stays_bounded(report):
    assert None not in (report.rss_warm_mb, report.rss_after_mb)
    assert report.rss_after_mb - report.rss_warm_mb < MAX_RSS_GROWTH_MB, report.table()
