"""The desktop app under pytest-qt (offscreen): real widgets, real model, a fake camera device."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import QSettings

from formcheck.exercises.loader import load_library
from formcheck.pose.estimator import PoseEstimator
from formcheck.ui.main.window import MainWindow
from formcheck.ui.session_controller import SessionController
from formcheck.ui.speech import Speaker
from tests.conftest import sample
from tests.ui.conftest import FakeCameraDevice

pytestmark = pytest.mark.gui


def squat_on_fake_camera(window, **device_args) -> SessionController:
    """Start the squat on the fake camera playing the squat clip; returns the controller."""
    window.devices["/dev/video0"] = lambda: FakeCameraDevice(sample("squat_good.mp4"), **device_args)
    window.start_exercise("squat")
    window.use_camera()
    return window.controller


def test_window_opens_with_library_and_remembers_settings(qtbot, tmp_path, model_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    c = SessionController(lambda: PoseEstimator(model_path), Speaker(command=["true"]))
    w = MainWindow(load_library().exercises, c, settings, cameras=lambda: [])
    qtbot.addWidget(w)
    assert w.picker.tree.topLevelItemCount() == 4  # core, mobility, functional, timers
    assert not w.notice.isHidden() and w.notice_label.text().startswith("No camera found")  # and a one-click demo
    w.picker.select("glute_bridge")
    w.start_exercise("glute_bridge")
    w.set_voice(False)
    w.close()
    again = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    assert again.value("exercise") == "glute_bridge"
    assert str(again.value("voice")).lower() == "false"
    assert again.value("geometry") is not None


def test_fake_camera_drives_counter_and_cues(qtbot, window):
    c = squat_on_fake_camera(window)
    qtbot.waitUntil(lambda: c.coach.state == "counting", timeout=15000)
    # The clip has three squats; then the device stops, which must not lose the count.
    qtbot.waitUntil(lambda: c.coach.state == "done", timeout=30000)
    qtbot.waitUntil(lambda: "disconnected" in window.statusBar().currentMessage(), timeout=15000)
    assert c.coach.sets[-1].reps["all"] == 3 and c.coach.sets[-1].ended_by == "source_lost"
    assert "Good squat" in c.speaker.spoken and "Go — set 1" in c.speaker.spoken
    assert "The camera stopped." in window.summary.text() and "3 reps" in window.summary.text()
    # Recorded: the session's set holds the same three reps.
    c.close_source()
    session = c.store.sessions("me")[-1]
    assert len(c.store.session_detail(session.id).sets[0].reps) == 3
    assert "disconnected" in window.view.placeholder


def test_first_rep_counts_when_the_person_starts_at_once(qtbot, window):
    # No standing still first: the first squat begins 1.0 s after the person appears, exactly
    # when set-up passes. It used to be lost (the counter wanted a fresh rest pose first).
    c = squat_on_fake_camera(window, lead_s=0.0)
    qtbot.waitUntil(lambda: c.coach.state == "done", timeout=40000)
    assert c.coach.sets[0].reps == {"all": 3}


def short_squat(window, **dose):
    from formcheck.core.exercise import Dose

    ex = window.library["squat"]
    window.library["squat"] = dataclasses.replace(ex, dose=Dose(**dose))
    return window.library["squat"]


def test_sets_and_rests_keep_panel_overlay_and_status_in_step(qtbot, window):
    short_squat(window, sets=2, reps=2, rest_s=4.0)
    window.devices["/dev/video0"] = lambda: FakeCameraDevice(sample("squat_good.mp4"), loop=True)
    window.start_exercise("squat")
    window.use_camera()  # loops: three squats every 9.4 s
    c = window.controller
    qtbot.waitUntil(lambda: c.coach.state == "rest", timeout=30000)
    spoken_at_rest = len(c.speaker.spoken)
    # The coach is on the pipeline's thread: wait until the window has been told.
    qtbot.waitUntil(lambda: window.banner.text().startswith("Rest "), timeout=5000)
    assert window.panel.counter.text() == "2 / 2"
    assert c.coach.overlay(c.last).lines[1] == "Reps 2/2"  # the video shows the same count
    assert window.statusBar().currentMessage().startswith("Set 1: 2 reps")
    assert window.banner.text().startswith("Rest ")
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == "Set 2 of 2 — counting", timeout=20000)
    # Nothing was counted or praised while resting.
    assert "Good squat" not in c.speaker.spoken[spoken_at_rest:]
    qtbot.waitUntil(lambda: c.coach.state == "done", timeout=30000)
    assert [s.reps["all"] for s in c.coach.sets] == [2, 2]
    qtbot.waitUntil(lambda: window.panel.counter.text() == "2 / 2", timeout=1000)


def test_end_set_goes_to_rest_on_a_two_set_dose(qtbot, window):
    short_squat(window, sets=2, reps=10, rest_s=30.0)
    c = squat_on_fake_camera(window)
    qtbot.waitUntil(lambda: c.coach.state == "counting", timeout=15000)
    window.act_stop.trigger()
    qtbot.waitUntil(lambda: c.coach.state == "rest", timeout=5000)
    assert len(c.coach.sets) == 1 and c.coach.sets[0].ended_by == "stop"
    window.act_stop.trigger()  # nothing to end while resting: still resting
    qtbot.wait(300)
    assert c.coach.state == "rest"


def test_video_end_closes_the_set_with_a_summary(qtbot, window):
    window.start_exercise("squat")
    window.open_video(sample("squat_good.mp4"))
    c = window.controller
    qtbot.waitUntil(lambda: c.coach.state == "done", timeout=30000)
    # The coach lives on the pipeline's thread: its state is "done" before the packet that says so
    # reaches the window, so wait for what the person sees.
    qtbot.waitUntil(lambda: window.summary.text() != "", timeout=5000)
    assert c.coach.sets[0].ended_by == "video_end" and c.coach.sets[0].reps == {"all": 3}
    qtbot.waitUntil(lambda: window.banner.text() == "The video ended", timeout=5000)
    assert window.summary.text().startswith("The video ended.") and "3 reps" in window.summary.text()
    c.close_source()
    detail = c.store.session_detail(c.store.sessions()[-1].id)
    assert detail.sets[0].ended_by == "video_end" and detail.status == "complete"


def test_flagged_reps_get_fault_cues_and_the_summary_counts_them(qtbot, window):
    window.start_exercise("glute_bridge")
    window.open_video(sample("glute_bridge_low.mp4"))
    c = window.controller
    qtbot.waitUntil(lambda: c.coach.state == "done", timeout=40000)
    assert "Good bridge" not in c.speaker.spoken
    assert any(text == "Lift your hips higher" for text in c.speaker.spoken)
    assert c.coach.sets[0].flagged == 3
    qtbot.waitUntil(lambda: window.summary.text() != "", timeout=5000)  # the window is told after the coach
    assert "3 flagged (Lift your hips higher ×3)" in window.summary.text()


def test_banner_with_exercise_and_video_given_up_front(qtbot, window):
    window.start_exercise("squat")
    assert window.banner.text() == "Press Ctrl+K to use the camera, or Ctrl+O to open a video"
    window.open_video(sample("squat_good.mp4"))
    assert "choose a camera" not in window.banner.text().lower()
    qtbot.waitUntil(lambda: window.view.has_frame, timeout=15000)
    qtbot.wait(100)
    assert "choose a camera" not in window.banner.text().lower()


def test_bird_dog_counter_fits_the_panel(qtbot, window):
    from PySide6.QtGui import QFontMetrics

    window.start_exercise("bird_dog")
    window.panel.show_counts({"left": 10, "right": 10}, 0.0, 10)
    label = window.panel.counter
    assert label.text() == "L 10/10  R 10/10"
    assert QFontMetrics(label.font()).horizontalAdvance(label.text()) <= label.width()


def test_camera_failing_mid_session_keeps_app_usable(qtbot, window):
    squat_on_fake_camera(window, fail_after=40)
    qtbot.waitUntil(lambda: "disconnected" in window.statusBar().currentMessage(), timeout=20000)
    assert "reconnect" in window.banner.text()
    # Still usable: another source plays.
    window.open_video(sample("plank_good.mp4"))
    qtbot.waitUntil(lambda: window.controller.latest is not None and window.controller.latest.output.frame.index > 10, timeout=20000)


def test_switching_exercise_resets_counters(qtbot, window):
    c = squat_on_fake_camera(window)
    qtbot.waitUntil(lambda: c.last is not None and c.last.counts.get("all", 0) >= 1, timeout=30000)
    window.start_exercise("glute_bridge")
    qtbot.wait(200)
    assert c.exercise.id == "glute_bridge" and c.coach.state == "setup"
    assert c.coach.tracker.rep_counts() == {"all": 0}
    assert window.panel.counter.text() == "0 / 10"


def test_pain_stop_ends_the_set_and_is_recorded(qtbot, window):
    c = squat_on_fake_camera(window)
    qtbot.waitUntil(lambda: c.coach.state == "counting", timeout=15000)
    window.act_pain.trigger()
    qtbot.waitUntil(lambda: c.coach.state == "done", timeout=5000)
    assert c.coach.sets[-1].ended_by == "pain"
    qtbot.waitUntil(lambda: "stopped for pain" in window.summary.text(), timeout=5000)
    qtbot.waitUntil(lambda: c.speaker.spoken[-1].startswith("Stopped"), timeout=3000)
    overlay = c.coach.overlay(c.last)
    assert overlay.cue == "Stopped — rest now" and not any("deg" in line for line in overlay.lines)
    # The live session was recorded with its pain stop.
    c.close_source()
    detail = c.store.session_detail(c.store.sessions()[-1].id)
    assert len(detail.pain_stops) == 1 and detail.sets[0].ended_by == "pain"


@pytest.mark.parametrize("window", [True], indirect=True)
def test_kept_webcam_video_replays_in_review(qtbot, window):
    from formcheck.ui.review.window import ReviewWindow

    c = squat_on_fake_camera(window)
    qtbot.waitUntil(lambda: c.last is not None and c.last.counts.get("all", 0) >= 2, timeout=30000)
    c.stop_exercise()
    qtbot.waitUntil(lambda: c.coach.state in ("rest", "done"), timeout=5000)
    recorder = c.recorder
    window.controller.close_source()  # ends the session, closing the video file
    session_id = recorder.session_id
    folder = c.store.session(session_id).folder
    assert (folder / "video.mp4").stat().st_size > 10_000
    review = ReviewWindow(c.store)
    qtbot.addWidget(review)
    review.select_session(session_id)
    assert review.player.view.has_frame  # the live session replays from its own video
    rep = review.detail.sets[0].reps[0]
    review.player.seek_seconds(rep.start_s)
    assert abs(review.player.current_s - rep.start_s) < 0.1  # video and events share one clock


def test_app_loads_custom_exercises_and_shows_skipped_files(qtbot, tmp_path, monkeypatch):
    from formcheck.exercises.loader import LIBRARY_DIR
    from formcheck.ui.app import build_window

    custom = tmp_path / "exercises"
    custom.mkdir()
    monkeypatch.setenv("FORMCHECK_EXERCISES_DIR", str(custom))
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path / "data"))
    (custom / "my_bridge.toml").write_text((LIBRARY_DIR / "glute_bridge.toml").read_text()
                                           .replace('id = "glute_bridge"', 'id = "my_bridge"', 1))
    (custom / "broken.toml").write_text((LIBRARY_DIR / "glute_bridge.toml").read_text()
                                        .replace('id = "glute_bridge"', 'id = "broken"', 1)
                                        .replace("target = 152", "target = nan", 1))
    w = build_window(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(w)
    assert "my_bridge" in w.library and "glute_bridge" in w.library
    w.picker.select("my_bridge")
    assert w.picker.selected == "my_bridge"
    assert w.skipped_note.text() == "⚠ 1 exercise file(s) could not be loaded (hover for why)"
    assert w.skipped_note.toolTip() == f"{custom / 'broken.toml'}: rep.target: must be a finite number, got nan"
    assert "broken" not in w.library
    w.controller.shutdown()


def test_setup_check_turns_green_and_measures_the_body(qtbot, window, tmp_path, monkeypatch):
    import json

    from formcheck.exercises.profile import ProfileStore

    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path / "data"))
    window.controller.profiles = ProfileStore(tmp_path / "calibration")
    window.devices["/dev/video0"] = lambda: FakeCameraDevice(sample("squat_good.mp4"), lead_s=8.0)
    window.start_exercise("squat")
    window.use_camera()
    window.open_setup_check()
    dialog = window.setup_check
    qtbot.waitUntil(lambda: dialog.placement is not None and dialog.placement.ok, timeout=30000)
    assert dialog.indicator.text() == "Placement is right for Squat" and "#2e7d32" in dialog.indicator.styleSheet()
    dialog.save.click()
    saved = tmp_path / "data" / "calibration" / "cameras" / "camera-dev-video0.json"
    assert json.loads(saved.read_text())["ok"] is True and f"Saved in {saved}" in dialog.details.text()
    dialog.measure.click()
    with qtbot.waitSignal(dialog.body_done, timeout=30000) as done:
        pass
    profile = done.args[0]
    assert profile.label == "me v1" and profile.body.views == ("side",)
    assert ProfileStore(tmp_path / "calibration").latest("me").body == profile.body
    assert "Body measured on" in dialog.body.text()
    # The next exercise started is judged with that profile (nothing personal for squats yet).
    window.start_exercise("squat")
    assert window.controller.exercise.profile == "me v1"


def test_long_banner_messages_fit(qtbot, window):
    from PySide6.QtGui import QFontMetrics

    window.start_exercise("squat")  # no source yet: the banner asks for one
    banner = window.banner
    assert banner.text() == "Press Ctrl+K to use the camera, or Ctrl+O to open a video"
    for width, height in ((1280, 720), (1024, 700), (1920, 1080)):
        window.resize(width, height)
        qtbot.wait(50)
        assert banner.fits(), (width, height)  # nothing cut off at the top, bottom or sides
        assert banner.font().pointSize() >= 15  # and still large enough to read from the mat
    assert QFontMetrics  # (the measure the banner itself uses)


def test_ctrl_q_quits_and_closes_the_session(qtbot, window):
    from PySide6.QtCore import Qt

    from tests.ui.conftest import press

    c = squat_on_fake_camera(window)
    qtbot.waitUntil(lambda: c.running, timeout=15000)
    press(qtbot, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=15000)
    assert not c.running and c.recorder is None  # the session was closed, not left recording
