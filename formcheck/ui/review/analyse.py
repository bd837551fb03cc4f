"""Any video file analysed and recorded from the review window: the same pipeline as live coaching
on a worker thread, with a progress dialog, and the dialogs that choose the video and its exercise."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QProgressDialog, QWidget

from formcheck.core.exercise import ExerciseDef
from formcheck.records.database.location import DatabaseLocation
from formcheck.records.store import Store


class AnalysisJob(QThread):
    """Analyses and records one video file off the GUI thread (with its own database connection:
    SQLite connections belong to the thread that made them)."""

    progress = Signal(int, object)  # frames done, frames expected (None when unknown)
    done = Signal(int)  # the recorded session
    failed = Signal(str)  # one sentence for the user

    def __init__(self, database: DatabaseLocation, video: Path, exercise: ExerciseDef, person: str) -> None:
        super().__init__()
        self.database, self.video, self.exercise, self.person = database, video, exercise, person

    def run(self) -> None:
        from formcheck.analysis.analyze import analyze_video
        from formcheck.core.tracker import ExerciseTracker
        from formcheck.records.recorder import SessionRecorder

        try:
            store = Store(self.database)
            try:
                result = analyze_video(
                    self.video, None, exercise=self.exercise.id, progress=False,
                    tracker=ExerciseTracker(self.exercise),
                    record=lambda: SessionRecorder(store, self.person, str(self.video), "file"),
                    on_progress=self.progress.emit)
            finally:
                store.close()
        except Exception as exc:  # noqa: BLE001 - shown to the user, the window stays usable
            self.failed.emit(str(exc))
            return
        if result.session_id is None:
            self.failed.emit(result.recording_error or "The analysis could not be recorded.")
        else:
            self.done.emit(result.session_id)


def start_analysis(parent: QWidget, database: DatabaseLocation, path: Path, exercise: ExerciseDef, person: str) -> AnalysisJob:
    """A job for ``path`` with a progress dialog over ``parent`` (a failure is said in a message
    box); the caller connects ``done`` and starts it."""
    job = AnalysisJob(database, path, exercise, person)
    dialog = QProgressDialog(f"Analysing {path.name}…", "", 0, 100, parent)
    dialog.setCancelButton(None)
    dialog.setMinimumDuration(300)
    job.progress.connect(lambda done, total: dialog.setValue(int(100 * done / total) if total else 0))
    job.done.connect(dialog.close)
    job.failed.connect(dialog.close)
    job.failed.connect(lambda message: QMessageBox.warning(parent, "Could not analyse the video", message))
    return job


def ask_video_and_exercise(parent: QWidget) -> tuple[Path, str] | None:
    """The video to analyse and the exercise in it (an id), or None when the person cancels."""
    from formcheck.exercises.loader import load_library

    path, _ = QFileDialog.getOpenFileName(parent, "Analyse a video", str(Path.home()),
                                          "Videos (*.mp4 *.mov *.avi *.mkv *.webm)")
    if not path:
        return None
    names = {e.name: k for k, e in load_library().exercises.items() if not e.timer_only}
    choice, ok = QInputDialog.getItem(parent, "Exercise", "Which exercise is in the video?", sorted(names), 0, False)
    return (Path(path), names[choice]) if ok else None
