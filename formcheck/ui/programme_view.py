"""The therapist's programme editor: build or change a person's programme from the library.

Exercises in order with their doses, days per week, start and review dates, the pain limit,
notes and the progression rule. Save makes a new version (nothing is overwritten; an unchanged
programme is not saved again). Propose reads the sessions done under the current version and
lists the dose changes the progression rule calls for; Confirm saves them as the next version.
Import/Export read and write the commented TOML file (`formcheck programme import|export`).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TypeVar

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from formcheck.core.exercise import Dose, ExerciseDef
from formcheck.core.programme import Programme, ProgrammeItem, Progression, Proposal, apply_proposals, propose
from formcheck.exercises import programme_file
from formcheck.records import programme_store
from formcheck.records.database.connection import StoreError
from formcheck.records.store import Store

_W = TypeVar("_W", bound=QWidget)

COLUMNS = ("exercise", "sets", "reps", "hold (s)", "per side", "rest (s)", "notes")
REVIEW_AFTER_DAYS = 42  # a new programme's review date: six weeks, a usual re-assessment interval


def _spin(lo: int, hi: int, value: int, none: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    if none:
        box.setSpecialValueText(none)  # shown at the minimum: "not used"
    box.setValue(value)
    return box


def _dspin(lo: float, hi: float, value: float, none: str = "") -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(lo, hi)
    box.setDecimals(1)
    if none:
        box.setSpecialValueText(none)
    box.setValue(value)
    return box


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _date(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


class ProgrammeWindow(QWidget):
    saved = Signal(object)  # the Programme saved as a new version

    def __init__(self, store: Store, library: dict[str, ExerciseDef], person: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("formcheck — programme")
        self.store = store
        self.library = library
        self.current: Programme | None = None
        self.proposals: list[Proposal] = []

        self.person = QComboBox()
        self.person.setEditable(True)
        people = sorted({*programme_store.people(store), *(s.person for s in store.sessions())} | ({person} - {""}))
        self.person.addItems(people)
        self.version = QLabel("")
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setStretchLastSection(True)  # the notes get the room left
        self.add_box = QComboBox()
        for ex in sorted(library.values(), key=lambda e: (e.group, e.name)):
            self.add_box.addItem(f"{ex.name} ({ex.group})", ex.id)
        self.add_button = QPushButton("Add")
        self.remove_button = QPushButton("Remove")
        self.up_button = QPushButton("Up")
        self.down_button = QPushButton("Down")
        self.days = _spin(1, 7, 3)
        self.start = QDateEdit(QDate.currentDate())
        self.review = QDateEdit(QDate.currentDate().addDays(REVIEW_AFTER_DAYS))
        for d in (self.start, self.review):
            d.setCalendarPopup(True)
            d.setDisplayFormat("yyyy-MM-dd")
        self.pain_stop_at = _spin(0, 10, 0, "no limit")
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText("Notes for the person (shown with the programme)")
        self.progression = QCheckBox("Progression")
        self.add_reps = _spin(0, 20, 2)
        self.add_hold = _dspin(0, 120, 5.0)
        self.after_sessions = _spin(1, 10, 2)
        self.max_flagged = _dspin(0, 100, 10.0)
        self.save_button = QPushButton("Save as new version")
        self.propose_button = QPushButton("Propose progression")
        self.confirm_button = QPushButton("Confirm proposed changes")
        self.import_button = QPushButton("Import file…")
        self.export_button = QPushButton("Export file…")
        self.proposal_list = QListWidget()
        self.message = QLabel("")
        self.message.setWordWrap(True)

        top = QHBoxLayout()
        w: QWidget
        for w in (QLabel("Person"), self.person, self.version, self.import_button, self.export_button):
            top.addWidget(w)
        edit = QHBoxLayout()
        for w in (self.add_box, self.add_button, self.remove_button, self.up_button, self.down_button):
            edit.addWidget(w)
        form = QFormLayout()
        form.addRow("Days per week", self.days)
        form.addRow("Start", self.start)
        form.addRow("Review", self.review)
        form.addRow("Advise stopping at pain", self.pain_stop_at)
        prog = QHBoxLayout()
        for w in (self.progression, QLabel("+ reps"), self.add_reps, QLabel("+ hold s"), self.add_hold,
                  QLabel("after sessions"), self.after_sessions, QLabel("max flagged %"), self.max_flagged):
            prog.addWidget(w)
        buttons = QHBoxLayout()
        for w in (self.save_button, self.propose_button, self.confirm_button):
            buttons.addWidget(w)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.table, 2)
        lay.addLayout(edit)
        lay.addLayout(form)
        lay.addLayout(prog)
        lay.addWidget(self.notes, 1)
        lay.addLayout(buttons)
        lay.addWidget(QLabel("Proposed changes (from the progression rule)"))
        lay.addWidget(self.proposal_list, 1)
        lay.addWidget(self.message)

        self.add_button.clicked.connect(lambda: self.add_exercise(self.add_box.currentData()))
        self.remove_button.clicked.connect(self.remove_selected)
        self.up_button.clicked.connect(lambda: self.move_selected(-1))
        self.down_button.clicked.connect(lambda: self.move_selected(+1))
        self.save_button.clicked.connect(self.save)
        self.propose_button.clicked.connect(self.propose)
        self.confirm_button.clicked.connect(self.confirm)
        self.import_button.clicked.connect(self._import_dialog)
        self.export_button.clicked.connect(self._export_dialog)
        self.person.currentTextChanged.connect(self.load_person)
        self.person.setCurrentText(person)
        self.load_person(person)

    # ---- the form ------------------------------------------------------------------------------
    def load_person(self, name: str) -> None:
        name = name.strip()
        self.current = programme_store.current_programme(self.store, name) if name else None
        self.proposals = []
        self.proposal_list.clear()
        self.confirm_button.setEnabled(False)
        if self.current is not None:
            self.show_programme(self.current)
        else:
            self.table.setRowCount(0)
            self.version.setText("no programme yet")

    def show_programme(self, p: Programme) -> None:
        self.table.setRowCount(0)
        for item in p.items:
            self.add_exercise(item.exercise, item.dose, item.notes)
        self.days.setValue(p.days_per_week)
        self.start.setDate(_qdate(p.start))
        self.review.setDate(_qdate(p.review or p.start))
        self.pain_stop_at.setValue(p.pain_stop_at or 0)
        self.notes.setPlainText(p.notes)
        self.progression.setChecked(p.progression is not None)
        rule = p.progression or Progression()
        self.add_reps.setValue(rule.add_reps)
        self.add_hold.setValue(rule.add_hold_s)
        self.after_sessions.setValue(rule.sessions)
        self.max_flagged.setValue(rule.max_flagged_percent)
        self.version.setText(f"{p.label()}" + (f", saved {p.created[:10]}" if p.created else ""))

    def add_exercise(self, exercise: str, dose: Dose | None = None, notes: str = "") -> None:
        """A row for ``exercise`` with ``dose`` (default: the exercise's own)."""
        ex = self.library[exercise]
        dose = dose or ex.dose
        row = self.table.rowCount()
        self.table.insertRow(row)
        name = QLabel(ex.name)
        name.setProperty("exercise", exercise)
        self.table.setCellWidget(row, 0, name)
        self.table.setCellWidget(row, 1, _spin(1, 20, dose.sets))
        self.table.setCellWidget(row, 2, _spin(0, 100, dose.reps or 0, "–"))
        self.table.setCellWidget(row, 3, _dspin(0, 600, dose.hold_s or 0.0, "–"))
        side = QCheckBox()
        side.setChecked(dose.per_side)
        self.table.setCellWidget(row, 4, side)
        self.table.setCellWidget(row, 5, _dspin(0, 600, dose.rest_s))
        self.table.setCellWidget(row, 6, QLineEdit(notes))

    def _editor(self, row: int, col: int, kind: type[_W]) -> _W:
        """The editor ``add_exercise`` put in a cell."""
        widget = self.table.cellWidget(row, col)
        assert isinstance(widget, kind)
        return widget

    def items(self) -> tuple[ProgrammeItem, ...]:
        out = []
        for row in range(self.table.rowCount()):
            reps, hold = self._editor(row, 2, QSpinBox).value(), self._editor(row, 3, QDoubleSpinBox).value()
            dose = Dose(self._editor(row, 1, QSpinBox).value(), reps or None, hold or None,
                        self._editor(row, 4, QCheckBox).isChecked(), self._editor(row, 5, QDoubleSpinBox).value())
            out.append(ProgrammeItem(self._editor(row, 0, QLabel).property("exercise"), dose,
                                     self._editor(row, 6, QLineEdit).text().strip()))
        return tuple(out)

    def remove_selected(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)

    def move_selected(self, step: int) -> None:
        row = self.table.currentRow()
        items = list(self.items())
        to = row + step
        if row < 0 or not 0 <= to < len(items):
            return
        items[row], items[to] = items[to], items[row]
        self.table.setRowCount(0)
        for item in items:
            self.add_exercise(item.exercise, item.dose, item.notes)
        self.table.setCurrentCell(to, 0)

    def programme(self) -> Programme:
        """The programme as the form shows it (not saved)."""
        rule = None
        if self.progression.isChecked():
            rule = Progression(self.add_reps.value(), self.add_hold.value(), self.after_sessions.value(),
                               self.max_flagged.value())
        return Programme(self.person.currentText().strip(), self.items(), self.days.value(), _date(self.start.date()),
                         _date(self.review.date()), self.notes.toPlainText().strip(), rule,
                         self.pain_stop_at.value() or None)

    # ---- saving and progression ----------------------------------------------------------------
    def problem(self, p: Programme) -> str | None:
        if not p.person:
            return "Give the person's name first."
        if not p.items:
            return "Add at least one exercise."
        bad = [i.exercise for i in p.items if (i.dose.reps is None) == (i.dose.hold_s is None)
               and not self.library[i.exercise].timer_only]
        if bad:
            return f"Give reps or a hold time (not both) for: {', '.join(bad)}."
        if p.review is not None and p.review < p.start:
            return "The review date is before the start."
        return None

    def save(self) -> Programme | None:
        """Save the form as the person's next version; None (with a message) when it isn't."""
        return self._save(self.programme())

    def _save(self, p: Programme) -> Programme | None:
        problem = self.problem(p)
        if problem:
            self.message.setText(problem)
            return None
        try:
            saved, new = programme_store.save(self.store, p)
        except (StoreError, OSError) as exc:
            self.message.setText(f"Not saved: {exc}")
            return None
        self.current = saved
        self.show_programme(saved)
        self.message.setText(f"Saved as {saved.label()}." if new else f"No changes — still {saved.label()}.")
        if new:
            self.saved.emit(saved)
        return saved

    def propose(self) -> list[Proposal]:
        self.proposal_list.clear()
        self.proposals = []
        if self.current is None:
            self.message.setText("Save a programme first; progression reads the sessions done under it.")
        else:
            self.proposals = propose(self.current, programme_store.outcomes(self.store, self.current))
            self.proposal_list.addItems([p.text() for p in self.proposals])
            self.message.setText(f"{len(self.proposals)} change(s) proposed; Confirm saves them as a new version."
                                 if self.proposals else "No change proposed: the progression rule isn't met yet.")
        self.confirm_button.setEnabled(bool(self.proposals))
        return self.proposals

    def confirm(self) -> Programme | None:
        if self.current is None or not self.proposals:
            return None
        saved = self._save(apply_proposals(self.current, self.proposals))
        self.proposals = []
        self.proposal_list.clear()
        self.confirm_button.setEnabled(False)
        return saved

    # ---- files ---------------------------------------------------------------------------------
    def import_file(self, path: Path) -> bool:
        """Fill the form from a programme file (Save makes it a version)."""
        try:
            p = programme_file.load(path, set(self.library), person=self.person.currentText().strip() or None)
        except programme_file.ProgrammeFileError as exc:
            self.message.setText(str(exc))
            return False
        self.person.blockSignals(True)
        self.person.setCurrentText(p.person)
        self.person.blockSignals(False)
        self.show_programme(p)
        self.version.setText(f"from {path.name} — not saved yet")
        self.message.setText(f"Read {path.name}; check it and press Save.")
        return True

    def export_file(self, path: Path) -> str:
        if self.current is None:
            return "Nothing to export: save the programme first."
        path.write_text(programme_file.dumps(self.current), encoding="utf-8")
        return f"Wrote {path} ({self.current.label()})."

    def _import_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a programme", str(Path.home()), "Programmes (*.toml)")
        if path:
            self.import_file(Path(path))

    def _export_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the programme", str(Path.home() / "programme.toml"),
                                              "Programmes (*.toml)")
        if path:
            QMessageBox.information(self, "Export", self.export_file(Path(path)))
