"""Today offscreen: the real window, model and recorder run a programme from the looping sample,
with pain before and after, effort after each exercise, and the stops for pain."""

from __future__ import annotations

from datetime import date

import pytest

from formcheck.core.exercise import Dose
from formcheck.core.programme import Programme, ProgrammeItem
from formcheck.records import programme_store
from formcheck.reports.adherence import adherence
from tests.conftest import sample
from tests.ui.conftest import FakeCameraDevice

pytestmark = pytest.mark.gui
WAIT_MS = 60000


def prescribe(window, *items: ProgrammeItem, stop_at: int | None = None):
    store = window.controller.store
    saved, _ = programme_store.save(store, Programme("me", items, 3, date.today(), pain_stop_at=stop_at))
    window.today.reload()
    return store, saved


def looping_squats(window) -> None:
    window.devices["/dev/video0"] = lambda: FakeCameraDevice(sample("squat_good.mp4"), loop=True)


def asked(widget) -> bool:
    return not widget.isHidden()


def last_session(store):
    return store.session_detail(store.sessions("me")[-1].id)


def test_today_runs_the_programme_one_exercise_after_another(qtbot, window):
    store, v1 = prescribe(window, ProgrammeItem("squat", Dose(1, 2, rest_s=2.0)),
                          ProgrammeItem("squat", Dose(1, 1, rest_s=2.0), "One slow one"))
    today = window.today
    assert [today.items.item(i).text() for i in range(2)] == ["○ Squat — 1 × 2 reps", "○ Squat — 1 × 1 reps"]
    looping_squats(window)  # three squats every 9.4 s
    today.start()
    assert asked(today.pain) and not asked(today.effort) and today.message.text() == "Before you start:"
    today.answer(2)
    qtbot.waitUntil(lambda: asked(today.effort), timeout=WAIT_MS)
    c = window.controller
    assert c.coach.exercise.dose == Dose(1, 2, rest_s=2.0) and c.coach.sets[0].reps == {"all": 2}
    assert today.message.text() == "Squat done." and today.pain.value == 2  # unchanged pain is one click
    today.answer(2, effort=6)
    assert "Now: Squat — 1 × 1 reps. One slow one" == today.message.text()
    qtbot.waitUntil(lambda: asked(today.effort), timeout=WAIT_MS)
    assert c.coach.sets[0].reps == {"all": 1}
    today.answer(3, effort=4)
    assert not today.running and today.message.text() == "Done for today. Well done!"
    c.close_source()
    d = last_session(store)
    assert (d.programme_version, d.pain_before, d.pain_after, d.flag) == (1, 2, 3, None)
    assert [(st.exercise, st.prescribed, st.ended_by) for st in d.sets] == [
        ("squat", "1 × 2 reps", "dose"), ("squat", "1 × 1 reps", "dose")]
    assert [(r.kind, r.moment, r.score) for r in d.ratings] == [
        ("pain", "before", 2), ("effort", "exercise", 6), ("pain", "during", 2), ("effort", "exercise", 4),
        ("pain", "after", 3)]
    today.refresh()
    assert today.items.item(0).text().startswith("✓") and today.items.item(1).text().startswith("✓")
    assert not today.start_button.isEnabled() and today.last.text().startswith("Last session: today")


def test_pain_rising_by_two_advises_stopping_and_flags_the_session(qtbot, window):
    store, _ = prescribe(window, ProgrammeItem("squat", Dose(1, 2, rest_s=2.0)),
                         ProgrammeItem("glute_bridge", Dose(1, 5)))
    today = window.today
    looping_squats(window)
    today.start()
    today.answer(2)
    qtbot.waitUntil(lambda: asked(today.effort), timeout=WAIT_MS)
    today.answer(5, effort=7)
    assert asked(today.stop_today) and asked(today.carry_on) and not asked(today.ok)
    advice = "Your pain has gone up from 2 to 5. We advise stopping for today; your therapist will see this."
    assert today.message.text() == advice and window.controller.speaker.asked[-1] == advice  # shown and said
    today.stop_today.click()
    assert not today.running and window.controller.coach.exercise.id == "squat"  # the bridge never started
    window.controller.close_source()
    d = last_session(store)
    assert d.flag == "stopped for pain: pain rose from 2 to 5 (by 3; 2 or more means stop)"
    assert (d.pain_before, d.pain_after) == (2, 5) and [st.exercise for st in d.sets] == ["squat"]
    assert adherence(store, "me").pain_stopped == (d.id,)
    today.refresh()
    assert today.items.item(1).text().startswith("○")  # the bridge remains, but not for today:
    assert not today.start_button.isEnabled() and today.message.text().startswith("You stopped today because of pain")


def test_stop_it_hurts_during_an_exercise_ends_the_run(qtbot, window):
    store, _ = prescribe(window, ProgrammeItem("squat", Dose(1, 10)), ProgrammeItem("glute_bridge", Dose(1, 5)),
                         stop_at=6)
    today = window.today
    looping_squats(window)
    today.start()
    today.answer(1)
    c = window.controller
    qtbot.waitUntil(lambda: c.coach is not None and c.coach.state == "counting", timeout=WAIT_MS)
    window.pain_stop()
    qtbot.waitUntil(lambda: asked(today.pain), timeout=WAIT_MS)
    assert today.message.text() == "You stopped because it hurt." and not asked(today.effort)
    today.answer(6)
    assert not today.running and today.message.text().startswith("Stopped for today.")
    c.close_source()
    d = last_session(store)
    assert d.flag == "stopped for pain: Stop pressed during Squat" and len(d.pain_stops) == 1
    assert (d.pain_before, d.pain_after) == (1, 6)


def test_file_import_bundle_brings_the_programme_to_today(window, tmp_path):
    from formcheck.records.bundle_export import export_bundle
    from formcheck.records.store import Store

    clinic = Store(tmp_path / "clinic" / "formcheck.db")
    programme_store.save(clinic, Programme("me", (ProgrammeItem("squat", Dose(2, 8)),), 3, date.today()))
    export_bundle(clinic, "me", tmp_path / "me.formcheck")
    clinic.close()
    assert window.today.programme is None and not window.today.start_button.isEnabled()
    asked = []
    assert "added 0 session(s), 0 verdict/note line(s) to sessions already here, 1 programme version(s)" in (
        window.import_bundle(tmp_path / "me.formcheck", ask=lambda q: asked.append(q) or True))
    assert asked == ["Make version 1 of me's programme from this bundle the current one?"]
    assert window.today.programme.version == 1 and window.today.start_button.isEnabled()
    (tmp_path / "cut.formcheck").write_bytes((tmp_path / "me.formcheck").read_bytes()[:200])
    assert window.import_bundle(tmp_path / "cut.formcheck").startswith(
        "Nothing was imported: cut.formcheck is damaged or incomplete (")


def test_today_goes_on_for_a_person_with_their_own_profile(qtbot, window, tmp_path):
    # Issue 16, defect 2: with a profile the exercise as judged is a new object, and Today never
    # noticed that it had finished (the run stopped after the first exercise).
    from formcheck.exercises.profile import Profile, ProfileStore

    window.controller.profiles = ProfileStore(tmp_path / "calibration")
    window.controller.profiles.save(Profile("me"))
    store, _ = prescribe(window, ProgrammeItem("squat", Dose(1, 1, rest_s=2.0)), ProgrammeItem("squat", Dose(1, 1)))
    today = window.today
    looping_squats(window)
    today.start()
    today.answer(1)
    qtbot.waitUntil(lambda: asked(today.effort), timeout=WAIT_MS)
    assert window.controller.exercise.profile == "me v1"  # judged with the person's own profile
    today.answer(1, effort=3)
    assert today.running and today.message.text().startswith("Now: Squat")  # on to the second
    qtbot.waitUntil(lambda: asked(today.effort), timeout=WAIT_MS)
    today.answer(1, effort=3)
    assert not today.running and today.message.text() == "Done for today. Well done!"
