"""What a fleet shows of itself: each kiosk's heartbeat and the fleet list (down and degraded
first), the report per kiosk and for the whole fleet, the Fleet tab, and the id a kiosk gives
itself at its first start."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import main
from cxkiosk.config import Paths, Settings, load_settings, save_settings
from cxkiosk.content import database, records
from cxkiosk.content.database import Content, Heartbeat, close_database
from cxkiosk.content.records import log_audience, log_play, log_tap
from cxkiosk.fleet import heartbeat
from cxkiosk.fleet.heartbeat import Beat, fleet_states
from cxkiosk.fleet.status import FleetStatus, KioskState
from cxkiosk.report import build_report, render_csv
from cxkiosk.values import Audience, Person

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2025, 6, 4, 12, 0)
DAY = datetime(2025, 6, 4)


@pytest.fixture(autouse=True)
def _writer_back():
    """Each test writes as the kiosks it names; the next starts as nobody in particular."""
    yield
    records.set_writer("")


# --- heartbeats and the fleet list ---------------------------------------------------------------


def three_kiosks() -> None:
    """An ok kiosk, one whose camera is unplugged with rows queued, one silent for 10 minutes."""
    heartbeat.write(Beat("kiosk-aaaaaa", "Lobby", playable=4), at=NOW - timedelta(seconds=20))
    heartbeat.write(Beat("kiosk-bbbbbb", "Window", camera="camera 0 unplugged, retrying in 4 s",
                         playable=3, queued=42), at=NOW - timedelta(seconds=5))
    heartbeat.write(Beat("kiosk-cccccc", "Upstairs", playable=2), at=NOW.replace(hour=11, minute=50))


def check_fleet_list() -> None:
    states = fleet_states(NOW)
    assert [(s.name, s.state) for s in states] == [("Upstairs", "down"), ("Window", "degraded"),
                                                   ("Lobby", "ok")]
    assert states[0].problems == ("not seen since 11:50",)
    assert states[1].problems == ("camera 0 unplugged, retrying in 4 s", "42 rows queued")
    assert states[2].problems == () and states[2].playable == 4


def check_upsert() -> None:
    """A kiosk's next beat replaces its row: one row per kiosk, the latest word."""
    started = NOW - timedelta(hours=2)
    heartbeat.write(Beat("kiosk-dddddd", "Café", started=started, model="timed out after 8 s", playable=1),
                    at=NOW - timedelta(seconds=40))
    heartbeat.write(Beat("kiosk-dddddd", "Café terrace", started=started, playable=0, interval=60),
                    at=NOW - timedelta(seconds=150))
    row = Heartbeat.get(Heartbeat.kiosk == "kiosk-dddddd")
    assert (row.name, row.model, row.playable, row.interval, row.started) == ("Café terrace", "", 0, 60.0,
                                                                              started)
    assert row.version == heartbeat.program_version() != ""
    assert Heartbeat.select().where(Heartbeat.kiosk == "kiosk-dddddd").count() == 1
    # 150 s late on a 60 s interval: not yet 3 beats missed
    state = next(s for s in fleet_states(NOW) if s.kiosk == "kiosk-dddddd")
    assert (state.state, state.problems) == ("degraded", ("nothing playable",))
    assert next(s for s in fleet_states(NOW + timedelta(seconds=31))
                if s.kiosk == "kiosk-dddddd").state == "down"


def test_heartbeats_on_a_sqlite_file(db):
    three_kiosks()
    check_fleet_list()
    check_upsert()


def test_heartbeats_on_postgresql(postgres_url, tmp_path, capsys):
    database.open_database(postgres_url)
    try:
        Heartbeat.delete().execute()
        three_kiosks()
        check_fleet_list()
        check_upsert()
    finally:
        close_database()
    # `report --fleet` against the server's URL, as an integrator runs it
    assert main.main(["report", "--fleet", "--format", "json", "--db", postgres_url,
                      "--data-dir", str(tmp_path / "data")]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [k["name"] for k in listed] == ["Café terrace", "Lobby", "Upstairs", "Window"]  # all down: by name
    assert {k["state"] for k in listed} == {"down"}  # their beats are from 2025


def test_down_takes_three_intervals_and_at_least_90_seconds(db):
    heartbeat.write(Beat("kiosk-fast", "Fast", playable=1, interval=5), at=NOW - timedelta(seconds=80))
    heartbeat.write(Beat("kiosk-slow", "Slow", playable=1, interval=60), at=NOW - timedelta(seconds=170))
    assert {s.kiosk: s.state for s in fleet_states(NOW)} == {"kiosk-fast": "ok", "kiosk-slow": "ok"}
    assert {s.kiosk: s.state for s in fleet_states(NOW + timedelta(seconds=11))} == {
        "kiosk-fast": "down", "kiosk-slow": "down"}


def test_a_beat_from_the_status_board_lines():
    from cxkiosk.runtime.status import beat

    fine = beat({"camera": "camera 0 open 1280x720", "model": "openai: ready",
                 "nfc": "ready: hold a tag to the reader"}, kiosk="k", name="Lobby", started=NOW,
                playable=3, queued=0, interval=30)
    assert (fine.camera, fine.model, fine.nfc, fine.playable) == ("", "", "", 3)
    off = beat({"camera": "privacy mode off", "model": "privacy mode off: no model is called",
                "nfc": "NFC off; the QR code carries the link"}, kiosk="k", name="", started=None,
               playable=1, queued=0, interval=30)
    assert (off.camera, off.model, off.nfc) == ("", "", "")
    broken = beat({"camera": "camera 0 unplugged, retrying in 4 s", "model": "classifier: TimeoutError: 8 s",
                   "nfc": "no reader"}, kiosk="k", name="", started=None, playable=0, queued=5, interval=30)
    assert (broken.camera, broken.model, broken.nfc) == ("camera 0 unplugged, retrying in 4 s",
                                                         "classifier: TimeoutError: 8 s", "no reader")


def test_the_status_line_keeps_the_reason_a_server_gave_not_its_address():
    # libpq repeats the address before its reason; cut at 120 characters, a refused password read
    # "... port 46477 fa)" in the panel, the log and `check`.
    problem = ('cannot open database postgresql://showroom_a@db.example.com:5432/cxkiosk: connection to '
               'server at "db.example.com" (10.20.0.5), port 5432 failed: FATAL:  password authentication '
               'failed for user "showroom_a"')
    line = FleetStatus(server="postgresql://showroom_a@db.example.com/cxkiosk", offline_since=NOW,
                       problem=problem).line()
    assert line == (f"fleet database: offline since {NOW:%H:%M}, 0 rows queued (password authentication "
                    'failed for user "showroom_a")')
    long = FleetStatus(server="s", connected=True, problem="the local copy cannot be written " * 10).line()
    assert long.endswith(" ...") and len(long) < 220 and "writ ..." not in long


# --- the report per kiosk and for the fleet -------------------------------------------------------


def two_kiosks() -> tuple[int, int]:
    """Kiosk A: 3 plays of Suits (30 s each), 2 taps, 2 visits; kiosk B: 1 play of Suits and 2 of
    Shoes (20 s each), 1 tap, 1 visit; a failed load on B."""
    suits = Content.create(title="Suits", url="https://example.com/suits", kind="web").id
    shoes = Content.create(title="Shoes", url="https://example.com/shoes", kind="web").id
    at = DAY.replace(hour=10)
    records.set_writer("kiosk-aaaaaa")
    for n in range(3):
        log_play(suits, suits, at + timedelta(minutes=n), at + timedelta(minutes=n, seconds=30), "completed")
    log_tap(suits, "nfc-write", at=at)
    log_tap(suits, "qr", at=at + timedelta(minutes=1))
    log_audience(Audience(count=2, people=(Person(gender="female", age=30), Person())), dwell=12.0, at=at)
    log_audience(Audience(count=1, people=(Person(),)), dwell=5.0, at=at + timedelta(minutes=2))
    records.set_writer("kiosk-bbbbbb")
    at = DAY.replace(hour=15)
    log_play(suits, suits, at, at + timedelta(seconds=20), "completed")
    for n in (1, 2):
        log_play(shoes, shoes, at + timedelta(minutes=n), at + timedelta(minutes=n, seconds=20), "skipped")
    log_play(shoes, shoes, None, at + timedelta(minutes=5), "failed", reason="file missing")
    log_tap(shoes, "qr", at=at + timedelta(minutes=1))
    log_audience(Audience(count=3, people=(Person(), Person(), Person())), dwell=30.0, at=at)
    heartbeat.write(Beat("kiosk-aaaaaa", "Lobby", playable=2))
    return suits, shoes


def test_one_kiosks_report_counts_its_rows_only(db):
    suits, shoes = two_kiosks()
    a = build_report(None, until=DAY + timedelta(days=1), kiosk="kiosk-aaaaaa")
    assert (a["totals"]["plays"], a["totals"]["taps"], a["totals"]["observations"], a["totals"]["visitors"]) \
        == (3, 2, 2, 3)
    assert [(i["title"], i["plays"], i["seconds"]) for i in a["items"]] == [("Suits", 3, 90.0)]
    assert (a["kiosk"], a["kiosk_name"], a["kiosks"]) == ("kiosk-aaaaaa", "Lobby", [])
    b = build_report(None, until=DAY + timedelta(days=1), kiosk="kiosk-bbbbbb")
    assert (b["totals"]["plays"], b["totals"]["skipped"], b["totals"]["failed_to_load"], b["totals"]["taps"],
            b["totals"]["visitors"]) == (3, 2, 1, 1, 3)
    assert {i["title"]: i["plays"] for i in b["items"]} == {"Shoes": 2, "Suits": 1}
    assert b["hours"][15]["plays"] == 3 and b["hours"][10]["plays"] == 0


def test_the_fleet_report_adds_up_and_breaks_down_per_kiosk(db):
    two_kiosks()
    fleet = build_report(None, until=DAY + timedelta(days=1))
    assert (fleet["totals"]["plays"], fleet["totals"]["taps"], fleet["totals"]["observations"]) == (6, 3, 3)
    assert {i["title"]: i["plays"] for i in fleet["items"]} == {"Suits": 4, "Shoes": 2}
    assert fleet["kiosk"] is None
    assert fleet["kiosks"] == [
        {"kiosk": "kiosk-aaaaaa", "name": "Lobby", "plays": 3, "seconds": 90.0, "taps": 2, "visits": 2,
         "visitors": 3},
        {"kiosk": "kiosk-bbbbbb", "name": "", "plays": 3, "seconds": 60.0, "taps": 1, "visits": 1,
         "visitors": 3}]
    rows = list(csv.DictReader(io.StringIO(render_csv(fleet))))
    assert [(r["date"], r["kiosk"], r["title"], r["plays"], r["taps"]) for r in rows] == [
        ("2025-06-04", "kiosk-aaaaaa", "Suits", "3", "2"),
        ("2025-06-04", "kiosk-bbbbbb", "Shoes", "2", "1"),
        ("2025-06-04", "kiosk-bbbbbb", "Suits", "1", "0")]
    assert sum(int(r["plays"]) for r in rows) == fleet["totals"]["plays"]


def test_one_kiosks_rows_need_no_breakdown(db):
    records.set_writer("kiosk-aaaaaa")
    item = Content.create(title="Suits", url="https://example.com/suits", kind="web").id
    log_play(item, item, DAY.replace(hour=9), DAY.replace(hour=9, second=10), "completed")
    report = build_report(None, until=DAY + timedelta(days=1))
    assert report["kiosks"] == [] and report["kiosk_days"] == []
    assert render_csv(report).startswith("date,item_id,title,plays,")


def test_the_report_per_kiosk_on_postgresql(postgres_url):
    database.open_database(postgres_url)
    try:
        for model in (database.PlayLog, database.TapLog, database.AudienceLog, Heartbeat, Content):
            model.delete().execute()
        two_kiosks()
        b = build_report(None, until=DAY + timedelta(days=1), kiosk="kiosk-bbbbbb")
        assert (b["totals"]["plays"], b["totals"]["taps"], b["totals"]["visitors"]) == (3, 1, 3)
        fleet = build_report(None, until=DAY + timedelta(days=1))
        assert [(k["kiosk"], k["plays"], k["seconds"], k["taps"], k["visits"]) for k in fleet["kiosks"]] == [
            ("kiosk-aaaaaa", 3, 90.0, 2, 2), ("kiosk-bbbbbb", 3, 60.0, 1, 1)]
    finally:
        close_database()


def report(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`main.py report` as an operator runs it."""
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "report", "--data-dir",
                           str(tmp_path / "data"), "--db", str(tmp_path / "fleet.db"), *args],
                          capture_output=True, text=True, timeout=90)


@pytest.fixture
def fleet_file(tmp_path):
    database.open_database(str(tmp_path / "fleet.db"))
    two_kiosks()
    records.set_writer("")
    close_database()
    return tmp_path


def test_report_kiosk_in_every_format_as_a_command(fleet_file):
    table = report(fleet_file, "--kiosk", "kiosk-bbbbbb")
    assert table.returncode == 0, table.stderr
    assert "Kiosk      kiosk-bbbbbb\n" in table.stdout
    assert "Plays      3 (1 completed, 2 skipped)" in table.stdout
    data = json.loads(report(fleet_file, "--kiosk", "kiosk-aaaaaa", "--format", "json").stdout)
    assert (data["kiosk"], data["kiosk_name"], data["totals"]["plays"], data["totals"]["taps"]) == (
        "kiosk-aaaaaa", "Lobby", 3, 2)
    rows = list(csv.DictReader(io.StringIO(
        report(fleet_file, "--kiosk", "kiosk-aaaaaa", "--format", "csv").stdout)))
    assert [(r["title"], r["plays"]) for r in rows] == [("Suits", "3")] and "kiosk" not in rows[0]
    html = report(fleet_file, "--kiosk", "kiosk-aaaaaa", "--format", "html").stdout
    assert "kiosk kiosk-aaaaaa (Lobby)" in html and "<div class='card'><b>3</b>plays</div>" in html
    assert "Per kiosk" not in html


def test_the_fleet_report_as_a_command_has_a_table_per_kiosk(fleet_file):
    done = report(fleet_file)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    head = next(n for n, line in enumerate(lines) if line.startswith("Kiosk "))
    assert lines[head + 1].split() == ["kiosk-aaaaaa", "Lobby", "3", "1.5", "min", "2", "2"]
    assert lines[head + 2].split() == ["kiosk-bbbbbb", "3", "1.0", "min", "1", "1"]
    assert max(len(line) for line in lines) <= 100
    html = report(fleet_file, "--format", "html").stdout
    assert "<h2>Per kiosk</h2>" in html and "<td>kiosk-aaaaaa</td><td>Lobby</td><td>3</td>" in html
    data = json.loads(report(fleet_file, "--format", "json").stdout)
    assert [k["kiosk"] for k in data["kiosks"]] == ["kiosk-aaaaaa", "kiosk-bbbbbb"]
    assert {(d["kiosk"], d["title"]): d["plays"] for d in data["kiosk_days"]} == {
        ("kiosk-aaaaaa", "Suits"): 3, ("kiosk-bbbbbb", "Suits"): 1, ("kiosk-bbbbbb", "Shoes"): 2}


@pytest.mark.parametrize("kiosk, words", [
    ("k" * 500, "--kiosk must be at most 40 characters, not 500"),
    ("bad\x1b[2Jid", "--kiosk must not contain control or invisible characters"),
])
def test_a_hostile_kiosk_id_is_one_line_and_exit_2(tmp_path, capsys, kiosk, words):
    assert main.main(["report", "--kiosk", kiosk, "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [f"cxkiosk: error: {words}"]


def test_an_unknown_kiosk_with_quotes_is_one_line_naming_the_known_ones(fleet_file):
    done = report(fleet_file, "--kiosk", "x'; DROP TABLE play_log; --\"")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "cxkiosk: error: no kiosk 'x\\'; DROP TABLE play_log; --\"' has written to this database; "
        "kiosks here: kiosk-aaaaaa, kiosk-bbbbbb (--kiosk takes a kiosk's id, on the first line of its "
        "`check`, not its database role)"]
    assert report(fleet_file, "--kiosk", "kiosk-aaaaaa").returncode == 0  # the table is still there


# --- report --fleet -------------------------------------------------------------------------------


def test_report_fleet_lists_down_and_degraded_first(tmp_path, capsys):
    database.open_database(str(tmp_path / "fleet.db"))
    now = datetime.now().replace(microsecond=0)
    heartbeat.write(Beat("kiosk-aaaaaa", "Lobby", playable=4), at=now)
    heartbeat.write(Beat("kiosk-bbbbbb", "Window", nfc="no reader", playable=0, queued=7), at=now)
    heartbeat.write(Beat("kiosk-cccccc", "Upstairs", playable=2), at=now - timedelta(minutes=10))
    close_database()
    common = ["--data-dir", str(tmp_path / "data"), "--db", str(tmp_path / "fleet.db")]
    assert main.main(["report", "--fleet", *common]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["Kiosk", "Name", "State"]
    assert [line.split()[:3] for line in lines[1:] if line.startswith("kiosk-")] == [
        ["kiosk-cccccc", "Upstairs", "down"], ["kiosk-bbbbbb", "Window", "degraded"],
        ["kiosk-aaaaaa", "Lobby", "ok"]]
    text = " ".join(" ".join(lines).split())  # what is wrong wraps within its column
    seen = now - timedelta(minutes=10)
    assert (f"not seen since {seen:%H:%M}" if seen.date() == now.date() else "not seen since 20") in text
    assert "NFC: no reader; nothing playable; 7 rows queued kiosk-aaaaaa" in text
    assert max(len(line) for line in lines) <= 100
    assert main.main(["report", "--fleet", "--format", "json", *common]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(k["kiosk"], k["state"], k["queued"]) for k in data] == [
        ("kiosk-cccccc", "down", 0), ("kiosk-bbbbbb", "degraded", 7), ("kiosk-aaaaaa", "ok", 0)]


def test_report_fleet_on_a_database_no_fleet_reported_to(tmp_path, capsys):
    assert main.main(["report", "--fleet", "--data-dir", str(tmp_path / "data")]) == 0
    assert capsys.readouterr().out == "no kiosk of a fleet has reported to this database\n"
    assert main.main(["report", "--fleet", "--format", "csv", "--data-dir", str(tmp_path / "data")]) == 2
    assert "--fleet prints a table or JSON" in capsys.readouterr().err


# --- the Fleet tab --------------------------------------------------------------------------------


def kiosk(kiosk_id: str, name: str, state: str, *problems: str, minutes: int = 0) -> KioskState:
    return KioskState(kiosk=kiosk_id, name=name, seen=datetime.now().replace(second=0, microsecond=0)
                      - timedelta(minutes=minutes), state=state, problems=problems, version="0.1.0",
                      playable=3, queued=0)


def test_the_fleet_tab_shows_the_line_and_the_kiosks_needing_a_visit_first(qtbot):
    from PySide6.QtCore import Qt

    from ui.admin.fleet import COLOURS, HEADERS, FleetPage

    page = FleetPage()
    qtbot.addWidget(page)
    page.load(Settings(db="postgresql://kiosk@fleet.example/cx"))
    page.show()
    assert page.line.text().startswith("Fleet database: not reached yet")
    status = FleetStatus(server="postgresql://kiosk@fleet.example/cx", connected=True, queued=0, kiosks=(
        kiosk("kiosk-aaaaaa", "Lobby", "ok"),
        kiosk("kiosk-bbbbbb", "Window", "degraded", "camera 0 unplugged"),
        kiosk("kiosk-cccccc", "Upstairs", "down", "not seen since 10:32", minutes=30)))
    page.set_status(status)
    assert page.line.text() == "Fleet database: connected, 0 rows queued"
    model = page.model
    rows = [[model.data(model.index(r, c)) for c in range(len(HEADERS))] for r in range(model.rowCount())]
    assert [(r[0], r[1], r[2]) for r in rows] == [("kiosk-cccccc", "Upstairs", "down"),
                                                  ("kiosk-bbbbbb", "Window", "degraded"),
                                                  ("kiosk-aaaaaa", "Lobby", "ok")]
    assert rows[0][7] == "not seen since 10:32" and rows[2][7] == "–"
    colours = [model.data(model.index(r, 0), Qt.ItemDataRole.BackgroundRole).color().name() for r in range(3)]
    assert colours == [COLOURS["down"], COLOURS["degraded"], COLOURS["ok"]]
    assert page.summary.text() == "3 kiosks: 1 down, 1 degraded, 1 ok"
    page.set_status(FleetStatus(server="postgresql://kiosk@fleet.example/cx", connected=False,
                                offline_since=datetime(2025, 6, 4, 10, 32), queued=17, kiosks=status.kiosks))
    assert page.line.text() == "Fleet database: offline since 10:32, 17 rows queued"
    page.set_status(FleetStatus(server="postgresql://kiosk@fleet.example/cx", problem="<b>refused</b>"))
    assert page.detail.text() == "<b>refused</b>" and page.detail.textFormat() == Qt.TextFormat.PlainText


def test_a_kiosk_not_in_a_fleet_says_so_and_how_to_join(qtbot):
    from ui.admin.fleet import FleetPage

    page = FleetPage()
    qtbot.addWidget(page)
    page.load(Settings())
    page.show()
    assert "not in a fleet" in page.line.text() and "FLEET.md" in page.line.text()
    assert not page.table.isVisible()


def test_the_panel_keeps_the_fleet_status_until_unlocked(qtbot, paths, db):
    from cxkiosk.pin import PinGuard, hash_pin
    from ui.admin.panel import AdminPanel

    panel = AdminPanel(paths, Settings(admin_pin_hash=hash_pin("2468"), db="postgresql://k@h/cx"),
                       guard=PinGuard())
    qtbot.addWidget(panel)
    panel.show()
    panel.set_fleet_status(FleetStatus(server="postgresql://k@h/cx", connected=True, queued=2,
                                       kiosks=(kiosk("kiosk-aaaaaa", "Lobby", "ok"),)))
    panel.pin_dialog.pin.setText("2468")
    panel.pin_dialog.submit()
    assert panel.fleet.line.text() == "Fleet database: connected, 2 rows queued"
    assert panel.fleet.model.rowCount() == 1
    assert [panel.tabs.tabText(i) for i in range(panel.tabs.count())][-1] == "Fleet"


# --- the kiosk's own id ---------------------------------------------------------------------------


def test_a_kiosk_gets_its_id_once_and_keeps_it(paths, monkeypatch):
    from cxkiosk import first_run

    monkeypatch.setattr(first_run.socket, "gethostname", lambda: "showroom-pc-3.example.lan")
    settings = load_settings(paths, environ={})
    assert settings.kiosk_id == "kiosk"
    first = first_run.identify(paths, settings)
    assert first.kiosk_id.startswith("kiosk-") and len(first.kiosk_id) == 12
    assert first.kiosk_name == "showroom-pc-3"
    assert json.loads(paths.settings_file.read_text()) == {"version": 1, "kiosk_id": first.kiosk_id,
                                                           "kiosk_name": "showroom-pc-3"}
    again = first_run.identify(paths, load_settings(paths, environ={}))
    assert (again.kiosk_id, again.kiosk_name) == (first.kiosk_id, "showroom-pc-3")
    assert json.loads(paths.settings_file.read_text())["kiosk_id"] == first.kiosk_id
    assert not first_run.is_done(paths, again)  # the set-up still greets its operator


def test_a_name_set_before_is_kept_and_other_settings_are_not_written(paths, monkeypatch):
    from cxkiosk import first_run

    save_settings(paths, Settings(kiosk_name="Hall B"), old=Settings())
    settings = load_settings(paths, environ={})
    settings.source = "none"  # a command-line flag in force: not made permanent
    named = first_run.identify(paths, settings)
    assert named.kiosk_name == "Hall B" and named.kiosk_id != "kiosk"
    assert set(json.loads(paths.settings_file.read_text())) == {"version", "kiosk_id", "kiosk_name"}
    assert first_run.identify(paths, load_settings(paths, environ={"CXKIOSK_KIOSK_ID": "hall-b"})).kiosk_id \
        == "hall-b"


def test_check_shows_the_kiosk_id_and_name(tmp_path):
    paths = Paths.for_data_dir(tmp_path / "data")
    save_settings(paths, Settings(kiosk_id="kiosk-q2w3e4", kiosk_name="Lobby"), old=Settings())
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "check", "--no-network", "--nfc", "none",
                           "--source", "none", "--data-dir", str(tmp_path / "data")],
                          capture_output=True, text=True, timeout=120)
    assert done.stdout.splitlines()[0] == "ok   kiosk     kiosk-q2w3e4 (Lobby)"
