"""The therapist's windows opened from the main window's Therapist menu (review, programme), and the
session database they work on."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from formcheck.core.exercise import ExerciseDef
from formcheck.ui.session_controller import SessionController
from formcheck.ui.widgets import fit_to_screen

if TYPE_CHECKING:
    from formcheck.records.store import Store
    from formcheck.ui.programme_view import ProgrammeWindow
    from formcheck.ui.review.window import ReviewWindow


def data_store(controller: SessionController, on_error: Callable[[str], None]) -> Store | None:
    """The session database (opened on first need), or None after saying why it can't be."""
    from formcheck.records.database.connection import StoreError
    from formcheck.records.store import Store

    if controller.store is not None:
        return controller.store
    if controller.store_problem:  # never another database behind the person's back
        on_error(controller.store_problem)
        return None
    try:
        return Store()
    except StoreError as exc:
        on_error(str(exc))
        return None


def open_review(parent: QWidget, store: Store, library: dict[str, ExerciseDef]) -> ReviewWindow:
    """The therapist's review of recorded sessions, in its own window."""
    from formcheck.ui.review.window import ReviewWindow

    review = ReviewWindow(store, parent, library=library)
    review.setWindowFlag(Qt.WindowType.Window)  # its own window, closed with this one
    fit_to_screen(review, 1300, 850)
    review.show()
    return review


def open_programme(parent: QWidget, store: Store, library: dict[str, ExerciseDef], person: str,
                   on_saved: Callable[[], None]) -> ProgrammeWindow:
    """The therapist's programme editor, in its own window."""
    from formcheck.ui.programme_view import ProgrammeWindow

    window = ProgrammeWindow(store, library, person, parent)
    window.setWindowFlag(Qt.WindowType.Window)
    window.saved.connect(lambda _p: on_saved())
    fit_to_screen(window, 1000, 700)
    window.show()
    return window
