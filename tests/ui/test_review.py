"""Replay and review of recorded sessions (offscreen, real database, real recorded sessions)."""

from __future__ import annotations

import pytest

from formcheck.records.store import Store
from formcheck.ui.review.window import ReviewWindow
from tests.conftest import sample

pytestmark = pytest.mark.gui


@pytest.fixture
def store(recorded_bridges):
    return recorded_bridges


def test_sessions_listed_and_filtered(qtbot, store):
    w = ReviewWindow(store)
    qtbot.addWidget(w)
    assert w.sessions.rowCount() == 2
    assert w.sessions.item(1, 2).text() == "3 reps / 2 × 10 reps" and w.sessions.item(1, 3).text() == "3"
    # Both sessions are glute bridges: progress across them is plotted in the app.
    assert w.progress.has_image()
    w.flagged_only.setChecked(True)
    assert w.sessions.rowCount() == 1 and w.sessions.item(0, 3).text() == "3"
    exercises = [w.exercise.itemText(i) for i in range(w.exercise.count())]
    assert exercises == ["all exercises", "Glute bridge"]  # what was recorded, from the store, by name


def test_replay_with_overlay_scrub_step_and_jump_to_flagged(qtbot, store):
    w = ReviewWindow(store)
    qtbot.addWidget(w)
    w.select_session(w._rows[1])  # the low bridges: three flagged reps
    assert w.reps.count() == 3 and w.player.view.has_frame
    p = w.player
    p.show_frame(100)
    p.step_fwd.click()
    assert p.frame_index == 101
    p.step_back.click()
    assert p.frame_index == 100
    p.slider.setValue(30)
    assert p.frame_index == 30
    p.next_flag.click()
    first_flag = w.detail.sets[0].reps[0].faults[0].t_s  # the moment the first fault began
    assert abs(p.frame_index / 30 - first_flag) < 0.05
    p.next_flag.click()
    assert p.frame_index / 30 > first_flag + 1
    p.prev_flag.click()
    assert abs(p.frame_index / 30 - first_flag) < 0.05


def test_verdict_and_note_are_saved(qtbot, store, tmp_path):
    w = ReviewWindow(store)
    qtbot.addWidget(w)
    w.select_session(w._rows[1])
    w.select_rep(0)
    assert w.curve.has_image()
    w.disagree.click()
    w.note.setPlainText("Hips fine <b>really</b>")
    w.save_note.click()
    again = Store(tmp_path / "data" / "formcheck.db")
    rep = again.session_detail(w.detail.id).sets[0].reps[0]
    assert rep.faults[0].agree is False and rep.notes == ("Hips fine <b>really</b>",)
    again.close()
    assert w.faults.item(0).text().endswith(f" — Disagreed: {store.reviewer}") and w.disagree.isChecked()
    out = tmp_path / "report.html"
    w.export_to(out)
    html = out.read_text()
    assert "Hips fine &lt;b&gt;really&lt;/b&gt;" in html and f"Disagreed: {store.reviewer}</b>" in html


def test_any_video_file_is_analysed_recorded_and_replayed(qtbot, tmp_path, model_path):
    store = Store(tmp_path / "fresh" / "formcheck.db")
    w = ReviewWindow(store)
    qtbot.addWidget(w)
    assert w.sessions.rowCount() == 0
    progress = []
    job = w.analyse_file(sample("bird_dog_leg_high.mp4"), "bird_dog", person="Fay")
    job.progress.connect(lambda done, total: progress.append((done, total)))
    assert w.sessions.rowCount() == 0  # the window is not held up while the video is analysed
    with qtbot.waitSignal(job.done, timeout=120000) as finished:
        pass
    sid = finished.args[0]
    qtbot.waitUntil(lambda: w.detail is not None and w.detail.id == sid, timeout=5000)
    assert w.sessions.rowCount() == 1
    assert progress and progress[-1][0] == progress[-1][1] and len(progress) > 100
    assert w.reps.count() == 4 and w.player.view.has_frame
    w.player.next_flag.click()
    assert w.player.current_s > 0
    store.close()


def test_switching_sessions_clears_the_previous_rep(qtbot, store):
    w = ReviewWindow(store)
    qtbot.addWidget(w)
    w.select_session(w._rows[1])  # the low bridges
    w.select_rep(0)
    assert w.faults.count() == 1 and w.curve.has_image()
    w.select_session(w._rows[0])  # the good bridges: no rep chosen yet
    assert w.rep is None and w.faults.count() == 0 and not w.curve.has_image()
    assert w.note.toPlainText() == ""
    w.disagree.click()  # must not land on the low session's fault
    low = store.session_detail(w._rows[1])
    assert all(f.agree is None for r in low.sets[0].reps for f in r.faults)


def test_export_writes_the_sessions_the_filter_shows_and_says_so(qtbot, store, tmp_path):
    from formcheck.reports.session_report import report_csv

    w = ReviewWindow(store)
    qtbot.addWidget(w)
    w.select_session(w._rows[0])  # last click: the good session
    w.flagged_only.setChecked(True)  # the list now shows only the low session
    message = w.export_to(tmp_path / "r.csv")
    assert message == f"Exported 1 session to {tmp_path / 'r.csv'}"
    assert (tmp_path / "r.csv").read_text().splitlines() == report_csv(store, [w._rows[0]]).splitlines()
    w.flagged_only.setChecked(False)
    assert w.export_to(tmp_path / "all.html").startswith("Exported 2 sessions")


def test_damaged_database_gives_one_sentence_in_the_app(qtbot, tmp_path, model_path):
    from PySide6.QtCore import QSettings

    from formcheck.exercises.loader import load_library
    from formcheck.pose.estimator import PoseEstimator
    from formcheck.ui.main.window import MainWindow
    from formcheck.ui.session_controller import SessionController
    from formcheck.ui.speech import Speaker

    db = tmp_path / "data" / "formcheck.db"
    db.parent.mkdir()
    db.write_bytes(b"not a database at all" * 200)
    c = SessionController(lambda: PoseEstimator(model_path), Speaker(command=["true"]), store_factory=lambda: Store(db))
    w = MainWindow(load_library().exercises, c, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat),
                   cameras=lambda: [])
    qtbot.addWidget(w)
    assert "formcheck repair" in w.statusBar().currentMessage()  # said at start, and the app still opens
    w.act_review.trigger()
    message = w.statusBar().currentMessage()
    assert str(db) in message and "formcheck repair" in message and "\n" not in message
    assert w.banner.text() == message


def test_therapist_tunes_a_threshold_and_the_session_is_rejudged(qtbot, store):
    from formcheck.exercises.loader import load_by_id
    from formcheck.exercises.personal_thresholds import apply_profile
    from formcheck.exercises.profile import ProfileStore
    from tests.conftest import PERSON

    w = ReviewWindow(store)
    qtbot.addWidget(w)
    w.select_session(w._rows[1])  # the low bridges: three reps flagged "Lift your hips higher"
    panel = w.tuning
    assert "judged with population" in panel.title.text()
    (min_box,) = [box for t, box in panel._rows if (t.code, t.key) == ("bridge_not_high_enough", "min")]
    assert (min_box.minimum(), min_box.value()) == (155.0, 163.0)  # the editor stops at the safety floor
    with qtbot.waitSignal(panel.judged, timeout=20000):
        panel.set_value("bridge_not_high_enough", "min", 158)
    changes = [panel.changes.item(i).text() for i in range(panel.changes.count())]
    assert len(changes) == 3 and all("− Lift your hips higher (bridge_not_high_enough)" in c for c in changes)
    assert "3 reps, 3 flagged (judged with population) → 3 reps, 0 flagged (with unsaved changes)" in panel.summary.text()
    assert panel.save.isEnabled()
    saved = panel.save_profile()
    assert saved.label == f"{PERSON} v1" and "Saved as" in panel.summary.text()
    profiles = ProfileStore(store.path.parent / "calibration")
    latest = profiles.latest(PERSON)
    assert latest.exercises["glute_bridge"].rules == {"bridge_not_high_enough": {"min": 158.0}}
    assert latest.made_from == f"review of session {w.detail.id}"
    bridge, notes = apply_profile(load_by_id("glute_bridge"), latest)  # what the next session uses
    assert not notes and bridge.rules[0].min == 158.0 and bridge.profile == f"{PERSON} v1"
    # Back to the value it was judged with: nothing changes, nothing to save.
    with qtbot.waitSignal(panel.judged, timeout=20000):
        panel.set_value("bridge_not_high_enough", "min", 163)
    assert panel.changes.count() == 0 and "no flags change" in panel.summary.text()
    assert not panel.save.isEnabled()


def test_a_flag_shows_the_curve_of_the_measure_that_fired_and_flagged_jumps_to_the_fault(qtbot, store):
    w = ReviewWindow(store)
    qtbot.addWidget(w)
    w.select_session(w._rows[1])  # the low bridges: "Lift your hips higher" on every rep
    w.select_rep(0)
    fault = w.rep.faults[0]
    curve = w.evidence_curve
    assert curve is not None and curve.name == "hip"  # the rep's own measure, for a peak rule
    assert (163.0, "bridge_not_high_enough min") in curve.thresholds
    in_rep = (curve.t_s >= w.rep.start_s) & (curve.t_s <= w.rep.end_s)
    assert curve.values[in_rep].max() < 163  # the evidence shows why: the hips never reached the line
    assert abs(w.player.current_s - fault.t_s) < 0.1  # the replay is at the fault
    w.player.seek_seconds(0)
    w.player.next_flag.click()
    assert abs(w.player.current_s - fault.t_s) < 0.05  # "flagged ▶" goes to the fault moment


def test_a_note_typed_before_a_verdict_is_kept(qtbot, store):
    # Issue 16, defect 1: the note was thrown away when Agree/Disagree came before Save note.
    w = ReviewWindow(store)
    qtbot.addWidget(w)
    w.select_session(w._rows[1])
    w.select_rep(0)
    w.note.setPlainText("Knees drift out on the way up")
    w.agree.click()
    rep = store.session_detail(w.detail.id).sets[0].reps[0]
    assert rep.faults[0].agree is True and rep.notes == ("Knees drift out on the way up",)
    assert w.note.toPlainText() == "" and "Knees drift out" in w.saved_notes.text()
    assert w.note.tabChangesFocus()  # Tab leaves the box instead of typing a tab


def test_switching_person_clears_the_replay(qtbot, store):
    # Issue 16, defect 11: the previous person's session stayed in the video pane.
    from tests.records.scripted_sessions import Done, record

    record(store, "Bo", [Done("squat", reps=[False])])
    w = ReviewWindow(store)
    qtbot.addWidget(w)
    w.select_session(w._rows[1])
    assert w.player.view.has_frame
    w.person.setCurrentIndex(w.person.findText("Bo"))
    assert w.detail is None and not w.player.view.has_frame and w.player.view.placeholder == "Pick a session"
    assert [w.sessions.item(i, 1).text() for i in range(w.sessions.rowCount())] == ["Squat"]


def test_two_reviewers_see_each_others_verdicts_and_their_own_buttons(qtbot, tmp_path, monkeypatch):
    from formcheck.records.reviewer import REVIEWER_ENV
    from tests.records.scripted_sessions import Done, record

    monkeypatch.setenv(REVIEWER_ENV, "anna")
    anna = Store(tmp_path / "formcheck.db")
    sid = record(anna, "Ann", [Done("glute_bridge", [True, True])])
    monkeypatch.setenv(REVIEWER_ENV, "ben")
    ben = Store(tmp_path / "formcheck.db")  # another therapist's machine on the same database
    mine, theirs = ReviewWindow(anna), ReviewWindow(ben)
    for w in (mine, theirs):
        qtbot.addWidget(w)
        w.select_session(sid)
        w.select_rep(0)
    assert mine.flags.reviewing_as.text() == "Reviewing as anna"
    assert theirs.flags.reviewing_as.text() == "Reviewing as ben"
    mine.agree.click()
    theirs.disagree.click()  # ben's window read the session before anna's verdict: his does not replace it
    assert theirs.faults.item(0).text().endswith(" — Agreed: anna · Disagreed: ben (disputed)")
    assert theirs.disagree.isChecked() and not theirs.agree.isChecked()
    assert mine.faults.item(0).text().endswith(" — Agreed: anna")  # what anna's window has read so far
    mine.select_rep(1)  # nobody judged the second flag: no verdict shown, no button pressed
    assert "Agreed" not in mine.faults.item(0).text() and not mine.agree.isChecked() and not mine.disagree.isChecked()
    mine.select_rep(0)  # back on the first rep, anna's window reads it again: ben's verdict is there
    assert mine.faults.item(0).text().endswith(" — Agreed: anna · Disagreed: ben (disputed)")
    assert mine.agree.isChecked() and not mine.disagree.isChecked()  # her own verdict, not ben's
    theirs.agree.click()  # ben changes his mind: only his verdict changes
    assert theirs.faults.item(0).text().endswith(" — Agreed: anna, ben")
    assert theirs.agree.isChecked() and not theirs.disagree.isChecked()
    anna.close()
    ben.close()


def test_a_verdict_on_the_second_flag_of_a_rep_stays_on_it(qtbot, tmp_path):
    from formcheck.core.events import RepCompleted
    from formcheck.records.recorder import SessionRecorder
    from tests.records.scripted_sessions import Done, events_of

    store = Store(tmp_path / "formcheck.db")
    events = events_of([Done("glute_bridge", [True])])
    for e in events:
        if isinstance(e, RepCompleted):  # a rep with two flags
            e.rep.faults["wide"] = ("Knees apart", e.rep.start_ms + 900)
    rec = SessionRecorder(store, "Ann", "camera 0", "live")
    rec.on_frame(None, None, events)
    rec.finish()
    w = ReviewWindow(store)
    qtbot.addWidget(w)
    w.select_session(rec.session_id)
    w.select_rep(0)
    assert w.faults.count() == 2
    w.faults.setCurrentRow(1)
    w.disagree.click()
    assert w.faults.currentRow() == 1 and w.disagree.isChecked() and not w.agree.isChecked()
    assert w.faults.item(1).text().endswith(f" — Disagreed: {store.reviewer}")
    assert "Disagreed" not in w.faults.item(0).text()
    w.faults.setCurrentRow(0)  # the first flag: not judged, no button pressed
    assert not w.disagree.isChecked() and not w.agree.isChecked()
    store.close()
