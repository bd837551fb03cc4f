"""The posture mode in the real window (pytest-qt, offscreen): switch it on from the menu, calibrate,
get a reminder (status bar and voice), pause in one click (camera released), and the session on
record; the baseline kept for the next start, and Recalibrate. The camera (the hardware edge) is a
real desk clip played in real time, or a camera showing an empty room."""

from __future__ import annotations

import json
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QSettings, Qt

from formcheck.analysis.posture_mode import SampledCamera
from formcheck.core.posture_coach import PostureSettings
from formcheck.core.posture_judge import Baseline
from formcheck.exercises.loader import load_library
from formcheck.pose.estimator import PoseEstimator
from formcheck.records.posture_baseline import BaselineStore
from formcheck.records.store import Store
from formcheck.ui.main.window import MainWindow
from formcheck.ui.posture_panel import PostureController, PosturePanel
from formcheck.ui.session_controller import SessionController
from formcheck.ui.speech import Speaker

CLIP = Path(__file__).resolve().parents[2] / ".." / "shared" / "real_clips" / "desk" / "desk_jonz21_1.mp4"
pytestmark = pytest.mark.gui
needs_clip = pytest.mark.skipif(not CLIP.exists(), reason="../shared/real_clips/desk is absent")
# The clip's minutes are seconds: scaled like tests/analysis/test_posture_desk_clips.py.
# The response time is long so that the Pause below lands inside it; calibrating at 5 fps gives the
# clip's 2.5 s upright stretch enough samples even when a loaded machine drops some.
SCALED = PostureSettings(sample_ms=500, calibration_ms=200, after_ms=1000, min_interval_ms=3000,
                         upright_grace_ms=1000, away_ms=2000, response_ms=20_000, break_after_ms=3_600_000)


class ClipAsCamera:
    """Stands in for cv2.VideoCapture on a webcam: each read gives the clip's picture at the time
    elapsed since the first read (frames in between are never seen, as with a real camera)."""

    def __init__(self, path: Path, start_s: float) -> None:
        self.cap = cv2.VideoCapture(str(path))
        self.start_ms = start_s * 1000
        self.cap.set(cv2.CAP_PROP_POS_MSEC, self.start_ms)
        self.t0: float | None = None
        self.released = False

    def isOpened(self) -> bool:  # noqa: N802 - cv2's API
        return not self.released

    def set(self, *_: object) -> bool:
        return True

    def read(self):
        now = time.monotonic()
        self.t0 = now if self.t0 is None else self.t0
        target = self.start_ms + (now - self.t0) * 1000
        while self.cap.get(cv2.CAP_PROP_POS_MSEC) < target:
            if not self.cap.grab():
                return False, None
        return self.cap.retrieve()

    def release(self) -> None:
        self.released = True
        self.cap.release()


class EmptyRoomCamera:
    """Stands in for cv2.VideoCapture on a webcam that sees nobody."""

    def isOpened(self) -> bool:  # noqa: N802 - cv2's API
        return True

    def set(self, *_: object) -> bool:
        return True

    def read(self):
        return True, np.full((480, 640, 3), 90, np.uint8)

    def release(self) -> None:
        pass


@pytest.mark.e2e
@needs_clip
def test_switch_on_calibrate_get_a_reminder_pause_releases_the_camera(qtbot, tmp_path, model_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    speaker = Speaker(command=["true"])  # a real process per line, silent
    db = tmp_path / "data" / "formcheck.db"
    controller = SessionController(lambda: PoseEstimator(model_path, mode="live"), speaker,
                                   store_factory=lambda: Store(db))
    w = MainWindow(load_library().exercises, controller, settings, cameras=lambda: ["/dev/video0"])
    qtbot.addWidget(w)
    w.show()
    cameras: list[ClipAsCamera] = []

    def camera(every_ms: int) -> SampledCamera:
        cameras.append(ClipAsCamera(CLIP, start_s=1.0))  # upright from 1.0 s, leaning forward from 3.8 s
        return SampledCamera("/dev/video0", every_ms, capture_factory=lambda _d: cameras[-1])

    store = Store(tmp_path / "posture.db")
    baselines = BaselineStore(tmp_path / "baselines")
    panel = w.posture_panel
    panel.controller_factory = lambda: PostureController(camera, SCALED, baseline_s=2.5, store=lambda: store,
                                                         baselines=baselines)
    w.posture_action.trigger()
    assert panel.isVisible()
    qtbot.mouseClick(panel.on_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Sit the way your therapist showed you" in panel.prompt.text(), timeout=20_000)
    qtbot.waitUntil(lambda: panel.state.text().startswith(("Calibrated", "Posture:")), timeout=20_000)
    assert panel.controller.baseline.view == "side"
    assert baselines.load("me").baseline == panel.controller.baseline  # kept for the next start
    qtbot.waitUntil(lambda: "head back over your shoulders" in w.statusBar().currentMessage(), timeout=20_000)
    qtbot.mouseClick(panel.pause_button, Qt.MouseButton.LeftButton)  # at once: the response is pending
    qtbot.waitUntil(lambda: any("head back" in s for s in speaker.spoken), timeout=5_000)
    assert cameras[-1].released and not panel.controller.running  # paused: the camera is off
    assert "paused" in panel.state.text()
    qtbot.mouseClick(panel.on_button, Qt.MouseButton.LeftButton)  # off: the session is closed
    (session,) = store.sessions("me")
    assert session.kind == "posture" and session.status == "complete"
    reminders = store.posture_detail(session.id).reminders
    assert [r.kind for r in reminders] == ["forward_head"]
    assert reminders[0].outcome == "paused"  # not "not corrected": nobody saw the minute out
    store.close()
    controller.shutdown()


SIDE = Baseline("side", {"trunk_deg": -4.5, "neck_deg": 14.25, "head_forward": 0.07}, "calibration")


def test_the_saved_baseline_is_used_at_the_next_start_and_a_failed_recalibration_keeps_it(qtbot, tmp_path,
                                                                                          model_path):
    baselines = BaselineStore(tmp_path / "data" / "calibration" / "posture")
    baselines.save("Eve", SIDE)
    saved_on = baselines.load("Eve").saved
    store = Store(tmp_path / "data" / "formcheck.db")
    prompts: list[str] = []

    def controller() -> PostureController:
        c = PostureController(lambda every_ms: SampledCamera("/dev/video0", every_ms,
                                                             capture_factory=lambda _d: EmptyRoomCamera()),
                              SCALED, baseline_s=1.0, store=lambda: store, person="Eve", baselines=baselines)
        c.prompt.connect(prompts.append, Qt.ConnectionType.DirectConnection)
        return c

    notes: list[str] = []
    panel = PosturePanel(controller, notes.append)
    qtbot.addWidget(panel)
    qtbot.mouseClick(panel.on_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.controller.recorder is not None, timeout=20_000)
    assert panel.controller.baseline == SIDE
    assert prompts == [f"Using your saved sitting-tall baseline (side view, {saved_on[:10]}). "
                       "Press Recalibrate if you sit differently or moved the camera."]  # no calibration
    qtbot.waitUntil(lambda: panel.prompt.text() == prompts[0], timeout=5_000)  # it stays in the dock
    start = json.loads((panel.controller.recorder.folder / "events.jsonl").read_text().splitlines()[0])
    assert start["baseline"]["values"] == SIDE.values and start["calibrated"] == saved_on

    qtbot.mouseClick(panel.recalibrate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any("Sit the way your therapist showed you" in p for p in prompts), timeout=20_000)
    # Nobody in view: the calibration fails, says what to do, and the saved baseline is kept.
    qtbot.waitUntil(lambda: not panel.on_button.isChecked(), timeout=20_000)
    assert "Not enough of you was in view" in notes[-1]
    assert baselines.load("Eve").baseline == SIDE and baselines.load("Eve").saved == saved_on
    (session,) = store.sessions("Eve")  # the session before Recalibrate, closed
    assert session.status == "complete"
    store.close()


def test_pause_and_resume_carry_on_the_session_clock(qtbot, tmp_path, model_path):
    baselines = BaselineStore(tmp_path / "posture")
    baselines.save("me", SIDE)
    store = Store(tmp_path / "data" / "formcheck.db")
    c = PostureController(lambda every_ms: SampledCamera("/dev/video0", every_ms,
                                                         capture_factory=lambda _d: EmptyRoomCamera()),
                          SCALED, store=lambda: store, baselines=baselines)
    c.start()
    qtbot.waitUntil(lambda: c.coach is not None and (c.coach.last_t_ms or 0) >= 1000, timeout=20_000)
    c.pause()
    before = c.coach.last_t_ms
    time.sleep(1.5)
    c.start()  # resumed: the session's clock went on while paused, it doesn't start at 0 again
    qtbot.waitUntil(lambda: c.coach.last_t_ms is not None and c.coach.last_t_ms != before, timeout=20_000)
    assert c.coach.last_t_ms >= before + 1500
    c.stop()
    (session,) = store.sessions("me")
    minutes = json.loads("[" + ",".join(line for line in (session.folder / "events.jsonl").read_text().splitlines()
                                        if '"posture_minute"' in line) + "]")
    assert [m["minute"] for m in minutes] == [0, 0]  # before and after the pause, both in minute 0
    store.close()
