"""Screenshots of every step of the app's flows, to look at (run under Xvfb, one screen size a run):

    xvfb-run -a -s "-screen 0 1280x720x24" .venv/bin/python tools/screenshot_app.py OUT_DIR

The window fills the screen (as a person maximises it); the flows are the ones tests/ui/test_flows.py
drives: first start (the demo), an exercise on a video (set-up, sets, rest, summary, the video's
end), Today on three videos with a rise in pain, Esc, the set-up check, Review and Programme. Data
and settings go to a fresh temporary folder; the voice is off. Nothing is written to the repository.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="formcheck-shots-"))
os.environ["FORMCHECK_DATA_DIR"] = str(WORK / "data")  # before the app reads it

from PySide6.QtCore import QSettings, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from formcheck.core.exercise import Dose  # noqa: E402
from formcheck.core.programme import Programme, ProgrammeItem  # noqa: E402
from formcheck.records import programme_store  # noqa: E402
from formcheck.ui.app import build_window, start_up  # noqa: E402
from formcheck.ui.main.window import MainWindow  # noqa: E402

SAMPLES = ROOT / "sample_videos"
Step = tuple[str, object]  # ("ms", 500) waits; ("until", fn) waits for fn() (at most 90 s)


def flows(w: MainWindow, shot: Callable[[str, QWidget | None], None]) -> Iterator[Step]:
    c = w.controller
    today = w.today

    def coach_state() -> str:
        return c.coach.state if c.coach is not None else ""

    # 1. First start on a computer without a camera: the demo.
    start_up(w)
    yield "until", lambda: c.last is not None and c.last.counts.get("all", 0) >= 1
    shot("01_first_start_demo", None)

    # 2. Choose an exercise, open its video: set-up, sets, rest, summary, the video's end.
    ex = w.library["glute_bridge"]
    w.library["glute_bridge"] = dataclasses.replace(ex, dose=Dose(2, 1, rest_s=4.0))
    w.left.setCurrentWidget(w.picker)
    w.picker.select("glute_bridge")
    yield "ms", 300
    shot("02_exercise_chosen", None)
    w.start_exercise("glute_bridge")
    c.close_source()  # the demo stops: this is the person's own exercise
    yield "ms", 300
    shot("03_waiting_for_video", None)
    w.open_video(SAMPLES / "glute_bridge_good.mp4")
    yield "until", lambda: c.running and w.view.has_frame
    yield "ms", 400
    shot("04_setting_up", None)
    yield "until", lambda: coach_state() == "counting"
    yield "ms", 2500
    shot("05_counting", None)
    yield "until", lambda: coach_state() == "rest"
    yield "ms", 500
    shot("06_rest", None)
    yield "until", lambda: coach_state() == "done"
    yield "ms", 500
    shot("07_summary", None)
    yield "until", lambda: not c.running
    yield "ms", 500
    shot("08_video_ended", None)

    # 3. Today: three exercises, one video each, pain up after the second (someone else: the
    # bridges above were "me"'s).
    saved, _ = programme_store.save(c.store, Programme("Sam", (
        ProgrammeItem("glute_bridge", Dose(1, 2, rest_s=2.0), "Squeeze your glutes at the top"),
        ProgrammeItem("bird_dog", Dose(1, 1, per_side=True, rest_s=2.0)),
        ProgrammeItem("forearm_plank", Dose(1, hold_s=4.0, rest_s=2.0))), 3, date.today(), pain_stop_at=6))
    today.reload()
    today.person.setCurrentText("Sam")
    w.left.setCurrentWidget(today)
    yield "ms", 300
    shot("09_today", None)
    today.start_button.click()
    yield "ms", 300
    shot("10_today_pain_before", None)
    today.answer(1)
    yield "ms", 300
    shot("11_today_open_first_video", None)
    pains = {"glute_bridge": 1, "bird_dog": 4, "forearm_plank": 2}
    for exercise, clip in (("glute_bridge", "glute_bridge_good"), ("bird_dog", "bird_dog_good"),
                           ("forearm_plank", "plank_good")):
        w.open_video(SAMPLES / f"{clip}.mp4")
        yield "until", lambda: coach_state() == "counting"
        yield "ms", 2500
        shot(f"12_today_{exercise}", None)
        yield "until", lambda: today.asking
        yield "ms", 300
        shot(f"13_today_{exercise}_asked", None)
        today.answer(pains[exercise], effort=4)
        yield "ms", 300
        if not today.stop_today.isHidden():
            shot("14_today_pain_advice", None)
            today.carry_on.click()
            yield "ms", 300
    shot("15_today_done", None)

    # 4. Esc during a set (a hand-picked exercise on a video).
    w.left.setCurrentWidget(w.picker)
    w.picker.select("squat")
    w.start_exercise("squat")
    w.open_video(SAMPLES / "squat_good.mp4")
    yield "until", lambda: coach_state() == "counting"
    yield "ms", 1500
    w.pain_stop()
    yield "ms", 600
    shot("16_esc_pain_stop", None)

    # 5. The set-up check (Ctrl+L) on a running video.
    w.start_exercise("glute_bridge")
    w.open_video(SAMPLES / "glute_bridge_good.mp4")
    yield "until", lambda: c.running and w.view.has_frame
    w.open_setup_check()
    dialog = w.setup_check
    assert dialog is not None
    yield "until", lambda: dialog.placement is not None
    yield "ms", 800
    shot("17_setup_check_main", None)
    shot("18_setup_check_dialog", dialog)
    dialog.close()
    c.close_source()

    # 6. Review: a session, a rep, a note, a verdict; the programme editor.
    w.open_review()
    r = w.review
    r.resize(w.size())
    yield "ms", 500
    shot("19_review", r)
    if r._rows:
        r.select_session(r._rows[0])
        yield "ms", 300
        if r.reps.count():
            r.select_rep(0)
            r.note.setPlainText("Hips drop at the top: cue to squeeze")
        yield "ms", 800
        shot("20_review_rep", r)
    r.close()
    w.open_programme()
    pw = w.programme_window
    pw.resize(w.size())
    yield "ms", 500
    shot("21_programme", pw)


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    settings = QSettings(str(WORK / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("voice", False)
    w = build_window(settings)
    room = app.primaryScreen().availableGeometry()
    w.setGeometry(room)  # maximised, as on a laptop
    w.show()
    size = f"{room.width()}x{room.height()}"

    def shot(name: str, widget: QWidget | None) -> None:
        (widget or w).grab().save(str(out / f"{size}_{name}.png"))
        print("shot", name, flush=True)

    steps = flows(w, shot)
    state: dict[str, object] = {"until": None, "left": 0}

    def tick() -> None:
        until = state["until"]
        if until is not None:
            state["left"] = int(state["left"]) - 100  # type: ignore[call-overload]
            if not until() and int(state["left"]) > 0:  # type: ignore[operator, call-overload]
                return
            state["until"] = None
        try:
            kind, arg = next(steps)
        except StopIteration:
            timer.stop()
            w.close()
            app.quit()
            return
        if kind == "ms":
            state["until"], state["left"] = (lambda: False), arg
        else:
            state["until"], state["left"] = arg, 90000

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(100)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
