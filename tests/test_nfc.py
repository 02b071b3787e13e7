"""NFC with nfcpy's own udp driver on 127.0.0.1: writes, emulation, bad tags, no reader."""

from __future__ import annotations

import logging
import threading

import ndef
import pytest

from cxkiosk.push import nfc as kiosk_nfc
from cxkiosk.push.links import link_in_message, ndef_message
from cxkiosk.push.nfc import (
    ALREADY,
    NO_READER,
    NO_TAG,
    READ_ONLY,
    REFUSED,
    REMOVED,
    TOO_SMALL,
    WRITTEN,
    NfcService,
    ReaderMissing,
    Type3TagMemory,
    open_frontend,
    write_next_tag,
)
from tests.nfc_helpers import emulated_tag, free_udp_port, read_tag_link

pytestmark = pytest.mark.timeout(60)

LINK = "https://www.example.com/spring?utm_source=lobby&utm_content=7"


def test_written_tag_decodes_to_exactly_the_link():
    memory = Type3TagMemory(blocks=16, writable=True)
    with emulated_tag(memory) as path:
        result = write_next_tag(path, LINK, "Spring range", timeout=10)
    assert result.status == WRITTEN and result.ok and result.read_back == LINK
    records = list(ndef.message_decoder(memory.ndef_data))
    assert records[0].iri == LINK
    assert records[1].text == "Spring range"


def test_tag_already_holding_the_link_is_not_rewritten():
    memory = Type3TagMemory(ndef_message(LINK), blocks=16, writable=True)
    with emulated_tag(memory) as path:
        result = write_next_tag(path, LINK, timeout=10)
    assert result.status == ALREADY and result.ok
    assert memory.data_blocks_written == 0


def test_read_only_tag_is_never_reported_as_written():
    old = ndef_message("https://old.example.com/")
    memory = Type3TagMemory(old, blocks=16, writable=False)
    with emulated_tag(memory) as path:
        result = write_next_tag(path, LINK, timeout=10)
    assert result.status == READ_ONLY and not result.ok
    assert "read-only" in result.message
    assert memory.ndef_data == old


def test_tag_too_small_for_the_link_says_so_and_keeps_its_content():
    old = ndef_message("https://old.example.com/")
    memory = Type3TagMemory(old, blocks=2, writable=True)  # 32 bytes of NDEF
    with emulated_tag(memory) as path:
        result = write_next_tag(path, "https://example.com/" + "x" * 60, "title", timeout=10)
    assert result.status == TOO_SMALL and not result.ok
    assert "32" in result.message
    assert memory.ndef_data == old


def test_tag_pulled_away_mid_write_is_a_failure():
    memory = Type3TagMemory(blocks=16, writable=True, max_blocks_per_command=1)
    # The tag answers until the first data block lands, then falls silent, as if pulled away.
    with emulated_tag(memory, answer=lambda: memory.data_blocks_written < 1) as path:
        result = write_next_tag(path, LINK, "Spring range", timeout=10)
    assert result.status == REMOVED and not result.ok
    assert "tap again" in result.message
    assert link_in_message(memory.ndef_data) != LINK


def test_non_http_link_is_refused_before_any_reader_is_touched():
    result = write_next_tag("usb", "javascript:alert(1)", timeout=1)
    assert result.status == REFUSED and not result.ok and "http" in result.message


def test_no_tag_within_the_timeout():
    path = f"udp:127.0.0.1:{free_udp_port()}"  # nobody listens there
    result = write_next_tag(path, LINK, timeout=1.5)
    assert result.status == NO_TAG and not result.ok


@pytest.mark.parametrize("path", ["usb", "usb:054c:06c3", "none"])
def test_no_reader_is_a_clear_reason(path):
    with pytest.raises(ReaderMissing, match="no reader|off"):
        open_frontend(path)


@pytest.mark.parametrize("path", ["bluetooth", "usb:zz", "udp:host:notaport", ""])
def test_malformed_device_path_is_rejected(path):
    with pytest.raises(ValueError, match="not one of"):
        NfcService(path)


class Recorder:
    def __init__(self) -> None:
        self.statuses: list[str] = []
        self.results: list = []
        self.got = threading.Event()

    def status(self, text: str) -> None:
        self.statuses.append(text)

    def result(self, push) -> None:
        self.results.append(push)
        self.got.set()


def run_service(service: NfcService, rec: Recorder) -> threading.Thread:
    thread = threading.Thread(target=service.run, args=(rec.status, rec.result), daemon=True)
    thread.start()
    return thread


def test_kiosk_emulation_is_read_by_a_reader_and_follows_the_link():
    path = f"udp:127.0.0.1:{free_udp_port()}"
    service = NfcService(path, mode="emulate")
    service.set_link(LINK, "Spring range", item_id=7)
    rec = Recorder()
    thread = run_service(service, rec)
    try:
        records, writeable = read_tag_link(path)
        assert records[0].iri == LINK and not writeable  # a phone cannot overwrite the kiosk's tag
        assert rec.got.wait(10)
        first = rec.results[0]
        assert (first.item_id, first.url, first.kind, first.ok) == (7, LINK, "nfc-read", True)
        service.set_link("https://example.com/summer", item_id=8)
        for _ in range(10):  # the next tap serves the new link
            records, _ = read_tag_link(path)
            if records[0].iri != LINK:
                break
        assert records[0].iri == "https://example.com/summer"
    finally:
        service.stop()
        thread.join(5)
    assert not thread.is_alive()


def test_kiosk_write_mode_writes_and_reports_the_push():
    memory = Type3TagMemory(blocks=16, writable=True)
    with emulated_tag(memory) as path:
        service = NfcService(path, mode="write")
        service.set_link(LINK, item_id=7)
        rec = Recorder()
        thread = run_service(service, rec)
        try:
            assert rec.got.wait(10)
        finally:
            service.stop()
            thread.join(5)
    assert not thread.is_alive()
    push = rec.results[0]
    assert (push.item_id, push.kind, push.ok) == (7, "nfc-write", True)
    assert link_in_message(memory.ndef_data) == LINK


def test_service_refuses_a_bad_link_and_pushes_nothing():
    service = NfcService("none")
    assert "http" in service.set_link("ftp://example.com/file")
    assert service.current_link() is None


@pytest.mark.expect_log('no reader on usb')
def test_missing_reader_is_reported_once_and_retried_until_it_is_plugged_in(monkeypatch, caplog):
    real_open = kiosk_nfc.open_frontend
    attempts = []
    port_path = f"udp:127.0.0.1:{free_udp_port()}"

    def flaky_open(path):
        attempts.append(path)
        if len(attempts) < 4:
            raise ReaderMissing(f"no reader on {path}: No such device")
        return real_open(port_path)  # "replugged"

    monkeypatch.setattr(kiosk_nfc, "open_frontend", flaky_open)
    monkeypatch.setattr(kiosk_nfc, "BACKOFF", (0.05, 0.1))
    service = NfcService("usb", mode="write")
    rec = Recorder()
    ready = threading.Event()
    rec.status = lambda text: (rec.statuses.append(text), text.startswith("ready") and ready.set())
    with caplog.at_level(logging.INFO, logger="cxkiosk.nfc"):
        thread = run_service(service, rec)
        try:
            assert ready.wait(10)
        finally:
            service.stop()
            thread.join(5)
    assert not thread.is_alive()
    assert len(attempts) == 4
    assert rec.statuses.count(NO_READER) == 1
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "no reader" in warnings[0].getMessage()
    assert any("back" in r.getMessage() for r in caplog.records)


def test_device_none_turns_nfc_off_and_returns():
    rec = Recorder()
    NfcService("none").run(rec.status, rec.result)
    assert rec.statuses == ["NFC off"]


def run_cli(*argv: str) -> int:
    from main import main

    return main(list(argv))


def test_cli_write_exits_0_only_on_a_verified_write(data_dir, capsys):
    memory = Type3TagMemory(blocks=16, writable=True)
    with emulated_tag(memory) as path:
        code = run_cli("nfc", "write", LINK, "--nfc", path, "--timeout", "10", "--data-dir", str(data_dir))
    out = capsys.readouterr().out
    assert code == 0 and f"read back: {LINK}" in out
    assert link_in_message(memory.ndef_data) == LINK


def test_cli_write_to_a_read_only_tag_fails(data_dir, capsys):
    memory = Type3TagMemory(ndef_message("https://old.example.com/"), blocks=16)
    with emulated_tag(memory) as path:
        code = run_cli("nfc", "write", LINK, "--nfc", path, "--timeout", "10", "--data-dir", str(data_dir))
    captured = capsys.readouterr()
    assert code == 1 and "read-only" in captured.err
    assert "read back: https://old.example.com/" in captured.out


@pytest.mark.parametrize("argv, words", [
    (["nfc", "write", "javascript:alert(1)"], "http"),
    (["nfc", "write", LINK, "--nfc", "bluetooth"], "not one of"),
    (["nfc", "write", LINK, "--timeout", "0"], "timeout"),
])
def test_cli_bad_input_is_one_line_exit_2(data_dir, capsys, argv, words):
    assert run_cli(*argv, "--data-dir", str(data_dir)) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_cli_without_reader_exits_1(data_dir, capsys):
    assert run_cli("nfc", "write", LINK, "--nfc", "usb", "--timeout", "1", "--data-dir", str(data_dir)) == 1
    assert "no reader on usb" in capsys.readouterr().err


@pytest.mark.expect_log('cannot emulate a tag')
def test_reader_that_cannot_emulate_says_so_instead_of_no_reader(monkeypatch):
    import nfc.clf.udp

    def refuse(self, target, timeout):
        raise nfc.clf.UnsupportedTargetError("does not support listen as Type F Target")

    monkeypatch.setattr(nfc.clf.udp.Device, "listen_ttf", refuse)  # as nfcpy's ACR122U driver does
    service = NfcService(f"udp:127.0.0.1:{free_udp_port()}", mode="emulate")
    service.set_link(LINK)
    rec = Recorder()
    thread = run_service(service, rec)
    try:
        for _ in range(50):
            if rec.statuses:
                break
            threading.Event().wait(0.1)
    finally:
        service.stop()
        thread.join(5)
    assert rec.statuses and "cannot emulate" in rec.statuses[0]
    assert NO_READER not in rec.statuses
