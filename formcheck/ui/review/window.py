"""The review window: the filters above, the sessions, their reps and the overview on the left, the
replay, the curve and the rep's flags (or the person's thresholds) on the right; it wires the panes
(see the package docstring) and keeps what is on show: the listed sessions, the session and the rep."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from formcheck.core.exercise import ExerciseDef
from formcheck.exercises.profile import ProfileStore
from formcheck.records.database.rows import RepDetail, SessionDetail, SetDetail
from formcheck.records.session_track import TRACK_COLUMNS, read_track
from formcheck.records.store import Store
from formcheck.reports.evidence import Curve
from formcheck.reports.session_report import write_report
from formcheck.ui.review.analyse import AnalysisJob, ask_video_and_exercise, start_analysis
from formcheck.ui.review.curve import CurvePane
from formcheck.ui.review.flags import FlagPane
from formcheck.ui.review.overview import OverviewTabs
from formcheck.ui.review.player import SessionPlayer
from formcheck.ui.review.reps import RepList
from formcheck.ui.review.sessions import SessionTable
from formcheck.ui.review.tuning import TuningPanel


class ReviewWindow(QWidget):
    def __init__(self, store: Store, parent: QWidget | None = None, profiles: ProfileStore | None = None,
                 library: dict[str, ExerciseDef] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("formcheck — review sessions")
        self.store = store
        if library is None:
            from formcheck.exercises.loader import load_library

            library = load_library().exercises
        self.library = library
        # People's profiles live beside the database they were tuned from (the data folder).
        self.tuning = TuningPanel(profiles or ProfileStore(store.data / "calibration"))
        self.detail: SessionDetail | None = None
        self.rep: RepDetail | None = None
        self._set: SetDetail | None = None
        self._rows: list[int] = []  # the sessions listed, in row order
        self._track = np.zeros((0, TRACK_COLUMNS), np.float32)
        self.evidence_curve: Curve | None = None  # the curve behind the flag on show
        self._jobs: list[AnalysisJob] = []

        self.person = QComboBox()
        self.person.setMinimumContentsLength(12)
        self.exercise = QComboBox()
        self.exercise.setMinimumContentsLength(14)
        self.flagged_only = QCheckBox("Flagged only")
        self.date_from = QDateEdit(QDate.currentDate().addYears(-1))
        self.date_to = QDateEdit(QDate.currentDate())
        for d in (self.date_from, self.date_to):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        self.sessions = SessionTable()
        self.reps = RepList()
        self.player = SessionPlayer()
        self.curve = CurvePane()
        self.flags = FlagPane(store.reviewer)
        # The rep tab's parts, by the names callers (tests, tools) have always used on the window.
        self.faults, self.agree, self.disagree = self.flags.faults, self.flags.agree, self.flags.disagree
        self.saved_notes, self.note, self.save_note = self.flags.saved_notes, self.flags.note, self.flags.save_note
        self.export = QPushButton("Export shown sessions…")
        self.analyse = QPushButton("Analyse a video…")

        filters = QGridLayout()
        for col, w in enumerate((QLabel("Person"), self.person, QLabel("Exercise"), self.exercise, self.flagged_only)):
            filters.addWidget(w, 0, col)
        dates = QHBoxLayout()
        for w in (QLabel("From"), self.date_from, QLabel("to"), self.date_to):
            dates.addWidget(w)
        dates.addStretch(1)
        filters.addLayout(dates, 1, 0, 1, 5)
        filters.addWidget(self.analyse, 0, 6)
        filters.addWidget(self.export, 1, 6)
        filters.setColumnStretch(5, 1)

        self.tabs = QTabWidget()
        self.tabs.addTab(self.flags, "This rep")
        self.tabs.addTab(self.tuning, "Thresholds for this person")
        right = QSplitter(Qt.Orientation.Vertical)
        right.setChildrenCollapsible(False)
        for w, stretch in ((self.player, 5), (self.curve, 3), (self.tabs, 3)):
            right.addWidget(w)
            right.setStretchFactor(right.count() - 1, stretch)
        right.setSizes([450, 220, 280])  # the replay first: what the therapist judges by

        self.overview = OverviewTabs(store)
        self.progress, self.posture = self.overview.progress, self.overview.posture  # (as for the rep tab)
        reps_box = QWidget()
        rb = QVBoxLayout(reps_box)
        rb.setContentsMargins(0, 0, 0, 0)
        rb.addWidget(QLabel("Reps (red: flagged)"))
        rb.addWidget(self.reps, 1)
        left = QSplitter(Qt.Orientation.Vertical)
        left.setChildrenCollapsible(False)
        for w, stretch in ((self.sessions, 2), (reps_box, 2), (self.overview, 2)):
            left.addWidget(w)
            left.setStretchFactor(left.count() - 1, stretch)
        split = QSplitter()
        split.setChildrenCollapsible(False)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 2)  # a wide screen widens the session table too (its columns)
        split.setStretchFactor(1, 3)
        split.setSizes([520, 880])
        lay = QVBoxLayout(self)
        lay.addLayout(filters)
        lay.addWidget(split, 1)

        for box in (self.person, self.exercise):
            box.currentIndexChanged.connect(self.refresh)
        self.flagged_only.toggled.connect(self.refresh)
        self.date_from.dateChanged.connect(self.refresh)
        self.date_to.dateChanged.connect(self.refresh)
        self.sessions.itemSelectionChanged.connect(self._session_chosen)
        self.reps.currentRowChanged.connect(self._rep_chosen)
        self.faults.currentRowChanged.connect(self._fault_chosen)
        self.agree.clicked.connect(lambda: self.set_verdict(True))
        self.disagree.clicked.connect(lambda: self.set_verdict(False))
        self.save_note.clicked.connect(self.save_rep_note)
        self.export.clicked.connect(self._export_dialog)
        self.analyse.clicked.connect(self._analyse_dialog)
        self._fill_filters()
        self.refresh()

    def exercise_name(self, exercise_id: str) -> str:
        """An exercise's name (a recorded one this computer lacks: its id in words)."""
        ex = self.library.get(exercise_id)
        return ex.name if ex is not None else exercise_id.replace("_", " ").capitalize()

    # ---- sessions ----------------------------------------------------------------------------
    def _fill_filters(self) -> None:
        people = sorted({s.person for s in self.store.sessions()})
        self.person.addItems(["everyone", *people])
        self.exercise.addItem("all exercises", None)
        for ex in self.store.exercises_recorded():
            self.exercise.addItem(self.exercise_name(ex), ex)

    def refresh(self) -> None:
        person = None if self.person.currentIndex() <= 0 else self.person.currentText()
        exercise = self.exercise.currentData()
        dates = self.date_from.date().toString("yyyy-MM-dd"), self.date_to.date().toString("yyyy-MM-dd")
        shown = self.detail.id if self.detail else None
        self._rows = self.sessions.fill(self.store, person, exercise, dates, self.flagged_only.isChecked(),
                                        self.exercise_name)
        if shown in self._rows:
            self.select_session(shown)
        elif self.detail is not None:
            self._session_chosen()  # the session on show is filtered out: nothing of it stays
        self.overview.show_for(self._rows, exercise, person, dates)

    def select_session(self, session_id: int) -> None:
        self.sessions.selectRow(self._rows.index(session_id))

    def _session_chosen(self) -> None:
        self._keep_note()
        rows = {i.row() for i in self.sessions.selectedIndexes()}
        self._clear_rep()  # nothing of the previous session may stay on screen (or take a verdict)
        if not rows:
            self.detail = None
            self.player.clear()
            self.tuning.load(None)
            return
        self.detail = self.store.session_detail(self._rows[min(rows)])
        self.player.load(self.detail)
        self.tuning.load(self.detail)
        self.reps.show_session(self.detail, self.flagged_only.isChecked(), self.exercise_name)

    # ---- one rep -----------------------------------------------------------------------------
    def _clear_rep(self) -> None:
        self.rep = None
        self.reps.clear_reps()
        self.flags.clear_rep()
        self.curve.clear_rep()

    def select_rep(self, row: int) -> None:
        self.reps.setCurrentRow(row)

    def _rep_chosen(self, row: int) -> None:
        self._keep_note()
        if row < 0 or self.detail is None:
            return
        # Read again: another reviewer may have judged this rep since the session was opened.
        self.detail = self.store.session_detail(self.detail.id)
        self.reps.reread(self.detail, self.flagged_only.isChecked())
        if row >= len(self.reps.entries):
            return
        self._set, self.rep = self.reps.entries[row]
        self._track = read_track(self.detail.folder)
        self.player.seek_seconds(self.rep.start_s)
        self.player.play()
        self.curve.show_rep(self._track, self._set, self.rep)
        self.flags.show_rep(self.rep)  # a flagged rep's first flag: its evidence (``_fault_chosen``)

    def _fault_chosen(self, row: int) -> None:
        """The evidence for the chosen flag (see ``CurvePane.show_fault``); the replay goes to the
        moment of the fault."""
        if self.rep is None or self.detail is None or self._set is None or not 0 <= row < len(self.rep.faults):
            return
        fault = self.rep.faults[row]
        self.player.pause()
        self.player.seek_seconds(fault.t_s)
        curve = self.curve.show_fault(self.detail, self._set, self.rep, fault, self._track, self.player.current_s)
        if curve is not None:
            self.evidence_curve = curve

    def set_verdict(self, agree: bool) -> None:
        """Agree or disagree with the chosen flag; a note typed for the rep is saved with it."""
        if self.rep is None or not self.rep.faults:
            return
        i = max(0, self.faults.currentRow())
        self._keep_note()
        self.store.set_verdict(self.rep.faults[i].id, agree)
        self._reload_rep()

    def save_rep_note(self) -> None:
        if self._keep_note():
            self._reload_rep()

    def _keep_note(self) -> bool:
        """Save the note typed for the rep on show (a verdict, another rep or session, or closing
        the window never throws it away); True when one was saved."""
        text = self.flags.typed_note()
        if self.rep is None or self.detail is None or not text:
            return False
        self.store.add_note(self.detail.id, text, rep_id=self.rep.id)
        self.note.clear()
        return True

    def _reload_rep(self) -> None:
        """The rep on show as the store has it now (``_rep_chosen`` reads the session again), on
        the flag that was chosen (its verdict buttons show this reviewer's new verdict)."""
        fault_row = self.faults.currentRow()
        self._rep_chosen(self.reps.currentRow())
        if 0 < fault_row < self.faults.count():
            self.faults.setCurrentRow(fault_row)

    def closeEvent(self, event: object) -> None:  # noqa: N802 - Qt's name
        self._keep_note()
        super().closeEvent(event)  # type: ignore[arg-type]

    # ---- any video file ----------------------------------------------------------------------
    def analyse_file(self, path: Path, exercise_id: str, person: str = "me") -> AnalysisJob:
        """Run a video through the same pipeline as live coaching, on a worker thread, record it,
        and open it here when done; a progress dialog shows how far it got."""
        from formcheck.exercises.loader import load_by_id
        from formcheck.exercises.personal_thresholds import personalise

        exercise, _notes = personalise(load_by_id(exercise_id), person, self.tuning.profiles)  # as the person is judged
        job = start_analysis(self, self.store.location, path, exercise, person)
        job.done.connect(lambda sid: self._analysed(sid, exercise_id, person))
        self._jobs.append(job)
        job.start()
        return job

    def _analysed(self, session_id: int, exercise_id: str, person: str) -> None:
        self.person.blockSignals(True)
        self.person.setCurrentIndex(0)
        self.person.blockSignals(False)
        if self.person.findText(person) < 0:
            self.person.addItem(person)
        if self.exercise.findData(exercise_id) < 0:
            self.exercise.addItem(self.exercise_name(exercise_id), exercise_id)
        self.refresh()
        self.select_session(session_id)

    def _analyse_dialog(self) -> None:
        chosen = ask_video_and_exercise(self)
        if chosen is not None:
            self.analyse_file(*chosen)

    # ---- export ------------------------------------------------------------------------------
    def export_to(self, path: Path) -> str:
        """Write the report of the sessions the list shows (the filters decide, not the last click);
        returns the confirmation shown to the therapist."""
        if not self._rows:
            return "No sessions match the filters — nothing was exported."
        write_report(self.store, list(self._rows), "csv" if path.suffix == ".csv" else "html", path)
        n = len(self._rows)
        return f"Exported {n} session{'s' if n != 1 else ''} to {path}"

    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export report", "formcheck-report.html",
                                              "HTML report (*.html);;CSV (*.csv)")
        if path:
            QMessageBox.information(self, "Export", self.export_to(Path(path)))
