"""The rep on show ("This rep"): its flags, each with every reviewer's verdict ("Agreed: anna ·
Disagreed: ben"); Agree/Disagree on the chosen one, as this reviewer (the button of their own
verdict stays pressed); the notes saved on the rep and a box for a new one."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from formcheck.records.database.rows import RepDetail
from formcheck.records.reviewer import said


class FlagPane(QWidget):
    def __init__(self, reviewer: str) -> None:
        super().__init__()
        self.reviewer = reviewer
        self._rep: RepDetail | None = None
        self.reviewing_as = QLabel(f"Reviewing as {reviewer}")
        self.faults = QListWidget()
        self.faults.setMinimumHeight(40)
        self.faults.setMaximumHeight(90)
        self.agree = QPushButton("Agree with flag")
        self.disagree = QPushButton("Disagree")
        for button in (self.agree, self.disagree):
            button.setCheckable(True)  # pressed: this reviewer's own verdict on the chosen flag
        self.saved_notes = QLabel("")
        self.saved_notes.setWordWrap(True)
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText("Note on this rep (saved with the session; also saved when you give a verdict "
                                     "or move to another rep)")
        self.note.setTabChangesFocus(True)  # Tab moves on to Save note, as everywhere else
        self.note.setMinimumHeight(40)
        self.note.setMaximumHeight(110)
        self.save_note = QPushButton("Save note")
        rt = QVBoxLayout(self)
        rt.addWidget(self.reviewing_as)
        rt.addWidget(QLabel("Faults on this rep"))
        rt.addWidget(self.faults)
        buttons = QHBoxLayout()
        buttons.addWidget(self.agree)
        buttons.addWidget(self.disagree)
        rt.addLayout(buttons)
        rt.addWidget(self.saved_notes)
        rt.addWidget(self.note)
        rt.addWidget(self.save_note)
        rt.addStretch(1)
        self.faults.currentRowChanged.connect(self._show_own_verdict)

    def clear_rep(self) -> None:
        self._rep = None
        self.faults.clear()
        self.note.clear()
        self.saved_notes.setText("")
        for button in (self.agree, self.disagree):
            button.setEnabled(False)
            button.setChecked(False)

    def show_rep(self, rep: RepDetail) -> None:
        """A rep's flags (the first chosen: its ``currentRowChanged`` shows the evidence) and notes."""
        self._rep = rep
        self.faults.blockSignals(True)
        self.faults.clear()
        for f in rep.faults:
            verdicts = said(f)
            self.faults.addItem(f"{f.message} ({f.code}, {f.t_s:.1f} s)" + (f" — {verdicts}" if verdicts else ""))
        self.faults.blockSignals(False)
        for button in (self.agree, self.disagree):
            button.setEnabled(bool(rep.faults))  # a verdict is on a flag
        if rep.faults:
            self.faults.setCurrentRow(0)
        self._show_own_verdict(self.faults.currentRow())
        self.note.clear()
        notes = rep.notes
        self.saved_notes.setText("Notes: " + " · ".join(notes) if notes else "")

    def _show_own_verdict(self, row: int) -> None:
        faults = self._rep.faults if self._rep is not None else ()
        own = faults[row].of(self.reviewer) if 0 <= row < len(faults) else None
        self.agree.setChecked(own is True)
        self.disagree.setChecked(own is False)

    def typed_note(self) -> str:
        return self.note.toPlainText().strip()
