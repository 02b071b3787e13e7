"""The one link policy, tried as an attacker would: everything the billboard plays and a phone
receives passes it, in import, the content API, select, the QR code and NFC alike."""

from __future__ import annotations

import json
import unicodedata
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxkiosk.config import Settings
from cxkiosk.content import library
from cxkiosk.content.database import Content
from cxkiosk.content.selection import Selector
from cxkiosk.content.transfer import import_file
from cxkiosk.links import HTTPS_ONLY, STORABLE, LinkError, LinkPolicy, normalize_url
from cxkiosk.push.links import checked_link, ndef_message, pushed_link, qr_link
from cxkiosk.values import Audience, Item, Person
from tests.test_cli import run_main

HOSTILE = {
    "plain http": "http://example.com/offer",
    "user-info hiding the host": "https://trusted.example@evil.example/",
    "user-info with a password": "https://user:pw@example.com/",
    "backslash user-info": "https://trusted.example\\@evil.example/",
    "right-to-left override": "https://example.com/\u202egnp.exe",
    "zero-width space in the host": "https://exa\u200bmple.com/",
    "soft hyphen": "https://exam\u00adple.com/",
    "newline": "https://example.com/\nSet-Cookie: x",
    "carriage return": "https://example.com/a\rb",
    "NUL": "https://example.com/\x00x",
    "tab": "https://example.com/\tx",
    "port out of range": "https://example.com:99999/",
    "port zero": "https://example.com:0/",
    "port not a number": "https://example.com:http/",
    "empty port": "https://example.com:/",
    "broken IPv6": "https://[::1/",
    "javascript": "javascript:alert(document.cookie)",
    "data": "data:text/html,<script>alert(1)</script>",
    "file": "file:///etc/passwd",
    "ftp": "ftp://example.com/x",
    "no host": "https:///path",
    "localhost": "https://localhost/admin",
    "loopback": "https://127.0.0.1/",
    "loopback IPv6": "https://[::1]/",
    "unspecified": "https://0.0.0.0/",
    "double dot host": "https://a..b/",
    "dotless host": "https://intranet/",
    "numeric TLD": "https://1.2.3/",
    "label too long": "https://" + "a" * 64 + ".com/",
    "too long": "https://example.com/" + "a" * 2100,
    "spaces": "https://example.com/two words",
    "bidi isolate": "https://example.com/\u2066x",
    "private use": "https://example.com/\ue000",
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_the_policy_refuses_each_hostile_link_with_a_reason(case):
    with pytest.raises(LinkError) as refused:
        normalize_url(HOSTILE[case])
    assert str(refused.value)  # a reason an operator can read
    assert "\n" not in str(refused.value)


def test_plain_http_only_for_the_hosts_the_operator_named():
    policy = LinkPolicy.allowing("cms.intranet.example, BÜCHER.example, not a host!")
    assert policy.check("http://cms.intranet.example/page") == "http://cms.intranet.example/page"
    assert policy.check("http://bücher.example/") == "http://xn--bcher-kva.example/"
    with pytest.raises(LinkError, match="plain http"):
        policy.check("http://other.example/")
    assert HTTPS_ONLY.http_hosts == frozenset()


def test_internationalised_hosts_become_punycode_so_a_look_alike_shows():
    # Cyrillic "а" in "аpple": the stored and pushed link shows what it is.
    assert normalize_url("https://\u0430pple.com/") == "https://xn--pple-43d.com/"
    assert normalize_url("https://Example.COM./A?b=C#d") == "https://example.com/A?b=C#d"
    assert normalize_url("https://youtu.be/dQw4w9WgXcQ") == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


def test_the_database_keeps_only_sound_links_and_the_scheme_rule_applies_where_used(db):
    with pytest.raises(LinkError):
        Content.create(title="x", url="https://a@b.example/", kind="web")
    row = Content.create(title="intranet", url="http://cms.example/p", kind="web")  # STORABLE
    item = row.to_item()
    assert qr_link(item, Settings()) == ""  # not pushed under the default policy
    assert qr_link(item, Settings(http_hosts="cms.example")) == "http://cms.example/p"
    with pytest.raises(LinkError):
        pushed_link(item, Settings())
    assert STORABLE.check("http://cms.example/p")


def test_import_reports_each_refused_row_with_its_line_and_keeps_the_rest(db, tmp_path):
    rows = [{"title": "good", "url": "https://example.com/ok", "kind": "web"}]
    rows += [{"title": case, "url": url, "kind": "web"} for case, url in sorted(HOSTILE.items())]
    rows.append({"title": "also good", "url": "https://example.com/ok2", "kind": "web"})
    path = tmp_path / "content.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    result = import_file(path)
    assert result.added == 2 and len(result.errors) == len(HOSTILE)
    assert all("url:" in e for e in result.errors)
    assert sorted(c.title for c in Content.select()) == ["also good", "good"]
    csv = tmp_path / "content.csv"
    csv.write_text("title,url,kind\nfine,https://example.com/f,web\nbad,https://[::1/,web\n",
                   encoding="utf-8")
    result = import_file(csv)
    assert result.added == 1 and len(result.errors) == 1 and result.errors[0].startswith("line 3")


def test_the_content_api_refuses_an_http_link_unless_allowed(db):
    with pytest.raises(library.ContentError, match="plain http"):
        library.save({"title": "x", "url": "http://cms.example/p", "kind": "web"})
    item_id = library.save({"title": "x", "url": "http://cms.example/p", "kind": "web"},
                           policy=LinkPolicy.allowing("cms.example"))
    assert library.get(item_id).url == "http://cms.example/p"


def test_select_never_chooses_an_item_whose_link_the_policy_refuses(db):
    Content.create(title="http offer", url="http://cms.example/p", kind="web", genders="female", weight=5)
    Content.create(title="https offer", url="https://example.com/p", kind="web", genders="female")
    audience = Audience(count=1, people=(Person(gender="female", age=30),))
    assert Selector().choose(audience).item.title == "https offer"
    allowing = Selector.from_settings(Settings(http_hosts="cms.example"))
    assert allowing.choose(audience).item.title == "http offer"


def test_the_command_line_refuses_hostile_links_in_one_line(data_dir, tmp_path):
    rows = tmp_path / "rows.json"
    rows.write_text(json.dumps([{"title": "t", "url": "https://[::1/", "kind": "web"},
                                {"title": "u", "url": "https://a@b.example/", "kind": "web"}]))
    done = run_main("content", "import", str(rows), "--data-dir", str(data_dir))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "does not parse" in done.stderr and "user name" in done.stderr
    for url in ("https://[::1/", "http://example.com/", "https://x\u202e.example/"):
        done = run_main("nfc", "write", url, "--nfc", "udp:127.0.0.1:1", "--data-dir", str(data_dir))
        assert done.returncode == 2 and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


# --- fuzz: nothing the policy forbids gets through, and nothing but LinkError comes out -----------

_PIECES = st.sampled_from(["https://", "http://", "HTTPS://", "javascript:", "file://", "//", "@", ":",
                           ":443", ":0", ":99999", "[", "]", "::1", "127.0.0.1", "localhost",
                           "example.com", "xn--", "bücher", "\u0430pple", "/", "?", "#", "%00",
                           "\u202e", "\u200b", "\x00", " ", "\\", ".", "..", "youtu.be/",
                           "dQw4w9WgXcQ", "www.youtube.com/watch?v=", "a" * 70])
_TEXT = st.one_of(st.text(max_size=60), st.lists(st.one_of(_PIECES, st.text(max_size=4)),
                                                 max_size=8).map("".join))


@settings(max_examples=3000, deadline=None)
@given(_TEXT)
def test_fuzzed_links_are_refused_or_meet_every_rule(text):
    try:
        url = normalize_url(text)
    except LinkError:
        return
    parts = urlsplit(url)
    assert parts.scheme == "https"
    assert "@" not in parts.netloc and parts.hostname and parts.hostname not in ("localhost",)
    assert url.isascii() or all(unicodedata.category(c)[0] not in "CZ" for c in url)
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Zs") for c in url)
    assert parts.hostname.isascii()
    assert parts.port is None or 0 < parts.port < 65536
    assert normalize_url(url) == url  # canonical: checking again changes nothing
    assert checked_link(url) == url
    ndef_message(url, capacity=4096)  # what passes the policy also encodes for a tag


@settings(max_examples=300, deadline=None)
@given(_TEXT)
def test_fuzzed_links_never_break_an_item_push(text):
    qr_link(Item(1, "t", text, kind="web"), Settings())  # "" or a valid link; never raises
