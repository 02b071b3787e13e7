"""The NFC worker on its QThread: pushes reported as signals, prompt stop, no reader."""

from __future__ import annotations

import pytest

from cxkiosk.config import Settings
from cxkiosk.push.links import link_in_message
from cxkiosk.push.nfc import NO_READER, Type3TagMemory
from cxkiosk.runtime.nfc import NfcWorker, PushResult
from cxkiosk.runtime.threads import WorkerThread
from tests.nfc_helpers import emulated_tag, free_udp_port, read_tag_link

pytestmark = pytest.mark.timeout(60)

LINK = "https://www.example.com/spring"


@pytest.fixture
def start_worker(qtbot):
    threads: list[WorkerThread] = []

    def start(worker: NfcWorker) -> WorkerThread:
        thread = WorkerThread(worker, "nfc")
        threads.append(thread)
        thread.start()
        return thread

    yield start
    for thread in threads:
        thread.stop(5)


def test_write_mode_pushes_the_link_and_stops_promptly(qtbot, start_worker):
    memory = Type3TagMemory(blocks=16, writable=True)
    with emulated_tag(memory) as path:
        worker = NfcWorker.from_settings(Settings(nfc_device=path, nfc_mode="write"))
        worker.set_link(LINK, 5, "Spring")
        with qtbot.waitSignal(worker.pushed, timeout=15000) as pushed:
            thread = start_worker(worker)
        result = pushed.args[0]
        assert isinstance(result, PushResult)
        assert (result.item_id, result.url, result.kind, result.ok) == (5, LINK, "nfc-write", True)
        assert link_in_message(memory.ndef_data) == LINK
        # The tag still lies on the reader: the worker waits in nfcpy's presence loop, and a
        # shutdown must still end it within the bound main.py gives every thread.
        assert thread.stop(2.0)


def test_emulate_mode_counts_a_read_and_stops_promptly(qtbot, start_worker):
    path = f"udp:127.0.0.1:{free_udp_port()}"
    worker = NfcWorker(path, "emulate")
    worker.set_link(LINK, 9)
    thread = start_worker(worker)
    with qtbot.waitSignal(worker.pushed, timeout=15000) as pushed:
        records, _ = read_tag_link(path)
    assert records[0].iri == LINK
    assert (pushed.args[0].item_id, pushed.args[0].kind) == (9, "nfc-read")
    assert thread.stop(2.0)


@pytest.mark.expect_log('no reader on usb')
def test_no_reader_status_and_prompt_stop_during_backoff(qtbot, start_worker):
    worker = NfcWorker("usb", "write")  # no USB reader on this machine
    with qtbot.waitSignal(worker.status, timeout=10000, check_params_cb=lambda s: s == NO_READER):
        thread = start_worker(worker)
    assert thread.stop(2.0)
    assert not thread.running


def test_device_none_reports_off(qtbot, start_worker):
    worker = NfcWorker("none")
    with qtbot.waitSignal(worker.status, timeout=5000) as status:
        thread = start_worker(worker)
    assert status.args == ["NFC off"]
    assert thread.stop(2.0)


def test_refused_link_is_a_status_not_a_push(qtbot):
    worker = NfcWorker("none")
    with qtbot.waitSignal(worker.status, timeout=1000) as status:
        worker.set_link("ftp://example.com/x", 1)
    assert "http" in status.args[0]
    assert worker.service.current_link() is None


def test_malformed_device_is_refused_at_construction():
    with pytest.raises(ValueError, match="not one of"):
        NfcWorker("serial-port-7")
