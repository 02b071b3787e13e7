"""A Type 3 tag emulated by nfcpy over its udp driver on 127.0.0.1, for the NFC tests."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import nfc

from cxkiosk.push.nfc import Type3TagMemory, emulate_type3


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def emulated_tag(memory: Type3TagMemory, answer: Callable[[], bool] | None = None) -> Iterator[str]:
    """Serve `memory` as a tag on a free udp port until the block ends; yields the reader path."""
    path = f"udp:127.0.0.1:{free_udp_port()}"
    stop = threading.Event()
    clf = nfc.ContactlessFrontend(path)

    def serve() -> None:
        while not stop.is_set():
            emulate_type3(clf, memory, stop.is_set, answer=answer)

    thread = threading.Thread(target=serve, name="test-tag", daemon=True)
    thread.start()
    try:
        yield path
    finally:
        stop.set()
        thread.join(5)
        clf.close()


def read_tag_link(path: str, seconds: float = 5.0) -> tuple[list, bool]:
    """Be a phone: read the NDEF records of the next tag on `path`; also say if it is writeable."""
    import time

    deadline = time.monotonic() + seconds
    found: list = []

    def on_connect(tag) -> bool:
        if tag.ndef is not None:
            found.append((tag.ndef.records, tag.ndef.is_writeable))
        return False

    clf = nfc.ContactlessFrontend(path)
    try:
        while not found and time.monotonic() < deadline:
            clf.connect(rdwr={"targets": ["212F"], "on-connect": on_connect, "iterations": 1},
                        terminate=lambda: bool(found) or time.monotonic() > deadline)
    finally:
        clf.close()
    if not found:
        raise AssertionError(f"no NDEF tag read on {path} within {seconds} s")
    return found[0]
