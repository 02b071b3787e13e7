"""The fleet's PostgreSQL set up by `cxkiosk fleet`, on a real server with password (SCRAM) log-ins:
the owner (no superuser) runs `fleet init` and `add-kiosk`; a kiosk's role does a kiosk's job and
nothing more; its password comes from the keyring and never shows in `check`, a log or settings."""

from __future__ import annotations

import io
import sqlite3
import sys
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

psycopg2 = pytest.importorskip("psycopg2")
from psycopg2 import errors  # noqa: E402

import main  # noqa: E402
from cxkiosk.commands.fleet import PASSWORD_LABEL  # noqa: E402
from cxkiosk.content import database, records  # noqa: E402
from cxkiosk.fleet import credentials, roles  # noqa: E402
from tests.postgres import PostgresUnavailable, postgres_server  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

OWNER, OWNER_PASSWORD, DBNAME = "cx_owner", "owner-test-password-0123", "cxfleet"
QUIET = {"CXKIOSK_PRIVACY": "off", "CXKIOSK_NFC_DEVICE": "none"}


@pytest.fixture(scope="module")
def server():
    """A private server that checks passwords, an owner role that may create roles (and is no
    superuser) and the fleet's database, owned by it: what FLEET.md tells an integrator to make."""
    try:
        with postgres_server(auth="scram-sha-256") as running:
            superuser_url = running.url
            admin = psycopg2.connect(superuser_url)
            admin.autocommit = True
            with admin.cursor() as cur:
                # Every statement into the server's log, to show a kiosk's password never gets there.
                cur.execute("ALTER SYSTEM SET log_statement = 'all'")
                cur.execute("SELECT pg_reload_conf()")
                cur.execute(f"CREATE ROLE {OWNER} LOGIN CREATEROLE NOSUPERUSER PASSWORD %s",
                            (OWNER_PASSWORD,))
                cur.execute(f"CREATE DATABASE {DBNAME} OWNER {OWNER}")
            port = int(superuser_url.rsplit(":", 1)[1].split("/")[0])
            yield SimpleNamespace(port=port, admin=admin, superuser_url=superuser_url,
                                  owner_url=f"postgresql://{OWNER}@127.0.0.1:{port}/{DBNAME}",
                                  log=Path(running.folder) / "log")
            admin.close()
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture
def fleet(server, memory_keyring, monkeypatch, data_dir, capsys):
    """`fleet init` done as the owner, whose password the integrator's keyring holds."""
    monkeypatch.delenv(credentials.ENV_PASSWORD, raising=False)
    for name, value in QUIET.items():
        monkeypatch.setenv(name, value)
    credentials.store_password(server.owner_url, OWNER_PASSWORD)
    code, out, err = init(capsys, server.owner_url, data_dir)
    assert code == 0, err
    yield server
    for name in _kiosk_roles(server):
        _as_superuser(server, f'DROP OWNED BY "{name}"; DROP ROLE "{name}"')


def init(capsys, url: str, data_dir) -> tuple[int, str, str]:
    """`fleet init` leaving the content empty: these tests make their own."""
    return cli(capsys, "fleet", "init", "--empty", "--db", url, "--data-dir", str(data_dir))


def cli(capsys, *argv: str, stdin: str | None = None) -> tuple[int, str, str]:
    capsys.readouterr()
    saved = sys.stdin
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        code = main.main(list(argv))
    finally:
        sys.stdin = saved
    out, err = capsys.readouterr()
    return code, out, err


def _as_superuser(server, statement: str, params: tuple = ()) -> list[tuple]:
    conn = psycopg2.connect(server.superuser_url.rsplit("/", 1)[0] + f"/{DBNAME}")
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(statement, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def _kiosk_roles(server) -> list[str]:
    return [name for (name,) in _as_superuser(
        server, "SELECT r.rolname FROM pg_roles r JOIN pg_auth_members m ON m.member = r.oid "
        "JOIN pg_roles g ON g.oid = m.roleid WHERE g.rolname = %s", (roles.GROUP,))]


def add_kiosk(capsys, server, data_dir, name: str, *extra: str) -> tuple[str, str]:
    """The kiosk's URL and password as `add-kiosk` prints them."""
    code, out, err = cli(capsys, "fleet", "add-kiosk", name, "--db", server.owner_url, "--data-dir",
                         str(data_dir), "-v", *extra)
    assert code == 0, err
    secret_lines = [line for line in out.splitlines() if line.startswith(PASSWORD_LABEL)]
    assert len(secret_lines) == 1
    password = secret_lines[0][len(PASSWORD_LABEL):].strip()
    assert len(password) >= 30 and out.count(password) == 1 and password not in err
    url = f"postgresql://{name}@127.0.0.1:{server.port}/{DBNAME}"
    assert f"database URL (settings 'db' or --db): {url}" in out
    assert f"cxkiosk fleet password --db {url}" in out
    return url, password


def kiosk_connection(server, name: str, password: str):
    return psycopg2.connect(host="127.0.0.1", port=server.port, dbname=DBNAME, user=name, password=password)


def nothing_holds(folder: Path, secret: str) -> None:
    """The secret is in no file of the data folder: settings.json, the log files."""
    for path in folder.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(encoding="utf-8", errors="replace"), path


def _grants(server) -> set[tuple[str, str]]:
    return set(_as_superuser(server, "SELECT table_name, privilege_type FROM "
                             "information_schema.role_table_grants WHERE grantee = %s", (roles.GROUP,)))


def _tables(server) -> set[str]:
    return {t for (t,) in _as_superuser(server, "SELECT tablename FROM pg_tables "
                                        "WHERE schemaname = 'public'")}


# --- the owner's commands ---------------------------------------------------------------------------


def test_init_twice_gives_the_group_exactly_the_policy_and_undoes_a_right_added_by_hand(fleet, capsys,
                                                                                        data_dir):
    expected = set(roles.needed(_tables(fleet)))
    assert ("play_log", "INSERT") in expected and ("content", "SELECT") in expected
    assert _grants(fleet) == expected
    _as_superuser(fleet, f"GRANT DELETE, TRUNCATE ON play_log TO {roles.GROUP}")
    code, out, err = init(capsys, fleet.owner_url, data_dir)
    assert code == 0 and err == ""
    assert _grants(fleet) == expected
    assert f"group role {roles.GROUP} holds a kiosk's rights on {len({t for t, _ in expected})} tables" in out
    later = [g.table for g in roles.POLICY if g.table not in _tables(fleet)]
    if later:  # a table the schema does not have yet is skipped and named, not an error
        assert f"{', '.join(later)}: not in this schema yet" in out
    group = _as_superuser(fleet, "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb FROM pg_roles "
                          "WHERE rolname = %s", (roles.GROUP,))
    assert group == [(False, False, False, False)]


def test_fleet_sql_prints_what_init_runs(fleet, capsys):
    conn = psycopg2.connect(host="127.0.0.1", port=fleet.port, dbname=DBNAME, user=OWNER,
                            password=OWNER_PASSWORD)
    try:
        for statement in [*roles.grant_statements([g.table for g in roles.POLICY], "public"),
                          roles.create_kiosk_statement("showroom_3", None)]:
            assert roles.render(statement) == statement.as_string(conn)
        code, out, _ = cli(capsys, "fleet", "sql", "--db", fleet.owner_url)
        assert code == 0 and "GRANT SELECT, INSERT, UPDATE ON TABLE \"public\".\"play_log\"" in out
        assert "DELETE ON TABLE \"public\".\"play_log\"" not in out
        conn.autocommit = True
        with conn.cursor() as cur:  # what an integrator pastes into psql, as the owner
            cur.execute(out)
    finally:
        conn.close()
    assert _grants(fleet) == set(roles.needed(_tables(fleet)))


def test_a_kiosk_role_does_a_kiosks_job_and_nothing_more(fleet, capsys, data_dir):
    url, password = add_kiosk(capsys, fleet, data_dir, "kiosk_1")
    attributes = _as_superuser(fleet, "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, "
                               "rolpassword LIKE 'SCRAM-SHA-256$%%' FROM pg_authid WHERE rolname = 'kiosk_1'")
    assert attributes == [(True, False, False, False, True)]  # the server holds a SCRAM hash only
    statements = fleet.log.read_text(encoding="utf-8", errors="replace")
    assert 'CREATE ROLE "kiosk_1"' in statements and "SCRAM-SHA-256$" in statements
    assert password not in statements  # hashed on this side: the wire and the log never see it
    credentials.store_password(url, password)
    revision = _as_superuser(fleet, "SELECT max(revision) FROM fleet_revision")[0][0]
    database.open_database(url)  # as the kiosk opens it: a current schema needs no CREATE right
    try:
        item = database.Content.create(title="fleet clip", url="https://example.com/fleet", kind="web")
        # The content trigger ran as this role and told the fleet (it needs UPDATE on fleet_revision).
        assert _as_superuser(fleet, "SELECT max(revision) FROM fleet_revision")[0][0] > revision
        records.log_play(item.id, item.id, datetime(2026, 1, 5, 10), datetime(2026, 1, 5, 10, 1),
                         "completed")
        assert database.PlayLog.select().count() == 1
        assert [i.title for i in database.playlist(datetime(2026, 1, 5, 10))] == ["fleet clip"]
    finally:
        database.close_database()
    conn = kiosk_connection(fleet, "kiosk_1", password)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT title FROM content")
            assert cur.fetchall() == [("fleet clip",)]
            for statement, error in [
                ("DELETE FROM play_log", errors.InsufficientPrivilege),
                ("TRUNCATE play_log", errors.InsufficientPrivilege),
                ("DELETE FROM schema_version", errors.InsufficientPrivilege),
                ("DROP TABLE content", errors.InsufficientPrivilege),
                ("CREATE TABLE stolen (x int)", errors.InsufficientPrivilege),
                ("CREATE ROLE intruder LOGIN", errors.InsufficientPrivilege),
                ("CREATE DATABASE other", errors.InsufficientPrivilege),
                ("ALTER TABLE play_log ADD COLUMN x int", errors.InsufficientPrivilege),
            ]:
                with pytest.raises(error):
                    cur.execute(statement)
            cur.execute("SELECT count(*) FROM play_log")
            assert cur.fetchone() == (1,)
    finally:
        conn.close()
    nothing_holds(data_dir, password)


def test_the_kiosks_password_comes_from_the_keyring_and_never_shows(fleet, capsys, data_dir, memory_keyring):
    url, password = add_kiosk(capsys, fleet, data_dir, "kiosk_2")
    kiosk_dir = data_dir.parent / "kiosk"
    code, out, err = cli(capsys, "fleet", "password", "--db", url, "--data-dir", str(kiosk_dir),
                         stdin=password + "\n")
    assert code == 0, err
    assert "stored in the OS keyring" in out and password not in out + err
    assert memory_keyring.store[("cxkiosk", f"kiosk_2@127.0.0.1:{fleet.port}/{DBNAME}")] == password
    from cxkiosk.config import Paths, load_settings, save_settings

    paths = Paths.for_data_dir(kiosk_dir)
    settings = load_settings(paths, environ={})
    settings.db = url  # the kiosk points at the fleet: settings 'db'
    save_settings(paths, settings)
    code, out, err = cli(capsys, "check", "--data-dir", str(kiosk_dir), "--no-network", "-v")
    server_line = next(line for line in out.splitlines() if " server " in line)
    assert server_line.startswith("ok") and "role kiosk_2 holds every right a kiosk needs" in server_line
    assert f"kiosk_2@127.0.0.1:{fleet.port}/{DBNAME}" in server_line and "schema v" in server_line
    assert code == 0, out
    assert password not in out + err and "Traceback" not in out + err
    nothing_holds(kiosk_dir, password)
    nothing_holds(data_dir, password)
    # Without the keyring's entry the same kiosk cannot log in: it was that password that was sent.
    code, out, _ = cli(capsys, "fleet", "password", "--forget", "--data-dir", str(kiosk_dir))
    assert code == 0 and "removed" in out
    code, out, err = cli(capsys, "check", "--data-dir", str(kiosk_dir), "--no-network")
    assert code == 1 and "password" in out and password not in out + err


def test_a_password_in_the_url_works_but_check_says_it_sits_in_plain_text(fleet, capsys, data_dir):
    url, password = add_kiosk(capsys, fleet, data_dir, "kiosk_3")
    with_password = url.replace("kiosk_3@", f"kiosk_3:{password}@")
    from cxkiosk.config import Paths, load_settings, save_settings

    paths = Paths.for_data_dir(data_dir)
    settings = load_settings(paths, environ={})
    settings.db = with_password
    save_settings(paths, settings)
    code, out, err = cli(capsys, "check", "--data-dir", str(data_dir), "--no-network")
    assert code == 0, out
    assert "role kiosk_3 holds every right" in out
    warning = next(line for line in out.splitlines() if " password " in line)
    assert "settings.json in plain text" in warning and f"cxkiosk fleet password --db {url}" in warning
    assert password not in out + err
    for path in (data_dir / "logs").rglob("*"):
        assert password not in path.read_text(encoding="utf-8", errors="replace")


def test_check_fails_naming_a_right_the_role_lacks_and_init_restores_it(fleet, capsys, data_dir):
    url, password = add_kiosk(capsys, fleet, data_dir, "kiosk_4")
    credentials.store_password(url, password)
    _as_superuser(fleet, f"REVOKE INSERT ON play_log FROM {roles.GROUP}")
    code, out, _ = cli(capsys, "check", "--db", url, "--data-dir", str(data_dir), "--no-network")
    line = next(line for line in out.splitlines() if " server " in line)
    assert code == 1 and line.startswith("FAIL")
    assert "lacks INSERT on play_log" in line and "cxkiosk fleet init --db" in line
    assert init(capsys, fleet.owner_url, data_dir)[0] == 0
    code, out, _ = cli(capsys, "check", "--db", url, "--data-dir", str(data_dir), "--no-network")
    assert code == 0 and "role kiosk_4 holds every right" in out


def test_an_existing_role_is_one_line_and_reset_password_replaces_it(fleet, capsys, data_dir):
    _, first = add_kiosk(capsys, fleet, data_dir, "kiosk_5")
    code, out, err = cli(capsys, "fleet", "add-kiosk", "kiosk_5", "--db", fleet.owner_url, "--data-dir",
                         str(data_dir))
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert "exists already" in err and "--reset-password" in err
    _, second = add_kiosk(capsys, fleet, data_dir, "kiosk_5", "--reset-password")
    assert second != first
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        kiosk_connection(fleet, "kiosk_5", first)
    kiosk_connection(fleet, "kiosk_5", second).close()
    # The owner's own role is no kiosk: neither reset nor removed.
    for action in (["add-kiosk", OWNER, "--reset-password"], ["remove-kiosk", OWNER]):
        code, _, err = cli(capsys, "fleet", *action, "--db", fleet.owner_url, "--data-dir", str(data_dir))
        assert code == 1 and "not a kiosk role" in err and len(err.strip().splitlines()) == 1


def test_remove_kiosk_ends_its_login_and_keeps_its_rows(fleet, capsys, data_dir):
    from cxkiosk.values import Audience

    url, password = add_kiosk(capsys, fleet, data_dir, "kiosk_6")
    credentials.store_password(url, password)
    database.open_database(url)
    try:
        records.log_audience(Audience(count=2), provider="local")  # a visit, as the kiosk's role
    finally:
        database.close_database()
    before = _as_superuser(fleet, "SELECT count(*) FROM audience_log")[0][0]
    code, out, err = cli(capsys, "fleet", "remove-kiosk", "kiosk_6", "--db", fleet.owner_url, "--data-dir",
                         str(data_dir))
    assert code == 0 and "removed" in out and "stay" in out, err
    with pytest.raises(psycopg2.OperationalError):
        kiosk_connection(fleet, "kiosk_6", password)
    assert _as_superuser(fleet, "SELECT count(*) FROM audience_log")[0][0] == before >= 1
    code, _, err = cli(capsys, "fleet", "remove-kiosk", "kiosk_6", "--db", fleet.owner_url, "--data-dir",
                       str(data_dir))
    assert code == 1 and "no role kiosk_6" in err


@pytest.mark.parametrize("name", ["x; DROP TABLE content", "Robert'); --", "k" * 200, "", "Kiosk_1",
                                  'a"b', "pg_kiosk", roles.GROUP, "public"])
def test_a_hostile_kiosk_name_is_refused_in_one_line(fleet, capsys, data_dir, name):
    for action in ("add-kiosk", "remove-kiosk"):
        code, out, err = cli(capsys, "fleet", action, name, "--db", fleet.owner_url, "--data-dir",
                             str(data_dir))
        assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err
        assert "kiosk name" in err or "reserved" in err
    code, _, err = cli(capsys, "fleet", "sql", "--kiosk", name)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "content" in _tables(fleet) and _kiosk_roles(fleet) == []


def test_a_wrong_owner_password_is_one_line_without_it(fleet, capsys, data_dir, memory_keyring):
    credentials.store_password(fleet.owner_url, "not-the-owner-password")
    code, out, err = cli(capsys, "fleet", "add-kiosk", "kiosk_7", "--db", fleet.owner_url, "--data-dir",
                         str(data_dir))
    assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
    assert "password authentication failed" in err and "not-the-owner-password" not in err
    assert "the password sent was the OS keyring's" in err and "cxkiosk fleet password --db" in err


def test_a_kiosks_password_left_in_the_shell_is_named_when_it_refuses_the_owner(fleet, capsys, data_dir,
                                                                              monkeypatch):
    # CXKIOSK_DB_PASSWORD goes before the keyring: an integrator who set it for a kiosk is refused as
    # the owner, and told which password was sent.
    monkeypatch.setenv(credentials.ENV_PASSWORD, "a-kiosks-password-0123")
    for argv in (["fleet", "init"], ["report"]):
        code, out, err = cli(capsys, *argv, "--db", fleet.owner_url, "--data-dir", str(data_dir))
        assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
        assert f"the password sent was {credentials.ENV_PASSWORD}'s" in err and "unset it" in err
        assert "a-kiosks-password-0123" not in err


def test_a_kiosks_url_given_to_the_owners_commands_is_named_as_a_kiosks(fleet, capsys, data_dir):
    url, password = add_kiosk(capsys, fleet, data_dir, "kiosk_9")
    credentials.store_password(url, password)
    for action in (["init"], ["add-kiosk", "kiosk_10"], ["remove-kiosk", "kiosk_9"]):
        code, out, err = cli(capsys, "fleet", *action, "--db", url, "--data-dir", str(data_dir))
        assert code == 1 and out == "" and len(err.strip().splitlines()) == 1, err
        assert "kiosk_9 is a kiosk's role, not the database's owner" in err
        assert "CREATEROLE" not in err  # never the advice to give a kiosk more rights
    assert sorted(_kiosk_roles(fleet)) == ["kiosk_9"]


def test_check_of_a_kiosk_pointed_at_the_owners_url_says_to_give_it_its_own_role(fleet, capsys, data_dir):
    code, out, err = cli(capsys, "check", "--db", fleet.owner_url, "--data-dir", str(data_dir),
                         "--no-network")
    line = next(line for line in out.splitlines() if " server " in line)
    assert f"role {OWNER} owns the fleet's tables" in line and "fleet add-kiosk NAME" in line
    assert "TRUNCATE" not in line and OWNER_PASSWORD not in out + err


# --- the password's store, without a server ------------------------------------------------------------


def test_a_keyring_that_cannot_keep_secrets_refuses_the_password(capsys, data_dir, monkeypatch):
    # conftest's default backend is keyring's null one: nothing kept
    code, out, err = cli(capsys, "fleet", "password", "--db", "postgresql://kiosk_1@db.example.com/cx",
                         "--data-dir", str(data_dir), stdin="a-password-0123\n")
    assert code == 1 and "no secure OS keyring" in err and credentials.ENV_PASSWORD in err
    assert "a-password-0123" not in out + err


def test_a_kiosk_name_with_capitals_is_refused_with_the_name_it_could_have(capsys, data_dir):
    code, out, err = cli(capsys, "fleet", "add-kiosk", "Showroom-A", "--db", "postgresql://o@db.example.com/cx",
                         "--data-dir", str(data_dir))
    assert code == 2 and out == "" and err.strip().splitlines() == [
        "cxkiosk: error: a kiosk name is 1 to 40 lower-case letters, digits or underscores (like showroom_a)"]


def test_fleet_password_without_a_keyring_refuses_before_asking(capsys, data_dir, monkeypatch):
    asked = []
    monkeypatch.setattr("cxkiosk.commands.fleet.ask_secret", lambda prompt: asked.append(prompt) or "pw-0123")
    code, _, err = cli(capsys, "fleet", "password", "--db", "postgresql://kiosk_1@db.example.com/cx",
                       "--data-dir", str(data_dir))
    assert code == 1 and "no secure OS keyring" in err and asked == []  # nobody typed a password for nothing


def test_with_the_server_away_content_and_report_name_the_kiosks_own_copy(capsys, data_dir, monkeypatch):
    import socket

    from cxkiosk.fleet.mirror import mirror_path

    with socket.socket() as sock:  # a port nobody listens on: the server is away
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv(credentials.ENV_PASSWORD, "pw-0123")
    copy = mirror_path(data_dir)
    database.open_database(str(copy))  # the copy a kiosk that ran here keeps
    database.close_database()
    url = f"postgresql://kiosk_1@127.0.0.1:{port}/cx"
    for argv in (["content", "list"], ["report"]):
        code, out, err = cli(capsys, *argv, "--db", url, "--data-dir", str(data_dir))
        assert code == 1 and out == "" and len(err.strip().splitlines()) == 1
        assert err.rstrip().endswith(f"this kiosk's own copy (what it plays meanwhile): --db {copy}")
    (data_dir / "new.json").write_text('{"items": [{"title": "T", "kind": "web", "url": "https://a.example"}]}')
    code, _, err = cli(capsys, "content", "import", str(data_dir / "new.json"), "--db", url, "--data-dir",
                       str(data_dir))
    assert code == 1 and "import it once that answers" in err
    code, out, _ = cli(capsys, "content", "list", "--db", str(copy), "--data-dir", str(data_dir))
    assert code == 0 and "item(s)" in out


def test_the_entry_is_the_role_on_its_server_and_the_environment_wins(memory_keyring):
    url = "postgresql://kiosk_1@DB.example.com/cx?sslmode=require"
    assert credentials.entry(url) == "kiosk_1@db.example.com:5432/cx"
    assert credentials.password_for(url, environ={}) is None
    credentials.store_password(url, "from-the-keyring")
    assert credentials.password_for(url, environ={}) == "from-the-keyring"
    assert credentials.password_for(url.replace("5432", "5433").replace("example.com", "example.com:5433"),
                                    environ={}) is None  # another server, another entry
    assert credentials.password_for(url, environ={credentials.ENV_PASSWORD: "from-env"}) == "from-env"
    assert credentials.password_for("postgresql://kiosk_1:inline@db.example.com/cx", environ={}) is None
    with pytest.raises(credentials.CredentialError, match="carries a password"):
        credentials.store_password("postgresql://kiosk_1:inline@db.example.com/cx", "x")
    for shown in ("postgresql://k:inline@h/cx?sslmode=require", "postgresql://k@h/cx?password=inline",
                  "mysql://k:inline@h/cx", "postgresql://k:inline@[::1/cx"):
        assert "inline" not in credentials.without_password(shown)
        assert "inline" not in database._redact(shown)  # what the database's own messages show
    assert credentials.forget_password(url) is True and credentials.forget_password(url) is False


def test_the_kiosks_url_names_the_server_as_kiosks_reach_it_and_keeps_tls(fleet, capsys, data_dir):
    owner = fleet.owner_url + "?sslmode=disable"  # the loopback server has no TLS; the option is kept
    code, out, err = cli(capsys, "fleet", "add-kiosk", "kiosk_8", "--db", owner, "--host",
                         "db.showroom.example", "--data-dir", str(data_dir))
    assert code == 0, err
    assert f"postgresql://kiosk_8@db.showroom.example:{fleet.port}/{DBNAME}?sslmode=disable" in out
    assert "this machine" not in out
    code, out, _ = cli(capsys, "fleet", "add-kiosk", "kiosk_9", "--db", fleet.owner_url, "--data-dir",
                       str(data_dir))
    assert code == 0 and "give --host with the server's address" in out


def test_a_fleet_kiosk_syncs_edits_and_beats_with_only_a_kiosks_rights(fleet, capsys, data_dir, tmp_path):
    """The fleet thread's whole round (copy, queue sent by upsert, heartbeat upsert, an edit
    routed to the server and its trigger) as a role made by add-kiosk, nothing more."""
    from cxkiosk.content import library
    from cxkiosk.fleet.sync import join
    from cxkiosk.resources import shipped_db

    url, password = add_kiosk(capsys, fleet, data_dir, "kiosk_10")
    credentials.store_password(url, password)

    def heartbeat(queued: int):
        beat = database.Heartbeat
        beat.insert(kiosk="hall-r", name="Hall R", seen=datetime.now(), queued=queued).on_conflict(
            conflict_target=[beat.kiosk], preserve=[beat.seen, beat.queued]).execute()
        return ()

    sync, warning = join(url, tmp_path, "hall-r", shipped_db(), heartbeat=heartbeat)
    try:
        assert warning is None and sync.status.connected, sync.status.problem
        library.save({"title": "Edited at hall R", "kind": "slide", "path": "slides/r.html", "duration": 5})
        records.log_play(None, None, datetime(2026, 1, 5, 11), datetime(2026, 1, 5, 11, 0, 5), "completed",
                         code="r1")
        for _ in range(2):  # the second round sends nothing new and beats again: upserts, no duplicates
            status, _ = sync.step()
            assert status.connected and status.queued == 0, status.problem
    finally:
        sync.stop()
        database.route_edits(None)
        records.set_writer("")
        database.close_database()
    assert _as_superuser(fleet, "SELECT kiosk FROM play_log WHERE code = 'r1'") == [("hall-r",)]
    assert _as_superuser(fleet, "SELECT count(*) FROM heartbeat WHERE kiosk = 'hall-r'") == [(1,)]
    assert ("Edited at hall R",) in _as_superuser(fleet, "SELECT title FROM content")


@pytest.mark.expect_log(r"fleet database .* refused this kiosk")
def test_a_running_kiosk_with_a_wrong_password_says_refused_and_why(fleet, capsys, data_dir, tmp_path):
    from cxkiosk.fleet.sync import join
    from cxkiosk.resources import shipped_db

    url, _ = add_kiosk(capsys, fleet, data_dir, "kiosk_11")  # its log goes to stderr, as a kiosk's
    credentials.store_password(url, "not-its-password-0123")
    capsys.readouterr()
    sync, _ = join(url, tmp_path, "hall-w", shipped_db())
    try:
        status = sync.status
    finally:
        sync.stop()
        records.set_writer("")
        database.close_database()
    assert not status.connected
    assert status.line().endswith('(password authentication failed for user "kiosk_11")')
    said = capsys.readouterr().err
    assert "refused this kiosk" in said and "unreachable" not in said
    assert "not-its-password-0123" not in said + status.line()


def test_check_warns_of_a_right_beyond_a_kiosks_and_init_takes_it_back(fleet, capsys, data_dir):
    url, password = add_kiosk(capsys, fleet, data_dir, "kiosk_11")
    credentials.store_password(url, password)
    # As PostgreSQL 14 and older had it, and a right someone granted the group by hand.
    _as_superuser(fleet, "GRANT CREATE ON SCHEMA public TO PUBLIC; "
                  f"GRANT DELETE ON play_log TO {roles.GROUP}")
    code, out, _ = cli(capsys, "check", "--db", url, "--data-dir", str(data_dir), "--no-network")
    line = next(line for line in out.splitlines() if " server " in line)
    assert code == 0 and line.startswith("--")  # it runs; the line says it could do more harm than it must
    assert "more than a kiosk needs (DELETE on play_log, CREATE on schema public)" in line
    assert init(capsys, fleet.owner_url, data_dir)[0] == 0
    code, out, _ = cli(capsys, "check", "--db", url, "--data-dir", str(data_dir), "--no-network")
    assert code == 0 and "role kiosk_11 holds every right a kiosk needs" in out


def test_a_password_in_the_urls_query_never_reaches_the_screen(fleet, capsys, data_dir):
    url = f"postgresql://{OWNER}@127.0.0.1:{fleet.port}/{DBNAME}?password=wrong-query-secret"
    code, out, err = cli(capsys, "check", "--db", url, "--data-dir", str(data_dir), "--no-network")
    assert code == 1 and "password authentication failed" in out
    assert "wrong-query-secret" not in out + err
    nothing_holds(data_dir, "wrong-query-secret")


def test_init_of_a_new_fleet_gives_it_the_shipped_sample_showroom_once(server, memory_keyring, monkeypatch,
                                                                         data_dir, capsys):
    """Kiosks pointed at a new fleet play something from their first minute, as a new kiosk does;
    `fleet init` run again (after an update) adds nothing."""
    for name, value in QUIET.items():
        monkeypatch.setenv(name, value)
    server.admin.cursor().execute(f"CREATE DATABASE seeded OWNER {OWNER}")
    url = server.owner_url.rsplit("/", 1)[0] + "/seeded"
    credentials.store_password(url, OWNER_PASSWORD)
    code, out, err = cli(capsys, "fleet", "init", "--db", url, "--data-dir", str(data_dir))
    assert code == 0, err
    shipped = sqlite3.connect(f"file:{REPO / 'content.db'}?mode=ro", uri=True)
    titles = [t for (t,) in shipped.execute("SELECT title FROM content ORDER BY id")]
    shipped.close()
    assert f"added the {len(titles)} items of the shipped sample showroom" in out
    assert cli(capsys, "fleet", "init", "--db", url, "--data-dir", str(data_dir))[0] == 0
    conn = psycopg2.connect(server.superuser_url.rsplit("/", 1)[0] + "/seeded")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT title FROM content ORDER BY id")
            assert [t for (t,) in cur.fetchall()] == titles
    finally:
        conn.close()
