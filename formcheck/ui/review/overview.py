"""Beside the sessions, the filtered person's course: progress across sessions, adherence to the
programme, and posture at the desk."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from formcheck.records.store import Store
from formcheck.reports.adherence import adherence
from formcheck.reports.session_report import adherence_plot, progress_plot
from formcheck.ui.review.image_label import ImageLabel
from formcheck.ui.review.posture import PostureReview

CHOOSE_PERSON = "Choose a person to see their adherence to the programme."


class OverviewTabs(QTabWidget):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store
        self.progress = ImageLabel("Choose a person and an exercise to see their progress across sessions.")
        self.adherence_text = QLabel(CHOOSE_PERSON)
        self.adherence_text.setWordWrap(True)
        self.adherence = ImageLabel()
        adherence_tab = QWidget()
        at = QVBoxLayout(adherence_tab)
        at.addWidget(self.adherence_text)
        at.addWidget(self.adherence, 1)
        self.addTab(self.progress, "Progress")
        self.addTab(adherence_tab, "Adherence")
        self.posture = PostureReview(store)  # issue 19: posture at the desk, with the same filters
        self.addTab(self.posture, "Posture at the desk")

    def show_for(self, sessions: list[int], exercise: str | None, person: str | None, dates: tuple[str, str]) -> None:
        """For the sessions listed (their ids), the chosen exercise and person (None: all) and the
        first and last day."""
        self._show_progress(sessions, exercise)
        self._show_adherence(person)
        self.posture.show_for(person, *dates)

    def _show_adherence(self, person: str | None) -> None:
        """Weeks against the programme, pain and effort beside flagged reps and range of motion."""
        self.adherence.set_png(None)
        if person is None:
            self.adherence_text.setText(CHOOSE_PERSON)
            return
        a = adherence(self.store, person)
        self.adherence_text.setText(a.text())
        self.adherence.set_png(adherence_plot(a))

    def _show_progress(self, sessions: list[int], exercise: str | None) -> None:
        """Reps, flagged %, range of motion and hold time per session for the filtered sessions."""
        names = sorted({st.exercise for sid in sessions for st in self.store.session_detail(sid).sets})
        chosen = exercise or (names[0] if len(names) == 1 else None)
        png = progress_plot([self.store.session_detail(s) for s in sessions], chosen) if chosen else None
        self.progress.set_png(png)
        if png is None:
            self.progress.setText("Progress appears once a person has two sessions of the chosen exercise.")
