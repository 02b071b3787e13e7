"""Admin PIN: salted hash, constant-time check, first-run rules and lockout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxkiosk.pin import (
    LOCKOUT_SECONDS,
    MAX_TRIES,
    STATE_FILE,
    PinError,
    PinGuard,
    check_new_pin,
    hash_pin,
    verify_pin,
)

ROOT = Path(__file__).resolve().parent.parent


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_hash_verifies_the_pin_and_nothing_else():
    stored = hash_pin("4821")
    assert stored.startswith("scrypt$")
    assert "4821" not in stored
    assert verify_pin("4821", stored)
    for wrong in ("4820", "48210", "", "482", " 4821", "4821 "):
        assert not verify_pin(wrong, stored)


def test_same_pin_gets_a_different_salt_each_time():
    a, b = hash_pin("123456"), hash_pin("123456")
    assert a != b
    assert verify_pin("123456", a) and verify_pin("123456", b)


@pytest.mark.parametrize("pin", ["", "123", "123456789", "12a4", "12 34", "١٢٣٤", None])
def test_new_pin_must_be_4_to_8_digits(pin):
    with pytest.raises(PinError, match="4 to 8 digits"):
        check_new_pin(pin)
    with pytest.raises(PinError):
        hash_pin(pin)


@pytest.mark.parametrize("stored", ["", "plain1234", "scrypt$zz$00", "md5$00$00", "scrypt$$",
                                    "scrypt$00$0011"])
def test_malformed_stored_hash_never_matches(stored):
    assert not verify_pin("1234", stored)


@settings(max_examples=10, deadline=None)
@given(st.text(max_size=12))
def test_arbitrary_input_never_raises(text):
    stored = hash_pin("9999")
    assert verify_pin(text, stored) == (text == "9999")


def test_lockout_after_five_wrong_tries_for_a_minute():
    clock = Clock()
    stored = hash_pin("2468")
    guard = PinGuard(clock=clock)
    for n in range(MAX_TRIES - 1):
        assert not guard.attempt("0000", stored)
        assert guard.tries_left == MAX_TRIES - 1 - n
        assert guard.locked_for() == 0
    assert not guard.attempt("0000", stored)
    assert guard.locked_for() == pytest.approx(LOCKOUT_SECONDS)
    # While locked even the right PIN is refused.
    assert not guard.attempt("2468", stored)
    clock.now += LOCKOUT_SECONDS - 1
    assert not guard.attempt("2468", stored)
    clock.now += 1.5
    assert guard.locked_for() == 0
    assert guard.attempt("2468", stored)


def test_a_right_pin_resets_the_count():
    clock = Clock()
    stored = hash_pin("2468")
    guard = PinGuard(clock=clock)
    for _ in range(MAX_TRIES - 1):
        guard.attempt("1111", stored)
    assert guard.attempt("2468", stored)
    assert guard.tries_left == MAX_TRIES
    for _ in range(MAX_TRIES - 1):
        guard.attempt("1111", stored)
    assert guard.locked_for() == 0


# --- the lockout and the PIN's existence outlive the process ----------------------------------------


def test_a_restart_does_not_reset_the_lockout_or_the_count(tmp_path):
    clock = Clock()
    stored = hash_pin("2468")
    state = tmp_path / STATE_FILE
    first = PinGuard(state, clock=clock)
    for _ in range(MAX_TRIES - 2):
        first.attempt("0000", stored)
    second = PinGuard(state, clock=clock)  # the kiosk restarted (a tired attacker pulls the plug)
    assert second.tries_left == 2
    second.attempt("0000", stored)
    second.attempt("0000", stored)
    third = PinGuard(state, clock=clock)
    assert third.locked_for() == pytest.approx(LOCKOUT_SECONDS)
    assert not third.attempt("2468", stored)


def test_a_clock_set_back_cannot_lock_the_panel_for_longer_than_one_lockout(tmp_path):
    state = tmp_path / STATE_FILE
    state.write_text(json.dumps({"failures": 0, "locked_until": 1e12, "had_pin": True}))
    assert PinGuard(state, clock=Clock()).locked_for() == pytest.approx(LOCKOUT_SECONDS)


@pytest.mark.expect_log("PIN state .* unreadable")
@pytest.mark.parametrize("text", ["{", "[]", '{"failures": "many"}', '{"locked_until": "soon"}', "\x00"])
def test_a_damaged_state_file_counts_as_a_kiosk_that_had_a_pin(tmp_path, text):
    state = tmp_path / STATE_FILE
    state.write_text(text)
    assert PinGuard(state).had_pin


@pytest.mark.expect_log("cannot write the PIN state")
def test_an_unwritable_state_file_keeps_the_lockout_in_memory(tmp_path):
    state = tmp_path / "missing-folder" / STATE_FILE
    guard = PinGuard(state, clock=Clock())
    for _ in range(MAX_TRIES):
        guard.attempt("0000", hash_pin("2468"))
    assert guard.locked_for() > 0


def run_pin(data_dir, stdin: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "pin", "--data-dir", str(data_dir)],
                          input=stdin, capture_output=True, text=True, timeout=60)


def test_pin_command_sets_the_pin_at_the_machine_and_clears_the_lockout(data_dir):
    (data_dir / "settings.json").write_text('{"version": 1, "kiosk_id": "hall-2"}')
    (data_dir / STATE_FILE).write_text(json.dumps({"failures": 0, "locked_until": 9e9, "had_pin": True}))
    done = run_pin(data_dir, "4821\n4821\n")
    assert done.returncode == 0, done.stderr
    saved = json.loads((data_dir / "settings.json").read_text())
    assert saved["kiosk_id"] == "hall-2" and verify_pin("4821", saved["admin_pin_hash"])
    guard = PinGuard(data_dir / STATE_FILE)
    assert guard.had_pin and guard.locked_for() == 0


@pytest.mark.parametrize("stdin, words", [("4821\n4812\n", "differ"), ("12\n12\n", "4 to 8 digits"),
                                          ("", "no PIN given"), ("48a1\n48a1\n", "4 to 8 digits")])
def test_pin_command_refuses_in_one_line_and_changes_nothing(data_dir, stdin, words):
    (data_dir / "settings.json").write_text('{"version": 1}')
    done = run_pin(data_dir, stdin)
    assert done.returncode == 2 and words in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert (data_dir / "settings.json").read_text() == '{"version": 1}'
