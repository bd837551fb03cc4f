"""The exercise library grouped by kind, with instructions, dose and camera placement."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QTextBrowser, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from formcheck.core.exercise import ExerciseDef
from formcheck.ui.widgets import Button

PICK_HINT = "Pick an exercise to see how to do it, how many to do, and where to put the camera."
GROUP_TITLES = {"core": "Core stability", "mobility": "Mobility and stretches",
                "functional": "Functional movements", "timer": "Guided timers"}


class ExercisePicker(QWidget):
    start_requested = Signal(str)  # exercise id

    def __init__(self, library: dict[str, ExerciseDef], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.library = library
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setAccessibleName("Exercises")
        for group, title in GROUP_TITLES.items():
            members = sorted((e for e in library.values() if e.group == group), key=lambda e: e.name)
            if not members:
                continue
            parent_item = QTreeWidgetItem([title])
            parent_item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(parent_item)
            for ex in members:
                item = QTreeWidgetItem([ex.name])
                item.setData(0, Qt.ItemDataRole.UserRole, ex.id)
                parent_item.addChild(item)
            parent_item.setExpanded(True)
        self.details = QTextBrowser()
        self.details.setHtml(f"<p style='color:#546e7a'>{PICK_HINT}</p>")
        self.start = Button("Start exercise  (Enter)")
        self.start.setEnabled(False)
        self.start.setMinimumHeight(40)
        lay = QVBoxLayout(self)
        lay.addWidget(self.tree, 3)
        lay.addWidget(self.details, 4)
        lay.addWidget(self.start)
        self.tree.currentItemChanged.connect(self._show)
        self.tree.itemActivated.connect(lambda *_: self._start())
        self.start.clicked.connect(self._start)

    @property
    def selected(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, Qt.ItemDataRole.UserRole) if item else None

    def select(self, exercise_id: str) -> None:
        groups = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        for item in [g.child(j) for g in groups if g is not None for j in range(g.childCount())]:
            if item is not None and item.data(0, Qt.ItemDataRole.UserRole) == exercise_id:
                self.tree.setCurrentItem(item)
                return

    def _show(self, item: QTreeWidgetItem | None, _previous: object = None) -> None:
        ex_id = item.data(0, Qt.ItemDataRole.UserRole) if item else None
        self.start.setEnabled(ex_id is not None)
        if ex_id is None:
            self.details.setHtml(f"<p style='color:#546e7a'>{PICK_HINT}</p>")
            return
        ex = self.library[ex_id]
        safety = "".join(f"<li>{html.escape(s)}</li>" for s in ex.safety)
        self.details.setHtml(
            f"<h3>{html.escape(ex.name)}</h3>"
            f"<p><b>Dose:</b> {html.escape(ex.dose.text())}, rest {ex.dose.rest_s:.0f} s</p>"
            f"<p><b>Camera:</b> {html.escape(ex.camera)}</p>"
            f"<p>{html.escape(ex.instructions).replace(chr(10), '<br>')}</p>"
            f"<p><b>Safety</b></p><ul>{safety}</ul>"
        )

    def _start(self) -> None:
        if self.selected:
            self.start_requested.emit(self.selected)
