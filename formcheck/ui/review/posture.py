"""Posture at the desk, for the therapist in the review window: minutes upright / not upright /
away per day and per hour, and every reminder with how the person responded (back upright within
a minute or not).

Its own module so the review window needs only a hook: ``show_for`` with the review's person and
dates. The numbers come from ``posture_summary``, the same ones the HTML, CSV and FHIR reports show.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from formcheck.records.posture_records import POSTURE_KIND, posture_summary, response_words
from formcheck.records.store import Store

MINUTE_COLUMNS = ["upright (min)", "not upright (min)", "away (min)", "reminders", "followed", "paused"]
NONE_SHOWN = "No posture sessions for the chosen person and dates."


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.verticalHeader().setVisible(False)
    return table


def _fill(table: QTableWidget, rows: list[list[str]]) -> None:
    table.setRowCount(len(rows))
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            table.setItem(r, c, QTableWidgetItem(value))
    table.resizeColumnsToContents()


def _minutes_row(key: str, r: dict[str, Any]) -> list[str]:
    return [str(r[key]), f"{r['upright_min']:.1f}", f"{r['slouched_min']:.1f}", f"{r['away_min']:.1f}",
            str(r["reminders"]), str(r["corrected"]), str(r["paused"])]


class PostureReview(QWidget):
    """The posture sessions of one person (or everyone) between two dates."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.headline = QLabel(NONE_SHOWN)
        self.headline.setWordWrap(True)
        self.days = _table(["day", *MINUTE_COLUMNS])
        self.hours = _table(["hour", *MINUTE_COLUMNS])
        self.reminders = _table(["when", "posture", "had lasted", "response"])
        self.setToolTip("Not upright: slouched, head forward, head low or leaning, against the person's own "
                        "sitting-tall baseline. Followed: back upright within a minute (a break: left the desk). "
                        "Paused: the watching was paused before that time was up — counted neither way.")
        lay = QVBoxLayout(self)
        lay.addWidget(self.headline)
        for title, table in (("Per day", self.days), ("Per hour", self.hours), ("Reminders", self.reminders)):
            lay.addWidget(QLabel(title))
            lay.addWidget(table)
        self.session_ids: list[int] = []

    def show_for(self, person: str | None, date_from: str, date_to: str) -> None:
        """Show the posture sessions of ``person`` (None: everyone) started between the two
        dates (YYYY-MM-DD, inclusive, as the review's date filter)."""
        self.session_ids = [s.id for s in self.store.sessions(person)
                            if s.kind == POSTURE_KIND and date_from <= s.started[:10] <= date_to]
        s = posture_summary(self.store, self.session_ids)
        _fill(self.days, [_minutes_row("day", d) for d in s["days"]])
        _fill(self.hours, [_minutes_row("hour", h) for h in s["hours"]])
        _fill(self.reminders, [[r["at"].replace("T", " ")[:19], r["kind"].replace("_", " "),
                                f"{r['lasted_s'] / 60:.1f} min", response_words(r)] for r in s["reminders"]])
        if not self.session_ids:
            self.headline.setText(NONE_SHOWN)
            return
        up, bad, away = (sum(d[k] for d in s["days"]) for k in ("upright_min", "slouched_min", "away_min"))
        given, followed = len(s["reminders"]), sum(bool(r["corrected"]) for r in s["reminders"])
        paused = sum(r["outcome"] == "paused" for r in s["reminders"])
        n = len(self.session_ids)
        self.headline.setText(
            f"{n} posture session{'s' if n != 1 else ''}: {up:.1f} min upright, {bad:.1f} min not upright, "
            f"{away:.1f} min away; {given} reminder{'s' if given != 1 else ''}, {followed} followed"
            + (f", {paused} paused before the answer (not counted)." if paused else "."))
