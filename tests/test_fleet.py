"""A fleet kiosk against a real PostgreSQL server (tests/postgres.py): its local copy, its queue,
the server going away and coming back, edits routed to the server, schema made once."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import psycopg2
import pytest

from cxkiosk.content import database, library, records, schema
from cxkiosk.content.database import Outbox, PlayLog
from cxkiosk.fleet import mirror, outbox
from cxkiosk.fleet.sync import join, read_state
from cxkiosk.resources import shipped_db
from cxkiosk.values import Audience, Person

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def server(pg_server):
    return pg_server


@pytest.fixture
def fleet_db(server):
    """An empty database of its own on the module's server, for one test."""
    yield create_database(server, f"fleet_{datetime.now():%H%M%S%f}")
    database.route_edits(None)
    records.set_writer("")
    database.close_database()


def create_database(server, name: str) -> str:
    con = psycopg2.connect(server.url)
    try:
        con.autocommit = True
        con.cursor().execute(f"CREATE DATABASE {name}")
    finally:
        con.close()
    return server.url.rsplit("/", 1)[0] + "/" + name


def sql(url: str, query: str, *args):
    con = psycopg2.connect(url)
    try:
        with con, con.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall() if cur.description else None
    finally:
        con.close()


def seed(url: str, *titles: str) -> None:
    """Content put on the server as `content import --db URL` would, by another process."""
    database.open_database(url)
    try:
        for n, title in enumerate(titles):
            library.save({"title": title, "kind": "slide", "path": f"slides/{n}.html", "duration": 5})
    finally:
        database.close_database()


def play(code: str, start: datetime, outcome: str = "completed") -> None:
    records.log_play(None, None, start, start + timedelta(seconds=5), outcome, code=code)


@pytest.mark.expect_log(r"fleet database .* unreachable")
def test_a_fleet_kiosk_plays_the_fleets_content_queues_through_an_outage_and_sends_each_row_once(
        server, fleet_db, tmp_path, caplog):
    caplog.set_level(logging.INFO, "cxkiosk.fleet")
    seed(fleet_db, "Spring offer", "Opening hours")
    sync, warning = join(fleet_db, tmp_path, "hall-a", shipped_db())
    assert warning is None and sync.status.connected
    # It plays the fleet's items, not the shipped ones, from its own file.
    assert [i.title for i in database.playlist()] == ["Spring offer", "Opening hours"]
    assert Path(database.current_database().database) == mirror.mirror_path(tmp_path)

    t0 = datetime(2026, 12, 1, 10)
    play("p1", t0)
    records.log_audience(Audience(count=1, people=(Person(gender="female", age=30),)))
    assert outbox.depth() == 2
    status, _ = sync.step()
    assert (status.connected, status.queued) == (True, 0)
    assert sql(fleet_db, "SELECT code, kiosk FROM play_log") == [("p1", "hall-a")]
    assert sql(fleet_db, "SELECT count, kiosk FROM audience_log") == [(1, "hall-a")]

    server.stop()
    try:
        for n in range(2, 6):
            play(f"p{n}", t0 + timedelta(minutes=n))
        status, _ = sync.step()
        assert not status.connected and status.queued == 4
        assert status.line().startswith(f"fleet database: offline since {status.offline_since:%H:%M}, 4 rows")
        # The billboard plays on from the copy; an edit is refused in one line, nothing kept aside.
        assert [i.title for i in database.playlist()] == ["Spring offer", "Opening hours"]
        with pytest.raises(library.ContentError, match="offline since"):
            library.save({"title": "Made offline", "kind": "slide", "path": "slides/x.html"})
        assert not library.listing() or "Made offline" not in {r["title"] for r in library.listing()}
    finally:
        server.start()
    status, _ = sync.step()
    assert (status.connected, status.queued) == (True, 0)
    assert sql(fleet_db, "SELECT code FROM play_log ORDER BY start") == [(f"p{n}",) for n in range(1, 6)]
    assert "fleet database: 4 rows queued while offline sent" in caplog.text  # the log says they went

    # The server stored a batch and went away before the kiosk heard: sent again, still one row each.
    play("p6", t0 + timedelta(minutes=6))
    queued = list(Outbox.select(Outbox.table, Outbox.row).tuples())
    assert outbox.send(sync._server) == 1
    for table, row in queued:
        Outbox.create(table=table, row=row)
    assert outbox.send(sync._server) == 1
    assert sql(fleet_db, "SELECT count(*), count(DISTINCT id) FROM play_log") == [(6, 6)]

    # A play sent while on screen is completed by the later copy of the same row.
    start = t0 + timedelta(minutes=7)
    records.log_play(None, None, start, start + timedelta(seconds=1), "playing", code="p7")
    sync.step()
    records.log_play(None, None, start, start + timedelta(seconds=9), "completed", code="p7")
    sync.step()
    assert sql(fleet_db, "SELECT outcome, \"end\" - start FROM play_log WHERE code = 'p7'") == [
        ("completed", timedelta(seconds=9))]


def test_content_edited_anywhere_reaches_the_kiosk_and_its_own_edits_go_to_the_server(
        server, fleet_db, tmp_path):
    seed(fleet_db, "Spring offer")
    sync, _ = join(fleet_db, tmp_path, "hall-b", shipped_db())
    status, changed = sync.step()
    assert not changed  # nothing new since the copy made at the start
    # An integrator's own SQL on the server (the trigger raises the revision).
    sql(fleet_db, "UPDATE content SET title = 'Winter offer'")
    status, changed = sync.step()
    assert changed and [i.title for i in database.playlist()] == ["Winter offer"]
    # An edit in this kiosk's panel is made on the server, and copied back at once.
    new_id = library.save({"title": "Made here", "kind": "slide", "path": "slides/h.html"})
    assert sql(fleet_db, "SELECT title FROM content WHERE id = %s", new_id) == [("Made here",)]
    assert "Made here" in [i.title for i in database.playlist()]
    library.delete(new_id)
    assert sql(fleet_db, "SELECT count(*) FROM content") == [(1,)]
    assert [i.title for i in database.playlist()] == ["Winter offer"]


@pytest.mark.expect_log(r"fleet database .* unreachable")
def test_a_kiosk_that_never_reached_its_server_plays_the_shipped_content_and_keeps_its_rows_local(
        server, tmp_path):
    url = f"postgresql://postgres@127.0.0.1:{server.port + 1}/nowhere"  # nothing listens there
    sync, warning = join(url, tmp_path, "hall-c", shipped_db())
    try:
        assert not sync.status.connected and sync.status.never_synced
        assert "offline" in warning and "shipped content" in warning
        assert database.playlist()  # the shipped loop plays
        play("local", datetime(2026, 12, 1, 9))
        # Its item ids are the shipped file's, not the fleet's: kept here, never sent as the fleet's.
        assert outbox.depth() == 0 and PlayLog.select().count() == 1
    finally:
        sync.stop()
        records.set_writer("")
        database.close_database()


def test_kiosks_starting_together_make_the_schema_once(server):
    url = create_database(server, "together")
    code = ("import sys; from cxkiosk.content import database; database.open_database(sys.argv[1]); "
            "print('ok')")
    starts = [subprocess.Popen([sys.executable, "-c", code, url], cwd=REPO, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True) for _ in range(6)]
    results = [p.communicate(timeout=120) for p in starts]
    assert [p.returncode for p in starts] == [0] * 6, [err[-800:] for _out, err in results]
    assert sql(url, "SELECT version FROM schema_version") == [(schema.SCHEMA_VERSION,)]
    assert sql(url, "SELECT count(*) FROM fleet_revision") == [(1,)]


def test_a_play_logged_while_the_fleet_thread_writes_the_local_copy_is_stored_not_refused(db, tmp_path):
    """The fleet thread writes the kiosk's file (a copy, its sends) while the GUI thread logs plays;
    a play's write reads its row first, and a transaction that read before another's commit and
    wrote after it was refused at once ("database is locked"): found by the two-kiosk test."""
    import sqlite3
    import threading
    import time

    start = datetime(2026, 12, 1, 11)
    play("c1", start, "playing")
    other = sqlite3.connect(db.database, timeout=10, isolation_level=None)  # as the fleet thread's copy
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO outbox (\"table\", row) VALUES ('play_log', 'x')")
        done = threading.Thread(target=play, args=("c1", start))
        done.start()
        time.sleep(0.5)  # the play's write reaches the lock the copy holds (not a timing assert)
        other.execute("COMMIT")
        done.join(30)
    finally:
        other.close()
    assert records.pending_records() == 0
    assert [(r.code, r.outcome) for r in PlayLog.select()] == [("c1", "completed")]


@pytest.mark.parametrize("url", ["postgresql://app:s3cret@127.0.0.1:5432",  # no database name
                                 "postgresql://app:s3cret@127.0.0.1:notaport/shop"])
def test_a_url_that_cannot_be_read_is_named_without_its_password(url):
    from cxkiosk.fleet import server as fleet_server

    for opening in (database.open_database, fleet_server.connect):
        with pytest.raises(database.DatabaseError) as refused:
            opening(url)
        assert "s3cret" not in str(refused.value) and "app@127.0.0.1" in str(refused.value)


def test_a_password_with_url_characters_in_it_is_given_percent_encoded(server):
    """As libpq reads a URL: 'p@ss/w:rd' is given as p%40ss%2Fw%3Ard (found trying it as an
    integrator would; it was sent encoded and refused)."""
    import time
    from urllib.parse import quote

    password = "p@ss/w:rd%"
    con = psycopg2.connect(server.url)
    try:
        con.autocommit = True
        con.cursor().execute("CREATE ROLE kiosk_pw LOGIN PASSWORD %s", (password,))
        con.cursor().execute("CREATE DATABASE pw OWNER kiosk_pw")
    finally:
        con.close()
    hba = Path(server.folder) / "data" / "pg_hba.conf"
    hba.write_text("host all kiosk_pw 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
    server.as_postgres(f"{server.bindir}/pg_ctl -D {server.folder}/data reload")
    url = f"postgresql://kiosk_pw:{quote(password, safe='')}@127.0.0.1:{server.port}/pw"
    deadline = time.monotonic() + 30  # the reload is a signal: wait until a wrong password is refused
    while True:
        try:
            psycopg2.connect(url.replace("%40", "X"), connect_timeout=5).close()
        except psycopg2.OperationalError:
            break
        assert time.monotonic() < deadline, "the server did not take the password rule"
        time.sleep(0.2)
    try:
        database.open_database(url)
        assert database.Content.select().count() == 0
    finally:
        database.close_database()


@pytest.mark.expect_log(r"fleet database .* unreachable")
def test_check_says_what_the_kiosk_last_saw_of_its_server(server, tmp_path):
    from cxkiosk.commands.check import check_fleet
    from cxkiosk.commands.common import Context
    from cxkiosk.config import Paths, Settings

    url = f"postgresql://hall:pw-never-shown@127.0.0.1:{server.port + 1}/nowhere"
    ctx = Context(paths=Paths.for_data_dir(tmp_path), settings=Settings(), db_spec=url)
    (never,) = check_fleet(ctx)
    assert not never.ok and "no status yet" in never.detail
    sync, _ = join(url, tmp_path, "hall-d", shipped_db())
    try:
        (line,) = check_fleet(ctx)
    finally:
        sync.stop()
        records.set_writer("")
        database.close_database()
    since = datetime.fromisoformat(str(read_state(tmp_path)["offline_since"]))  # type: ignore[index]
    assert not line.ok and line.detail.startswith(f"fleet database: offline since {since:%H:%M}, ")
    assert "0 rows queued; playing the shipped content" in line.detail and "pw-never-shown" not in line.detail
    assert "is it running" not in line.detail  # just written
    assert "Connection refused" in line.detail  # the reason, not libpq's preamble cut before it
    from cxkiosk.commands.check import check_youtube

    youtube = check_youtube(ctx)  # the server line says why; this line does not repeat it
    assert not youtube.ok and youtube.detail == ("proof of play is the fleet database's, which did not "
                                                 "answer (see the server line)")
    assert check_fleet(Context(paths=ctx.paths, settings=Settings(), db_spec=str(tmp_path / "x.db"))) == []


V4 = "b5ecb4f"  # the last commit whose schema was v4 (integer log ids, no kiosk)


def test_a_fleet_database_from_before_v5_is_upgraded_keeping_its_rows(server, tmp_path):
    """A PostgreSQL database the previous release wrote (its own code, from git) opens upgraded:
    the same plays and taps, now with UUID ids."""
    old = tmp_path / "v4"
    old.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", V4, "cxkiosk"], capture_output=True)
    if archive.returncode != 0:
        pytest.skip(f"the v4 code is not in this checkout's history ({archive.stderr.decode()[:100]})")
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive.stdout, check=True)
    url = create_database(server, "from_v4")
    write = ("import sys; from datetime import datetime; from cxkiosk.content import database as d\n"
             "d.open_database(sys.argv[1])\n"
             "c = d.Content.create(title='old item', url='https://example.com/old', kind='web')\n"
             "for n in range(3): d.log_play(c.id, c.id, datetime(2026, 1, 1, 10, n), "
             "datetime(2026, 1, 1, 10, n, 30), 'completed', code=f'c{n}')\n"
             "d.log_tap(c.id, 'qr', code='c1')\n")
    done = subprocess.run([sys.executable, "-c", write, url], cwd=old, capture_output=True, text=True,
                          env={"PYTHONPATH": str(old), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-800:]
    assert sql(url, "SELECT version FROM schema_version") == [(4,)]
    database.open_database(url)
    try:
        plays = [(p.code, p.item_id, p.outcome) for p in PlayLog.select().order_by(PlayLog.start)]
        assert plays == [("c0", 1, "completed"), ("c1", 1, "completed"), ("c2", 1, "completed")]
        assert [(t.code, t.item_id) for t in database.TapLog.select()] == [("c1", 1)]
    finally:
        database.close_database()
    assert sql(url, "SELECT data_type FROM information_schema.columns WHERE table_name = 'play_log' "
               "AND column_name = 'id'") == [("uuid",)]
    assert sql(url, "SELECT version FROM schema_version") == [(schema.SCHEMA_VERSION,)]


@pytest.mark.expect_log(r"fleet database .* unreachable")
def test_the_panel_edits_a_fleets_content_on_the_server_and_says_so_in_one_line_while_it_is_away(
        server, fleet_db, tmp_path, qtbot):
    """The operator's view of it: an item added in the Content tab is on the server and in the
    list at once; with the server down the editor keeps every value and says why it was not saved."""
    from cxkiosk.config import Paths
    from tests.test_admin import PIN, make_panel

    seed(fleet_db, "Spring offer")
    sync, _ = join(fleet_db, tmp_path, "hall-d", shipped_db())
    panel = make_panel(qtbot, Paths.for_data_dir(tmp_path / "settings"))
    panel.pin_dialog.pin.setText(PIN)
    panel.pin_dialog.submit()
    editor = panel.content.add()
    editor.title.setText("Added at hall D")
    editor.kind.setCurrentText("web")
    editor.url.setText("https://example.com/hall-d")
    assert editor.save()
    assert sql(fleet_db, "SELECT title FROM content ORDER BY id") == [("Spring offer",), ("Added at hall D",)]
    assert "Added at hall D" in [row.title for row in library.items()]

    server.stop()
    try:
        sync.step()
        editor = panel.content.add()
        editor.title.setText("Made offline")
        editor.kind.setCurrentText("web")
        editor.url.setText("https://example.com/offline")
        assert not editor.save()
        assert "Not saved: the fleet database is offline since" in editor.error.text()
        assert editor.title.text() == "Made offline"  # nothing the operator typed is lost
    finally:
        server.start()
    sync.stop()


@pytest.mark.expect_log(r"local copy of the fleet's content cannot be written")
def test_a_kiosk_whose_own_disk_is_full_keeps_playing_its_last_copy_and_says_why(
        server, fleet_db, small_disk):
    """Its disk, not the server: it stays connected, plays the copy it has, names the fault, and
    takes the fleet's change once the disk is back."""
    seed(fleet_db, "Spring offer")
    sync, _ = join(fleet_db, small_disk.path, "hall-e", shipped_db())
    sql(fleet_db, "UPDATE content SET title = 'Winter offer', description = repeat('x', 200000)")
    filler = small_disk.fill()
    try:
        status, changed = sync.step()
        assert status.connected and not changed
        assert "cannot be written" in status.problem and status.line().startswith("fleet database: connected")
        assert [i.title for i in database.playlist()] == ["Spring offer"]
    finally:
        filler.unlink()
    status, changed = sync.step()
    assert changed and status.problem == "" and [i.title for i in database.playlist()] == ["Winter offer"]
    sync.stop()


def test_a_change_anywhere_wakes_the_kiosk_at_once_rather_than_at_its_next_poll(server, fleet_db, tmp_path):
    """The server's own word (LISTEN/NOTIFY from the revision trigger): the fleet thread's wait
    ends on the change, and the step after it copies the change."""
    seed(fleet_db, "Spring offer")
    sync, _ = join(fleet_db, tmp_path, "hall-f", shipped_db())
    sync.step()
    slept: list[float] = []

    def sleep(seconds: float) -> bool:
        # Asked to sleep for long: nobody listens, the wait would last its whole time.
        assert seconds < 1, "waited without listening for the server"
        slept.append(seconds)
        return False

    assert sync.wait(0.6, sleep) is False and slept  # nothing changed: it waited its time out
    sql(fleet_db, "UPDATE content SET title = 'Winter offer'")  # another kiosk's edit, committed
    slept.clear()
    assert sync.wait(30, sleep) is False and len(slept) < 20  # a long poll, ended by the word
    status, changed = sync.step()
    assert changed and [i.title for i in database.playlist()] == ["Winter offer"]
    sync.stop()
