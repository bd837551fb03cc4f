"""The set-up step: is the camera placed right for the chosen exercise, and the person's body
measurements — from the live picture, with the indicator green when placement is right.

Frames come from the running session (the controller's ``frame`` signal); the checks run off the
GUI thread (``formcheck.core.placement`` and ``formcheck.core.body`` on the last frames).
"""

from __future__ import annotations

import dataclasses
from collections import deque
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QLayout, QVBoxLayout, QWidget

from formcheck.analysis.calibrate import WINDOW_MS, Seen, login_name, save_camera_check
from formcheck.core.body import BodyCalibrationError, measure_body
from formcheck.core.exercise import ExerciseDef
from formcheck.core.placement import Placement, check_placement
from formcheck.exercises.profile import Profile, ProfileError, ProfileStore
from formcheck.records.database.rows import now_iso
from formcheck.ui.background import call_in_background
from formcheck.ui.widgets import Button
from formcheck.ui.worker import LivePacket

CHECK_EVERY_MS = 500
BODY_SECONDS = 5.0
_STYLE = {
    "good": "background: #2e7d32; color: white;",
    "adjust": "background: #e65100; color: white;",
    "waiting": "background: #607d8b; color: white;",
}
_INDICATOR = "font-size: 18px; font-weight: bold; padding: 10px; border-radius: 6px;"
WAITING = "Waiting for the camera…"
CANT_CHECK = "Can't check the placement yet"


def _indicator_font(label: QLabel) -> QFont:
    font = QFont(label.font())
    font.setPixelSize(18)
    font.setBold(True)
    return font


class SetupCheckDialog(QDialog):
    checked = Signal(object)  # Placement, each time a check is shown
    body_done = Signal(object)  # the saved Profile, or the refusal (str)

    def __init__(self, exercise: ExerciseDef, camera: str, person: str, profiles: ProfileStore,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Set-up check — {exercise.name}")
        self.exercise, self.camera, self.person, self.profiles = exercise, camera, person, profiles
        self.position = QLabel(f"Get into the starting position: "
                               f"{exercise.setup.position_cue if exercise.setup else 'in view'}.")
        self.position.setWordWrap(True)
        self.indicator = QLabel(WAITING)
        self.indicator.setWordWrap(True)
        self.indicator.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.indicator.setStyleSheet(_STYLE["waiting"] + _INDICATOR)
        # Room for two lines of the large type: the verdict is never cut in half.
        self.indicator.setMinimumHeight(2 * QFontMetrics(_indicator_font(self.indicator)).lineSpacing() + 24)
        self.instructions = QLabel(exercise.camera)
        self.instructions.setWordWrap(True)
        self.instructions.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details = QLabel("")  # what was measured, and where a check was saved: small print
        self.details.setWordWrap(True)
        self.details.setStyleSheet("color: #546e7a;")
        self.save = Button("Save for this camera")
        self.save.setEnabled(False)
        self.measure = Button(f"Measure my body (stand still {BODY_SECONDS:.0f} s)")
        self.measure.setToolTip("Stand side-on or facing the camera, still, for five seconds")
        self.close_button = Button("Close")
        self.body = QLabel("")
        self.body.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)  # wrapped lines get their height
        lay.addWidget(self.position)
        lay.addWidget(self.indicator)
        lay.addWidget(self.instructions, 1)
        lay.addWidget(self.details)
        row = QHBoxLayout()
        row.addWidget(self.save)
        row.addWidget(self.measure)
        row.addStretch(1)
        row.addWidget(self.close_button)
        lay.addLayout(row)
        lay.addWidget(self.body)
        self.setMinimumWidth(520)
        self.save.clicked.connect(self.save_check)
        self.measure.clicked.connect(self.start_body)
        self.close_button.clicked.connect(self.close)
        self._window: deque[Seen] = deque()
        self._body_frames: list[Seen] | None = None
        self._body_start: int | None = None
        self._busy = False
        self._saved_in: Path | None = None
        self.placement: Placement | None = None
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._check)
        self._timer.start(CHECK_EVERY_MS)

    # ---- frames (GUI thread: only kept here; judged in the background) ----------------------------
    def add(self, packet: LivePacket) -> None:
        seen = Seen(packet.output.pose, packet.brightness)
        t = seen.result.t_ms
        self._window.append(seen)
        while self._window and self._window[0].result.t_ms < t - WINDOW_MS:
            self._window.popleft()
        if self._body_frames is not None:
            self._body_start = t if self._body_start is None else self._body_start
            self._body_frames.append(seen)
            if t - self._body_start >= BODY_SECONDS * 1000:
                self._finish_body()

    def _check(self) -> None:
        frames = list(self._window)
        if self._busy or len(frames) < 2 or frames[-1].result.t_ms - frames[0].result.t_ms < WINDOW_MS * 0.9:
            return
        self._busy = True
        light = sorted(s.brightness for s in frames)[len(frames) // 2]
        exercise = self.exercise
        call_in_background(lambda: check_placement([s.result for s in frames], exercise, light), self._show)

    def _show(self, result: object) -> None:
        self._busy = False
        if isinstance(result, Exception):
            self.indicator.setText("The check could not run; it tries again in a moment.")
            self.details.setText(str(result))
            return
        placement: Placement = result  # type: ignore[assignment]
        self.placement = placement
        if placement.refused:
            state, verdict, advice = "waiting", CANT_CHECK, placement.refused
        elif placement.ok:
            state, verdict, advice = "good", f"Placement is right for {self.exercise.name}", "Ready to start."
        else:
            state, verdict = "adjust", "Adjust the camera"
            advice = "\n".join(f"• {i}" for i in dict.fromkeys(placement.instructions))  # each piece of advice once
        self.indicator.setText(verdict)
        self.indicator.setStyleSheet(_STYLE[state] + _INDICATOR)
        self.instructions.setText(advice)
        measured = "" if placement.refused else (f"Camera about {placement.distance_m:.1f} m away; the movement fills "
                                                 f"{placement.fill:.0%} of the picture.")
        self.details.setText(measured + (f"\nSaved in {self._saved_in}" if self._saved_in else ""))
        self.details.setToolTip("" if placement.refused else placement.text())  # every figure, for the therapist
        self.save.setEnabled(placement.ok)  # only a placement that is right is kept for the camera
        self.checked.emit(placement)

    def save_check(self) -> None:
        if self.placement is not None and self.placement.ok:
            self._saved_in = save_camera_check(self.camera, self.placement)
            self.details.setText(f"{self.details.text()}\nSaved in {self._saved_in}")

    # ---- body ------------------------------------------------------------------------------------
    def start_body(self) -> None:
        self._body_frames, self._body_start = [], None
        self.measure.setEnabled(False)
        self.body.setText(f"Stand still, side-on or facing the camera, for {BODY_SECONDS:.0f} seconds…")

    def _finish_body(self) -> None:
        frames, self._body_frames = self._body_frames or [], None
        person, profiles = self.person, self.profiles

        def measure_and_save() -> Profile:
            body = measure_body(s.result for s in frames)
            try:
                base = profiles.latest(person) or Profile(person)
            except ProfileError:  # the newest version is broken: start again from the population
                base = Profile(person)
            return profiles.save(dataclasses.replace(
                base, body=body, version=0, path=None, created=now_iso(), created_by=login_name(),
                made_from=f"{self.camera}, set-up check", reason="body calibration"))

        call_in_background(measure_and_save, self._body_measured)

    def _body_measured(self, result: object) -> None:
        self.measure.setEnabled(True)
        if isinstance(result, BodyCalibrationError):
            self.body.setText(str(result))
            self.body_done.emit(str(result))
            return
        if isinstance(result, Exception):
            self.body.setText(f"Could not save the body measurements: {result}")
            self.body_done.emit(str(result))
            return
        profile: Profile = result  # type: ignore[assignment]
        body = profile.body
        assert body is not None
        lengths = [f"{k.replace('_', ' ')} {v * 100:.0f} cm" for k, v in body.world_m.items()]
        feet = f" Feet {body.stance:.1f} hip widths apart." if body.stance is not None else ""
        self.body.setText(f"Body measured on {body.frames} frames and saved as {profile.label}: "
                          + ", ".join(lengths) + "." + feet)
        self.body_done.emit(profile)
