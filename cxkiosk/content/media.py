"""Local media: which files an item may play, one rule for import and for the players.

An item's `path` is relative to the kiosk's media folder (`<data>/media/`) or to the shipped
`resources/`. At play time the path is resolved (symlinks followed) and must still lie inside
one of those folders, be a regular file (not a device, a FIFO or a folder) and stay within the
size limit of its kind, so a content row naming `/etc/passwd`, `/dev/zero` or a symlink out of
the folder plays nothing and says why.
"""

from __future__ import annotations

import os
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from cxkiosk.resources import resource

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".webm", ".mkv", ".avi")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp")
HTML_SUFFIXES = (".html", ".htm")
MB = 1024 * 1024
# Far above any real showroom file, far below what would take the kiosk's memory or disk.
SIZE_LIMITS = {"video": 4096 * MB, "image": 100 * MB, "html": 20 * MB}


class MediaError(ValueError):
    """A media path that may not be played; the message says why."""


def media_kind(path: str) -> str:
    """"video", "image", "html" or "" (not a kind the kiosk plays) from the file name."""
    suffix = PurePosixPath(path.replace("\\", "/")).suffix.lower()
    return ("video" if suffix in VIDEO_SUFFIXES else "image" if suffix in IMAGE_SUFFIXES
            else "html" if suffix in HTML_SUFFIXES else "")


def check_media_path(path: str, item_kind: str) -> str:
    """`path` as stored for an item of `item_kind` ("video" or "slide"), else MediaError.

    Lexical rules only (the file may be copied in after the import): relative, no `..`, no
    drive or share, no control characters, a suffix the item's kind can play.
    """
    text = (path or "").strip()
    if not text:
        raise MediaError(f"a {item_kind} item needs a local file")
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in text):
        raise MediaError("file name contains a control or invisible character")
    posix, windows = PurePosixPath(text.replace("\\", "/")), PureWindowsPath(text)
    if posix.is_absolute() or windows.is_absolute() or windows.drive:
        raise MediaError(f"{text!r} is not relative to the media folder; copy the file into it and "
                         "give its name there")
    if ".." in posix.parts:
        raise MediaError(f"{text!r} leaves the media folder (..)")
    kind = media_kind(text)
    wanted = ("video",) if item_kind == "video" else ("image", "html")
    if kind not in wanted:
        suffixes = VIDEO_SUFFIXES if item_kind == "video" else IMAGE_SUFFIXES + HTML_SUFFIXES
        raise MediaError(f"{text!r}: a {item_kind} must be one of {' '.join(suffixes)}")
    return posix.as_posix()


@dataclass(frozen=True)
class MediaFolders:
    """The folders media may come from, searched in order: the kiosk's own, then the shipped."""

    roots: tuple[Path, ...]

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> MediaFolders:
        return cls((Path(data_dir) / "media", resource()))  # Paths.media, then the shipped

    @classmethod
    def shipped(cls) -> MediaFolders:
        return cls((resource(),))

    def resolve(self, path: str) -> Path:
        """The real file behind an item's `path`, checked; MediaError with the reason if none."""
        text = (path or "").strip()
        if not text:
            raise MediaError("no file given")
        kind = media_kind(text)
        if not kind:
            raise MediaError(f"{Path(text).name}: not a video, image or HTML file")
        candidates = [Path(text)] if Path(text).is_absolute() else [root / text for root in self.roots]
        reason = f"{text}: not found in {', '.join(str(r) for r in self.roots)}"
        for candidate in candidates:
            try:
                real = candidate.resolve(strict=True)
            except (OSError, RuntimeError):  # missing, a symlink loop, unreadable
                continue
            if not self.contains(real):
                reason = f"{text}: outside the media folders (resolves to {real})"
                continue
            try:
                info = os.stat(real)
            except OSError as exc:
                reason = f"{text}: cannot be read ({exc.strerror or exc})"
                continue
            if not stat.S_ISREG(info.st_mode):
                reason = f"{text}: not a regular file"
                continue
            if info.st_size > SIZE_LIMITS[kind]:
                reason = f"{text}: {info.st_size // MB} MB, over the {SIZE_LIMITS[kind] // MB} MB limit"
                continue
            return real
        raise MediaError(reason)

    def contains(self, real: Path) -> bool:
        """Is this resolved path inside one of the folders (each resolved too)?"""
        for root in self.roots:
            try:
                if real.is_relative_to(root.resolve()):
                    return True
            except OSError:
                continue
        return False
