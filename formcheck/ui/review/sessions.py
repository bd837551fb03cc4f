"""The sessions the review's filters let through, one row each: date, exercise, reps done against
the prescription, flagged reps, pain stops, status, and pain before → after with the session's flag."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QTableWidget, QTableWidgetItem

from formcheck.records.store import Store
from formcheck.reports.adherence import stopped_for_pain

COLUMNS = ["date", "exercise", "done / prescribed", "flagged", "pain stops", "status",
           "pain before → after · ⚑ for you"]


class SessionTable(QTableWidget):
    def __init__(self) -> None:
        super().__init__(0, len(COLUMNS))
        self.setHorizontalHeaderLabels(COLUMNS)
        self.horizontalHeader().setStretchLastSection(True)
        self.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.setMinimumHeight(80)

    def fill(self, store: Store, person: str | None, exercise: str | None, dates: tuple[str, str],
             flagged_only: bool, name: Callable[[str], str]) -> list[int]:
        """List the sessions that pass the filters (``dates``: first and last day, inclusive;
        ``name``: an exercise's name from its id), without a selection signal; returns their ids
        in row order."""
        lo, hi = dates
        rows: list[int] = []
        self.blockSignals(True)
        self.setRowCount(0)
        for s in store.sessions(person):
            if not lo <= s.started[:10] <= hi:
                continue
            d = store.session_detail(s.id)
            sets = [st for st in d.sets if exercise is None or st.exercise == exercise]
            if not sets and (exercise is not None or not (d.flag or d.pain_stops or d.ratings)):
                continue  # a session without sets is listed when it says something (a try, a pain stop)
            reps = [r for st in sets for r in st.reps if not r.attempt]
            held = sum(h.duration_s for st in sets for h in st.holds)
            flagged = sum(1 for r in reps if r.faults)
            if flagged_only and not flagged:
                continue
            rows.append(s.id)
            prescribed = "; ".join(sorted({st.prescribed for st in sets})) or "–"
            pain = " → ".join("–" if v is None else str(v) for v in (d.pain_before, d.pain_after))
            flag = d.flag or ("stopped for pain" if stopped_for_pain(d) else "")
            names = ", ".join(sorted({name(st.exercise) for st in sets})) or "nothing counted"
            done = f"{held:.0f} s held" if held and not reps else f"{len(reps)} rep{'' if len(reps) == 1 else 's'}"
            values = [s.started[:16].replace("T", " "), names, f"{done} / {prescribed}", str(flagged),
                      str(len(d.pain_stops)), s.status,
                      " · ".join(part for part in ("" if pain == "– → –" else pain, f"⚑ {flag}" if flag else "") if part)]
            row = self.rowCount()
            self.insertRow(row)
            cells = [QTableWidgetItem(v) for v in values]
            cells[5].setToolTip(s.end_reason or "")  # why an interrupted session ended, on hovering its status
            cells[6].setToolTip(flag)
            for col, cell in enumerate(cells):
                self.setItem(row, col, cell)
        self.setRowCount(len(rows))
        self.resizeColumnsToContents()
        self.blockSignals(False)
        return rows
