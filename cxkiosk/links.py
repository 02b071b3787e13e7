"""The link policy: every URL that reaches the screen, the QR code or an NFC tag has passed
`LinkPolicy.check` (through `normalize_url`), here and nowhere else."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit, urlunsplit

import idna

URL_MAX = 2000

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com",
                  "youtube-nocookie.com", "www.youtube-nocookie.com"}


class LinkError(ValueError):
    """A link that cannot be played, shown or pushed; the message says why."""


def youtube_id(url: str) -> str | None:
    """The 11-character video id of any usual YouTube link form, or None."""
    text = (url or "").strip()
    if _YOUTUBE_ID.match(text):
        return text
    if not re.match(r"^https?://", text, re.I):
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    candidate = None
    if host in ("youtu.be", "www.youtu.be"):
        candidate = parts.path.lstrip("/").split("/")[0]
    elif host in _YOUTUBE_HOSTS:
        path = parts.path.rstrip("/")
        if path == "/watch":
            candidate = (parse_qs(parts.query).get("v") or [""])[0]
        else:
            m = re.match(r"^/(embed|shorts|live|v|e)/([^/?#]+)", path)
            candidate = m.group(2) if m else None
    return candidate if candidate and _YOUTUBE_ID.match(candidate) else None


def youtube_url(video_id: str) -> str:
    return f"https://www.youtube.com/watch?v={video_id}"


@dataclass(frozen=True)
class LinkPolicy:
    """Which links may play on the billboard and go to a visitor's phone.

    Always: http(s) only, at most URL_MAX characters, no user-info (`https://bank.example@evil.example/`
    shows one host and opens another), no control, bidirectional-override or invisible
    characters anywhere, a port that exists, a host that is a DNS name (stored in punycode, so an
    internationalised look-alike shows as what it is) or an IP literal. A phone opens the link
    wherever it is, so loopback and `localhost` hosts are refused. Plain `http` only for the hosts
    the operator named (`Settings.http_hosts`, none by default): a link pushed to a phone is
    https. `any_http` is for storage only: the database keeps a structurally sound http link
    while the scheme rule is applied where it is used.
    """

    http_hosts: frozenset[str] = frozenset()
    any_http: bool = False
    showroom_page: str = ""  # `Settings.showroom_page`: what a showroom path ("/offers") is on

    @classmethod
    def allowing(cls, http_hosts: str, showroom_page: str = "") -> LinkPolicy:
        """The policy for `Settings.http_hosts` (comma-separated host names; bad ones ignored)
        and `Settings.showroom_page` (one that does not pass `showroom_page_problem` is none)."""
        hosts = set()
        for name in (http_hosts or "").split(","):
            try:
                hosts.add(_ascii_host(name.strip()))
            except LinkError:
                continue
        page = (showroom_page or "").strip()
        return cls(frozenset(hosts), showroom_page="" if showroom_page_problem(page) else page.rstrip("/"))

    def check(self, url: str) -> str:
        """A canonical link, or LinkError with the reason. YouTube links in any form become
        https://www.youtube.com/watch?v=ID. A showroom path ("/offers") is the link on
        `showroom_page`; a storage policy (`any_http`) keeps it as the path, any other refuses it
        while `showroom_page` is empty (it cannot go to a phone)."""
        if not isinstance(url, str) or not url.strip():
            raise LinkError("empty link")
        text = url.strip()
        if is_showroom_path(text):
            if self.any_http:
                return self.stored(text)
            if not self.showroom_page:
                raise LinkError(f"{text[:40]} is a page of the showroom's site: set showroom_page first")
            return self.check(self.showroom_page + self.stored(text))
        if len(text) > URL_MAX:
            raise LinkError(f"link longer than {URL_MAX} characters")
        bad = next((c for c in text if unicodedata.category(c) in _FORBIDDEN_CATEGORIES), None)
        if bad is not None and unicodedata.category(bad) == "Zs":
            raise LinkError("link contains spaces")
        if bad is not None:
            raise LinkError(f"link contains a hidden or control character (U+{ord(bad):04X})")
        video = youtube_id(text)
        if video:
            return youtube_url(video)
        try:
            parts = urlsplit(text)
            port = parts.port
        except ValueError as exc:
            raise LinkError(f"link does not parse ({exc})") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise LinkError(f"only https links are allowed, not {parts.scheme or 'no scheme'!r}")
        if "[" in parts.netloc and ":" not in (parts.hostname or ""):
            raise LinkError("link puts a name in brackets, where only an IPv6 address may be")
        if "%" in (parts.hostname or ""):
            raise LinkError("link names a network interface (%zone); give a plain address")
        if "@" in parts.netloc:
            raise LinkError("link hides its host behind a user name (user@host); give the host only")
        if port == 0 or parts.netloc.endswith(":"):
            raise LinkError("link has an impossible port")
        host = _ascii_host(parts.hostname or "")
        if scheme == "http" and not self.any_http and host not in self.http_hosts:
            raise LinkError(f"plain http is not allowed for {host}; use https (or name the host in "
                            "the http_hosts setting)")
        netloc = f"[{host}]" if ":" in host else host
        if port is not None:
            netloc += f":{port}"
        return urlunsplit((scheme, netloc, parts.path, parts.query, parts.fragment))

    def resolve(self, url: str) -> str:
        """The link an item's stored `url` opens, checked: a showroom path ("/offers") is
        appended to `showroom_page`, and is "" while that setting is empty (the item still
        plays, with no QR code or tag); any other link is `check(url)`; "" stays "".

        This is the one place a stored link becomes the link played, shown and pushed.
        Raises LinkError for a link this policy refuses."""
        text = (url or "").strip()
        if not text or (is_showroom_path(text) and not self.showroom_page):
            return ""
        return self.check(text)

    def stored(self, url: str) -> str:
        """The form in which `url` is kept in the database: a showroom path checked (as it will
        be pushed, on a stand-in https host) and kept relative, any other link `check(url)`."""
        text = (url or "").strip()
        if not is_showroom_path(text):
            return self.check(text)
        absolute = LinkPolicy().check(_STAND_IN + text)
        return absolute[len(_STAND_IN):]


_STAND_IN = "https://showroom.invalid"


def is_showroom_path(url: str) -> bool:
    """A link stored relative to the showroom's own page: a path such as "/offers" (optionally
    with ?query or #fragment), resolved against `Settings.showroom_page`."""
    return url.startswith("/") and not url.startswith("//")


def showroom_page_problem(page: str) -> str:
    """Why `page` cannot be the showroom page ("" when it can, or is empty; "must ..." otherwise,
    for the settings' check): an https link (policy as for any pushed link) with no query or
    fragment, since paths are appended to it."""
    page = page.strip()
    if not page:
        return ""
    if is_showroom_path(page):
        return "must be a full https address, like https://shop.example.com/showroom"
    try:
        checked = LinkPolicy().check(page)
    except LinkError as exc:
        return f"must be a link the kiosk may push ({exc})"
    if youtube_id(checked) or urlsplit(checked).query or urlsplit(checked).fragment:
        return "must be a web page address without ?query or #fragment, like https://shop.example.com/showroom"
    return ""


# Cc control, Cf format (bidi overrides, zero-width joiners, soft hyphen), Z* separators other than
# none at all (spaces are refused too), Co private use, Cs surrogates, Cn unassigned.
_FORBIDDEN_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Cs", "Cn"}
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _ascii_host(host: str) -> str:
    """The host in ASCII (punycode for an internationalised name, lower case), else LinkError."""
    host = host.strip().rstrip(".").lower()
    if not host:
        raise LinkError("link has no host")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        mapped = getattr(address, "ipv4_mapped", None) or address  # ::ffff:127.0.0.1 is 127.0.0.1
        if mapped.is_loopback or mapped.is_unspecified:
            raise LinkError(f"link points at this machine ({host}), which a phone cannot open")
        if mapped.is_link_local or mapped.is_multicast:
            raise LinkError(f"link points at a link-local or multicast address ({host})")
        return str(address)
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise LinkError(f"link host {host!r} is not a valid domain name") from None
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        if ascii_host == "localhost":
            raise LinkError("link points at this machine (localhost), which a phone cannot open")
        raise LinkError(f"link host {host!r} is not a valid domain name")
    if labels[-1].isdigit():
        raise LinkError(f"link host {host!r} is not a valid address")
    return ascii_host


def https_origin(text: str) -> str:
    """An https origin as a browser writes it (`https://host[:port]`, host in punycode, lower
    case), or LinkError with the reason: what the YouTube player page may pose as. Only a scheme,
    a host and a port: a path, query, fragment or user name is refused, not dropped, so the
    setting says exactly what YouTube sees."""
    value = (text or "").strip()
    bad = next((c for c in value if unicodedata.category(c) in _FORBIDDEN_CATEGORIES), None)
    if bad is not None:
        raise LinkError(f"must not contain a space, hidden or control character (U+{ord(bad):04X})")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:
        raise LinkError(f"must be a valid address ({exc})") from None
    if parts.scheme.lower() != "https" or not parts.netloc:
        raise LinkError("must be an https origin such as https://kiosk.example.com")
    if "@" in parts.netloc:
        raise LinkError("must not have a user name (user@host)")
    if parts.path not in ("", "/") or parts.query or parts.fragment or value.endswith(("?", "#")):
        raise LinkError("must be only https://host[:port], with no path, query or fragment")
    if port == 0 or parts.netloc.endswith(":"):
        raise LinkError("must have a real port")
    try:
        host = _ascii_host(parts.hostname or "")
    except LinkError:
        raise LinkError("must name a real domain, such as https://kiosk.example.com") from None
    netloc = f"[{host}]" if ":" in host else host
    return f"https://{netloc}" + (f":{port}" if port not in (None, 443) else "")


def origin_problem(text: str) -> str:
    """Why `text` is not an https origin ("" when it is; "must ..." otherwise), for the settings'
    check."""
    try:
        https_origin(text)
    except LinkError as exc:
        return str(exc)
    return ""


HTTPS_ONLY = LinkPolicy()
STORABLE = LinkPolicy(any_http=True)


def normalize_url(url: str, policy: LinkPolicy = HTTPS_ONLY) -> str:
    """`policy.check(url)`: the canonical link, or LinkError with the reason."""
    return policy.check(url)
