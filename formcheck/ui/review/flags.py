"""The rep on show ("This rep"): its flags, each with the therapist's verdict; Agree/Disagree on the
chosen one; the notes saved on the rep and a box for a new one."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from formcheck.records.database.rows import RepDetail

VERDICT_WORDS = {None: "", True: " — you agreed", False: " — you disagreed"}


class FlagPane(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.faults = QListWidget()
        self.faults.setMinimumHeight(40)
        self.faults.setMaximumHeight(90)
        self.agree = QPushButton("Agree with flag")
        self.disagree = QPushButton("Disagree")
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

    def clear_rep(self) -> None:
        self.faults.clear()
        self.note.clear()
        self.saved_notes.setText("")
        for button in (self.agree, self.disagree):
            button.setEnabled(False)

    def show_rep(self, rep: RepDetail) -> None:
        """A rep's flags (the first chosen: its ``currentRowChanged`` shows the evidence) and notes."""
        self.faults.blockSignals(True)
        self.faults.clear()
        for f in rep.faults:
            self.faults.addItem(f"{f.message} ({f.code}, {f.t_s:.1f} s){VERDICT_WORDS[f.agree]}")
        self.faults.blockSignals(False)
        if rep.faults:
            self.faults.setCurrentRow(0)
        for button in (self.agree, self.disagree):
            button.setEnabled(bool(rep.faults))  # a verdict is on a flag
        self.note.clear()
        notes = rep.notes
        self.saved_notes.setText("Notes: " + " · ".join(notes) if notes else "")

    def typed_note(self) -> str:
        return self.note.toPlainText().strip()
