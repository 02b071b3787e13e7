"""The link a visitor's phone receives, and the NDEF message that carries it to a tag.

`pushed_link()` is the one place that builds the link: the billboard's QR code and the NFC
tag both use its result, so a scan and a tap always open the same page (and count the same
way when campaign tags are on).
"""

from __future__ import annotations

import base64
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import ndef

from cxkiosk.config import Settings
from cxkiosk.links import HTTPS_ONLY, LinkError, LinkPolicy, normalize_url
from cxkiosk.values import Item

# NTAG213, the commonest sticker tag, holds 144 bytes of NDEF data (its whole user memory);
# the tag actually presented reports its own capacity, which wins when it is known.
NTAG213_NDEF_BYTES = 144
UTM_KEYS = ("utm_source", "utm_content")


def link_policy(settings: Settings) -> LinkPolicy:
    """The link policy of these settings: https, plain http for `http_hosts` only, showroom
    paths ("/offers") on `showroom_page`."""
    return LinkPolicy.allowing(settings.http_hosts, settings.showroom_page)


def new_play_code() -> str:
    """A short random code for one play (8 base32 letters): joins a scan or tap to the play in
    the showroom's own web analytics, and says nothing about anyone."""
    return base64.b32encode(secrets.token_bytes(5)).decode("ascii").lower()


def pushed_link(item: Item, settings: Settings, code: str = "") -> str:
    """The item's validated link, with campaign tags when `settings.utm_tags` is on:
    utm_source=<kiosk id>, utm_content=<item id>-<play code>.

    Raises LinkError (with the reason) for a link that may not be pushed, and for a showroom
    path ("/offers") while `showroom_page` is not set.
    """
    url = link_policy(settings).resolve(item.url)
    if not url:
        raise LinkError(f"{item.url!r} is a path on the showroom's page: set showroom_page"
                        if item.url else "no link")
    if not settings.utm_tags:
        return url
    parts = urlsplit(url)
    # Keep the item's own parameters in order; ours replace any stale utm_source/content.
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in UTM_KEYS]
    content = f"{item.id}-{code}" if code else str(item.id)
    query += [("utm_source", settings.kiosk_id or "kiosk"), ("utm_content", content)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def qr_link(item: Item, settings: Settings, code: str = "") -> str:
    """The link the QR code and the tag carry: `pushed_link`, or "" for an item without a valid
    link (no code rather than a wrong one)."""
    try:
        return pushed_link(item, settings, code) if item.url else ""
    except LinkError:
        return ""


def checked_link(url: str, policy: LinkPolicy = HTTPS_ONLY) -> str:
    """`url` as given (stripped) when it may go on a tag, else LinkError with the reason.

    Validation is normalize_url's; the text is not canonicalised again, because that would
    drop the campaign tags `pushed_link` added to a YouTube link.
    """
    normalize_url(url, policy)
    return url.strip()


def ndef_records(url: str, title: str = "", policy: LinkPolicy = HTTPS_ONLY) -> list[ndef.Record]:
    # UriRecord picks the URI prefix code itself (https://www. -> 0x02), saving tag bytes.
    records: list[ndef.Record] = [ndef.UriRecord(checked_link(url, policy))]
    if title.strip():
        records.append(ndef.TextRecord(title.strip(), "en"))
    return records


def encode(records: list[ndef.Record]) -> bytes:
    return b"".join(ndef.message_encoder(records))


def ndef_message(url: str, title: str = "", capacity: int = NTAG213_NDEF_BYTES,
                 policy: LinkPolicy = HTTPS_ONLY) -> bytes:
    """The NDEF message for `url` (+ `title` when it fits) within `capacity` bytes.

    The title is optional: it is dropped before the link is refused. Raises LinkError when even
    the bare link does not fit, saying how many bytes it needs.
    """
    with_title = encode(ndef_records(url, title, policy))
    if len(with_title) <= capacity:
        return with_title
    bare = encode(ndef_records(url, policy=policy))
    if len(bare) <= capacity:
        return bare
    raise LinkError(f"link needs {len(bare)} bytes of NDEF but the tag holds {capacity}; "
                    "use a shorter link")


def link_in_message(data: bytes) -> str | None:
    """The first URI in an NDEF message, or None when there is none or it does not decode."""
    try:
        for record in ndef.message_decoder(data, errors="relax"):
            if isinstance(record, ndef.UriRecord):
                return record.iri
    except ndef.DecodeError:
        return None
    return None
