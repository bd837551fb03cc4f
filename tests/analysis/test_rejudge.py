"""Re-judging recorded sessions from their landmark track: the same reps and faults as the analysis
that recorded them, and with a personal profile the same as a fresh analysis with that profile."""

from __future__ import annotations

import csv
import io
import json

import pytest

from formcheck.analysis.analyze import analyze_video
from formcheck.analysis.rejudge import flag_changes, recorded_sets, rejudge_session
from formcheck.cli import main
from formcheck.core.tracker import ExerciseTracker
from formcheck.exercises.loader import load_by_id
from formcheck.exercises.personal_thresholds import apply_profile
from formcheck.exercises.profile import ExerciseOverrides, Profile, ProfileStore
from formcheck.records.recorder import SessionRecorder
from formcheck.reports.session_report import report_csv, report_html
from tests.conftest import sample

pytestmark = pytest.mark.e2e

LOW_BRIDGE_MIN = 158.0  # the low bridges peak at ~160.7° (population min 163, floor 155)
LONG_PAUSE_S = 5.0  # the bridges pause ~3–4 s at the top (population min_s 2)


def _personal_profile(tmp_path) -> Profile:
    profile = Profile("Eve", exercises={"glute_bridge": ExerciseOverrides(
        {"goal": 161.0}, {"bridge_not_high_enough": {"min": LOW_BRIDGE_MIN},
                          "bridge_short_pause": {"min_s": LONG_PAUSE_S}})},
        created_by="Anna", made_from="test", reason="stiff hips, but can hold longer")
    return ProfileStore(tmp_path / "calibration").save(profile)


def test_rejudge_with_the_stored_definition_equals_the_analysis(recorded_bridges):
    for session in recorded_bridges.sessions():
        (judged,) = rejudge_session(session.folder)
        (recorded,) = recorded_sets(session.folder)
        assert judged.items["rep"] == recorded.items["rep"]  # every rep: times, peaks, phases, faults
        assert judged.items["attempt"] == recorded.items["attempt"]
        assert judged.changes == ()
        assert judged.exercise == recorded.definition
    low = recorded_sets(recorded_bridges.sessions()[1].folder)[0]
    assert [f["code"] for r in low.items["rep"] for f in r["faults"]] == ["bridge_not_high_enough"] * 3


def test_rejudge_with_a_profile_shows_the_flags_that_change(recorded_bridges, tmp_path):
    profile = _personal_profile(tmp_path)
    low = recorded_bridges.sessions()[1]
    (judged,) = rejudge_session(low.folder, profile)
    assert judged.label == "Eve v1"
    gone = [c for c in judged.changes if not c.appeared]
    assert [(c.item, c.code) for c in gone] == [(f"rep {i}", "bridge_not_high_enough") for i in (1, 2, 3)]
    tops = [r["metrics"]["top_s"] for r in judged.items["rep"]]
    assert [c.item for c in judged.changes if c.appeared] == [f"rep {i}" for i, t in enumerate(tops, 1)
                                                              if t < LONG_PAUSE_S]
    progress = [r["metrics"]["goal_pct"] for r in judged.items["rep"]]  # peaks ~160.7°, goal 161°
    assert all(95 <= p <= 100 for p in progress), progress


def test_rejudge_with_a_profile_equals_a_fresh_analysis_with_it(recorded_bridges, tmp_path, model_path):
    profile = _personal_profile(tmp_path)
    good = recorded_bridges.sessions()[0]  # analysed by a fresh model, as a new analysis is
    (judged,) = rejudge_session(good.folder, profile)
    assert {c.code for c in judged.changes} == {"bridge_short_pause"}  # high enough anyway; pause too short
    exercise, notes = apply_profile(load_by_id("glute_bridge"), profile)
    assert not notes
    fresh = analyze_video(sample("glute_bridge_good.mp4"), None, exercise="glute_bridge", progress=False,
                          tracker=ExerciseTracker(exercise),
                          record=lambda: SessionRecorder(recorded_bridges, "Eve", "good again", "file"))
    assert fresh.report["reps"] == judged.items["rep"]
    # The session names the profile it was judged with: events, database, reports.
    (st,) = recorded_bridges.session_detail(fresh.session_id).sets
    assert st.profile == "Eve v1"
    assert recorded_sets(recorded_bridges.session(fresh.session_id).folder)[0].profile == "Eve v1"
    assert "<td>Eve v1</td>" in report_html(recorded_bridges, [fresh.session_id])
    rows = list(csv.DictReader(io.StringIO(report_csv(recorded_bridges, [good.id, fresh.session_id]))))
    assert {r["profile"] for r in rows if r["session"] == str(good.id)} == {"population"}
    progress = [str(r["metrics"]["goal_pct"]) for r in judged.items["rep"] for _ in (r["faults"] or [None])]
    assert [(r["profile"], r["goal_pct"]) for r in rows if r["session"] == str(fresh.session_id)] == [
        ("Eve v1", p) for p in progress]


def test_rejudge_command(recorded_bridges, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FORMCHECK_DATA_DIR", str(recorded_bridges.path.parent))
    profile = _personal_profile(tmp_path)
    low = recorded_bridges.sessions()[1].id
    assert main(["rejudge", str(low)]) == 0
    out = capsys.readouterr().out
    assert "3 reps, 3 flagged (judged with population) → 3 reps, 3 flagged (with population)" in out
    assert "no flags change" in out
    assert main(["rejudge", str(low), "--profile", str(profile.path)]) == 0
    out = capsys.readouterr().out
    assert "(judged with population) → 3 reps" in out and "(with Eve v1)" in out
    assert out.count("− Lift your hips higher (bridge_not_high_enough)") == 3
    foreign = tmp_path / "squat.toml"
    foreign.write_text('id = "squat"\n[measures]\n', encoding="utf-8")
    assert main(["rejudge", str(low), "--profile", str(foreign)]) == 2
    assert "format: this is not a formcheck calibration profile (an exercise file)" in capsys.readouterr().err
    assert main(["rejudge", "999"]) == 2
    assert "There is no session 999" in capsys.readouterr().err


def _rep(index, start, end, *codes):
    return {"index": index, "start_s": start, "end_s": end,
            "faults": [{"code": c, "message": c.replace("_", " "), "t_s": start} for c in codes]}


@pytest.mark.unit
def test_flag_changes_pair_reps_by_time_not_number():
    before = {"rep": [_rep(1, 5.0, 8.0, "low")], "attempt": [_rep(1, 1.0, 3.0, "low")], "hold": []}
    # A looser target turns the attempt into rep 1: the old rep 1 is now rep 2 with a new flag.
    after = {"rep": [_rep(1, 1.0, 3.1), _rep(2, 5.0, 8.0, "low", "fast")], "attempt": [], "hold": []}
    changes = [c.text() for c in flag_changes(1, before, after)]
    assert changes == ["set 1 rep 1 1.0–3.1 s: − low (low)", "set 1 rep 2 5.0–8.0 s: + fast (fast)"]
    gone = {"rep": [], "attempt": [], "hold": []}
    assert [c.text() for c in flag_changes(2, before, gone)] == [
        "set 2 attempt 1 1.0–3.0 s: − low (low)", "set 2 rep 1 5.0–8.0 s: − low (low)"]


@pytest.mark.unit
def test_recorded_sets_read_the_sets_from_the_events(tmp_path):
    lines = [{"type": "set_start", "t_s": 1.5, "exercise": "squat", "number": 1, "prescribed": "2 × 10 reps"},
             {"type": "rep", **_rep(1, 2.0, 4.0), "metrics": {}, "side": None},
             {"type": "set_end", "t_s": 9.0, "ended_by": "stop"},
             {"type": "set_start", "t_s": 40.0, "exercise": "squat", "number": 2, "prescribed": "2 × 10 reps",
              "profile": "Eve v2"}]
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines) + '{"type": "rep", "ind',
                                          encoding="utf-8")
    first, second = recorded_sets(tmp_path)
    assert (first.start_ms, first.end_ms, first.profile, first.definition) == (1500, 9000, "population", None)
    assert len(first.items["rep"]) == 1 and "type" not in first.items["rep"][0]
    assert (second.number, second.end_ms, second.profile) == (2, None, "Eve v2")  # cut short by a crash
