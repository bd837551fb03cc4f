"""The chosen session's reps as a timeline: set, rep, its span, what was flagged (in red) and what
could not be judged."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem

from formcheck.records.database.rows import RepDetail, SessionDetail, SetDetail

Entry = tuple[SetDetail, RepDetail]  # a rep and the set it belongs to: (set, rep)


def rep_entries(detail: SessionDetail, flagged_only: bool) -> list[Entry]:
    return [(st, r) for st in detail.sets for r in st.reps if not (flagged_only and not r.faults)]


class RepList(QListWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setMinimumHeight(60)
        self.entries: list[Entry] = []  # one per row

    def show_session(self, detail: SessionDetail, flagged_only: bool, name: Callable[[str], str]) -> None:
        """List a session's reps (``name``: an exercise's name from its id), without a row signal."""
        self.blockSignals(True)
        self.clear()
        self.entries = rep_entries(detail, flagged_only)
        for st, r in self.entries:
            label = f"{name(st.exercise)} set {st.number} · {'attempt' if r.attempt else 'rep'} {r.index}"
            label += f" · {r.start_s:.1f}–{r.end_s:.1f} s"
            if r.faults:
                label += " · " + ", ".join(f.message for f in r.faults)
            if r.not_judged:  # never shown as clean: what the app couldn't see, and why
                label += " · not judged: " + "; ".join(f"{n.code} ({n.reason})" for n in r.not_judged)
            item = QListWidgetItem(label)
            if r.faults:
                item.setForeground(Qt.GlobalColor.darkRed)
            self.addItem(item)
        self.blockSignals(False)

    def reread(self, detail: SessionDetail, flagged_only: bool) -> None:
        """The reps as the store has them now (a verdict or a note added); the rows stay."""
        self.entries = rep_entries(detail, flagged_only)

    def clear_reps(self) -> None:
        self.blockSignals(True)
        self.clear()
        self.blockSignals(False)
        self.entries = []
