"""Import and export: the seed's SQLite table as it is, CSV and JSON round trips, bad rows reported
with their line while good rows import, no duplicates on a second import, and the commands."""

from __future__ import annotations

import csv
import json
import sqlite3
from datetime import date

import pytest

import main
from cxkiosk.content.database import Content, close_database, open_database
from cxkiosk.content.targeting import parse_description
from cxkiosk.content.transfer import ContentFileError, export_file, import_file


def make_seed(path, rows) -> None:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE youtube_urls (description TEXT, url TEXT)")
    con.executemany("INSERT INTO youtube_urls VALUES (?, ?)", rows)
    con.commit()
    con.close()


SEED_ROWS = [
    ("women in their 30s wearing a suit", "https://www.youtube.com/watch?v=AAAAAAAAAAA&t=42s"),
    ("male, 30, asian, no, short, polo shirt", "https://youtu.be/BBBBBBBBBBB?si=share"),
    ("Teenagers in hoodies", "https://www.youtube.com/shorts/CCCCCCCCCCC"),
    ("family day out", "https://www.youtube-nocookie.com/embed/DDDDDDDDDDD?autoplay=1"),
    ("broken link", "https://www.youtube.com/watch?v=short"),
    ("ftp is not a web link", "ftp://example.com/video"),
    ("senior gentleman with glasses", "https://m.youtube.com/watch?feature=share&v=EEEEEEEEEEE"),
]


def test_seed_database_imports_as_it_is_with_targeting(tmp_path, db):
    seed = tmp_path / "seed.db"
    make_seed(seed, SEED_ROWS)

    result = import_file(seed)

    assert (result.added, result.updated, result.skipped) == (5, 0, 0)
    assert len(result.errors) == 2
    assert result.errors[0].startswith("row 5: url:")
    assert result.errors[1].startswith("row 6: url:") and "http" in result.errors[1]
    items = {c.url.rsplit("=", 1)[1]: c for c in Content.select()}
    assert set(items) == {"AAAAAAAAAAA", "BBBBBBBBBBB", "CCCCCCCCCCC", "DDDDDDDDDDD", "EEEEEEEEEEE"}
    assert all(c.url.startswith("https://www.youtube.com/watch?v=") and c.kind == "youtube"
               for c in items.values())
    suit = items["AAAAAAAAAAA"]
    assert (suit.genders, suit.age_min, suit.age_max, suit.keywords) == ("female", 30, 39, "suit")
    assert suit.description == "women in their 30s wearing a suit" and suit.title
    polo = items["BBBBBBBBBBB"]
    assert (polo.genders, polo.age_min, polo.age_max, polo.keywords) == ("male", 25, 35, "polo shirt")
    assert (items["CCCCCCCCCCC"].age_min, items["CCCCCCCCCCC"].age_max) == (13, 19)
    assert items["DDDDDDDDDDD"].group_min == 3
    senior = items["EEEEEEEEEEE"]
    assert (senior.genders, senior.age_min, senior.keywords) == ("male", 60, "glasses")


def test_importing_twice_does_not_duplicate(tmp_path, db):
    seed = tmp_path / "seed.db"
    make_seed(seed, SEED_ROWS[:3])
    import_file(seed)
    again = import_file(seed)
    assert (again.added, again.updated, again.skipped, again.errors) == (0, 0, 3, [])
    assert Content.select().count() == 3


RICH = [
    {"title": "Autumn suits", "description": "Men's suits, 30-50", "url": "https://youtu.be/AAAAAAAAAAA",
     "kind": "youtube", "genders": "male", "age_min": 30, "age_max": 50, "keywords": "suit, tie",
     "weight": 2.5, "days": "mon-fri", "hour_from": 9, "hour_to": 18, "tagline": "Sharp, since 1962"},
    {"title": "Late night", "url": "https://example.com/night?x=1&y=2", "kind": "web", "hour_from": 22,
     "hour_to": 2, "date_from": "2025-10-01", "date_to": "2025-12-31", "idle": False, "group_min": 2,
     "group_max": 4, "duration": 12.75, "description": 'Quotes "here", commas, and\na new line'},
    {"title": "Shop film", "path": "videos/shop.mp4", "kind": "video", "enabled": False, "genders": "any",
     "keywords": ["Long hair", "glasses"], "days": ["sat", "sun"], "description": "Ünïcödé ✓"},
]


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_round_trip_is_exact(tmp_path, suffix):
    source = tmp_path / "rich.json"
    source.write_text(json.dumps(RICH), encoding="utf-8")
    first, second = tmp_path / f"first{suffix}", tmp_path / f"second{suffix}"

    open_database(str(tmp_path / "a.db"))
    assert import_file(source).added == 3
    assert export_file(first) == 3
    close_database()
    open_database(str(tmp_path / "b.db"))
    result = import_file(first)
    assert (result.added, result.errors) == (3, [])
    export_file(second)
    close_database()

    assert first.read_bytes() == second.read_bytes()
    open_database(str(tmp_path / "b.db"))
    again = import_file(first)  # dates, floats and flags compare equal to what is stored
    assert (again.added, again.updated, again.skipped) == (0, 0, 3)
    close_database()
    # and the values survived as meant, not just consistently
    open_database(str(tmp_path / "b.db"))
    night = Content.get(Content.title == "Late night")
    assert (night.hour_from, night.hour_to, night.idle, night.group_max) == (22, 2, False, 4)
    assert (night.date_from, night.duration) == (date(2025, 10, 1), 12.75)
    assert night.description == RICH[1]["description"]
    suits = Content.get(Content.title == "Autumn suits")
    assert (suits.days, suits.keywords, suits.weight) == ("01234", "suit,tie", 2.5)
    assert suits.url == "https://www.youtube.com/watch?v=AAAAAAAAAAA"
    film = Content.get(Content.title == "Shop film")
    assert (film.enabled, film.genders, film.keywords, film.days) == (False, "", "long hair,glasses", "56")
    close_database()


def test_seed_format_export_round_trips(tmp_path, db):
    seed = tmp_path / "seed.db"
    make_seed(seed, SEED_ROWS)
    import_file(seed)
    out1, out2 = tmp_path / "out1.db", tmp_path / "out2.db"
    export_file(out1)
    close_database()
    open_database(str(tmp_path / "other.db"))
    assert import_file(out1).added == 5
    export_file(out2)

    def rows(path):
        con = sqlite3.connect(path)
        try:
            return con.execute("SELECT description, url FROM youtube_urls ORDER BY rowid").fetchall()
        finally:
            con.close()

    assert rows(out1) == rows(out2)
    assert len(rows(out1)) == 5


def test_bad_csv_rows_are_reported_by_line_and_good_rows_import(tmp_path, db):
    path = tmp_path / "content.csv"
    path.write_text(
        "title,url,kind,age_min,age_max,days,genders\n"
        "Good one,https://example.com/a,web,20,30,,female\n"
        "Bad age,https://example.com/b,web,40,30,,\n"
        "Bad link,javascript:alert(1),web,,,,\n"
        "\n"
        "Bad day,https://example.com/c,web,,,someday,\n"
        "Bad gender,https://example.com/d,web,,,,robot\n"
        "Good two,https://www.youtube.com/embed/ZZZZZZZZZZZ,,,,weekend,\n"
        "Bad kind,https://example.com/e,hologram,,,,\n",
        encoding="utf-8")
    result = import_file(path)
    assert result.added == 2
    lines = [e.split(":", 1)[0] for e in result.errors]
    assert lines == ["line 3", "line 4", "line 6", "line 7", "line 9"]
    assert "age_min 40 is above age_max 30" in result.errors[0]
    assert "http" in result.errors[1]
    assert "weekday" in result.errors[2]
    good_two = Content.get(Content.title == "Good two")
    assert good_two.kind == "youtube"  # guessed from the link


def test_changed_row_updates_in_place(tmp_path, db):
    path = tmp_path / "c.json"
    path.write_text(json.dumps([{"title": "A", "url": "https://example.com/a", "weight": 1}]))
    import_file(path)
    first_id = Content.get().id
    path.write_text(json.dumps([{"title": "A, renamed", "url": "https://example.com/a/", "weight": 3},
                                {"title": "A", "url": "https://example.com/a", "weight": 3}]))
    result = import_file(path)
    assert (result.added, result.updated) == (1, 1)  # a different url is another item
    assert Content.get_by_id(first_id).weight == 3


def test_unreadable_files_raise_one_clear_error(tmp_path, db):
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    with pytest.raises(ContentFileError, match="not valid JSON"):
        import_file(bad_json)
    with pytest.raises(ContentFileError, match="unknown format"):
        import_file(tmp_path / "x.xlsx")
    with pytest.raises(ContentFileError, match="no such file"):
        import_file(tmp_path / "missing.csv")
    not_seed = tmp_path / "other.db"
    sqlite3.connect(not_seed).execute("CREATE TABLE t (a)").connection.close()
    with pytest.raises(ContentFileError, match="youtube_urls"):
        import_file(not_seed)
    with pytest.raises(ContentFileError, match="unknown format"):
        export_file(tmp_path / "out.txt")


@pytest.mark.parametrize(("text", "expected"), [
    ("women in their 30s wearing a suit", ("female", 30, 39, "suit", None)),
    ("young men 20-30 in t-shirts", ("male", 20, 30, "t-shirt", None)),
    ("female, 25, caucasian, no, straight long, suit", ("female", 20, 30, "suit", None)),
    ("late 40s lady with long hair and a dress", ("female", 46, 49, "dress,long hair", None)),
    ("over 50, men or women, glasses", ("", 50, None, "glasses", None)),
    ("couple shopping", ("", None, None, "shopping", 2)),
    ("family with kids", ("", None, None, "", 3)),
    ("suitcase sale 2025", ("", None, None, "", None)),
])
def test_description_targeting(text, expected):
    t = parse_description(text)
    assert (t.genders, t.age_min, t.age_max, t.keywords, t.group_min) == expected


def run_cli(*argv) -> int:
    return main.main(list(argv))


def test_content_commands(tmp_path, capsys):
    data = tmp_path / "data"
    seed = tmp_path / "seed.db"
    make_seed(seed, SEED_ROWS)
    common = ["--data-dir", str(data), "--db", str(tmp_path / "kiosk.db")]

    assert run_cli("content", "import", str(seed), *common) == 1  # two rows were rejected
    captured = capsys.readouterr()
    assert "added 5" in captured.out
    assert captured.err.count("\n") == 2 and "row 5" in captured.err

    assert run_cli("content", "list", *common) == 0
    listing = capsys.readouterr().out
    assert "female; age 30-39; suit" in listing and "5 item(s)" in listing

    out = tmp_path / "export.csv"
    assert run_cli("content", "export", str(out), *common) == 0
    with out.open(encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == 5
    capsys.readouterr()

    assert run_cli("content", "import", str(tmp_path / "nope.csv"), *common) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file" in err and "Traceback" not in err
    assert run_cli("content", "export", *common) == 2
    assert "needs a FILE" in capsys.readouterr().err
