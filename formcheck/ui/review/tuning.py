"""The therapist's threshold tuning in the review window: change a rule's threshold for this
person, see the recorded session re-judged at once (off the GUI thread: it replays every frame),
with the flags that appear or disappear, and save the change as the person's next profile version.
"""

from __future__ import annotations

import dataclasses
import logging
import math

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from formcheck.analysis.calibrate import login_name
from formcheck.analysis.rejudge import SetJudgement, rejudge_session
from formcheck.core.exercise import ADJUSTABLE, ADJUSTABLE_KINDS, ExerciseDef
from formcheck.exercises.personal_thresholds import apply_profile
from formcheck.exercises.profile import ExerciseOverrides, Profile, ProfileError, ProfileStore
from formcheck.records.database.rows import SessionDetail, SetDetail, now_iso
from formcheck.reports.session_report import judged_with
from formcheck.ui.background import call_in_background

log = logging.getLogger(__name__)

DEBOUNCE_MS = 150  # typing 158 in a spin box is three changes: re-judge once it settles
# How far a threshold may be made stricter in the editor (the safety floor bounds the other way).
_STRICTER_SPAN = {"min_s": 30.0, "max_s": 30.0}
_DEFAULT_SPAN = 90.0


@dataclasses.dataclass(frozen=True)
class Threshold:
    """One value the therapist can change: a rule's min/max/min_s/max_s, or the rep target."""

    code: str  # a rule code, or "rep"
    key: str
    value: float
    floor: float | None  # the loosest allowed (None: never looser than ``value``)
    lower_is_looser: bool
    label: str

    def limits(self) -> tuple[float, float]:
        loosest = self.floor if self.floor is not None else self.value
        span = _STRICTER_SPAN.get(self.key, _DEFAULT_SPAN)
        return (loosest, self.value + span) if self.lower_is_looser else (self.value - span, loosest)


def thresholds(exercise: ExerciseDef) -> list[Threshold]:
    out: list[Threshold] = []
    rep = exercise.rep
    if rep is not None:
        out.append(Threshold("rep", "target", rep.target, rep.target_limit, rep.rising,
                             f"{rep.measure} that counts a rep"))
    for rule in exercise.rules:
        if rule.kind not in ADJUSTABLE_KINDS:
            continue
        for key, lower_is_looser in ADJUSTABLE.items():
            value = getattr(rule, key)
            if value is not None:
                out.append(Threshold(rule.code, key, value, getattr(rule, f"{key}_limit"), lower_is_looser,
                                     f"{rule.cue} ({key})"))
    return out


class TuningPanel(QWidget):
    """Thresholds of one recorded set, editable within their safety floors."""

    judged = Signal(object)  # list[SetJudgement], once a re-judgement is shown

    def __init__(self, profiles: ProfileStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.profiles = profiles
        self.title = QLabel("Pick a session to tune its thresholds for the person")
        self.title.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["threshold", "value", "may go to"])
        self.changes = QListWidget()
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.save = QPushButton("Save for this person")
        self.save.setEnabled(False)
        lay = QVBoxLayout(self)
        lay.addWidget(self.title)
        lay.addWidget(self.table, 2)
        lay.addWidget(QLabel("Flags that change (+ appears, − disappears)"))
        lay.addWidget(self.changes, 1)
        row = QHBoxLayout()
        row.addWidget(self.summary, 1)
        row.addWidget(self.save)
        lay.addLayout(row)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.rejudge)
        self.save.clicked.connect(lambda: self.save_profile())
        self._detail: SessionDetail | None = None
        self._set: SetDetail | None = None
        self._exercise: ExerciseDef | None = None
        self._rows: list[tuple[Threshold, QDoubleSpinBox]] = []
        self._busy = False
        self._again = False
        self.last: list[SetJudgement] | None = None

    # ---- loading -----------------------------------------------------------------------------
    def load(self, detail: SessionDetail | None) -> None:
        """Show the thresholds the session's first set was judged with."""
        self._detail, self._set, self._exercise = detail, None, None
        self._rows = []
        self.table.setRowCount(0)
        self.changes.clear()
        self.summary.setText("")
        self.save.setEnabled(False)
        judged = [(st, ex) for st in (detail.sets if detail else ()) if (ex := judged_with(st)) is not None]
        if detail is None or not judged:
            self.title.setText("Pick a session to tune its thresholds for the person")
            return
        self._set, exercise = judged[0]
        self._exercise = exercise
        self.title.setText(f"{self._set.exercise}, set {self._set.number}: judged with {self._set.profile}. "
                           f"Change a threshold for {detail.person}; the session is re-judged at once.")
        for t in thresholds(exercise):
            box = QDoubleSpinBox()
            lo, hi = t.limits()
            box.setDecimals(2)
            box.setRange(lo, hi)
            box.setSingleStep(0.1 if t.key.endswith("_s") or abs(t.value) < 2 else 1.0)
            box.setValue(t.value)
            box.valueChanged.connect(lambda _v: self._timer.start(DEBOUNCE_MS))
            row = self.table.rowCount()
            self.table.insertRow(row)
            self.table.setItem(row, 0, self._item(f"{t.label}"))
            self.table.setCellWidget(row, 1, box)
            floor = "stricter only" if t.floor is None else f"down to {t.floor:g}" if t.lower_is_looser else f"up to {t.floor:g}"
            self.table.setItem(row, 2, self._item(floor))
            self._rows.append((t, box))
        self.table.resizeColumnsToContents()

    @staticmethod
    def _item(text: str) -> QTableWidgetItem:
        item = QTableWidgetItem(text)
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
        return item

    def set_value(self, code: str, key: str, value: float) -> None:
        """Change one threshold as the therapist would (for tests and scripted use)."""
        for t, box in self._rows:
            if (t.code, t.key) == (code, key):
                box.setValue(value)
                return
        raise KeyError(f"{code}.{key}")

    # ---- judging -----------------------------------------------------------------------------
    def edited(self) -> ExerciseOverrides:
        """The thresholds the therapist changed (rounded as shown)."""
        rep: dict[str, float] = {}
        rules: dict[str, dict[str, float]] = {}
        for t, box in self._rows:
            value = round(box.value(), box.decimals())
            if math.isclose(value, t.value, abs_tol=1e-9):
                continue
            if t.code == "rep":
                rep[t.key] = value
            else:
                rules.setdefault(t.code, {})[t.key] = value
        return ExerciseOverrides(rep, rules)

    def draft(self) -> ExerciseDef | None:
        """The set's definition with the changed thresholds (within their floors)."""
        if self._exercise is None or self._detail is None:
            return None
        edits = Profile(self._detail.person, exercises={self._exercise.id: self.edited()})
        exercise, _notes = apply_profile(self._exercise, edits)
        return dataclasses.replace(exercise, profile="unsaved changes")

    def rejudge(self) -> None:
        """Re-judge the session with the edited thresholds, off the GUI thread."""
        if self._busy:  # one at a time; the newest values are judged once this one is back
            self._again = True
            return
        draft, detail, st = self.draft(), self._detail, self._set
        if draft is None or detail is None or st is None:
            return
        self._busy = True
        self.summary.setText("Re-judging…")
        folder = detail.folder
        call_in_background(lambda: rejudge_session(folder, exercise_for={st.number: draft}), self._show)

    def _show(self, result: object) -> None:
        self._busy = False
        if self._again:
            self._again = False
            self.rejudge()
            return
        self.changes.clear()
        if isinstance(result, Exception):
            self.summary.setText(f"Could not re-judge the session: {result}")
            return
        judgements: list[SetJudgement] = result  # type: ignore[assignment]
        self.last = judgements
        changed = [c for j in judgements for c in j.changes]
        for c in changed:
            item = QListWidgetItem(c.text())
            item.setForeground(Qt.GlobalColor.darkRed if c.appeared else Qt.GlobalColor.darkGreen)
            self.changes.addItem(item)
        mine = [j for j in judgements if self._set and j.recorded.number == self._set.number]
        text = mine[0].summary() if mine else ""
        self.summary.setText(text + ("" if changed else " — no flags change"))
        edits = self.edited()
        self.save.setEnabled(bool(edits.rep or edits.rules))
        self.judged.emit(judgements)

    # ---- saving ------------------------------------------------------------------------------
    def save_profile(self, reason: str = "") -> Profile | None:
        """Write the changed thresholds as the person's next profile version."""
        if self._exercise is None or self._detail is None:
            return None
        person = self._detail.person
        edits = self.edited()
        try:
            base = self.profiles.latest(person) or Profile(person)
        except ProfileError as exc:  # the newest version is broken: start again from the population
            log.warning("%s", exc)
            base = Profile(person)
        changed = ", ".join([f"{c}.{k} = {v:g}" for c, vals in edits.rules.items() for k, v in vals.items()]
                            + [f"rep.{k} = {v:g}" for k, v in edits.rep.items()])
        saved = self.profiles.save(base.with_values(
            self._exercise.id, rep=edits.rep, rules=edits.rules, created=now_iso(), created_by=login_name(),
            made_from=f"review of session {self._detail.id}",
            reason=reason or f"tuned in review: {changed}"))
        self.summary.setText(f"Saved as {saved.label}: used from {person}'s next session.")
        self.save.setEnabled(False)
        return saved
