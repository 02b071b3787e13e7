"""What a tester attacking the kiosk found, kept as regression tests: each was a lost database,
a hang, a traceback or a quiet acceptance before it was fixed."""

from __future__ import annotations

import json
import os
import sqlite3

import numpy as np
import pytest

from cxkiosk.links import LinkError, normalize_url
from cxkiosk.pin import STATE_FILE, PinGuard
from tests.test_cli import run_main

QUIET = {"CXKIOSK_PRIVACY": "off", "CXKIOSK_NFC_DEVICE": "none"}


def one_line(done) -> None:
    said = done.stdout + done.stderr
    assert "Traceback" not in said, said[-1500:]
    assert len(done.stderr.strip().splitlines()) <= 1, done.stderr


def items_file(tmp_path, rows, name="rows.json"):
    path = tmp_path / name
    path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def test_exporting_onto_the_database_in_use_is_refused_and_loses_nothing(data_dir, tmp_path):
    rows = items_file(tmp_path, [{"title": "mine", "url": "https://example.com/mine", "kind": "web"}])
    assert run_main("content", "import", str(rows), "--data-dir", str(data_dir)).returncode == 0
    done = run_main("content", "export", str(data_dir / "content.db"), "--data-dir", str(data_dir))
    one_line(done)
    assert done.returncode != 0 and "database in use" in done.stderr
    assert "mine" in run_main("content", "list", "--data-dir", str(data_dir)).stdout
    other = tmp_path / "other"
    other.mkdir()
    assert run_main("content", "list", "--data-dir", str(other)).returncode == 0  # another kiosk's db
    done = run_main("content", "export", str(other / "content.db"), "--data-dir", str(data_dir))
    assert done.returncode != 0 and "cxkiosk database" in done.stderr


@pytest.mark.parametrize("spec, words", [(":memory:", "path of a database file"),
                                         ("sqlite:///:memory:", "path of a database file"),
                                         ("file:/tmp/x.db?mode=rwc", "path of a database file"),
                                         ("/dev/null", "not a regular file"),
                                         ("/no/such/folder/x.db", "does not exist"),
                                         ("postgres://x", "database"), ("mysql://u@h/d", "unknown kind")])
def test_a_database_that_cannot_keep_records_is_refused_in_one_line(data_dir, spec, words):
    done = run_main("content", "list", "--data-dir", str(data_dir), "--db", spec)
    one_line(done)
    assert done.returncode != 0 and words in done.stderr
    assert not os.path.exists("/dev/null-journal")


def test_a_foreign_sqlite_file_given_as_the_database_is_left_untouched(data_dir, tmp_path):
    seed = tmp_path / "seed.db"
    con = sqlite3.connect(seed)
    con.execute("CREATE TABLE youtube_urls (description TEXT, url TEXT)")
    con.commit()
    con.close()
    done = run_main("content", "list", "--data-dir", str(data_dir), "--db", str(seed))
    one_line(done)
    assert done.returncode != 0 and "not a cxkiosk database" in done.stderr
    assert "content import" in done.stderr
    con = sqlite3.connect(seed)
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert tables == ["youtube_urls"]
    con.close()


@pytest.mark.expect_log("PIN state .* unreadable")
@pytest.mark.parametrize("text", ['{"failures": Infinity}', '{"failures": 1e400}',
                                  '{"had_pin": true, "locked_until": NaN}'])
def test_a_damaged_pin_state_never_locks_the_operator_out_of_the_recovery(data_dir, text):
    (data_dir / STATE_FILE).write_text(text)
    assert PinGuard(data_dir / STATE_FILE).had_pin
    done = run_main("pin", "--data-dir", str(data_dir), input_text="4821\n4821\n")
    one_line(done)
    assert done.returncode == 0
    guard = PinGuard(data_dir / STATE_FILE)
    assert guard.locked_for() == 0 and guard.tries_left > 0


@pytest.mark.parametrize("row, words", [
    ({"url": "https://youtu.be/aaaaaaaaaaa", "age_min": float("inf")}, "age_min"),
    ({"url": "https://youtu.be/aaaaaaaaaaa", "group_min": 10 ** 400}, "group_min"),
    ({"url": "https://youtu.be/aaaaaaaaaaa", "weight": float("nan")}, "weight"),
    ({"url": "https://youtu.be/aaaaaaaaaaa", "keywords": [{"a": 1}, [1, 2]]}, "keywords"),
    ({"url": "https://youtu.be/aaaaaaaaaaa", "keywords": ["k" * 100000]}, "keywords"),
    ({"url": "https://example.com/e", "kind": "web", "title": "\x1b[2J\x1b]0;pwned\x07EVIL"}, "title"),
    ({"url": "https://example.com/b", "kind": "web", "title": "abc\u202eexe.txt"}, "title"),
    ({"url": "https://example.com/n", "kind": "web", "description": "a\x00b"}, "description"),
])
def test_a_hostile_row_is_refused_and_the_good_rows_still_import(db, tmp_path, row, words):
    from cxkiosk.content.transfer import import_file

    good = {"title": "good", "url": "https://example.com/good", "kind": "web"}
    path = tmp_path / "rows.json"
    path.write_text(json.dumps([good, row], allow_nan=True), encoding="utf-8")
    result = import_file(path)
    assert result.added == 1 and len(result.errors) == 1 and words in result.errors[0]


def test_many_keywords_import_in_linear_time(db, tmp_path):
    import time

    from cxkiosk.content.targeting import normalize_keywords

    started = time.perf_counter()
    assert normalize_keywords(",".join(f"w{i}" for i in range(100000))).count(",") == 99999
    assert time.perf_counter() - started < 5  # a list would take minutes (quadratic)


def test_a_seed_view_that_never_ends_is_refused(db, tmp_path):
    from cxkiosk.content.transfer import ContentFileError, import_file

    path = tmp_path / "view.db"
    con = sqlite3.connect(path)
    con.execute("CREATE VIEW youtube_urls AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
                "SELECT x AS rowid, 'man 30' AS description, 'https://youtu.be/aaaaaaaaaaa' AS url FROM c")
    con.commit()
    con.close()
    with pytest.raises(ContentFileError, match="not a seed database"):
        import_file(path)


def test_a_picture_claiming_huge_dimensions_is_not_decoded(tmp_path):
    import resource

    import cv2

    from cxkiosk.sensing.sources.images import read_picture

    big = tmp_path / "big.png"
    cv2.imwrite(str(big), np.zeros((8000, 8000), np.uint8))  # 64 MP in a few kB
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert read_picture(big) is None
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 100
    done = run_main("classify", str(big), "--privacy", "local")
    one_line(done)
    assert done.returncode == 2 and "pixels" in done.stderr


@pytest.mark.parametrize("args, words", [
    (["supervise", "--hang-seconds", "0"], "hang-seconds"),
    (["supervise", "--hang-seconds", "nan"], "hang-seconds"),
    (["nfc", "write", "https://example.com/x", "--nfc", "udp:127.0.0.1:5", "--timeout", "inf"], "timeout"),
    (["select", "--audience", '{"count": "²"}'], '"count" must be a whole number'),
    (["select", "--audience", '{}', "--at", "0001-01-01"], "--at"),
    (["report", "--since", "0001-01-01T00:00+14:00"], "--since"),
    (["select", "--audience", "@/dev/zero"], "regular file"),
    (["content", "list", "--data-dir", "~nosuchuser/x"], "data-dir"),
])
def test_odd_command_line_values_are_one_line_and_exit_2(data_dir, args, words):
    if "--data-dir" not in args:
        args = [*args, "--data-dir", str(data_dir)]
    done = run_main(*args, env=QUIET, timeout=60)
    one_line(done)
    assert done.returncode == 2 and words in done.stderr


def test_a_huge_age_in_an_audience_is_refused_in_one_short_line(data_dir):
    # select refuses attribute values it cannot read (age -5 alike); it had ended in OverflowError.
    audience = json.dumps({"count": 1, "people": [{"age": 10 ** 400, "x": 10 ** 400, "size": 10 ** 400}]})
    done = run_main("select", "--audience", audience, "--data-dir", str(data_dir))
    one_line(done)
    assert done.returncode == 2 and "person 1: not valid: age" in done.stderr and len(done.stderr) < 300


@pytest.mark.parametrize("text", ["[1, 2]", '"str"', "null", '{"model_timeout": NaN, "privacy": ["full"]}'])
def test_check_names_a_settings_file_that_is_unreadable_or_ignored(data_dir, text):
    (data_dir / "settings.json").write_text(text)
    done = run_main("check", "--no-network", "--data-dir", str(data_dir), env=QUIET)
    assert "--   settings" in done.stdout
    assert "unreadable" in done.stdout or "ignored" in done.stdout


def test_a_settings_file_that_is_a_fifo_does_not_hang_any_command(data_dir):
    os.mkfifo(data_dir / "settings.json")
    done = run_main("content", "list", "--data-dir", str(data_dir), timeout=60)
    assert done.returncode == 0  # the defaults run; the log says why


@pytest.mark.parametrize("url", ["https://[::ffff:127.0.0.1]/", "https://[::ffff:7f00:1]:8080/", "https://[::ffff:0:0]/",
                                 "https://[v1.x]/", "https://[fe80::1%25eth0]/", "https://169.254.169.254/latest",
                                 "https://[fe80::1]/", "https://224.0.0.1/"])
def test_the_link_policy_refuses_mapped_loopback_link_local_and_bracketed_names(url):
    with pytest.raises(LinkError):
        normalize_url(url)
