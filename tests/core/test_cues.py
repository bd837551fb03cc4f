import pytest

from formcheck.core.cues import CueCandidate, CueConfig, CueScheduler

pytestmark = pytest.mark.unit

FAULT = CueCandidate("hips_low", "Lift your hips", 2, "fault")
SETUP = CueCandidate("no_person", "Step into view", 3, "setup")
GOOD = CueCandidate("good:1", "Good rep", 1, "positive")


def run(s, frames):
    """frames: list of (t_ms, conditions, events); returns [(t, text)] of newly shown cues."""
    out = []
    for t, cond, ev in frames:
        cue = s.update(t, cond, ev)
        if cue:
            out.append((t, cue.text))
    return out


def test_fault_must_persist_before_cued():
    s = CueScheduler(CueConfig(persist_s=0.5, cooldown_s=6, display_s=2))
    shown = run(s, [(t, [FAULT], []) for t in range(0, 1000, 100)])
    assert shown == [(500, "Lift your hips")]


def test_flicker_shorter_than_persistence_is_never_cued():
    s = CueScheduler(CueConfig(persist_s=0.5))
    frames = [(t, [FAULT] if (t // 100) % 2 == 0 else [], []) for t in range(0, 3000, 100)]
    assert run(s, frames) == []


def test_same_cue_not_repeated_within_cooldown():
    s = CueScheduler(CueConfig(persist_s=0.2, cooldown_s=5, display_s=1))
    shown = run(s, [(t, [FAULT], []) for t in range(0, 12_000, 100)])
    assert [t for t, _ in shown] == [200, 5200, 10200]


def test_one_cue_at_a_time_by_severity():
    s = CueScheduler(CueConfig(persist_s=0.0, display_s=2))
    assert run(s, [(0, [FAULT, SETUP], [])]) == [(0, "Step into view")]
    # A lower-severity event does not interrupt the cue on display.
    assert run(s, [(100, [SETUP], [GOOD])]) == []
    assert s.current.text == "Step into view"


def test_condition_cue_clears_when_fixed_and_events_show_at_once():
    s = CueScheduler(CueConfig(persist_s=0.0, display_s=3))
    run(s, [(0, [FAULT], [])])
    assert run(s, [(100, [], [GOOD])]) == [(100, "Good rep")]
    assert s.current.kind == "positive"
    run(s, [(3200, [], [])])
    assert s.current is None
