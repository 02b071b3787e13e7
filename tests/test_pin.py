"""Admin PIN: salted hash, constant-time check, first-run rules and lockout."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxkiosk.pin import LOCKOUT_SECONDS, MAX_TRIES, PinError, PinGuard, check_new_pin, hash_pin, verify_pin


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
