"""The main window's small dialogs: the video to open, the keyboard shortcuts, and whether to keep
the camera video."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from formcheck.core.exercise import ExerciseDef

VIDEO_FILTER = "Videos (*.mp4 *.mov *.avi *.mkv *.webm);;All files (*)"
SHORTCUTS = """Enter — press the highlighted button, start the chosen exercise, answer a question
Esc — Stop, it hurts: ends the set at once
P — pause or carry on · Ctrl+E — end the set · N — skip the rest · M — voice on or off
Ctrl+K — use the camera · Ctrl+O — open a video
Ctrl+L — check the camera placement · Ctrl+R — review sessions · Ctrl+P — programme
Ctrl+Q — quit"""


def ask_video(parent: QWidget, settings: QSettings, exercise: ExerciseDef | None) -> Path | None:
    """The video to open (of ``exercise``, when one is to be filmed), from the last folder used."""
    start = str(settings.value("last_video_dir", str(Path.home())))
    title = f"Open a video of {exercise.name}" if exercise is not None else "Open a video"
    path, _ = QFileDialog.getOpenFileName(parent, title, start, VIDEO_FILTER)
    return Path(path) if path else None


def show_shortcuts(parent: QWidget) -> None:
    QMessageBox.information(parent, "Keyboard shortcuts", SHORTCUTS)


def ask_keep_video(parent: QWidget, settings: QSettings) -> bool:
    """Asked once: the answer is remembered (Settings file, key keep_webcam_video)."""
    answer = QMessageBox.question(
        parent, "Keep the camera video?",
        "Save the camera video with your sessions so you and your therapist can replay them?\n"
        "It stays on this computer. (Asked once; the answer is remembered.)",
    )
    keep = answer == QMessageBox.StandardButton.Yes
    settings.setValue("keep_webcam_video", keep)
    return keep
