"""NFC link push with nfcpy: write the link to a presented tag, or emulate a tag holding it.

Everything here blocks (nfcpy's `connect()` does) and is meant for one worker thread; every
blocking call takes a `terminate` callback so a stop request ends it within a fraction of a
second. The device is an nfcpy path string (`usb`, `usb:054c:06c3`, `tty:USB0:pn532`,
`udp:HOST:PORT`, or `none`), so the udp driver used in tests and demos is the real code path.
"""

from __future__ import annotations

import errno
import logging
import os
import random
import re
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import nfc
import nfc.clf
import nfc.tag

from cxkiosk.links import HTTPS_ONLY, LinkError, LinkPolicy
from cxkiosk.push.links import checked_link, link_in_message, ndef_message

log = logging.getLogger("cxkiosk.nfc")

Terminate = Callable[[], bool]

# Statuses of one tag write; only WRITTEN and ALREADY mean the tag now holds the link.
WRITTEN = "written"
ALREADY = "already"  # the tag held the link before: nothing written, nothing worn
READ_ONLY = "read-only"
TOO_SMALL = "too-small"
REMOVED = "removed"  # the tag left the field (or stopped answering) before the read-back
NOT_NDEF = "not-ndef"
MISMATCH = "mismatch"  # written, but the read-back differs
REFUSED = "refused"  # the link itself may not be pushed
NO_TAG = "no-tag"
NO_READER = "no reader"

_DEVICE = re.compile(r"^(none|usb(:[0-9A-Fa-f]{1,4}){0,2}|(tty|com):[\w.-]+:\w+|udp(:[\w.-]+)?(:\d{1,5})?)$")
# The udp driver waits 1 s for each technology that does not answer, and nfcpy can emulate
# only Type 3 tags, so over udp we look for Type 3 (212F) alone.
_UDP_TARGETS = ("212F",)
_USB_TARGETS = ("106A", "106B", "212F")
# Pause between polling rounds on a real reader: nfcpy's own default (5 x 0.5 s) would make a
# stop wait seconds; this keeps a stop prompt without turning the loop into a busy spin.
POLL_PAUSE = 0.15
# Reopen a missing reader after these delays (capped), so a replug is seen within 5 s.
BACKOFF = (0.5, 1.0, 2.0, 3.0)
# A tag whose first read fails looks the same as one without NDEF; sense it again this often
# before saying so (a tag slid across the reader often fails the first read).
RETRY_UNREADABLE = 2


class _NoRetrySpam(logging.Filter):
    """nfcpy logs an ERROR for every failed open; we retry every few seconds while a reader is
    unplugged and say so once ourselves, so its own lines would only fill the log file."""

    QUIET = ("no reader available on path", "searching for reader on path")

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.QUIET)


logging.getLogger("nfc.clf").addFilter(_NoRetrySpam())


class ReaderMissing(Exception):
    """No reader could be opened on the path; the message says why, in one line."""


def check_device(path: str) -> str:
    """The path stripped, or ValueError naming the accepted forms."""
    text = (path or "").strip()
    if not _DEVICE.match(text):
        raise ValueError(f"NFC device {path!r} is not one of usb, usb:VID:PID, tty:PORT:DRIVER, "
                         "com:PORT:DRIVER, udp:HOST:PORT, none")
    if text.startswith("udp:"):
        port = text.rsplit(":", 1)[-1]
        if not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
            raise ValueError(f"NFC device {path!r}: the udp port must be 1..65535")
    return text


def is_off(path: str) -> bool:
    return (path or "").strip() == "none"


def open_frontend(path: str) -> nfc.ContactlessFrontend:
    """An open frontend on `path`; ReaderMissing when there is none (or it is `none`)."""
    path = check_device(path)
    if is_off(path):
        raise ReaderMissing("NFC is off (device none)")
    try:
        return nfc.ContactlessFrontend(path)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        if exc.errno == errno.EACCES:
            reason += " (no permission for the USB device: see docs/NFC.md)"
        elif exc.errno == errno.EBUSY:
            reason += " (another program holds the reader)"
        raise ReaderMissing(f"no reader on {path}: {reason}") from exc
    except (ImportError, ValueError) as exc:  # nfcpy's driver import / a malformed path
        raise ReaderMissing(f"no reader on {path}: {exc}") from exc


def sense_targets(path: str) -> tuple[str, ...]:
    return _UDP_TARGETS if path.startswith("udp") else _USB_TARGETS


@dataclass(frozen=True)
class Link:
    """What the kiosk pushes right now: a validated link, its title, and the item it is for."""

    url: str
    title: str = ""
    item_id: int | None = None


@dataclass(frozen=True)
class TagWrite:
    """How one tag write went. `ok` only when the read-back holds exactly `url`."""

    status: str
    url: str
    message: str
    read_back: str | None = None
    tag: str = ""  # tag type/product, never its identifier

    @property
    def ok(self) -> bool:
        return self.status in (WRITTEN, ALREADY)


@dataclass(frozen=True)
class PushResult:
    """One push the showroom can count: a tag written or the emulated tag read."""

    item_id: int | None
    url: str
    kind: str  # "nfc-write" | "nfc-read"
    ok: bool
    message: str


def _describe(tag: Any) -> str:
    return str(getattr(tag, "product", "") or getattr(tag, "type", "tag"))


def write_tag(tag: nfc.tag.Tag, url: str, title: str = "", policy: LinkPolicy = HTTPS_ONLY) -> TagWrite:
    """Write `url` (+ `title` when it fits) to an activated tag and verify by reading it back."""
    kind = _describe(tag)
    try:
        url = checked_link(url, policy)
    except LinkError as exc:
        return TagWrite(REFUSED, url, f"link refused: {exc}", tag=kind)
    try:
        ndef = tag.ndef
        if ndef is None and tag.format() is True:  # a blank tag: give it an empty NDEF area
            ndef = tag.ndef
        if ndef is None:
            return TagWrite(NOT_NDEF, url, f"{kind} holds no NDEF data area and cannot be formatted",
                            tag=kind)
        current = link_in_message(ndef.octets) if ndef.length else None
        if current == url:
            return TagWrite(ALREADY, url, f"{kind} already holds the link", read_back=current, tag=kind)
        if not ndef.is_writeable:
            return TagWrite(READ_ONLY, url, f"{kind} is read-only", read_back=current, tag=kind)
        try:
            message = ndef_message(url, title, capacity=ndef.capacity, policy=policy)
        except LinkError as exc:
            return TagWrite(TOO_SMALL, url, f"{kind} too small: {exc}", read_back=current, tag=kind)
        ndef.octets = message
        # Read back from the tag itself (has_changed re-reads), never trust what we sent.
        ndef.has_changed  # noqa: B018
        back = tag.ndef
    except (nfc.tag.TagCommandError, nfc.clf.CommunicationError, OSError) as exc:
        return TagWrite(REMOVED, url, f"{kind} removed or not answering before the write was "
                        f"verified ({exc}); tap again", tag=kind)
    except (AttributeError, ValueError) as exc:  # nfcpy's own not-writeable / too-big guards
        return TagWrite(READ_ONLY, url, f"{kind} refused the write: {exc}", tag=kind)
    if back is None:
        return TagWrite(REMOVED, url, f"{kind} could not be read back; tap again", tag=kind)
    read_back = link_in_message(back.octets)
    if read_back != url:
        return TagWrite(MISMATCH, url, f"{kind} reads back {read_back!r}, not the link", read_back, kind)
    return TagWrite(WRITTEN, url, f"wrote {url} to {kind} (verified)", read_back=read_back, tag=kind)


def write_next_tag(path: str, url: str, title: str = "", timeout: float = 10.0,
                   terminate: Terminate | None = None, policy: LinkPolicy = HTTPS_ONLY) -> TagWrite:
    """Open `path`, write `url` to the next tag presented within `timeout` s, close the reader.

    Raises ReaderMissing when no reader can be opened.
    """
    try:
        url = checked_link(url, policy)
    except LinkError as exc:
        return TagWrite(REFUSED, url, f"link refused: {exc}")
    deadline = time.monotonic() + timeout
    outcome: list[TagWrite] = []
    unreadable: list[TagWrite] = []

    def on_connect(tag: nfc.tag.Tag) -> bool:
        result = write_tag(tag, url, title, policy)
        if result.status == NOT_NDEF and len(unreadable) < RETRY_UNREADABLE:
            unreadable.append(result)  # often a read cut short by the tag moving: look again
        else:
            outcome.append(result)
        return False  # return the tag at once: no need to wait for its removal here

    def stop() -> bool:
        return bool(outcome) or time.monotonic() > deadline or bool(terminate and terminate())

    clf = open_frontend(path)
    try:
        while not stop():
            result = clf.connect(rdwr={"targets": sense_targets(path), "on-connect": on_connect,
                                       "iterations": 1, "beep-on-connect": False},
                                 terminate=stop)
            if result is False and not outcome:  # an I/O error: nfcpy logged it; try again
                time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
    finally:
        clf.close()
    if outcome or unreadable:
        return (outcome or unreadable)[0]
    return TagWrite(NO_TAG, url, f"no tag presented within {timeout:g} s")


class Type3TagMemory:
    """The memory of an emulated NFC Forum Type 3 tag: a 16-byte attribute block + NDEF blocks.

    Read-only by default, so a phone cannot overwrite the kiosk's tag. Thread-safe for one
    reader at a time (the emulation loop) plus an observer.
    """

    def __init__(self, ndef_data: bytes = b"", blocks: int | None = None, writable: bool = False,
                 max_blocks_per_command: int = 4) -> None:
        need = (len(ndef_data) + 15) // 16
        self.blocks = max(need, blocks or 0, 1)
        self.writable = writable
        self.nb = max_blocks_per_command
        self.data_blocks_read = 0
        self.data_blocks_written = 0
        self.memory = bytearray(16 + self.blocks * 16)
        self.memory[16:16 + len(ndef_data)] = ndef_data
        self._set_attributes(length=len(ndef_data), writing=False)

    def _set_attributes(self, length: int, writing: bool) -> None:
        block = bytearray(16)
        block[0] = 0x10  # mapping version 1.0
        block[1] = self.nb  # blocks per read
        block[2] = self.nb if self.writable else 0  # blocks per write
        block[3:5] = struct.pack(">H", self.blocks)
        block[9] = 0x0F if writing else 0x00
        block[10] = 0x01 if self.writable else 0x00
        block[11:14] = struct.pack(">I", length)[1:]
        block[14:16] = struct.pack(">H", sum(block[:14]))
        self.memory[0:16] = block

    @property
    def ndef_data(self) -> bytes:
        length = struct.unpack(">I", b"\x00" + bytes(self.memory[11:14]))[0]
        return bytes(self.memory[16:16 + length])

    def read_block(self, number: int, rb: bool, re: bool) -> bytes | None:
        if number > self.blocks:
            return None
        if number > 0:
            self.data_blocks_read += 1
        return bytes(self.memory[number * 16:(number + 1) * 16])

    def write_block(self, number: int, data: bytes, wb: bool, we: bool) -> bool:
        if not self.writable or number > self.blocks or len(data) != 16:
            return False
        if number > 0:
            self.data_blocks_written += 1
        self.memory[number * 16:(number + 1) * 16] = data
        return True


# IDm must not start with 01FE (that announces peer-to-peer); PMm IC code FF is no FeliCa
# product nfcpy special-cases, and its FF timing bytes give readers generous timeouts.
DEFAULT_IDM = bytes.fromhex("03FE0C1A05000001")
DEFAULT_PMM = bytes.fromhex("00FF000000FFFF00")
NDEF_SYSTEM = bytes.fromhex("12FC")


def emulate_type3(clf: nfc.ContactlessFrontend, memory: Type3TagMemory, terminate: Terminate,
                  idm: bytes = DEFAULT_IDM, idle: float = 2.0,
                  answer: Terminate | None = None) -> bool | None:
    """Serve one reader session as a Type 3 tag holding `memory`.

    Returns True after a session, None when no reader came within one listen window (or
    `terminate` said stop), False on an I/O error.
    `answer`, when given and False, makes the tag fall silent (tests use it for a tag that is
    pulled away mid-write). A session ends when the reader switches its field off, or after
    `idle` s with no command, so a new link is served at the next tap.
    """

    def on_startup(target: nfc.clf.LocalTarget) -> nfc.clf.LocalTarget:
        target.brty = "212F"
        target.sensf_res = b"\x01" + idm + DEFAULT_PMM + NDEF_SYSTEM
        return target

    def on_connect(tag: Any) -> bool:
        tag.add_service(0x0009, memory.read_block, memory.write_block)  # read/write NDEF
        tag.add_service(0x000B, memory.read_block, lambda *args: False)  # read-only NDEF
        return False  # serve it ourselves, with timeouts nfcpy's own loop does not use

    # One listen window per call, of random length: a reader polling at a fixed period (the
    # udp driver's is 1 s) would otherwise stay in step with fixed windows and keep landing on
    # their closing edge, where nfcpy answers the poll but then stops listening.
    rounds: list[None] = []

    def one_window() -> bool:
        rounds.append(None)
        return len(rounds) > 1 or terminate()

    tag = clf.connect(card={"on-startup": on_startup, "on-connect": on_connect,
                            "timeout": random.uniform(0.5, 1.0)}, terminate=one_window)
    if not tag:
        return tag  # None (terminated) or False (I/O error)
    response = tag.process_command(tag.cmd)
    quiet_since = time.monotonic()
    while not terminate():
        if answer is not None and not answer():
            break
        try:
            command = tag.send_response(response, 0.25)
        except nfc.clf.TimeoutError:
            response = None
            if time.monotonic() - quiet_since > idle:
                break
            continue
        except nfc.clf.BrokenLinkError:
            break
        except nfc.clf.CommunicationError:
            response = None
            continue
        if command is None:
            break
        quiet_since = time.monotonic()
        response = tag.process_command(command)
    return True


class NfcService:
    """The NFC loop behind the worker: open the reader, push the current link, survive unplugs.

    `set_link()` may be called from any thread; `run()` blocks its own thread until `stopping()`
    turns true, reporting each change of status once (no log spam while a reader is missing).
    """

    def __init__(self, device: str, mode: str = "write", policy: LinkPolicy = HTTPS_ONLY) -> None:
        self.device = check_device(device)
        self.policy = policy
        if mode not in ("write", "emulate"):
            raise ValueError(f"NFC mode must be write or emulate, not {mode!r}")
        self.mode = mode
        self._lock = threading.Lock()
        self._link: Link | None = None
        self._stop = threading.Event()
        self._changed = threading.Event()
        self._status = ""
        self._reader: bool | None = None
        self._on_reader: Callable[[bool], None] = lambda _works: None

    # -- called from other threads -------------------------------------------------------
    def set_link(self, url: str | None, title: str = "", item_id: int | None = None) -> str | None:
        """Make `url` the link to push; None clears it. Returns the refusal reason, if any."""
        link = None
        reason = None
        if url:
            try:
                link = Link(checked_link(url, self.policy), title, item_id)
            except LinkError as exc:
                reason = f"link refused: {exc}"
        with self._lock:
            self._link = link
        self._changed.set()
        return reason

    def current_link(self) -> Link | None:
        with self._lock:
            return self._link

    def stop(self) -> None:
        self._stop.set()
        self._changed.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # -- the loop ----------------------------------------------------------------------
    def run(self, on_status: Callable[[str], None], on_result: Callable[[PushResult], None],
            on_reader: Callable[[bool], None] | None = None) -> None:
        """`on_reader(works)` is told each time a reader becomes usable or stops being so (the
        billboard offers "tap" only while one works)."""
        self._on_status = on_status
        if on_reader is not None:
            self._on_reader = on_reader
        if is_off(self.device):
            self._report("NFC off")
            self._reader_works(False)
            return
        failures = 0
        while not self.stopping:
            try:
                clf = open_frontend(self.device)
            except ReaderMissing as exc:
                self._reader_works(False)
                if self._report(NO_READER):
                    log.warning("%s; retrying quietly", exc)
                self._stop.wait(BACKOFF[min(failures, len(BACKOFF) - 1)])
                failures += 1
                continue
            try:
                if failures:
                    log.info("NFC reader on %s is back", self.device)
                failures = 0
                self._serve(clf, on_result)
            finally:
                clf.close()
            if not self.stopping:  # the reader went away (I/O error): reopen after a pause
                self._reader_works(False)
                self._report(NO_READER)
                self._stop.wait(BACKOFF[0])
                failures = 1

    def _report(self, status: str) -> bool:
        """Tell the status once per change; True when it changed."""
        if status == self._status:
            return False
        self._status = status
        self._on_status(status)
        return True

    def _reader_works(self, works: bool) -> None:
        if works != self._reader:
            self._reader = works
            self._on_reader(works)

    def _pace(self) -> bool:
        # nfcpy calls this between polling rounds: it paces the loop and ends it on stop.
        return self._stop.wait(POLL_PAUSE)

    def _can_emulate(self, clf: nfc.ContactlessFrontend) -> bool:
        # nfcpy's connect() turns "this reader cannot listen" into a bare False, which looks
        # like an unplugged reader; ask once so the operator reads the real reason.
        target = nfc.clf.LocalTarget("212F")
        target.sensf_res = b"\x01" + DEFAULT_IDM + DEFAULT_PMM + NDEF_SYSTEM
        try:
            clf.listen(target, 0.01)
        except nfc.clf.UnsupportedTargetError:
            return False
        except (nfc.clf.CommunicationError, OSError):
            pass
        return True

    def _serve(self, clf: nfc.ContactlessFrontend, on_result: Callable[[PushResult], None]) -> None:
        if self.mode == "emulate" and not self._can_emulate(clf):
            if self._report(f"{clf.device} cannot emulate a tag (an RC-S380 can); use nfc_mode write"):
                log.warning("NFC reader %s cannot emulate a tag; set nfc_mode to write", clf.device)
            self._reader_works(False)
            self._stop.wait()
            return
        self._reader_works(True)
        while not self.stopping:
            link = self.current_link()
            if link is None:
                self._report("ready (no link to push)")
                self._changed.wait(0.5)
                self._changed.clear()
                continue
            if self.mode == "emulate":
                ok = self._emulate_once(clf, link, on_result)
            else:
                ok = self._write_once(clf, link, on_result)
            if ok is False:
                return

    def _write_once(self, clf: nfc.ContactlessFrontend, link: Link,
                    on_result: Callable[[PushResult], None]) -> bool | None:
        self._report("ready: hold a tag to the reader")
        written: list[TagWrite] = []

        def on_connect(tag: nfc.tag.Tag) -> bool:
            outcome = write_tag(tag, link.url, link.title, self.policy)
            self._report(outcome.message)
            if outcome.status == NOT_NDEF:
                return False  # nothing was written: sense again at once rather than wait
            written.append(outcome)
            if outcome.status != ALREADY:  # a tag left lying on the reader counts once
                on_result(PushResult(link.item_id, link.url, "nfc-write", outcome.ok, outcome.message))
            return True  # wait until the tag is taken away before looking for the next one

        changed = self._link_changed_since(link)
        result = clf.connect(rdwr={"targets": sense_targets(self.device), "on-connect": on_connect,
                                   "iterations": 1, "beep-on-connect": True},
                             terminate=lambda: self._pace() or changed())
        return False if result is False and not written else True

    def _emulate_once(self, clf: nfc.ContactlessFrontend, link: Link,
                      on_result: Callable[[PushResult], None]) -> bool | None:
        try:
            message = ndef_message(link.url, link.title, capacity=4096, policy=self.policy)
        except LinkError as exc:
            self._report(str(exc))
            self._changed.wait(1.0)
            return True
        self._report("emulating a tag: tap the reader")
        memory = Type3TagMemory(message)
        changed = self._link_changed_since(link)
        result = emulate_type3(clf, memory, terminate=lambda: self.stopping or changed())
        if result and memory.data_blocks_read:
            on_result(PushResult(link.item_id, link.url, "nfc-read", True, "emulated tag read"))
        return result

    def _link_changed_since(self, link: Link) -> Terminate:
        return lambda: self.current_link() != link
