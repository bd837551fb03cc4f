"""PySide6 must not leak or lose references on the calls a session makes tens of thousands of times.

PySide6 6.12.0 on Python 3.11 lost one reference to ``True`` per ``Signal.emit()`` and one to
``None`` per void method call; the interpreter aborted (``bool_dealloc``) after ~2 minutes of a
session. A short GUI test never reaches that point, so this one counts the references directly.
"""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QLabel

pytestmark = pytest.mark.gui

CALLS = 10_000
# A handful of references may come and go with interpreter caches; a per-call leak or loss shows
# up as thousands.
SLACK = 20
CHUNK = 50  # calls between checks


class _Emitter(QObject):
    plain = Signal()
    carrying = Signal(object)


def _drift(action: object) -> tuple[int, int]:
    """Refcount change of True and None over CALLS calls; stops early once it is clearly wrong,
    before a lost reference can bring the count to zero and abort the test run itself."""
    for _ in range(CHUNK):  # warm-up: first calls fill Qt's and Python's caches once
        action()  # type: ignore[operator]
    true0, none0 = sys.getrefcount(True), sys.getrefcount(None)
    for done in range(0, CALLS, CHUNK):
        for _ in range(CHUNK):
            action()  # type: ignore[operator]
        drift = sys.getrefcount(True) - true0, sys.getrefcount(None) - none0
        if max(map(abs, drift)) > SLACK:
            return drift
    return drift


def test_signal_emit_keeps_refcounts(qapp: object) -> None:
    e = _Emitter()
    received = [0]

    def receive(value: object) -> None:
        received[0] += 1

    e.carrying.connect(receive)
    for action in (e.plain.emit, lambda: e.carrying.emit(None)):
        true_drift, none_drift = _drift(action)
        assert abs(true_drift) <= SLACK, f"True refcount drifted by {true_drift} within {CALLS} emits"
        assert abs(none_drift) <= SLACK, f"None refcount drifted by {none_drift} within {CALLS} emits"
    assert received[0] == CALLS + CHUNK  # every emit was delivered


def test_void_calls_keep_refcounts(qapp: object) -> None:
    label = QLabel()
    image = QImage(32, 32, QImage.Format.Format_RGB888)
    painter = QPainter(image)
    colour = QColor("#20252b")
    try:
        for action in (
            lambda: label.setText("Lift your hips higher"),
            lambda: label.setStyleSheet("QLabel { color: white; }"),
            lambda: painter.fillRect(image.rect(), colour),
        ):
            true_drift, none_drift = _drift(action)
            assert abs(true_drift) <= SLACK, f"True refcount drifted by {true_drift}"
            assert abs(none_drift) <= SLACK, f"None refcount drifted by {none_drift} within {CALLS} void calls"
    finally:
        painter.end()
