"""What targeting is worth, checked against a month of visits with a known truth: written through
the kiosk's own logging code, the report's interval holds the uplift that was built in, says it
cannot tell when there is none, and the printable page renders in Chromium with no network."""

from __future__ import annotations

import random
import shutil
import subprocess
from datetime import datetime, timedelta

import numpy as np
import pytest

from cxkiosk.content import database, records
from cxkiosk.push.links import new_play_code
from cxkiosk.report import build_report
from cxkiosk.report_html import render_html
from cxkiosk.uplift import MIN_WATCHERS, newcombe

START = datetime(2026, 10, 1, 9)


def simulate(visits: int, tap_targeted: float, tap_holdout: float, seed: int, holdout_share: float = 0.1,
             tap_captioned: float | None = None):
    """A month of visits: each plays one item (targeted, or the idle loop's as a holdout) to 1-3
    watchers, each of whom taps with the side's probability."""
    rng = random.Random(seed)
    items = [database.Content.create(title=f"Item {n}", url=f"https://example.com/{n}", kind="web").id
             for n in range(4)]
    with database.database.atomic():
        for n in range(visits):
            at = START + timedelta(minutes=n * 30 * 24 * 60 / visits)
            holdout = rng.random() < holdout_share
            watchers = rng.choice((1, 1, 2, 3))
            code = new_play_code()
            captioned = not holdout and tap_captioned is not None and rng.random() < 0.5
            records.log_play(rng.choice(items), None, at, at + timedelta(seconds=20), "completed",
                             trigger="holdout" if holdout else "targeted", ots=watchers + rng.randint(0, 1),
                             watchers=watchers, attention=watchers * 6.0, segment="female 25-34", code=code,
                             caption="Pack light tonight." if captioned else "")
            rate = tap_holdout if holdout else tap_captioned if captioned else tap_targeted
            for _ in range(sum(rng.random() < rate for _ in range(watchers))):
                records.log_tap(items[0], "nfc-write", at + timedelta(seconds=8), code=code)


def overall():
    return build_report(None, until=START + timedelta(days=40))["uplift"]["overall"]


def test_a_known_uplift_lies_inside_the_reported_interval(db):
    simulate(6000, tap_targeted=0.09, tap_holdout=0.04, seed=11)
    result = overall()
    assert result["low"] <= 5.0 <= result["high"]
    assert result["low"] > 0 and "more taps per 100 watchers" in result["verdict"]
    assert result["holdout"]["watchers"] >= MIN_WATCHERS
    plays = result["holdout"]["plays"] + result["targeted"]["plays"]
    assert 0.08 <= result["holdout"]["plays"] / plays <= 0.12


def test_no_uplift_means_the_report_cannot_tell(db):
    simulate(6000, tap_targeted=0.05, tap_holdout=0.05, seed=5)
    result = overall()
    assert result["low"] <= 0 <= result["high"]
    assert result["verdict"].startswith("Cannot tell a difference yet")


def test_the_report_compares_written_captions_with_taglines(db):
    simulate(8000, tap_targeted=0.04, tap_holdout=0.04, tap_captioned=0.10, seed=21)
    report = build_report(None, until=START + timedelta(days=40))
    captions = report["uplift"]["captions"]["overall"]
    assert captions["low"] <= 6.0 <= captions["high"]
    assert captions["verdict"].startswith("Plays with a written caption got")
    assert captions["with_caption"]["plays"] > 3000 and captions["with_tagline"]["plays"] > 3000
    assert "Captions:" in render_html(report)


def test_too_few_visits_are_said_plainly(db):
    simulate(300, tap_targeted=0.09, tap_holdout=0.04, seed=3)
    result = overall()
    assert result["difference"] is None and result["verdict"].startswith("Not enough visits yet to tell")


def test_one_watcher_is_one_watcher():
    from cxkiosk.uplift import Arm, compare

    verdict = compare(Arm(plays=1, watchers=1), Arm()).verdict
    assert verdict.startswith("Not enough visits yet to tell: 1 watcher of targeted plays and 0 of holdout")


def test_the_interval_covers_the_truth_95_times_in_100():
    rng = np.random.default_rng(2026)
    p1, p0, n1, n0 = 0.08, 0.05, 3000, 400
    covered = 0
    for _ in range(2000):
        x1, x0 = rng.binomial(n1, p1), rng.binomial(n0, p0)
        _d, low, high = newcombe(int(x1), n1, int(x0), n0)
        covered += low <= p1 - p0 <= high
    assert 0.93 <= covered / 2000 <= 0.975


def test_taps_count_for_the_play_on_screen_at_most_once_per_watcher(db):
    item = database.Content.create(title="x", url="https://example.com/x", kind="web").id
    records.log_play(item, None, START, START + timedelta(seconds=10), "completed", trigger="targeted",
                     ots=2, watchers=1, code="aaaaaaaa")
    for _ in range(5):  # one eager visitor taps five times
        records.log_tap(item, "nfc-write", START + timedelta(seconds=3), code="aaaaaaaa")
    records.log_tap(item, "nfc-write", START + timedelta(seconds=3), code="")  # no play: not counted
    assert overall()["targeted"]["taps"] == 1


def test_the_printable_page_escapes_content_and_needs_no_network(db):
    hostile = database.Content.create(title="<script>alert(1)</script>", url="https://example.com/s",
                                      kind="web")
    records.log_play(hostile.id, None, START, START + timedelta(seconds=5), "completed")
    simulate(400, 0.09, 0.04, seed=1)
    html = render_html(build_report(None, until=START + timedelta(days=40)))
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "src=" not in html and "href=" not in html and "@import" not in html  # nothing to fetch


@pytest.mark.skipif(shutil.which("chromium") is None,
                    reason="Chromium not installed (.ci/debian-packages --tests)")
def test_the_printable_page_renders_in_chromium_headless(db, tmp_path):
    import cv2

    simulate(3000, 0.09, 0.04, seed=2)
    page = tmp_path / "report.html"
    page.write_text(render_html(build_report(None, until=START + timedelta(days=40))), encoding="utf-8")
    shot = tmp_path / "report.png"
    done = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={tmp_path / 'profile'}",
                           "--window-size=1200,1400", f"--screenshot={shot}", page.as_uri()],
                          capture_output=True, text=True, timeout=120)
    assert shot.exists(), done.stderr[-800:]
    image = cv2.imread(str(shot))
    assert image.shape[:2] == (1400, 1200)
    assert image.std() > 20  # text, tables and bars, not a blank page
    blue = (np.abs(image.astype(int) - (191, 111, 47)).sum(axis=2) < 40).sum()  # the targeted bar (BGR)
    assert blue > 500
