"""Guards for the Qt binding itself: a kiosk emits millions of signals over days.

PySide6 6.12.0 drops one reference to True on every SignalInstance.emit() and one to None on
every void method call (setText, setPixmap...); on Python 3.11 the interpreter aborts
("bool_dealloc" / "none_dealloc") after a few thousand. requirements.txt keeps PySide6 below
6.12; these tests fail if an upgrade brings such a leak back.
"""

import sys

from PySide6.QtCore import QObject, Signal


class Emitter(QObject):
    bare = Signal()
    text = Signal(str)
    value = Signal(object)


def test_emit_keeps_reference_counts_of_true_false_and_none(qapp):
    emitter = Emitter()
    emitter.value.connect(lambda v: None)
    before = [sys.getrefcount(x) for x in (True, False, None)]
    for _ in range(200):
        emitter.bare.emit()
        emitter.text.emit("x")
        emitter.value.emit(1)
    after = [sys.getrefcount(x) for x in (True, False, None)]
    # Other threads may take or drop a few references meanwhile; a leak loses one per emit (600).
    assert all(a - b > -20 for a, b in zip(after, before, strict=True)), (before, after)


def test_void_calls_keep_the_reference_count_of_none(qapp):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QLabel

    label, timer = QLabel(), QTimer()
    before = sys.getrefcount(None)
    for _ in range(200):
        label.setText("a")
        timer.setInterval(5)
    assert sys.getrefcount(None) - before > -20  # a leak loses one per call (400)
