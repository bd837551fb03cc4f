"""`formcheck eval`: label files, rep matching and the figures on hand-made data (exact numbers),
and the command end to end on two bundled sample videos (real model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from formcheck.cli import main
from formcheck.evaluation.evaluate import EvalResult, format_sources, format_table, result_json
from formcheck.evaluation.figures import MIN_FAULT_CASES, by_source, source_of, totals
from formcheck.evaluation.labels import ClipLabels, LabelError, LabelledItem, Span, load_labels
from formcheck.evaluation.matching import EngineItem, match, match_holds
from formcheck.evaluation.scoring import ClipScore, FaultTally, HoldTime, score_clip
from tests.conftest import SAMPLES

unit = pytest.mark.unit


def rep(start: float, end: float, *codes: str, side: str | None = None, **extra: Any) -> dict[str, Any]:
    """An engine rep (or hold) as report.json writes it."""
    return {"start_s": start, "end_s": end, "side": side, "faults": [{"code": c, "message": c} for c in codes],
            **extra}


def labelled(start: float, end: float, *codes: str, turn: float | None = None, **kw: Any) -> LabelledItem:
    return LabelledItem(start, end, turn, faults=frozenset(codes), **kw)


def clip(**kw: Any) -> ClipLabels:
    return ClipLabels(file="c.mp4", exercise="squat", labels_path=Path("l.toml"), **kw)


# ---- label files --------------------------------------------------------------------------------
GOOD = """
version = 1
[[clip]]
file = "a.mp4"
exercise = "squat"
setup = ["dim"]
reps = [
  { start = 1.0, turn = 1.5, end = 2.0, faults = ["clean"] },
  { start = 3.0, end = 4.0, side = "left", faults = ["squat_chest_down"], unsure = ["squat_knees_forward"] },
  { start = 5.0, end = 6.0, faults = [], unjudgeable = "no human label" },
]
partial = [{ start = 7, end = 8, why = "cut off" }]
[[clip]]
file = "b.mp4"
exercise = "forearm_plank"
holds = [{ start = 0.0, end = 30.0, faults = ["hips_sagging"], segments = [] }]
"""


@unit
def test_label_file_is_read_with_clean_as_no_fault(tmp_path):
    path = tmp_path / "labels.toml"
    path.write_text(GOOD)
    a, b = load_labels(path)
    assert (a.file, a.exercise, a.setup, a.partial) == ("a.mp4", "squat", ("dim",), (Span(7.0, 8.0),))
    assert a.reps == (
        LabelledItem(1.0, 2.0, 1.5),
        LabelledItem(3.0, 4.0, None, "left", frozenset({"squat_chest_down"}), frozenset({"squat_knees_forward"})),
        LabelledItem(5.0, 6.0, unjudgeable="no human label"),
    )
    assert b.holds == (LabelledItem(0.0, 30.0, faults=frozenset({"hips_sagging"})),)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("end = 2.0, faults = [\"clean\"] }", "end = 0.5, faults = [\"clean\"] }"),
         "labels.toml: clip 1 (a.mp4), reps[0]: 'end' (0.5) must come after 'start' (1.0)."),
        (("turn = 1.5", "turn = 2.5"), "labels.toml: clip 1 (a.mp4), reps[0]: 'turn' (2.5) must lie between"),
        (("faults = [\"clean\"] }", "faults = [] }"),
         "reps[0]: 'faults' is empty; write [\"clean\"] for a clean one, or give unjudgeable"),
        (("faults = [\"clean\"] }", "faults = [\"clean\", \"squat_fast\"] }"),
         "reps[0]: 'faults' has \"clean\" beside fault codes; keep one or the other."),
        (("faults = [\"clean\"] }", "fault = [\"clean\"] }"), "reps[0]: unknown key 'fault' (known: end, faults,"),
        (("side = \"left\"", "side = \"up\""), "reps[1]: 'side' must be \"left\" or \"right\", not 'up'."),
        (("start = 1.0,", "start = \"1\","), "reps[0]: 'start' must be a time in seconds (a number ≥ 0), not '1'."),
        (("version = 1", "version = 2"), "labels.toml: 'version' must be 1"),
        (("exercise = \"squat\"", "exercise = \"\""), "labels.toml: clip 1: 'exercise' is missing or empty"),
        (("[[clip]]\nfile = \"b.mp4\"", "[[clip]\nfile = \"b.mp4\""), "is not a valid TOML file"),
        (("setup = [", "view = \"top\"\nsetup = ["),
         "labels.toml: clip 1 (a.mp4): 'view' must be one of side, front, back, oblique, not 'top'."),
    ],
)
def test_a_bad_label_file_is_refused_with_where_and_what(tmp_path, change, message):
    path = tmp_path / "labels.toml"
    path.write_text(GOOD.replace(*change, 1))
    with pytest.raises(LabelError) as err:
        load_labels(path)
    assert message in str(err.value)


# ---- matching -----------------------------------------------------------------------------------
@unit
def test_reps_match_by_iou_or_turn_and_engine_reps_on_partials_are_set_aside():
    labels = [labelled(1, 2, turn=1.5), labelled(3, 4, turn=3.5), labelled(5, 6, turn=5.5)]
    engine = [EngineItem(1.1, 2.1),  # IoU 0.82
              EngineItem(3.45, 5.0),  # IoU 0.275 with [3, 4], but the turn 3.5 is inside
              EngineItem(5.8, 7.5),  # IoU 0.12 with [5, 6] and misses its turn; half inside the partial
              EngineItem(12.0, 13.0)]
    m = match(engine, labels, [Span(6.5, 8.0)])
    assert m.pairs == [(0, 0), (1, 1)]
    assert (m.on_partial, m.engine_unmatched, m.labels_unmatched, m.wrong_side) == ([2], [3], [2], 0)


@unit
def test_sided_reps_match_only_on_their_side_and_the_mix_up_is_counted():
    labels = [LabelledItem(1, 2, side="left"), LabelledItem(3, 4, side="right")]
    engine = [EngineItem(1, 2, side="right"), EngineItem(3, 4, side="right")]
    m = match(engine, labels)
    assert (m.pairs, m.engine_unmatched, m.labels_unmatched, m.wrong_side) == ([(1, 1)], [0], [0], 1)


@unit
def test_each_rep_is_used_once_best_overlap_first():
    labels = [labelled(0, 2), labelled(2, 4)]
    engine = [EngineItem(1.5, 3.9), EngineItem(0.1, 2.0)]  # the first overlaps both labels
    assert match(engine, labels).pairs == [(0, 1), (1, 0)]


@unit
def test_a_hold_broken_up_meets_its_label_with_its_longest_piece():
    m = match_holds([EngineItem(0.5, 10.0), EngineItem(12.0, 29.0)], [labelled(0, 30)])
    assert (m.pairs, m.engine_unmatched, m.labels_unmatched) == ([(1, 0)], [0], [])


# ---- figures ------------------------------------------------------------------------------------
@unit
def test_one_clip_scored_rep_by_rep():
    labels = clip(
        reps=(
            labelled(1, 2, turn=1.5),  # clean
            labelled(3, 4, "squat_chest_down", turn=3.5),
            labelled(5, 6, turn=5.5, unjudgeable="no human label"),
            labelled(7, 8, "squat_knees_forward", turn=7.5, unsure=frozenset({"squat_chest_down"})),
            labelled(9, 10, turn=9.5),  # clean; the engine calls it an attempt
        ),
        partial=(Span(11, 12),),
        setup=("dim",),
    )
    report = {
        "pose": {"coverage": 0.97},
        "reps": [
            rep(1.1, 2.1, "squat_heels_lift"),  # a clean rep flagged: FP, a false flag
            rep(3.45, 5.0, "squat_chest_down"),  # matched by its turn: TP
            rep(5.0, 6.0, "squat_heels_lift"),  # unjudgeable: not scored
            rep(7.0, 8.0, "squat_chest_down"),  # unsure code: not scored; knees missed: FN
            rep(11.2, 11.9, "squat_heels_lift"),  # on a partial movement: ignored
            rep(13.0, 14.0, "squat_knees_forward"),  # nothing there: FP
        ],
        "attempts": [rep(9.1, 9.9)],
        "holds": [],
    }
    s = score_clip(labels, report, counts_reps=True)
    assert (s.labelled, s.engine, s.count_error, s.on_partial) == (5, 5, 0, 1)
    assert (s.attempts, s.attempts_on_labelled, s.wrong_side) == (1, 1, 0)
    assert {c: (t.tp, t.fp, t.fn) for c, t in s.faults.items()} == {
        "squat_heels_lift": (0, 1, 0), "squat_chest_down": (1, 0, 0), "squat_knees_forward": (0, 1, 1)}
    assert (s.clean, s.clean_flagged) == (1, 1)
    assert (s.coverage, s.setup, s.hold_times, s.not_judged) == (0.97, ("dim",), [], {})
    assert [(m["engine"], m["label"], m["iou"]) for m in s.matches] == [(0, 0, 0.82), (1, 1, 0.27), (2, 2, 1.0),
                                                                         (3, 3, 1.0)]


@unit
def test_a_code_the_engine_declined_to_judge_is_counted_not_scored():
    labels = clip(reps=(labelled(1, 2, "squat_knees_forward"), labelled(3, 4)))
    report = {"reps": [
        rep(1, 2, not_judged=[{"code": "squat_knees_forward", "reason": "knees out of frame"}]),
        rep(3, 4, "squat_knees_forward", not_judged=[{"code": "squat_knees_forward", "reason": "knees out of frame"}]),
    ]}
    s = score_clip(labels, report, counts_reps=True)
    assert {c: (t.tp, t.fp, t.fn, t.declined) for c, t in s.faults.items()} == {"squat_knees_forward": (0, 0, 0, 2)}
    assert s.not_judged == {"squat_knees_forward: knees out of frame": 2}
    assert (s.clean, s.clean_flagged) == (1, 0)


KNEES_SIDE_ONLY = {"squat_knees_forward": ("side",), "squat_knees_cave": ("front",), "squat_fast": ()}


@unit
def test_a_rule_the_clips_view_cannot_judge_is_declined_on_every_rep_not_missed():
    labels = clip(view="front", reps=(labelled(1, 2, "squat_knees_forward", "squat_knees_cave"), labelled(3, 4),
                                      labelled(5, 6, "squat_knees_forward")))
    report = {"view": {"label": "side/standing"},  # the labeller's side, front or back wins over the engine's
              "reps": [rep(1, 2, "squat_knees_cave"), rep(3, 4, "squat_knees_forward")]}  # rep 3 missed
    s = score_clip(labels, report, counts_reps=True, rule_views=KNEES_SIDE_ONLY)
    assert (s.view, s.view_gated) == ("front", ("squat_knees_forward",))
    assert {c: (t.tp, t.fp, t.fn, t.declined) for c, t in s.faults.items()} == {
        "squat_knees_forward": (0, 0, 0, 3), "squat_knees_cave": (1, 0, 0, 0)}
    assert (s.clean, s.clean_flagged) == (1, 0)  # a flag the view can't judge is no false flag


@unit
@pytest.mark.parametrize(("labelled_view", "engine_view", "declined"),
                         [("oblique", "front/standing", 1), (None, "front/standing", 1), ("oblique", "side/standing", 0),
                          (None, None, 0)])
def test_an_oblique_or_unlabelled_clip_is_gated_by_the_view_the_engine_found(labelled_view, engine_view, declined):
    labels = clip(view=labelled_view, reps=(labelled(1, 2, "squat_knees_forward"),))
    report = {"view": {"label": engine_view}, "reps": [rep(1, 2)]}
    s = score_clip(labels, report, counts_reps=True, rule_views=KNEES_SIDE_ONLY)
    t = s.faults["squat_knees_forward"]
    assert (t.declined, t.fn) == (declined, 1 - declined)


@unit
def test_a_rep_clip_with_nothing_labelled_and_nothing_counted_is_reported_apart():
    empty = score_clip(clip(), {"reps": [], "attempts": [rep(1, 2)]}, counts_reps=True)
    counted = score_clip(clip(), {"reps": [rep(1, 2)]}, counts_reps=True)
    hold = score_clip(clip(), {"holds": []}, counts_reps=False)
    assert (empty.nothing_to_count, counted.nothing_to_count, hold.nothing_to_count) == (True, False, False)
    t = totals([empty, counted, hold])
    assert (t.clips, t.rep_clips, t.nothing_to_count, t.count_exact, t.count_within_1) == (3, 1, 1, 0, 1)
    assert t.figures()["count_exact"] == 0.0  # not 50 %: the empty clip is no exact count
    table = format_table(EvalResult([empty, counted], totals([empty, counted]), {"jobs": 1, "repeat": 1}, 1.0))
    assert "nothing labelled, nothing counted (not in the count figures)" in table
    assert "rep count exact:   0/1 clips = 0.0 %   (target ≥ 90.0 %); 1 more with nothing labelled or counted" in table


@unit
@pytest.mark.parametrize(("file", "source"), [("stock_squats.mp4", "stock"), ("labelled/home_000_squat.mp4",
                         "labelled/home"), ("darebee_bridge.mp4", "darebee"), ("plain.mp4", "plain"),
                         ("a/b/studio_x_y.mov", "a/b/studio")])
def test_a_clips_source_is_its_file_name_up_to_the_first_underscore(file, source):
    assert source_of(file) == source


@unit
def test_figures_per_source_and_in_all_for_a_leave_one_source_out_table():
    def scored(file: str, labelled_reps: int, engine_reps: int, **kw: Any) -> ClipScore:
        return ClipScore(file, "squat", "l", labelled=labelled_reps, engine=engine_reps, **kw)

    scores = [scored("stock_a.mp4", 5, 5, clean=4, clean_flagged=1,
                     faults={"squat_chest_down": FaultTally(tp=3, fn=1)}),
              scored("stock_b.mp4", 5, 7), scored("labelled/home_1_squat.mp4", 6, 6, clean=2,
                                                  faults={"squat_chest_down": FaultTally(tp=1, fp=1)}),
              ClipScore("studio_p.mp4", "forearm_plank", "l", counts_reps=False, labelled=1, engine=1,
                        hold_times=[HoldTime(30.0, 28.5, 20.0)])]
    groups = by_source(scores, {"squat_chest_down"})
    assert list(groups) == ["labelled/home", "stock", "studio"]
    assert [(t.clips, t.rep_clips, t.count_exact, t.count_within_1) for t in groups.values()] == [
        (1, 1, 1, 1), (2, 2, 1, 1), (1, 0, 0, 0)]
    assert groups["studio"].holds_within == 1 and groups["stock"].clean_flagged == 1
    result = EvalResult(scores, totals(scores, {"squat_chest_down"}), {"jobs": 1, "repeat": 1}, 1.0, groups)
    lines = format_sources(result).splitlines()
    assert lines[0].split() == ["source", "clips", "count", "exact", "±1", "false", "flags", "holds", "within",
                                "hold", "err"]
    assert lines[3].split() == ["stock", "2", "1/2", "50.0", "%", "1/2", "50.0", "%", "1/4", "25.0", "%", "0/0", "-",
                                "-"]
    assert lines[4].split() == ["studio", "1", "0/0", "-", "0/0", "-", "0/0", "-", "1/1", "100.0", "%", "1.5", "s"]
    assert lines[5].split()[:4] == ["all", "4", "2/3", "66.7"]
    assert lines[-1].split() == ["squat_chest_down", "0.67", "(1)", "0.86", "(4)", "-", "0.80", "(5)"]
    doc = result_json(result)
    assert list(doc["by_source"]) == ["labelled/home", "stock", "studio"]
    assert doc["by_source"]["stock"]["figures"]["count_exact"] == 0.5
    assert doc["by_source"]["labelled/home"]["faults"]["squat_chest_down"]["f1"] == 0.667


@unit
def test_the_table_shows_the_hold_timer_beside_the_time_in_position():
    s = score_clip(clip(holds=(labelled(0, 30),)), {"holds": [rep(0.5, 29.5, duration_s=21.3)]}, counts_reps=False)
    table = format_table(EvalResult([s], totals([s]), {"jobs": 1, "repeat": 1}, 1.0))
    assert "30.0→29.0 (21.3)" in table.splitlines()[2]
    assert "hold s lab→eng (timer)" in table.splitlines()[0]


@unit
def test_hold_clip_counts_holds_and_times_the_matched_one():
    labels = clip(holds=(labelled(0, 30),))
    report = {"holds": [rep(0.5, 10.0, duration_s=9.5), rep(12.0, 29.0, "hips_sagging", duration_s=3.0)]}
    s = score_clip(labels, report, counts_reps=False)
    assert (s.labelled, s.engine, s.count_error) == (1, 2, 1)
    assert s.hold_times == [HoldTime(30.0, 17.0, 3.0)]
    assert (s.hold_times[0].error_s, s.hold_times[0].within) == (13.0, False)
    assert {c: (t.tp, t.fp, t.fn) for c, t in s.faults.items()} == {"hips_sagging": (0, 1, 0)}
    assert (s.clean, s.clean_flagged) == (1, 1)


@unit
@pytest.mark.parametrize(("labelled_s", "engine_s", "within"),
                         [(20.0, 18.5, True), (20.0, 17.9, False), (5.0, 6.0, True), (5.0, 6.2, False),
                          (5.0, 0.0, False)])
def test_hold_time_is_within_one_second_or_ten_percent(labelled_s, engine_s, within):
    assert HoldTime(labelled_s, engine_s, None).within is within


@unit
def test_precision_recall_f1():
    t = FaultTally(tp=3, fp=1, fn=2)
    assert (t.labelled, t.precision, t.recall, round(t.f1, 4)) == (5, 0.75, 0.6, 0.6667)
    assert (FaultTally(fp=2).precision, FaultTally(fp=2).recall, FaultTally(fp=2).f1) == (0.0, None, None)
    assert FaultTally(fn=1).f1 is None and FaultTally(tp=0, fp=1, fn=1).f1 == 0.0


@unit
def test_totals_over_clips():
    a = ClipScore("a", "squat", "l", labelled=5, engine=5, clean=4, clean_flagged=1, identical=True,
                  faults={"squat_chest_down": FaultTally(tp=4, fn=1), "squat_fast": FaultTally(fp=2)})
    b = ClipScore("b", "squat", "l", labelled=6, engine=4, clean=6, clean_flagged=0, identical=False,
                  faults={"squat_chest_down": FaultTally(tp=1, fp=1), "lunge_no_twist": FaultTally(fn=6)})
    c = ClipScore("c", "forearm_plank", "l", counts_reps=False, labelled=1, engine=2, identical=True,
                  hold_times=[HoldTime(30, 29.5, 20.0)])
    d = ClipScore("d", "none", "l", status="skipped", reason="no library exercise")
    t = totals([a, b, c, d], {"squat_chest_down", "squat_fast"})
    assert (t.rep_clips, t.count_exact, t.count_within_1) == (2, 1, 1)
    assert {k: (v.tp, v.fp, v.fn) for k, v in t.faults.items()} == {
        "squat_chest_down": (5, 1, 1), "squat_fast": (0, 2, 0), "lunge_no_twist": (0, 0, 6)}
    assert (t.clean, t.clean_flagged, t.holds, t.holds_within, t.skipped) == (10, 1, 1, 1, 1)
    # Only squat_chest_down is held to the F1 target: lunge_no_twist can't be flagged by the
    # library, squat_fast has no labelled case.
    assert MIN_FAULT_CASES == 5 and t.gated("squat_chest_down") and not t.gated("lunge_no_twist")
    fig = t.figures()
    assert fig == {"count_exact": 0.5, "count_within_1": 0.5, "false_flag_rate": 0.1,
                   "fault_f1": pytest.approx(5 / 6), "hold_within": 1.0, "identical": 2 / 3}


# ---- the command --------------------------------------------------------------------------------
@unit
def test_eval_refuses_a_missing_clip_before_analysing_anything(tmp_path, capsys):
    (tmp_path / "l.toml").write_text(GOOD)
    assert main(["eval", str(tmp_path / "l.toml"), "--clips", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err == (f"formcheck: l.toml: clip a.mp4 is not in {tmp_path}; pass --clips with the folder the label "
                   "file's paths start from.\n")


@unit
def test_eval_refuses_a_json_path_it_could_not_write_before_analysing(tmp_path, capsys):
    (tmp_path / "l.toml").write_text(GOOD)
    out = tmp_path / "no" / "eval.json"
    assert main(["eval", str(tmp_path / "l.toml"), "--json", str(out)]) == 2
    assert capsys.readouterr().err == (f"formcheck: the folder for --json {out} does not exist; create it or give "
                                       "another path\n")


@unit
def test_eval_refuses_an_unknown_exercise(tmp_path, capsys):
    (tmp_path / "l.toml").write_text(GOOD.replace('exercise = "squat"', 'exercise = "squats"'))
    assert main(["eval", str(tmp_path / "l.toml"), "--clips", str(tmp_path)]) == 2
    assert "formcheck: l.toml, a.mp4: exercise 'squats': no such exercise; known: " in capsys.readouterr().err


@unit
@pytest.mark.parametrize(("key", "code"), [("faults", "squat_knee_forward"), ("unsure", "hips_sagging")])
def test_eval_refuses_a_fault_code_the_exercise_does_not_have_before_analysing(tmp_path, capsys, key, code):
    text = GOOD.replace('faults = ["squat_chest_down"], unsure = ["squat_knees_forward"]',
                        f'faults = ["squat_chest_down"], {key} = ["{code}"]' if key == "unsure" else
                        f'faults = ["{code}"], unsure = ["squat_knees_forward"]')
    (tmp_path / "l.toml").write_text(text)
    assert main(["eval", str(tmp_path / "l.toml"), "--clips", str(tmp_path)]) == 2
    assert capsys.readouterr().err == (
        f"formcheck: l.toml: clip a.mp4, reps[1]: '{code}' is not a fault code of squat (its codes are "
        "squat_chest_down, squat_fast, squat_heels_lift, squat_knees_cave, squat_knees_forward, squat_shallow); "
        "fix the label — `formcheck exercises --faults squat` says what each code checks.\n")


@unit
def test_the_help_of_eval_says_how_views_sources_and_fault_codes_are_treated(capsys):
    with pytest.raises(SystemExit):
        main(["eval", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for words in ("--by-source", "leave-one-source-out", "declined on every rep and hold of the clip, never a miss",
                  'reported apart ("nothing to count")', "formcheck exercises --faults ID",
                  "one clip whole in one process, so ``--jobs`` never changes a clip's result"):
        assert words in text, words


def test_a_clip_that_cannot_be_decoded_is_reported_and_the_others_go_on(tmp_path, capsys, model_path):
    (tmp_path / "broken.mp4").write_bytes(b"not a video")
    (tmp_path / "l.toml").write_text('version = 1\n[[clip]]\nfile = "broken.mp4"\nexercise = "squat"\n'
                                     '[[clip]]\nfile = "x.mp4"\nexercise = "none"\n')
    assert main(["eval", str(tmp_path / "l.toml"), "--clips", str(tmp_path), "--jobs", "1"]) == 1
    out, err = capsys.readouterr()
    broken = next(line for line in out.splitlines() if line.startswith("broken.mp4"))
    assert broken.split(None, 2)[1:] == ["squat", "error: could not analyse it: Could not open broken.mp4 as a video — "
                                         "it may be corrupt or in an unsupported format; try re-exporting it as MP4 "
                                         "(H.264)."]
    assert "skipped:           1 clips (no library exercise); 1 failed" in out
    assert err.endswith("formcheck: 1 clips could not be analysed (see the table)\n")


def _sample_labels(tmp_path: Path) -> Path:
    """Labels for two bundled clips from their own ground truth, plus a clip with no exercise."""
    clips = []
    for name, codes in (("glute_bridge_low", '"bridge_not_high_enough"'), ("squat_good", '"clean"')):
        truth = json.loads((SAMPLES / f"{name}.json").read_text())
        reps = ",\n".join(f'{{ start = {r["start_s"]}, turn = {r["peak_s"]}, end = {r["end_s"]}, faults = [{codes}] }}'
                          for r in truth["reps"])
        clips.append(f'[[clip]]\nfile = "{name}.mp4"\nexercise = "{truth["exercise"]}"\nreps = [\n{reps}\n]\n')
    clips.append('[[clip]]\nfile = "plank_good.mp4"\nexercise = "none"\n')
    path = tmp_path / "labels.toml"
    path.write_text("version = 1\n" + "\n".join(clips))
    return path


@pytest.mark.e2e
def test_eval_on_two_sample_videos_twice(tmp_path, capsys, model_path):
    out = tmp_path / "eval.json"
    assert main(["eval", str(_sample_labels(tmp_path)), "--clips", str(SAMPLES), "--jobs", "2", "--repeat", "2",
                 "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert lines[2].split() == ["glute_bridge_low.mp4", "glute_bridge", "3", "3", "+0", "0", "0", "3", "0", "0",
                                "0/0", "-", "100", "%", "yes", "-"]
    assert lines[3].split()[:18] == ["squat_good.mp4", "squat", "3", "3", "+0", "0", "0", "0", "0", "0",
                                     "0/3", "-", "100", "%", "yes", "side", "view:", "declined"]
    # the front-view rule is declined by eval and reported not judged by the engine, on every rep
    assert "declined squat_knees_cave, not judged squat_knees_cave:" in lines[3] and lines[3].endswith("×3")
    assert lines[4].split() == ["plank_good.mp4", "none", "skipped:", "no", "library", "exercise"]
    for expected in ("rep count exact:   2/2 clips = 100.0 %", "false flags:       0/3 matched clean reps",
                     "repeated runs:     2/2 clips identical = 100.0 %", "skipped:           1 clips"):
        assert expected in printed
    assert [line.split() for line in lines if line.startswith("bridge_not_high_enough")] == [
        ["bridge_not_high_enough", "3", "3", "0", "0", "0", "1.00", "1.00", "1.00"]]

    doc = json.loads(out.read_text())
    assert (doc["schema_version"], doc["formcheck_version"]) == (1, "0.1.0")
    assert doc["settings"]["jobs"] == 2 and doc["settings"]["repeat"] == 2
    bridge, squat, plank = doc["clips"]
    assert (bridge["labelled"], bridge["engine"], bridge["identical"]) == (3, 3, True)
    assert bridge["faults"] == {"bridge_not_high_enough": {"tp": 3, "fp": 0, "fn": 0, "declined": 0,
                                                           "precision": 1.0, "recall": 1.0, "f1": 1.0}}
    assert [len(bridge["output"][k]) for k in ("reps", "attempts", "holds")] == [3, 0, 0]
    assert (squat["clean"], squat["clean_flagged"], squat["view"], squat["view_gated"]) == (3, 0, "side",
                                                                                           ["squat_knees_cave"])
    assert squat["faults"] == {"squat_knees_cave": {"tp": 0, "fp": 0, "fn": 0, "declined": 3, "precision": None,
                                                    "recall": None, "f1": None}}
    assert plank == {"file": "plank_good.mp4", "exercise": "none", "labels": str(tmp_path / "labels.toml"),
                     "status": "skipped", "reason": "no library exercise"}
    assert doc["totals"]["figures"] == {"count_exact": 1.0, "count_within_1": 1.0, "false_flag_rate": 0.0,
                                        "fault_f1": None, "hold_within": None, "identical": 1.0}

    # The clip scored what `formcheck analyze CLIP --exercise ID` reports for it.
    assert main(["analyze", str(SAMPLES / "glute_bridge_low.mp4"), "--exercise", "glute_bridge", "--jobs", "1",
                 "--out", str(tmp_path / "analyzed"), "--no-progress"]) == 0
    analyzed = json.loads((tmp_path / "analyzed" / "report.json").read_text())
    assert bridge["output"] == {k: analyzed[k] for k in ("reps", "attempts", "holds")}
