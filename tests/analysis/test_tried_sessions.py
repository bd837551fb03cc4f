"""A try that never became a set is still the person's session (issue 16, defect 6): a source that
ends with a flag, a rating or a pain stop but no set is saved, with why nothing was counted."""

from __future__ import annotations

import dataclasses

import pytest

from formcheck.core.coach import Coach
from formcheck.core.events import PainRated, PainStopped, SessionFlagged
from formcheck.exercises.loader import load_by_id
from formcheck.records.background_recorder import BackgroundRecorder
from formcheck.records.recorder import SessionRecorder
from formcheck.records.store import Store
from tests.core.test_coach import play
from tests.exercises.scripted import stay

pytestmark = pytest.mark.unit


def recorder(store_path, errors):
    return BackgroundRecorder(lambda: SessionRecorder(Store(store_path), "Ann", "bird_dog.mp4", "file"), errors.append)


def test_a_try_with_nothing_counted_is_saved_with_why(tmp_path):
    db = tmp_path / "formcheck.db"
    errors: list[str] = []
    rec = recorder(db, errors)
    # Bird dog, filmed so the starting position is never seen: 6 s of set-up, then the video ends.
    coach = Coach(load_by_id("bird_dog"))
    play(coach, stay({"hip": 170, "knee": 170, "shoulder": 20}, 6.0))
    ended = coach.source_ended("video_end")
    rec.put(None, None, ended.events)
    rec.close()
    assert not errors and rec.session_id is not None
    store = Store(db)
    d = store.session_detail(rec.session_id)
    assert d.person == "Ann" and d.sets == ()
    assert d.flag.startswith("tried Bird dog for 6 s; nothing was counted: the set never started (set-up said: ")
    store.close()


def test_switching_exercise_is_not_a_try_and_a_short_look_is_not_saved(tmp_path):
    db = tmp_path / "formcheck.db"
    errors: list[str] = []
    coach = Coach(load_by_id("bird_dog"))
    play(coach, stay({"hip": 170, "knee": 170, "shoulder": 20}, 6.0))
    assert not [e for e in coach.source_ended("stop").events if isinstance(e, SessionFlagged)]
    short = Coach(dataclasses.replace(load_by_id("bird_dog")))
    play(short, stay({"hip": 170, "knee": 170, "shoulder": 20}, 2.0))
    rec = recorder(db, errors)
    rec.put(None, None, short.source_ended("video_end").events)
    rec.close()
    assert rec.session_id is None  # two seconds of a video is not a try


def test_a_pain_stop_or_a_rating_before_any_set_is_kept(tmp_path):
    db = tmp_path / "formcheck.db"
    errors: list[str] = []
    rec = recorder(db, errors)
    rec.put(None, None, [PainRated(0, 3, "before"), PainStopped(1500)])
    rec.close()
    store = Store(db)
    d = store.session_detail(rec.session_id)
    assert d.pain_before == 3 and len(d.pain_stops) == 1 and d.sets == ()
    store.close()
