"""The link policy: every URL that reaches the screen, the QR code or an NFC tag has passed
`normalize_url`, here and nowhere else."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

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
    parts = urlsplit(text)
    host = (parts.hostname or "").lower()
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


def normalize_url(url: str) -> str:
    """A canonical http(s) link, or LinkError with the reason.

    YouTube links in any form become https://www.youtube.com/watch?v=ID.
    """
    if not isinstance(url, str) or not url.strip():
        raise LinkError("empty link")
    text = url.strip()
    if len(text) > URL_MAX:
        raise LinkError(f"link longer than {URL_MAX} characters")
    video = youtube_id(text)
    if video:
        return youtube_url(video)
    if re.search(r"\s", text):
        raise LinkError("link contains spaces")
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https"):
        raise LinkError(f"only http(s) links are allowed, not {parts.scheme or 'no scheme'!r}")
    if not parts.hostname or "." not in parts.hostname and parts.hostname != "localhost":
        raise LinkError("link has no valid host")
    return text
