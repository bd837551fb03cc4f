"""The live coach (set-up → sets → rests → done) on scripted measure values, frame by frame."""

from __future__ import annotations

import dataclasses

import pytest

from formcheck.core.coach import Coach, CoachFrame
from formcheck.core.events import CueRaised, ExerciseEnded, PainStopped, RepCompleted, SetEnded, SetStarted
from formcheck.core.kinematics import ViewEstimate
from formcheck.exercises.loader import load_by_id
from tests.exercises.harness import FPS
from tests.exercises.scripted import Frame, _pose, move, rep, scripted_values, stay
from tests.synthetic import result

pytestmark = pytest.mark.unit

REST = {"hip": 128, "knee": 90}
TOP = {"hip": 176, "knee": 90}
LOW_TOP = {"hip": 158, "knee": 90}  # "Lift your hips higher"


def bridge(sets: int = 2, reps: int = 2, rest_s: float = 2.0) -> Coach:
    ex = load_by_id("glute_bridge")
    return Coach(dataclasses.replace(ex, dose=dataclasses.replace(ex.dose, sets=sets, reps=reps, rest_s=rest_s)))


def play(coach: Coach, frames: list[Frame], start_ms: int = 0, light_ok: bool = True) -> list[CoachFrame]:
    """Feed scripted measure values to the coach; returns every frame's CoachFrame."""
    current: list[Frame] = [{}]
    pose = _pose("side")
    out = []
    with scripted_values(current):
        for i, values in enumerate(frames):
            current[0] = values
            t = start_ms + round(i * 1000 / FPS)
            out.append(coach.update(result(t, pose), ViewEstimate("side", "lying", 1.0), light_ok))  # type: ignore[arg-type]
    return out


def events(frames: list[CoachFrame], kind: type) -> list:
    return [e for f in frames for e in f.events if isinstance(e, kind)]


def said(frames: list[CoachFrame]) -> list[str]:
    return [text for f in frames for text in f.say]


def test_rep_begun_just_before_set_up_passes_is_counted():
    # Lying still for 0.5 s, then straight into a bridge: set-up (1 s) passes mid-rep.
    coach = bridge(sets=1, reps=3)
    frames = play(coach, stay(REST, 0.5) + rep(REST, TOP) + rep(REST, TOP))
    started = events(frames, SetStarted)
    assert len(started) == 1 and 900 <= started[0].t_ms <= 1100
    reps = [e.rep for e in events(frames, RepCompleted)]
    assert len(reps) == 2 and reps[0].start_ms < started[0].t_ms  # the first rep is not lost
    assert coach.tracker.rep_counts() == {"all": 2}


def test_set_up_waits_for_the_starting_position():
    # Seen from the first frame but already bridging (never seen at rest): no set starts, and the
    # banner asks for the starting position.
    coach = bridge(sets=1, reps=3)
    frames = play(coach, stay(TOP, 2.0))
    assert coach.state == "setup" and not events(frames, SetStarted)
    assert frames[-1].banner == "Lie on your back, knees bent, feet flat"
    frames = play(coach, move(TOP, REST, 1.0) + stay(REST, 1.5), start_ms=2000)
    assert coach.state == "counting" and len(events(frames, SetStarted)) == 1
    assert not events(frames, RepCompleted)  # getting into position is not a rep


def test_set_then_rest_then_set_with_counts_the_screen_can_trust():
    coach = bridge(sets=2, reps=2, rest_s=8.0)
    frames = play(coach, stay(REST, 1.2) + rep(REST, TOP) + rep(REST, TOP))
    ended = events(frames, SetEnded)
    assert len(ended) == 1 and ended[0].summary.reps == {"all": 2} and ended[0].summary.flagged == 0
    assert coach.state == "rest"
    assert frames[-1].counts == {"all": 2}  # the finished set stays on the counter while resting
    assert coach.overlay(frames[-1]).lines[1] == "Reps 2/2"
    assert frames[-1].banner.startswith("Rest ")
    # Bridging during the rest counts nothing and praises nothing.
    rest = play(coach, rep(REST, TOP, after=0.2), start_ms=frames[-1].t_ms + 33)
    assert not events(rest, RepCompleted) and "Good bridge" not in said(rest)
    assert all(f.counts == {"all": 2} for f in rest)
    # After the rest: set-up again, then set 2 from zero.
    after = play(coach, stay(REST, 3.5), start_ms=rest[-1].t_ms + 33)
    assert coach.state == "counting" and events(after, SetStarted)[0].number == 2
    assert after[-1].counts == {"all": 0} and after[-1].status.set_number == 2


def test_end_set_goes_to_rest_while_sets_remain_and_ends_after_the_last():
    coach = bridge(sets=2, reps=10)
    play(coach, stay(REST, 1.2) + rep(REST, TOP))
    ended = coach.end_set()
    assert coach.state == "rest" and events([ended], SetEnded)[0].summary.ended_by == "stop"
    coach.skip_rest()
    play(coach, stay(REST, 1.5) + rep(REST, TOP), start_ms=ended.t_ms + 33)
    last = coach.end_set()
    assert coach.state == "done" and len(events([last], ExerciseEnded)) == 1
    assert [s.reps["all"] for s in coach.sets] == [1, 1]


def test_flagged_rep_gets_its_fault_cue_never_praise_and_the_summary_says_why():
    coach = bridge(sets=1, reps=2)
    frames = play(coach, stay(REST, 1.2) + rep(REST, LOW_TOP) + rep(REST, TOP))
    spoken = said(frames)
    assert spoken[-1] == "Exercise finished. 1 of 2 reps need work: Lift your hips higher."
    # The clean second rep ends the set: the set's summary speaks for it.
    assert spoken.count("Lift your hips higher") == 1 and "Good bridge" not in spoken
    summary = events(frames, SetEnded)[0].summary
    assert summary.flagged == 1 and summary.faults == {"Lift your hips higher": 1}
    assert "1 of 2 reps need work: Lift your hips higher" in spoken[-1]
    assert "well done" not in spoken[-1].lower()


def test_video_end_closes_the_set_and_says_so():
    coach = bridge(sets=2, reps=10)
    play(coach, stay(REST, 1.2) + rep(REST, TOP))
    frame = coach.source_ended("video_end")
    ended = events([frame], ExerciseEnded)
    assert coach.state == "done" and ended[0].reason == "video_end" and ended[0].sets[0].reps == {"all": 1}
    assert frame.banner == "The video ended" and frame.counts == {"all": 1}


def test_pain_stop_is_urgent_recorded_and_final():
    coach = bridge(sets=2, reps=10)
    play(coach, stay(REST, 1.2) + rep(REST, TOP))
    frame = coach.pain_stop()
    assert frame.urgent and frame.say[0].startswith("Stopped")
    assert len(events([frame], PainStopped)) == 1 and events([frame], SetEnded)[0].summary.ended_by == "pain"
    assert coach.state == "done" and frame.banner == "Stopped — rest now"
    overlay = coach.overlay(frame)
    assert overlay.cue == "Stopped — rest now" and not any("deg" in line for line in overlay.lines)


def test_pause_keeps_the_set_and_its_count():
    coach = bridge(sets=1, reps=5)
    frames = play(coach, stay(REST, 1.2) + rep(REST, TOP))
    coach.pause()
    assert coach.state == "paused"
    coach.resume(frames[-1].t_ms + 5000)
    assert coach.state == "counting"
    more = play(coach, rep(REST, TOP), start_ms=frames[-1].t_ms + 5033)
    assert more[-1].counts == {"all": 2} and len(coach.sets) == 0


def test_dark_room_is_said_once_and_blocks_the_start():
    coach = bridge()
    frames = play(coach, stay(REST, 2.0), light_ok=False)
    assert coach.state == "setup" and said(frames).count("Turn on more light") == 1
    assert frames[-1].banner == "Turn on more light"
    assert not any(isinstance(e, CueRaised) and e.cue.kind == "fault" for f in frames for e in f.events)


def test_an_exercise_whose_set_never_started_says_why():
    # Nobody in view the whole time: no set starts, and the end says what the set-up kept asking.
    from formcheck.core.coach import summary_text

    coach = bridge(sets=1, reps=3)
    for i in range(60):
        coach.update(result(round(i * 1000 / FPS), None), None)
    (ended,) = events([coach.source_ended("video_end")], ExerciseEnded)
    assert ended.sets == () and ended.why == "the set never started: step into view of the camera"
    assert summary_text(coach.exercise, ended.sets, ended.why) == (
        "Glute bridge: 0 set(s) — the set never started: step into view of the camera")


def test_a_set_with_no_rep_says_why_in_its_summary():
    # A set under way (as analyze runs it, with no set-up check) lying with the legs out straight:
    # never the bridge's starting position, and the set's summary says so.
    from formcheck.core.coach import set_text, summarise_set
    from formcheck.core.tracker import ExerciseTracker

    tracker = ExerciseTracker(load_by_id("glute_bridge"))
    current: list[Frame] = [{"hip": 128, "knee": 175, "lifted_knee": 175, "support_knee": 175}]
    with scripted_values(current):
        for i in range(150):
            tracker.update(result(round(i * 1000 / FPS), _pose("side")), ViewEstimate("side", "lying", 1.0))
    summary = summarise_set(1, tracker, "video_end")
    assert summary.rep_total == 0
    assert set_text(tracker.exercise, summary) == (
        "Set 1: 0 reps — nothing counted. I never saw the starting position: bend your knees and put your feet "
        "flat on the floor (lie on your back, knees bent, feet flat) (the video ended)")
