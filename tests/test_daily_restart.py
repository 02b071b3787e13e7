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
