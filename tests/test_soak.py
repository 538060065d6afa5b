"""A short festival day (bench/soak.py's driver): visits of every kind against one app process, nothing piling up.

The full 2,000-visit day is ``python bench/soak.py``; this version runs in about two minutes on 2 cores."""

from __future__ import annotations

import sys

import pytest

from relive.testing import ROOT

sys.path.insert(0, str(ROOT / "bench"))

from soak import FLAT_SLACK, soak_app  # noqa: E402

pytestmark = [pytest.mark.server, pytest.mark.slow]

VISITS, VISITORS = 30, 4
# A regression guard for this short run, not the festival day's target: Gradio kept every closed session's state
# (≈ 7 MB a visit) for an hour, which adds ≈ 150–200 MB over these visits on top of the ≈ 170 MB measured with the
# fix. The day's ≤ MAX_RSS_GROWTH_MB target belongs to `python bench/soak.py` and is not met yet (bench/RESULTS.md).
SHORT_RUN_RSS_GROWTH_MB = 300


@pytest.fixture(scope="module")
def report():
    result = soak_app(VISITS, VISITORS)
    print("\n" + result.table())
    return result


def test_every_visit_succeeds(report):
    assert report.errors == []
    assert sum(report.visits.values()) == VISITS and all(report.visits.values())


def test_nothing_piles_up(report):
    assert report.rss_growth_mb <= SHORT_RUN_RSS_GROWTH_MB
    assert report.end.files <= report.warm.files + FLAT_SLACK
    assert report.end.threads <= report.warm.threads + FLAT_SLACK
    assert report.most_folders_over_allowed <= 0
