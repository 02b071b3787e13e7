"""The pushed link (QR and NFC share it) and the NDEF message that carries it."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import ndef
import pytest

from cxkiosk.config import Settings
from cxkiosk.links import LinkError
from cxkiosk.push.links import NTAG213_NDEF_BYTES, link_in_message, ndef_message, pushed_link
from cxkiosk.values import Item


def item(url: str, item_id: int = 7) -> Item:
    return Item(id=item_id, title="Spring range", url=url)


def test_link_is_the_items_own_without_campaign_tags():
    assert pushed_link(item("https://shop.example.com/spring"), Settings(utm_tags=False)) == \
        "https://shop.example.com/spring"


def test_campaign_tags_name_kiosk_and_item_and_keep_existing_parameters():
    settings = Settings(utm_tags=True, kiosk_id="lobby-2")
    url = pushed_link(item("https://shop.example.com/p?color=red&utm_source=old#top", 42), settings)
    parts = urlsplit(url)
    assert parts.netloc == "shop.example.com" and parts.path == "/p" and parts.fragment == "top"
    assert parse_qsl(parts.query) == [("color", "red"), ("utm_source", "lobby-2"), ("utm_content", "42")]


def test_youtube_link_keeps_its_video_and_gains_tags():
    url = pushed_link(item("https://youtu.be/dQw4w9WgXcQ", 3), Settings(utm_tags=True, kiosk_id="k"))
    query = dict(parse_qsl(urlsplit(url).query))
    assert query == {"v": "dQw4w9WgXcQ", "utm_source": "k", "utm_content": "3"}


@pytest.mark.parametrize("bad", ["javascript:alert(1)", "ftp://example.com/x", "", "file:///etc/passwd"])
def test_only_http_links_are_pushed(bad):
    with pytest.raises(LinkError):
        pushed_link(item(bad), Settings())
    with pytest.raises(LinkError):
        ndef_message(bad)


def test_message_holds_the_link_with_a_short_prefix_and_the_title():
    url = "https://www.example.com/spring?x=1"
    message = ndef_message(url, "Spring range")
    records = list(ndef.message_decoder(message))
    assert records[0].iri == url and records[1].text == "Spring range"
    assert message.count(b"https://www.") == 0  # the prefix travels as one code byte
    assert link_in_message(message) == url


def test_title_is_dropped_before_the_link_is_refused():
    url = "https://example.com/" + "a" * 100
    message = ndef_message(url, "A title long enough to overflow " * 2)
    assert len(message) <= NTAG213_NDEF_BYTES
    assert [type(r) for r in ndef.message_decoder(message)] == [ndef.UriRecord]


def test_link_too_long_for_ntag213_is_refused_with_the_numbers():
    url = "https://example.com/" + "a" * 200
    with pytest.raises(LinkError, match=rf"needs \d+ bytes .* holds {NTAG213_NDEF_BYTES}"):
        ndef_message(url)
    assert ndef_message(url, capacity=1024)  # a bigger tag takes it


def test_garbage_is_no_link():
    assert link_in_message(b"\xd1\x01") is None
    assert link_in_message(b"".join(ndef.message_encoder([ndef.TextRecord("hi")]))) is None
