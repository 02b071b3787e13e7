"""The content database file: pragmas, migration of a v1 file, locked/corrupt files, first run,
the read-only fallback, the idle playlist's schedule, logs and prompt versions."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from datetime import datetime

import peewee
import pytest

from cxkiosk.content import database, records, schema
from cxkiosk.content.database import (
    AudienceLog,
    Content,
    DatabaseError,
    PlayLog,
    Prompt,
    TapLog,
    close_database,
    open_database,
    playlist,
    prepare_database,
)
from cxkiosk.content.prompt_store import activate_prompt, active_prompt, prompt_versions, save_prompt
from cxkiosk.content.records import log_audience, log_play, log_tap
from cxkiosk.profiling.prompts import DEFAULT_PROMPTS
from cxkiosk.values import Audience, Person


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_new_file_is_safe_for_power_cuts_and_has_default_prompts(db):
    pragma = {name: db.execute_sql(f"PRAGMA {name}").fetchone()[0]
              for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}
    assert pragma == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 5000}
    assert {p.name for p in Prompt.select()} == {name for name, _s, _t in DEFAULT_PROMPTS}
    assert active_prompt("camera") == DEFAULT_PROMPTS[0][2]
    assert active_prompt("thermal") == next(t for _n, s, t in DEFAULT_PROMPTS if s == "thermal")


def test_sqlite_url_opens_the_same_file(tmp_path):
    path = tmp_path / "via-url.db"
    open_database(f"sqlite:///{path}")
    Content.create(title="a", url="https://example.com/a", kind="web")
    close_database()
    open_database(str(path))
    assert [c.title for c in Content.select()] == ["a"]
    close_database()


V1_SCHEMA = """
CREATE TABLE schema_version (id INTEGER PRIMARY KEY, version INTEGER NOT NULL);
INSERT INTO schema_version (version) VALUES (1);
CREATE TABLE content (id INTEGER PRIMARY KEY, title VARCHAR(200) NOT NULL, description TEXT NOT NULL,
  url TEXT NOT NULL, kind VARCHAR(10) NOT NULL, path TEXT NOT NULL, duration REAL NOT NULL,
  genders VARCHAR(20) NOT NULL, age_min INTEGER, age_max INTEGER, keywords TEXT NOT NULL,
  weight REAL NOT NULL, enabled INTEGER NOT NULL, created DATETIME NOT NULL, updated DATETIME NOT NULL);
CREATE UNIQUE INDEX content_url_path ON content (url, path);
CREATE TABLE prompt (id INTEGER PRIMARY KEY, name VARCHAR(60) NOT NULL, text TEXT NOT NULL,
  source VARCHAR(10) NOT NULL, active INTEGER NOT NULL);
CREATE TABLE play_log (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES content (id) ON DELETE SET NULL,
  start DATETIME NOT NULL, "end" DATETIME, outcome VARCHAR(10) NOT NULL, reason TEXT NOT NULL);
INSERT INTO content VALUES (1, 'Suits', 'men in suits', 'https://www.youtube.com/watch?v=aaaaaaaaaaa',
  'youtube', '', 10.0, 'male', 30, 50, 'suit', 1.0, 1, '2024-01-02 10:00:00', '2024-01-02 10:00:00');
INSERT INTO content VALUES (2, 'Old off', '', 'https://example.com/off', 'web', '', 12.5, '', NULL, NULL,
  '', 2.0, 0, '2024-01-02 10:00:00', '2024-01-02 10:00:00');
INSERT INTO prompt VALUES (1, 'my-camera', 'Describe the people.', 'camera', 1);
INSERT INTO play_log VALUES (1, 1, '2024-01-03 09:00:00', '2024-01-03 09:00:30', 'completed', '');
INSERT INTO play_log VALUES (2, 2, '2024-01-03 09:01:00', NULL, 'failed', 'embedding refused');
"""


def test_v1_file_upgrades_in_place_without_losing_rows(tmp_path):
    path = tmp_path / "v1.db"
    con = sqlite3.connect(path)
    con.executescript(V1_SCHEMA)
    con.close()

    db = open_database(str(path))
    try:
        assert db.execute_sql("SELECT version FROM schema_version").fetchall() == [(schema.SCHEMA_VERSION,)]
        suits, off = Content.select().order_by(Content.id)
        assert (suits.title, suits.genders, suits.age_min, suits.keywords) == ("Suits", "male", 30, "suit")
        assert (off.enabled, off.weight, off.duration) == (False, 2.0, 12.5)
        assert (suits.idle, suits.days, suits.hour_from, suits.tagline) == (True, "", None, "")
        # the operator's own prompt survived, as version 1, still active
        assert active_prompt("camera") == "Describe the people."
        assert Prompt.get(Prompt.name == "my-camera").version == 1
        plays = list(PlayLog.select().order_by(PlayLog.start))
        assert [(p.item_id, p.outcome, p.reason, p.trigger) for p in plays] == [
            (1, "completed", "", "idle"), (2, "failed", "embedding refused", "idle")]
        # new v2 features work on the upgraded file
        log_play(1, 1, datetime(2024, 1, 4, 9), datetime(2024, 1, 4, 9, 1), "completed", trigger="targeted")
        log_tap(1, "qr")
        assert [i.title for i in playlist(datetime(2024, 1, 4, 12))] == ["Suits"]
    finally:
        close_database()
    # opening again is a no-op upgrade
    open_database(str(path))
    assert Content.select().count() == 2 and PlayLog.select().count() == 3 and TapLog.select().count() == 1
    close_database()


def test_a_v2_file_gains_audience_per_play_and_codes_without_losing_rows(tmp_path):
    path = tmp_path / "v2.db"
    open_database(str(path))
    item = Content.create(title="Kept", url="https://example.com/kept", kind="web")
    log_play(item.id, item.id, datetime(2026, 1, 5, 9), datetime(2026, 1, 5, 9, 1), "completed",
             trigger="targeted")
    log_tap(item.id, "qr", at=datetime(2026, 1, 5, 9))
    close_database()
    con = sqlite3.connect(path)  # back to what a v2 kiosk wrote
    for table, column in (("play_log", "ots"), ("play_log", "watchers"), ("play_log", "attention"),
                          ("play_log", "segment"), ("play_log", "code"), ("tap_log", "code")):
        con.execute(f"DROP INDEX IF EXISTS {table}_{column}")
        con.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    con.execute("UPDATE schema_version SET version = 2")
    con.commit()
    con.close()
    open_database(str(path))
    try:
        play = PlayLog.get()
        assert (play.item_id, play.trigger) == (item.id, "targeted")
        assert (play.ots, play.segment, play.code) == (None, "", "")
        assert TapLog.get().code == ""
        log_play(item.id, None, datetime(2026, 1, 6, 9), None, "completed", trigger="holdout", ots=2,
                 watchers=1, attention=4.0, segment="female 25-34", code="abcdefgh")
        assert PlayLog.select().where(PlayLog.trigger == "holdout").get().watchers == 1
    finally:
        close_database()


def test_newer_schema_is_not_touched(tmp_path):
    path = tmp_path / "future.db"
    open_database(str(path))
    close_database()
    con = sqlite3.connect(path)
    con.execute("UPDATE schema_version SET version = 99")
    con.commit()
    con.close()
    before = digest(path)
    with pytest.raises(DatabaseError, match="newer cxkiosk"):
        open_database(str(path))
    assert digest(path) == before


def test_readonly_never_writes(tmp_path):
    path = tmp_path / "ro.db"
    open_database(str(path))
    Content.create(title="a", url="https://example.com/a", kind="web")
    close_database()
    before = digest(path)
    open_database(str(path), readonly=True)
    try:
        assert [i.title for i in playlist()] == ["a"]
        with pytest.raises(peewee.PeeweeException):
            Content.create(title="b", url="https://example.com/b", kind="web")
    finally:
        close_database()
    assert digest(path) == before


def test_locked_file_gives_a_clear_message(tmp_path):
    path = tmp_path / "locked.db"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("CREATE TABLE x (a)")
    other.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseError, match=r"locked.db is locked by another program"):
            open_database(str(path), timeout=0.2)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert database.current_database() is None


def test_garbage_file_is_reported_corrupt(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not a database at all\n" * 200)
    with pytest.raises(DatabaseError, match=r"junk.db is corrupt \(integrity check failed\)"):
        open_database(str(path))


def test_damaged_pages_are_reported_corrupt(tmp_path):
    path = tmp_path / "damaged.db"
    open_database(str(path))
    Content.insert_many([{"title": f"item {i}", "url": f"https://example.com/{i}", "kind": "web",
                          "description": "x" * 300} for i in range(300)]).execute()
    close_database()
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data) - page, 3 * page):  # scribble over several pages
        data[offset + 8:offset + 200] = b"\xff" * 192
    path.write_bytes(bytes(data))
    with pytest.raises(DatabaseError, match="corrupt"):
        open_database(str(path))


def make_shipped(path) -> None:
    open_database(str(path))
    Content.create(title="Shipped welcome", url="https://example.com/welcome", kind="web")
    close_database()
    con = sqlite3.connect(path)
    con.execute("PRAGMA journal_mode=DELETE")  # an install file is one plain file
    con.close()


def test_first_run_copies_the_shipped_file_and_never_writes_it(tmp_path):
    shipped = tmp_path / "install" / "content.db"
    shipped.parent.mkdir()
    make_shipped(shipped)
    before = digest(shipped)
    data_db = tmp_path / "data" / "content.db"

    db, warning = prepare_database(data_db, shipped)
    try:
        assert warning is None and data_db.is_file()
        Content.create(title="Operator's own", url="https://example.com/own", kind="web")
        assert [i.title for i in playlist()] == ["Shipped welcome", "Operator's own"]
    finally:
        close_database()
    assert digest(shipped) == before
    assert sorted(p.name for p in shipped.parent.iterdir()) == ["content.db"]
    # a second start keeps the operator's edits (no second copy)
    prepare_database(data_db, shipped)
    assert Content.select().count() == 2
    close_database()


@pytest.mark.expect_log('is corrupt')
def test_corrupt_data_file_falls_back_to_shipped_read_only(tmp_path):
    shipped = tmp_path / "content-shipped.db"
    make_shipped(shipped)
    before = digest(shipped)
    data_db = tmp_path / "data.db"
    data_db.write_bytes(b"\x00garbage" * 1000)

    db, warning = prepare_database(data_db, shipped)
    try:
        assert "corrupt" in warning and "read-only" in warning
        assert [i.title for i in playlist()] == ["Shipped welcome"]
        assert database.is_readonly()
    finally:
        close_database()
    assert digest(shipped) == before
    assert data_db.read_bytes() == b"\x00garbage" * 1000  # left for the operator to inspect


def test_no_shipped_file_starts_an_empty_database(tmp_path):
    db, warning = prepare_database(tmp_path / "data.db", tmp_path / "missing.db")
    assert warning is None and playlist() == []
    close_database()


def add(**fields) -> Content:
    fields.setdefault("kind", "web")
    fields.setdefault("url", f"https://example.com/{fields['title'].replace(' ', '-')}")
    return Content.create(**fields)


def test_playlist_follows_schedule_and_flags(db):
    add(title="always")
    add(title="night", hour_from=22, hour_to=2, days="4")  # Friday night, into Saturday
    add(title="office hours", hour_from=9, hour_to=17, days="01234")
    add(title="june", date_from=datetime(2025, 6, 1).date(), date_to=datetime(2025, 6, 30).date())
    add(title="disabled", enabled=False)
    add(title="targeted only", idle=False)

    def titles(at):
        return [i.title for i in playlist(at)]

    fri = datetime(2025, 6, 6)  # a Friday
    assert titles(fri.replace(hour=10)) == ["always", "office hours", "june"]
    assert titles(fri.replace(hour=23, minute=30)) == ["always", "night", "june"]
    assert titles(datetime(2025, 6, 7, 1, 59)) == ["always", "night", "june"]  # Saturday, same night
    assert titles(datetime(2025, 6, 7, 2, 0)) == ["always", "june"]
    assert titles(datetime(2025, 6, 7, 23)) == ["always", "june"]  # Saturday night is not Friday's
    assert titles(datetime(2025, 7, 1, 10)) == ["always", "office hours"]  # a Tuesday in July
    assert titles(datetime(2025, 6, 30, 23, 59)) == ["always", "june"]  # last day of the range, a Monday


def test_play_log_keeps_proof_when_an_item_is_deleted(db):
    item = add(title="gone soon")
    log_play(item.id, item.id, datetime(2025, 1, 1, 10), datetime(2025, 1, 1, 10, 1), "completed",
             trigger="targeted", audience="1 person: female 34")
    item.delete_instance()
    row = PlayLog.get()
    assert (row.item_id, row.trigger, row.audience) == (None, "targeted", "1 person: female 34")
    with pytest.raises(ValueError, match="outcome"):
        log_play(None, None, datetime(2025, 1, 1), None, "exploded")


def test_audience_log_stores_anonymous_attributes_only(db):
    audience = Audience(count=2, people=(Person(gender="female", age=34, ethnicity="asian", emotion="happy",
                                                facing=True), Person(gender="male")), source="model:x")
    log_audience(audience, provider="ollama", latency_ms=812.5, dwell=14.0, watchers=1)
    log_audience(audience, sensitive=True)
    plain, opted_in = AudienceLog.select().order_by(AudienceLog.time)
    people = json.loads(plain.people)
    assert people[0]["gender"] == "female" and people[0]["age"] == 34
    assert "ethnicity" not in plain.people and "emotion" not in plain.people
    assert (plain.count, plain.provider, plain.latency_ms, plain.dwell, plain.watchers) == (
        2, "ollama", 812.5, 14.0, 1)
    assert json.loads(opted_in.people)[0]["ethnicity"] == "asian"
    columns = {c.name for c in db.get_columns("audience_log")}
    assert not columns & {"image", "frame", "crop", "embedding"}


def test_tap_log_validates_kind(db):
    item = add(title="tapped")
    log_tap(item.id, "nfc-write")
    assert [(t.item_id, t.kind) for t in TapLog.select()] == [(item.id, "nfc-write")]
    with pytest.raises(ValueError, match="tap kind"):
        log_tap(item.id, "bluetooth")


def test_saving_a_prompt_keeps_earlier_versions(db):
    save_prompt("profile-json", "Version two", "camera")
    save_prompt("profile-json", "Version three", "camera")
    assert active_prompt("camera") == "Version three"
    versions = prompt_versions("profile-json")
    assert [(p.version, p.text) for p in versions][:2] == [(3, "Version three"), (2, "Version two")]
    assert versions[-1].text == DEFAULT_PROMPTS[0][2]
    activate_prompt("profile-json", 2)
    assert active_prompt("camera") == "Version two"
    assert active_prompt("thermal") != "Version two"  # sources are independent
    with pytest.raises(ValueError, match="source"):
        save_prompt("x", "y", "microphone")


def test_links_are_normalized_on_every_save(db):
    from cxkiosk.links import LinkError

    item = Content.create(title="clip", url="youtu.be/AAAAAAAAAAA?t=5")
    assert Content.get_by_id(item.id).url == "https://www.youtube.com/watch?v=AAAAAAAAAAA"
    item.url = "javascript:alert(1)"
    with pytest.raises(LinkError):
        item.save()


def test_postgresql_url_serves_the_same_features(postgres_url):
    from cxkiosk.content.selection import Selector
    from cxkiosk.report import build_report

    open_database(postgres_url)
    try:
        item = Content.create(title="night suits", url="youtu.be/AAAAAAAAAAA", genders="female",
                              keywords="suit", hour_from=22, hour_to=2, days="2")
        wednesday_night = datetime(2025, 6, 4, 23)
        assert [i.title for i in playlist(wednesday_night)] == ["night suits"]
        assert playlist(datetime(2025, 6, 5, 23)) == []
        choice = Selector().choose(Audience(count=1, people=(Person(gender="female", clothing="suit"),)),
                                   wednesday_night)
        assert (choice.item.url, choice.score) == ("https://www.youtube.com/watch?v=AAAAAAAAAAA", 2.0)
        log_play(item.id, item.id, wednesday_night, wednesday_night.replace(minute=1), "completed")
        save_prompt("profile-json", "fleet prompt", "camera")
        report = build_report(None)
        assert (report["totals"]["plays"], report["items"][0]["seconds"]) == (1, 60.0)
        assert report["hours"][23]["plays"] == 1
    finally:
        close_database()
    open_database(postgres_url)  # a second kiosk of the fleet opens the same, already current, schema
    assert Content.select().count() == 1 and active_prompt("camera") == "fleet prompt"
    close_database()


@pytest.mark.expect_log('database is read-only')
def test_read_only_fallback_keeps_playing_and_skips_logs_with_one_warning(tmp_path, caplog):
    path = tmp_path / "shipped.db"
    database.open_database(str(path))
    item = database.Content.create(title="A", url="https://example.com/a", kind="web")
    database.close_database()
    database.open_database(str(path), readonly=True)
    try:
        with caplog.at_level("WARNING", logger="cxkiosk.db"):
            records.log_play(item.id, item.id, datetime.now(), datetime.now(), "completed")
            records.log_audience(Audience(count=1))
            records.log_tap(item.id, "nfc-write")
        assert [r.message for r in caplog.records].count(
            "database is read-only: proof of play, visits and taps are not stored until it is fixed") == 1
        assert database.PlayLog.select().count() == 0
        assert [i.title for i in database.playlist()] == ["A"]  # the show goes on
    finally:
        database.close_database()


def test_the_shipped_database_opens_read_only_at_the_current_schema():
    """The read-only fallback plays it as it is, so it must never need an upgrade (rebuild it with
    resources/make_content_db.py when the schema changes)."""
    from cxkiosk.resources import shipped_db

    open_database(str(shipped_db()), readonly=True)
    try:
        row = database.current_database().execute_sql("SELECT MAX(version) FROM schema_version").fetchone()
        assert row[0] == schema.SCHEMA_VERSION
        assert Content.select().count() >= 5 and active_prompt("caption")
    finally:
        close_database()
