"""The daily restart at its hour, with an injected wall clock."""

from __future__ import annotations

from datetime import datetime

import pytest


class Clock:
    def __init__(self, when: str) -> None:
        self.now = datetime.fromisoformat(when)

    def __call__(self) -> datetime:
        return self.now


def test_the_daily_restart_quits_with_exit_75_at_its_hour_once(qapp):
    from cxkiosk.runtime.daily_restart import DailyRestart

    clock, quits = Clock("2026-12-02T03:59:50"), []
    daily = DailyRestart(4, quits.append, supervised=True, clock=clock)
    assert daily.due == datetime(2026, 12, 2, 4, 0)
    assert not daily.check() and quits == []
    clock.now = datetime(2026, 12, 2, 4, 0, 20)
    assert daily.check() and quits == [75]
    assert not daily.check() and quits == [75]  # once: the next kiosk schedules the next day


def test_a_kiosk_started_after_the_hour_restarts_the_next_day(qapp):
    from cxkiosk.runtime.daily_restart import DailyRestart

    daily = DailyRestart(4, lambda code: None, supervised=True, clock=Clock("2026-12-02T04:00:30"))
    assert daily.due == datetime(2026, 12, 3, 4, 0)  # the fresh kiosk never quits in its first minute


@pytest.mark.parametrize("hour, supervised", [(-1, True), (4, False)])
def test_no_daily_restart_when_off_or_without_a_supervisor(qapp, hour, supervised):
    from cxkiosk.runtime.daily_restart import DailyRestart

    clock, quits = Clock("2026-12-02T03:00:00"), []
    daily = DailyRestart(hour, quits.append, supervised=supervised, clock=clock)
    clock.now = datetime(2026, 12, 9, 5, 0)
    assert not daily.check() and quits == []


@pytest.mark.parametrize("boot", ["2026-11-28T03:00:30",  # behind: the time the PC was last shut down
                                  "2027-01-01T10:00:00"])  # ahead: a clock chip with garbage in it
def test_a_clock_set_right_soon_after_boot_moves_the_restart_to_its_hour(qapp, boot):
    """A PC with no clock battery boots with a wrong clock and the kiosk schedules 04:00 of that
    wrong day; NTP then sets the clock right. Behind, the restart came at once (15:00, in front of
    the customers); ahead, not for a month. It now comes at the next 04:00 of the true clock."""
    from cxkiosk.runtime.daily_restart import DailyRestart

    clock, quits = Clock(boot), []
    daily = DailyRestart(4, quits.append, supervised=True, clock=clock)
    clock.now = datetime(2026, 12, 2, 15, 0)  # NTP
    assert not daily.check() and quits == []
    clock.now = datetime(2026, 12, 3, 3, 59, 40)
    assert not daily.check() and quits == []
    clock.now = datetime(2026, 12, 3, 4, 0, 10)
    assert daily.check() and quits == [75]


def test_a_restart_found_late_in_its_hour_still_happens_and_past_it_waits_a_day(qapp):
    """A busy or briefly suspended kiosk that looks at 04:40 restarts then; one that first looks
    at 09:00 (asleep through the hour) does not restart in opening hours, but the next night."""
    from cxkiosk.runtime.daily_restart import DailyRestart

    clock, quits = Clock("2026-12-02T03:00:00"), []
    late = DailyRestart(4, quits.append, supervised=True, clock=clock)
    clock.now = datetime(2026, 12, 2, 4, 40)
    assert late.check() and quits == [75]
    clock.now, quits = datetime(2026, 12, 2, 3, 0), []
    slept = DailyRestart(4, quits.append, supervised=True, clock=clock)
    clock.now = datetime(2026, 12, 2, 9, 0)
    assert not slept.check() and quits == []
    clock.now = datetime(2026, 12, 3, 4, 0, 10)
    assert slept.check() and quits == [75]
