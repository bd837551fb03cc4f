"""Run a slow call (re-judging a session, a calibration measurement) off the GUI thread and get its
result back on the GUI thread, so the window keeps painting meanwhile."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)


class _Relay(QObject):
    done = Signal(object)  # the result, or the exception the call raised


class _Call(QRunnable):
    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.fn = fn
        self.relay = _Relay()  # made on the GUI thread: its signal is delivered there

    def run(self) -> None:
        try:
            result: Any = self.fn()
        except Exception as exc:  # noqa: BLE001 - handed to the caller, who says what went wrong
            log.warning("background call failed: %s", exc)
            result = exc
        self.relay.done.emit(result)


_running: set[_Call] = set()  # Python owns the calls until they report back


def call_in_background(fn: Callable[[], Any], on_done: Callable[[Any], None]) -> None:
    """Run ``fn`` on Qt's thread pool; ``on_done(result or exception)`` runs on the GUI thread."""
    call = _Call(fn)
    call.setAutoDelete(False)
    _running.add(call)

    owner = getattr(on_done, "__self__", None)

    def finished(result: Any) -> None:
        _running.discard(call)
        if isinstance(owner, QObject) and not shiboken6.isValid(owner):
            return  # the window that asked has been closed meanwhile: nobody to show it to
        on_done(result)

    call.relay.done.connect(finished)
    QThreadPool.globalInstance().start(call)
