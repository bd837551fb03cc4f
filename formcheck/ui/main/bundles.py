"""Bundles from the File menu: import one (asking whether a person of the same name is that person,
and whether its programme becomes the current one) and export a person's sessions and programme."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

if TYPE_CHECKING:
    from formcheck.records.store import Store

BUNDLE_FILTER = "formcheck bundles (*.formcheck)"


def import_bundle(store: Store, path: Path, ask: Callable[[str], bool], on_imported: Callable[[], None]) -> str:
    """Import a bundle; returns the sentence shown (what was added, or why nothing was). ``ask``
    (yes/no) answers whether a bundle's person of a local name is that person, and whether the
    bundle's programme becomes the current one; ``on_imported`` follows an import."""
    from formcheck.records import programme_store
    from formcheck.records.bundle_import import PersonClash
    from formcheck.records.bundle_import import import_bundle as import_into
    from formcheck.records.database.connection import StoreError

    try:
        try:
            report = import_into(store, path)
        except PersonClash as clash:
            if not ask(clash.question()):
                return f"Nothing was imported: {clash}"
            report = import_into(store, path, person=clash.name)
        for p in list(report.pending):
            if ask(f"Make {p.label()} of {p.person}'s programme from this bundle the current one?"):
                programme_store.confirm(store, p.uid)
                report.pending.remove(p)
        text = report.text()
    except (StoreError, OSError) as exc:
        return f"Nothing was imported: {exc}"
    on_imported()
    return text


def ask_yes_no(parent: QWidget) -> Callable[[str], bool]:
    """The import's questions, each in a box over ``parent``."""
    return lambda q: QMessageBox.question(parent, "Import bundle", q) == QMessageBox.StandardButton.Yes


def import_bundle_dialog(parent: QWidget, import_from: Callable[[Path], str]) -> None:
    """The bundle to import, then what ``import_from`` says of it."""
    path, _ = QFileDialog.getOpenFileName(parent, "Import a bundle", str(Path.home()),
                                          f"{BUNDLE_FILTER};;All files (*)")
    if path:
        QMessageBox.information(parent, "Import bundle", import_from(Path(path)))


def export_bundle_dialog(parent: QWidget, store: Store, people_with_programmes: list[str], person: str) -> None:
    """Whose bundle (``person`` offered first) and where, then the bundle written and what it holds."""
    from formcheck.records.bundle_export import default_name, export_bundle
    from formcheck.records.database.connection import StoreError

    people = sorted({s.person for s in store.sessions()} | set(people_with_programmes))
    if not people:
        QMessageBox.information(parent, "Export bundle", "Nothing to export yet: no sessions and no programmes.")
        return
    chosen, ok = QInputDialog.getItem(parent, "Export bundle", "Whose sessions and programme?", people,
                                      max(0, people.index(person)) if person in people else 0, False)
    if not ok:
        return
    path, _ = QFileDialog.getSaveFileName(parent, "Export bundle", str(Path.home() / default_name(chosen)),
                                          BUNDLE_FILTER)
    if path:
        try:
            text = export_bundle(store, chosen, Path(path)).text()
        except (StoreError, OSError) as exc:
            text = f"Nothing was exported: {exc}"
        QMessageBox.information(parent, "Export bundle", text)
