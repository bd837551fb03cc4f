"""The flows a person and a therapist go through, in the real window, driven as they drive it: keys
to whatever has the focus, clicks on buttons and tabs, the real file dialog filled in. Real sample
videos (and real clips when ../shared is here) play as videos or through a stand-in camera device
(the only stand-in), with the real pose model and a real database. Each test checks what the person
sees (banner, counter, messages) and hears (every line the voice was asked to say), and what is
stored."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox

from formcheck.core.exercise import Dose
from formcheck.core.programme import Programme, ProgrammeItem
from formcheck.records import programme_store
from formcheck.records.database.rows import SessionDetail
from formcheck.reports.adherence import adherence
from formcheck.reports.session_report import report_html
from formcheck.ui.app import start_up
from formcheck.ui.main.flow import DEMO_NOTE
from formcheck.ui.today import STOPPED_TODAY
from tests.conftest import sample
from tests.ui.conftest import (
    FakeCameraDevice,
    fill_file_dialog,
    focused,
    make_window,
    open_video_with_keys,
    press,
    said,
    when_shown,
)

pytestmark = pytest.mark.gui
WAIT_MS = 90000
KEY = Qt.Key
CTRL = Qt.KeyboardModifier.ControlModifier

# What a person must never see or hear: codes, ids, internal reasons.
INTERNAL = re.compile(r"[a-z]_[a-z]|resting value|not (fully )?judged|\(by \d|means stop|\bNone\b|Traceback|Error")
VIDEO_NAME = re.compile(r"\S+\.(mp4|mov|avi|mkv|webm)")  # the person's own file names are theirs to read


def assert_plain(lines) -> None:
    bad = [line for line in lines if INTERNAL.search(VIDEO_NAME.sub("", line))]
    assert not bad, f"not plain language: {bad}"


def seen(window) -> list[str]:
    return list(window.banner.history)


def click(qtbot, widget) -> None:
    assert widget.isVisible() and widget.isEnabled(), widget
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def click_tab(qtbot, tabs, title: str) -> None:
    bar = tabs.tabBar()
    index = next(i for i in range(bar.count()) if bar.tabText(i) == title)
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert tabs.currentIndex() == index


def choose_in_list(qtbot, window, name: str) -> None:
    """Tab to the exercise list and type the exercise's name (the list jumps to it)."""
    click_tab(qtbot, window.left, "All exercises")
    window.picker.tree.setFocus()
    qtbot.keyClicks(window.picker.tree, name)
    assert window.picker.selected is not None and window.library[window.picker.selected].name == name


def accept_message_box(qtbot) -> list[str]:
    """Press Enter on the next message box that opens; returns its text."""
    texts: list[str] = []

    def close(box: QMessageBox) -> None:
        texts.append(box.text())
        qtbot.keyClick(box, KEY.Key_Return)

    when_shown(QMessageBox, close)
    return texts


def with_dose(window, exercise: str, **dose) -> None:
    ex = window.library[exercise]
    window.library[exercise] = dataclasses.replace(ex, dose=Dose(**dose))


def prescribe(window, *items: ProgrammeItem, person: str = "me", stop_at: int | None = None):
    store = window.controller.store
    saved, _ = programme_store.save(store, Programme(person, items, 3, date.today(), pain_stop_at=stop_at))
    window.today.reload()
    return store, saved


def details(store, person: str = "me") -> list[SessionDetail]:
    return [store.session_detail(s.id) for s in store.sessions(person)]


# ---- the person --------------------------------------------------------------------------------
def test_first_start_without_a_camera_shows_a_demo_that_is_never_saved_or_spoken(qtbot, window_no_camera):
    w = window_no_camera
    start_up(w)  # what `formcheck` does on a computer without a camera
    assert not w.notice.isHidden() and w.notice_label.text() == DEMO_NOTE
    c = w.controller
    qtbot.waitUntil(lambda: c.coach is not None and sum(s.rep_total for s in c.coach.sets) + c.last.counts.get("all", 0) >= 1,
                    timeout=WAIT_MS)  # the demo counts squats on screen …
    assert w.view.has_frame and not w.notice.isHidden()  # the note "demo: nothing is saved" stays
    assert said(w) == []  # … but nobody is exercising: nothing is said ("Good squat" to no one)
    c.close_source()
    assert c.store.sessions() == []  # and nothing is saved as the person's session
    assert_plain(seen(w))
    # The person then opens a video of themselves: that one is theirs (coached, spoken, saved).
    choose_in_list(qtbot, w, "Squat")
    open_video_with_keys(qtbot, sample("squat_good.mp4"))
    assert w.notice.isHidden()
    qtbot.waitUntil(lambda: "Go — set 1" in said(w), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: c.coach.state == "done", timeout=WAIT_MS)
    c.close_source()
    (d,) = details(c.store)
    assert d.sets[0].exercise == "squat" and len(d.sets[0].reps) == 3
    assert_plain(said(w) + seen(w))


def test_choose_an_exercise_open_its_video_sets_rest_and_summary(qtbot, window_no_camera):
    w = window_no_camera
    with_dose(w, "glute_bridge", sets=2, reps=1, rest_s=3.0)
    choose_in_list(qtbot, w, "Glute bridge")
    press(qtbot, KEY.Key_Return)  # Enter on the list starts the exercise
    c = w.controller
    assert c.exercise.id == "glute_bridge" and w.panel.exercise.text() == "Glute bridge\n2 × 1 reps"
    assert w.banner.text() == "Open a video of Glute bridge: press Ctrl+O"
    qtbot.waitUntil(lambda: w.panel.state.text() == "Waiting for the camera or a video", timeout=1000)  # no picture yet
    assert said(w) == ["Glute bridge. Lie on your back, knees bent, feet flat"]
    open_video_with_keys(qtbot, sample("glute_bridge_good.mp4"))
    qtbot.waitUntil(lambda: c.coach.state == "rest", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: w.banner.text().startswith("Rest "), timeout=5000)  # told after the coach
    assert w.banner.text().startswith("Rest ") and w.banner.text().endswith("then set 2 of 2")
    assert w.panel.counter.text() == "1 / 1" and w.statusBar().currentMessage() == "Set 1: 1 rep"
    assert "Set 1 done. Well done. Rest 3 seconds." in said(w)
    qtbot.waitUntil(lambda: c.coach.state == "done", timeout=WAIT_MS)
    qtbot.waitUntil(lambda: w.summary.text() != "", timeout=5000)  # the window is told after the coach
    assert "Go — set 2" in said(w) and said(w)[-1] == "Exercise finished. Well done."
    assert w.summary.text() == "Glute bridge: 2 set(s)\n  Set 1: 1 rep\n  Set 2: 1 rep"
    # The video plays on to its end: nothing more is counted, and no frozen frame stays.
    qtbot.waitUntil(lambda: not c.running, timeout=WAIT_MS)
    qtbot.wait(100)
    assert not w.view.has_frame and w.view.placeholder.startswith("The video ended.")
    assert w.panel.state.text() == "Exercise finished" and w.banner.text() == "Exercise finished"
    (d,) = details(c.store)
    assert [(st.exercise, st.number, st.ended_by, len(st.reps)) for st in d.sets] == [
        ("glute_bridge", 1, "dose", 1), ("glute_bridge", 2, "dose", 1)]
    assert_plain(said(w) + seen(w) + [w.summary.text(), w.panel.state.text()])


def test_opening_a_video_coaches_the_exercise_selected_not_the_last_one(qtbot, window_no_camera):
    w = window_no_camera
    choose_in_list(qtbot, w, "Glute bridge")
    press(qtbot, KEY.Key_Return)
    open_video_with_keys(qtbot, sample("glute_bridge_good.mp4"))
    c = w.controller
    qtbot.waitUntil(lambda: c.coach.state == "counting", timeout=WAIT_MS)
    press(qtbot, KEY.Key_Escape)  # Stop — it hurts: the bridge is over
    qtbot.waitUntil(lambda: c.coach.state == "done", timeout=5000)
    choose_in_list(qtbot, w, "Bird dog")  # selected, not started
    open_video_with_keys(qtbot, sample("bird_dog_good.mp4"))
    assert c.exercise.id == "bird_dog" and w.panel.exercise.text().startswith("Bird dog")
    assert said(w)[-1].startswith("Bird dog. ")
    qtbot.waitUntil(lambda: c.last is not None and c.last.status.setup_message != "", timeout=WAIT_MS)
    assert "Lie on your back" not in w.banner.text()  # the bridge's set-up is not asked for


def today_run_on_videos(qtbot, w, clips: dict[str, object], pains: list[int]):
    """Today's run with one video per exercise opened by the person; ``pains`` the pain given
    after each exercise (1 is given before starting); yields "advice" when the app advises stopping."""
    click_tab(qtbot, w.left, "Today")
    click(qtbot, w.today.start_button)
    today, c = w.today, w.controller
    asked_after = w.asked_after = []  # what the panel said when asking after each exercise
    assert focused() is today.pain.slider and today.message.text() == "Before you start:"
    assert said(w)[-1] == "Before you start: How is your pain now, from 0 to 10?"
    press(qtbot, KEY.Key_Right)  # 0 → 1
    press(qtbot, KEY.Key_Return)
    for i, (exercise, clip) in enumerate(clips.items()):
        name = w.library[exercise].name
        assert today.message.text().startswith(f"Now: {name}") and today.message.text().endswith("press Ctrl+O.")
        assert w.banner.text() == f"Open a video of {name}: press Ctrl+O"
        open_video_with_keys(qtbot, clip)
        qtbot.waitUntil(lambda: today.asking, timeout=WAIT_MS)
        assert focused() is today.effort.slider
        assert said(w)[-1].endswith("How hard was that, and how is your pain now? From 0 to 10.")
        asked_after.append(today.message.text())
        press(qtbot, KEY.Key_Left)  # effort 5 → 4
        press(qtbot, KEY.Key_Tab)
        assert focused() is today.pain.slider and today.pain.value == (pains[i - 1] if i else 1)  # where it was
        step = pains[i] - today.pain.value
        press(qtbot, KEY.Key_Right if step > 0 else KEY.Key_Left, times=abs(step))
        press(qtbot, KEY.Key_Return)
        if not today.stop_today.isHidden():  # the advice to stop: shown, spoken, and the keys on it
            yield "advice"
    return


def test_today_three_exercises_on_video_files_with_a_pain_increase(qtbot, window_no_camera):
    w = window_no_camera
    store, v1 = prescribe(w, ProgrammeItem("glute_bridge", Dose(1, 10, rest_s=2.0)),  # the video has 3: it ends first
                          ProgrammeItem("bird_dog", Dose(1, 1, per_side=True, rest_s=2.0)),
                          ProgrammeItem("forearm_plank", Dose(1, hold_s=4.0, rest_s=2.0)))
    today = w.today
    assert [today.items.item(i).text() for i in range(3)] == [
        "○ Glute bridge — 1 × 10 reps", "○ Bird dog — 1 × 1 reps per side", "○ Forearm plank — 1 × 4 s hold"]
    clips = {"glute_bridge": sample("glute_bridge_good.mp4"), "bird_dog": sample("bird_dog_good.mp4"),
             "forearm_plank": sample("plank_good.mp4")}
    for event in today_run_on_videos(qtbot, w, clips, pains=[1, 4, 2]):
        assert event == "advice" and w.controller.exercise.id == "bird_dog"
        advice = "Your pain has gone up from 1 to 4. We advise stopping for today; your therapist will see this."
        assert today.message.text() == advice and said(w)[-1] == advice
        assert focused() is today.stop_today
        press(qtbot, KEY.Key_Tab)
        assert focused() is today.carry_on
        press(qtbot, KEY.Key_Return)  # carry on anyway: the plank follows
    done = "Done for today. Not finished: Glute bridge — press Start to do it later today."
    assert w.asked_after == ["Glute bridge stopped early: the video ended.", "Bird dog done.", "Forearm plank done."]
    assert not today.running and today.message.text() == done and said(w)[-1] == done
    assert [today.items.item(i).text()[0] for i in range(3)] == ["○", "✓", "✓"]  # the bridge's video ended first
    assert today.start_button.isEnabled()
    w.controller.close_source()
    sessions = sorted(details(store), key=lambda d: d.id)
    assert [[st.exercise for st in d.sets] for d in sessions] == [["glute_bridge"], ["bird_dog"], ["forearm_plank"]]
    assert [d.sets[0].ended_by for d in sessions] == ["video_end", "dose", "dose"]
    assert len(sessions[0].sets[0].reps) == 3
    assert all(d.programme_version == v1.version for d in sessions)
    assert [(r.kind, r.moment, r.score) for d in sessions for r in d.ratings] == [
        ("pain", "before", 1), ("effort", "exercise", 4), ("pain", "during", 1),
        ("effort", "exercise", 4), ("pain", "during", 4),
        ("effort", "exercise", 4), ("pain", "after", 2)]
    assert sessions[1].flag == "pain rose from 1 to 4 (by 3; 2 or more means stop) (carried on)"
    assert adherence(store, "me").pain_stopped == ()  # carried on: not a stop
    assert_plain(said(w) + seen(w) + [today.message.text()])


@pytest.mark.real_clips
def test_today_on_real_clips_goes_through_every_exercise_and_keeps_every_try(qtbot, window_no_camera, real_clips):
    w = window_no_camera
    store, _ = prescribe(w, ProgrammeItem("glute_bridge", Dose(1, 3, rest_s=2.0)),
                         ProgrammeItem("bird_dog", Dose(1, 2, per_side=True, rest_s=2.0)),
                         ProgrammeItem("squat", Dose(1, 3, rest_s=2.0)))
    clips = {"glute_bridge": real_clips / "stock_glute_bridges.mp4", "bird_dog": real_clips / "polybag_bird_dog.mp4",
             "squat": real_clips / "studio_squats.mp4"}
    events = list(today_run_on_videos(qtbot, w, clips, pains=[1, 1, 1]))
    assert events == [] and not w.today.running and w.today.message.text().startswith("Done for today")
    w.controller.close_source()
    tried = sorted(details(store), key=lambda d: d.id)
    assert len(tried) == 3  # each video is a session: counted sets, or a try with the reason why
    for d, exercise in zip(tried, clips, strict=True):
        print(exercise, [(st.ended_by, len(st.reps)) for st in d.sets], d.flag)  # what the clip gave
        assert [st.exercise for st in d.sets] == [exercise] or d.flag.startswith("tried ")
    assert_plain(said(w) + seen(w))


def test_esc_stops_at_once_says_so_records_it_and_today_is_over(qtbot, window):
    w = window
    w.devices["/dev/video0"] = lambda: FakeCameraDevice(sample("squat_good.mp4"), loop=True)
    store, _ = prescribe(w, ProgrammeItem("squat", Dose(1, 10)), ProgrammeItem("glute_bridge", Dose(1, 5)))
    click_tab(qtbot, w.left, "Today")
    click(qtbot, w.today.start_button)
    press(qtbot, KEY.Key_Return)  # pain 0
    c = w.controller
    qtbot.waitUntil(lambda: c.coach is not None and c.coach.state == "counting", timeout=WAIT_MS)
    press(qtbot, KEY.Key_Escape)
    qtbot.waitUntil(lambda: w.today.asking, timeout=5000)
    assert c.speaker.asked.index("Stopped. Rest now — if the pain is sharp or doesn't settle, talk to your therapist.") > 0
    assert "Stopped — rest now" in seen(w) and "stopped for pain" in w.summary.text()
    qtbot.waitUntil(lambda: w.banner.text() == "How is your pain now, from 0 to 10? Arrow keys, then Enter", timeout=1000)
    assert focused() is w.today.pain.slider and w.today.message.text() == "You stopped because it hurt."
    press(qtbot, KEY.Key_Right, times=3)
    press(qtbot, KEY.Key_Return)
    assert w.today.message.text() == STOPPED_TODAY and said(w)[-1] == STOPPED_TODAY
    assert not w.today.start_button.isEnabled()  # not again today
    press(qtbot, KEY.Key_Escape)  # nothing under way: nothing more is stopped or recorded
    c.close_source()
    (d,) = details(store)
    assert len(d.pain_stops) == 1 and d.flag == "stopped for pain: Stop pressed during Squat"
    assert (d.pain_before, d.pain_after) == (0, 3)
    a = adherence(store, "me")
    assert a.pain_stopped == (d.id,)
    html = report_html(store, [d.id])
    table = re.search(r"<table>(?:(?!</table>).)*stopped for pain</th>.*?</table>", html, re.S).group(0)
    week = re.findall(r"<td>(.*?)</td>", table, re.S)
    assert week[-1].strip() == "1"  # this week's "stopped for pain" column
    assert_plain(said(w) + seen(w))


def test_esc_while_setting_up_is_recorded_too(qtbot, window):
    w = window
    w.devices["/dev/video0"] = lambda: FakeCameraDevice(sample("squat_good.mp4"), lead_s=30.0)
    choose_in_list(qtbot, w, "Bird dog")  # a squatter in view never gets into the bird dog's position
    press(qtbot, KEY.Key_Return)
    press(qtbot, KEY.Key_K, CTRL)
    c = w.controller
    qtbot.waitUntil(lambda: c.last is not None and c.last.t_ms > 2000, timeout=WAIT_MS)
    press(qtbot, KEY.Key_Escape)
    qtbot.waitUntil(lambda: c.coach.state == "done", timeout=5000)
    c.close_source()
    (d,) = details(c.store)
    assert d.sets == () and len(d.pain_stops) == 1


def test_a_try_with_nothing_counted_is_kept_with_why(qtbot, window_no_camera):
    w = window_no_camera
    choose_in_list(qtbot, w, "Bird dog")
    press(qtbot, KEY.Key_Return)
    open_video_with_keys(qtbot, sample("squat_good.mp4"))  # the wrong video: the position is never seen
    c = w.controller
    qtbot.waitUntil(lambda: not c.running, timeout=WAIT_MS)
    c.close_source()
    (d,) = details(c.store)
    assert d.sets == () and d.flag.startswith("tried Bird dog for ")
    assert "nothing was counted" in d.flag


def test_set_up_check_counts_nothing_and_saves_only_a_right_placement(qtbot, window, tmp_path, monkeypatch):
    import json

    from formcheck.core.placement import Placement
    from formcheck.exercises.profile import ProfileStore

    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(tmp_path / "data"))
    w = window
    w.controller.profiles = ProfileStore(tmp_path / "calibration")
    w.devices["/dev/video0"] = lambda: FakeCameraDevice(sample("squat_good.mp4"), lead_s=12.0)
    choose_in_list(qtbot, w, "Squat")
    press(qtbot, KEY.Key_Return)
    press(qtbot, KEY.Key_K, CTRL)
    press(qtbot, KEY.Key_L, CTRL)
    dialog = w.setup_check
    assert dialog is not None and dialog.isVisible() and not dialog.save.isEnabled()
    assert w.banner.text() == "Checking the camera placement — nothing is counted meanwhile"
    qtbot.waitUntil(lambda: dialog.placement is not None and dialog.placement.ok, timeout=WAIT_MS)
    c = w.controller
    assert c.coach.state == "setup" and "Go — set 1" not in said(w)  # standing still in view, but not counted
    c.sync_recording()
    assert c.store.sessions() == []  # nor recorded as anyone's session
    assert dialog.indicator.text() == "Placement is right for Squat" and "#2e7d32" in dialog.indicator.styleSheet()
    indicator = dialog.indicator
    assert indicator.heightForWidth(indicator.width()) <= indicator.height()  # the green line is whole
    assert dialog.save.isEnabled()
    click(qtbot, dialog.save)
    saved = tmp_path / "data" / "calibration" / "cameras" / "camera-dev-video0.json"
    assert json.loads(saved.read_text())["ok"] is True and f"Saved in {saved}" in dialog.details.text()
    # What the other verdicts look like: one piece of advice once, no saving, nothing cut off.
    move = "Move the camera about half a metre further away: the whole movement doesn't fit in the picture."
    dialog._show(Placement("Squat", None, "side/standing", 0.9, 1.5, instructions=(move, move)))
    assert dialog.indicator.text() == "Adjust the camera" and dialog.instructions.text() == f"• {move}"
    assert not dialog.save.isEnabled()
    dialog._show(Placement("Squat", "Nobody is in view: stand or lie where the camera sees your whole body."))
    assert dialog.indicator.text() == "Can't check the placement yet" and not dialog.save.isEnabled()
    assert indicator.heightForWidth(indicator.width()) <= indicator.height()
    assert_plain([dialog.indicator.text(), dialog.instructions.text(), dialog.position.text()])
    qtbot.keyClick(dialog, KEY.Key_Escape)  # closes the check; coaching goes on from set-up
    assert not dialog.isVisible()
    qtbot.waitUntil(lambda: "Go — set 1" in said(w), timeout=WAIT_MS)
    assert c.coach.state == "counting"


# ---- the therapist ---------------------------------------------------------------------------------
def test_review_note_verdict_switch_session_and_export(qtbot, recorded_bridges, tmp_path, model_path):
    w = make_window(qtbot, tmp_path, model_path, [])  # on the recorded sessions' database
    press(qtbot, KEY.Key_R, CTRL)
    r = w.review
    assert r.isVisible() and r.sessions.rowCount() == 2
    assert [r.sessions.item(i, 1).text() for i in range(2)] == ["Glute bridge", "Glute bridge"]  # names, not ids
    low_row = next(i for i in range(2) if r.sessions.item(i, 3).text() == "3")
    qtbot.mouseClick(r.sessions.viewport(), Qt.MouseButton.LeftButton,
                     pos=r.sessions.visualItemRect(r.sessions.item(low_row, 0)).center())
    low_id = r.detail.id
    assert r.reps.count() == 3 and r.reps.item(0).text().startswith("Glute bridge set 1 · rep 1")
    qtbot.mouseClick(r.reps.viewport(), Qt.MouseButton.LeftButton, pos=r.reps.visualItemRect(r.reps.item(0)).center())
    assert r.rep is not None and r.player.view.has_frame
    r.note.setFocus()
    qtbot.keyClicks(r.note, "Hips fine <b>really</b>")
    press(qtbot, KEY.Key_Tab)  # Tab leaves the note box (it types no tab)
    assert focused() is not r.note and "\t" not in r.note.toPlainText()
    click(qtbot, r.disagree)  # before "Save note": the note is kept with the verdict
    rep = store_rep(r.store, low_id)
    assert rep.faults[0].agree is False and rep.notes == ("Hips fine <b>really</b>",)
    assert r.note.toPlainText() == "" and "Hips fine" in r.saved_notes.text()
    assert r.faults.item(0).text().endswith(f" — Disagreed: {r.store.reviewer}") and r.disagree.isChecked()
    r.note.setFocus()
    qtbot.keyClicks(r.note, "Next one lower")
    good_row = 1 - low_row
    qtbot.mouseClick(r.sessions.viewport(), Qt.MouseButton.LeftButton,
                     pos=r.sessions.visualItemRect(r.sessions.item(good_row, 0)).center())
    assert r.detail.id != low_id and r.rep is None and r.player.view.has_frame
    assert store_rep(r.store, low_id).notes == ("Hips fine <b>really</b>", "Next one lower")  # kept on leaving
    # The shown session filtered away: nothing of it stays on screen.
    click(qtbot, r.flagged_only)
    assert r.sessions.rowCount() == 1 and r.detail is None and not r.player.view.has_frame
    click(qtbot, r.flagged_only)
    # Export what the list shows: the real save dialog, then the confirmation.
    out = tmp_path / "report.html"
    fill_file_dialog(qtbot, out)
    confirmation = accept_message_box(qtbot)
    click(qtbot, r.export)
    assert confirmation == [f"Exported 2 sessions to {out}"]
    html = out.read_text()
    assert "Hips fine &lt;b&gt;really&lt;/b&gt;" in html and f"Disagreed: {r.store.reviewer}</b>" in html
    w.controller.shutdown()


def store_rep(store, session_id: int) -> dict:
    return store.session_detail(session_id).sets[0].reps[0]


def test_a_new_programme_is_offered_in_todays_person_list(qtbot, window):
    w = window
    press(qtbot, KEY.Key_P, CTRL)
    pw = w.programme_window
    assert pw.isVisible()
    pw.person.lineEdit().selectAll()
    qtbot.keyClicks(pw.person.lineEdit(), "Ann")
    pw.add_box.setCurrentIndex(pw.add_box.findData("glute_bridge"))
    click(qtbot, pw.add_button)
    click(qtbot, pw.save_button)
    assert pw.message.text() == "Saved as version 1." or pw.message.text().startswith("Saved as")
    people = [w.today.person.itemText(i) for i in range(w.today.person.count())]
    assert "Ann" in people
    # The person picks their name in Today (Enter in the name field starts nothing).
    click_tab(qtbot, w.left, "Today")
    edit = w.today.person.lineEdit()
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "Ann")
    press(qtbot, KEY.Key_Return)
    assert w.controller.coach is None and not w.today.running and w.today.pain.isHidden()
    assert w.today.programme is not None and w.today.programme.person == "Ann"
    assert w.today.items.item(0).text() == "○ Glute bridge — 2 × 10 reps" and w.today.start_button.isEnabled()
    assert w.controller.person == "Ann"


# ---- the window on the screens it is made for ----------------------------------------------------
def clipped_or_overlapping(root) -> list[str]:
    """Visible widgets that stick out of their parent, overlap a visible sibling, or whose text
    doesn't fit (labels and buttons)."""
    from PySide6.QtWidgets import QAbstractButton, QLabel, QScrollBar, QSplitterHandle, QWidget

    problems = []
    for widget in root.findChildren(QWidget):
        if not widget.isVisible() or widget.isWindow() or isinstance(widget, (QSplitterHandle, QScrollBar)):
            continue
        parent = widget.parentWidget()
        if parent is not None and not parent.rect().contains(widget.geometry()) and parent.objectName() != "qt_scrollarea_viewport":
            if not parent.inherits("QAbstractScrollArea") and not parent.inherits("QTabBar"):
                problems.append(f"{widget.metaObject().className()} '{_text(widget)}' sticks out of its parent")
        if isinstance(widget, QLabel) and widget.text() and widget.pixmap().isNull():
            if widget.wordWrap():
                if widget.heightForWidth(widget.width()) > widget.height() + 1:
                    problems.append(f"label '{widget.text()[:40]}' is cut off")
            elif widget.sizeHint().width() > widget.width() + 1:
                problems.append(f"label '{widget.text()[:40]}' is cut off")
        if isinstance(widget, QAbstractButton) and widget.text() and widget.sizeHint().width() > widget.width() + 1:
            problems.append(f"button '{widget.text()}' is cut off")
    for parent in [root, *root.findChildren(QWidget)]:
        kids = [k for k in parent.children() if isinstance(k, QWidget) and k.isVisible() and not k.isWindow()]
        for i, a in enumerate(kids):
            for b in kids[i + 1:]:
                if a.geometry().intersects(b.geometry()) and not a.inherits("QTabBar") and not b.inherits("QTabBar"):
                    if parent.inherits("QAbstractScrollArea") or parent.inherits("QTabWidget"):
                        continue
                    problems.append(f"'{_text(a)}' overlaps '{_text(b)}' in {parent.metaObject().className()}")
    return problems


def _text(widget) -> str:
    return (getattr(widget, "text", lambda: "")() or widget.accessibleName() or widget.metaObject().className())[:30]


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768), (1920, 1080)])
def test_nothing_overlaps_or_is_cut_off_at_the_usual_screen_sizes(qtbot, window, size):
    w = window
    store, _ = prescribe(w, ProgrammeItem("glute_bridge", Dose(2, 10)), ProgrammeItem("bird_dog", Dose(2, 6, per_side=True)))
    click_tab(qtbot, w.left, "Today")
    w.resize(*size)
    qtbot.wait(100)
    assert clipped_or_overlapping(w) == []
    click(qtbot, w.today.start_button)  # the question, the biggest Today gets
    qtbot.wait(100)
    assert clipped_or_overlapping(w) == []
    press(qtbot, KEY.Key_R, CTRL)
    w.review.resize(*size)
    qtbot.wait(100)
    assert clipped_or_overlapping(w.review) == []
    save_note = w.review.save_note
    assert save_note.isVisible() and w.review.rect().contains(save_note.mapTo(w.review, QPoint(0, 0)))


def test_every_window_fits_a_1024_by_700_screen(qtbot, window):
    w = window
    press(qtbot, KEY.Key_R, CTRL)
    press(qtbot, KEY.Key_P, CTRL)
    frame = (16, 48)  # the window manager's frame and title bar
    for win in (w, w.review, w.programme_window):
        hint = win.minimumSizeHint().expandedTo(win.minimumSize())
        assert hint.width() + frame[0] <= 1024 and hint.height() + frame[1] <= 700, (win.windowTitle(), hint)
