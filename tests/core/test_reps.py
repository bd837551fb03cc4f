import math

import pytest

from formcheck.core.exercise import RepDef
from formcheck.core.reps import RepCounter

pytestmark = pytest.mark.unit

RISING = RepDef(measure="m", start=140, target=160, hysteresis=3, min_phase_s=0.2, min_rest_s=0.4)
FALLING = RepDef(measure="m", start=160, target=120, hysteresis=4, min_phase_s=0.2, min_rest_s=0.4)


def feed(counter, values, dt=33, t0=0):
    out = []
    for i, v in enumerate(values):
        done = counter.update(t0 + i * dt, v)
        if done is not None:
            out.append(done)
    return out


def rep_values(rest, peak, n_up=20, n_top=60, n_down=30, n_rest=20):
    up = [rest + (peak - rest) * i / n_up for i in range(n_up)]
    down = [peak + (rest - peak) * i / n_down for i in range(n_down)]
    return up + [peak] * n_top + down + [rest] * n_rest


def test_counts_full_reps_and_times_phases():
    c = RepCounter(RISING)
    done = feed(c, [130] * 20 + rep_values(130, 178) * 3)
    assert [d.reached for d in done] == [True, True, True]
    first = done[0]
    assert first.peak == pytest.approx(178)
    # Top = time in the top third of the movement: the 60 held frames (2 s) plus the last third
    # of the rise (20 frames) and the first third of the lowering (30 frames): ~2.6 s.
    assert first.phase_s("top") == pytest.approx(2.0 + 0.35 * (20 + 30) / 30, abs=0.1)
    assert first.phase_s("up") < 1.0 and first.phase_s("down") < 1.0


def test_movement_short_of_target_is_a_short_rep():
    # Half way or more from rest to the target (before any rep: the only range known): a rep that
    # fell short, counted as a therapist counts it, and marked short for its depth fault.
    c = RepCounter(RISING)
    done = feed(c, [130] * 20 + rep_values(130, 152))
    assert len(done) == 1 and done[0].reached and done[0].short
    assert done[0].peak == pytest.approx(152)
    assert done[0].phase_s("top") is not None


def test_a_clear_abort_well_under_the_usual_range_is_an_attempt():
    # Three reps of 48° (130 → 178), then a movement of 18° (130 → 148): under half the usual
    # range, an abort, not a rep. A 30° one (130 → 160 is the target: 158) is a short rep.
    c = RepCounter(RISING)
    done = feed(c, [130] * 20 + rep_values(130, 178) * 3 + rep_values(130, 148) + rep_values(130, 158))
    assert [(d.reached, d.short) for d in done] == [(True, False)] * 3 + [(False, False), (True, True)]


def test_the_usual_range_is_this_sets():
    # The counters of both sides share it; a new set (cleared list) starts from the target again.
    ranges: list[float] = []
    left, right = RepCounter(RISING, "left", ranges), RepCounter(RISING, "right", ranges)
    feed(left, [130] * 20 + rep_values(130, 178))
    assert ranges == [pytest.approx(48)]
    assert not feed(right, [130] * 20 + rep_values(130, 150))[0].reached  # 20° < 24°
    ranges.clear()
    assert feed(right, [130] * 20 + rep_values(130, 150), t0=9000)[0].reached


def test_nothing_counts_without_first_resting():
    # Starts at the target (e.g. standing while setting up for a bridge) and goes to rest:
    # getting into position is not a rep.
    c = RepCounter(RISING)
    done = feed(c, [178] * 30 + [130] * 5)
    assert done == [] and c.state == "unready"
    feed(c, [130] * 20, t0=2000)
    assert c.state == "rest"


def test_hysteresis_ignores_jitter_around_thresholds():
    c = RepCounter(RISING)
    jitter = [130] * 20 + [141, 139, 142, 138] * 20  # hovering at start ± 3
    assert feed(c, jitter) == []
    assert c.current is None


def test_brief_spike_is_debounced():
    c = RepCounter(RISING)
    assert feed(c, [130] * 20 + [170] * 3 + [130] * 20) == []  # 0.1 s < min_phase_s


def test_falling_measure_counts_down_reps():
    c = RepCounter(FALLING)
    done = feed(c, [175] * 20 + rep_values(175, 95) * 2)
    assert len(done) == 2 and all(d.reached for d in done)
    assert done[0].peak == pytest.approx(95)


def test_bounce_at_the_top_is_one_rep():
    c = RepCounter(RISING)
    bounce = [130] * 20 + [150] * 10 + [170] * 20 + [150] * 10 + [170] * 20 + [130] * 20
    done = feed(c, bounce)
    assert len(done) == 1 and done[0].reached


def test_nan_values_are_skipped_and_reset_forgets():
    c = RepCounter(RISING)
    feed(c, [130] * 20 + [math.nan] * 5 + [150, 160] + [170] * 10)
    assert c.current is not None
    c.reset()
    assert c.current is None and c.state == "unready"


def test_rep_start_is_dated_back_to_when_the_movement_began():
    c = RepCounter(RISING)
    # 30 frames still at 130, then a 45-frame (1.5 s) rise to 178: the start threshold (143) is
    # crossed about a quarter of the way up, but the rep began when the rise did (dated where it
    # has left rest by a tenth of its range, 4.5 frames in).
    done = feed(c, [130] * 30 + rep_values(130, 178, n_up=45))
    assert len(done) == 1
    assert done[0].start_ms == pytest.approx((30 + 4.5) * 33, abs=70)  # within two frames
    assert done[0].phase_s("up") == pytest.approx(1.5, abs=0.25)


def test_a_resting_limb_drifting_before_a_fast_raise_does_not_stretch_the_rep():
    # The arm drifts 4° over a second at rest, then is flung up in 0.15 s: the raise is timed
    # from the limb moving, not from the start of the drift (which read 1.3 s).
    c = RepCounter(RISING)
    drift = [130 + 4 * i / 30 for i in range(30)]
    fling = [134 + 44 * i / 5 for i in range(5)]
    done = feed(c, [130] * 30 + drift + fling + [178] * 60 + [178 - 48 * i / 30 for i in range(30)] + [130] * 20)
    assert len(done) == 1
    assert done[0].start_ms >= (30 + 30) * 33 - 40
    assert done[0].phase_s("up") == pytest.approx(0.15, abs=0.1)


def test_hips_held_up_and_slowly_settling_count_as_the_pause():
    # The profile of a real bridge: up in 0.7 s, 1.2 s at the top, a 0.5 s sink of 12°, 0.8 s held
    # there, then a 0.6 s lowering. A therapist times that pause at about 2.5 s.
    c = RepCounter(RISING)
    up = [130 + 48 * i / 21 for i in range(21)]
    sink = [178 - 12 * i / 15 for i in range(15)]
    down = [166 - 36 * i / 18 for i in range(18)]
    done = feed(c, [130] * 20 + up + [178] * 36 + sink + [166] * 24 + down + [130] * 20)
    assert done[0].phase_s("top") == pytest.approx(2.7, abs=0.15)
