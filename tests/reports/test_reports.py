"""Reports from a recorded session: HTML parsed, CSV read back, JSON, user text escaped."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser

import pytest

from formcheck.analysis.analyze import analyze_video
from formcheck.core.events import HoldEnded, PainStopped, SetEnded, SetStarted, SetSummary
from formcheck.core.holds import HoldRecord
from formcheck.core.tracker import ExerciseTracker
from formcheck.exercises.loader import load_by_id
from formcheck.pose.estimator import PoseEstimator
from formcheck.records.database import sessions
from formcheck.records.recorder import SessionRecorder
from formcheck.records.session_events import parse_event
from formcheck.records.store import Store
from formcheck.reports.session_report import report_csv, report_html, report_json
from tests.conftest import sample

EVIL = "<script>alert('x')</script> & hips"
CLEAN_NOTE = "Smooth & steady <3"
SESSION_NOTE = "Good session overall"


@pytest.fixture(scope="module")
def recorded(tmp_path_factory, model_path):
    store = Store(tmp_path_factory.mktemp("data") / "formcheck.db")
    ids = []
    with PoseEstimator(model_path) as est:
        for clip in ("glute_bridge_low", "glute_bridge_good"):
            video = sample(f"{clip}.mp4")
            result = analyze_video(video, None, exercise="glute_bridge", progress=False, estimator=est,
                                   tracker=ExerciseTracker(load_by_id("glute_bridge")),
                                   record=lambda v=video: SessionRecorder(store, EVIL, str(v), "file"))
            ids.append(result.session_id)
    first_fault = store.session_detail(ids[0]).sets[0].reps[0].faults[0].id
    store.set_verdict(first_fault, agree=False)
    rep_id = store.session_detail(ids[0]).sets[0].reps[0].id
    store.add_note(ids[0], EVIL, rep_id=rep_id)
    clean = store.session_detail(ids[1]).sets[0].reps[1]
    assert not clean.faults
    store.add_note(ids[1], CLEAN_NOTE, rep_id=clean.id)
    store.add_note(ids[1], SESSION_NOTE)
    yield store, ids
    store.close()


class Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text, self.images, self.items = [], [], [], []
        self._in_li = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        if tag == "li":
            self._in_li = True
            self.items.append("")

    def handle_endtag(self, tag):
        if tag == "li":
            self._in_li = False

    def handle_data(self, data):
        self.text.append(data)
        if self._in_li:
            self.items[-1] += data


def test_html_is_self_contained_and_escapes_user_text(recorded):
    store, ids = recorded
    page = report_html(store, ids)
    parsed = Collect()
    parsed.feed(page)
    assert "script" not in parsed.tags  # the note and the name stay text
    text = " ".join(parsed.text)
    assert EVIL in text
    assert all(src.startswith("data:image/png;base64,") for src in parsed.images)
    # adherence + progress plots + two angle curves + for each of the three flagged low bridges, the
    # frame at the fault (with the skeleton) and the curve of the measure that fired
    assert len(parsed.images) == 1 + 1 + 2 + 3 * 2
    assert "last session: today" in text
    assert f"Disagreed: {store.reviewer}" in text and "Lift your hips higher" in text


def test_html_shows_notes_on_clean_reps_too(recorded):
    store, ids = recorded
    parsed = Collect()
    parsed.feed(report_html(store, ids))
    clean = store.session_detail(ids[1]).sets[0].reps[1]
    [item] = [i for i in parsed.items if CLEAN_NOTE in i]
    assert item.startswith(f"Rep {clean.index} ")
    assert f"{clean.start_s:.1f}–{clean.end_s:.1f} s" in item
    assert [t for t in parsed.text if t.startswith("Note: ")] == [f"Note: {EVIL}"]  # the flagged rep's card


def read_csv(text):
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_reads_back(recorded):
    store, ids = recorded
    rows = read_csv(report_csv(store, ids))
    reps = [r for r in rows if r["kind"] == "rep"]
    assert len(reps) == 6  # three flagged reps (one fault each) + three clean reps
    flagged = [r for r in reps if r["fault_code"]]
    assert {r["fault_code"] for r in flagged} == {"bridge_not_high_enough"}
    assert flagged[0]["therapist_agrees"] == "no" and flagged[0]["notes"] == EVIL
    assert flagged[0]["verdicts"] == f"Disagreed: {store.reviewer}"
    assert [r["notes"] for r in reps if r["session"] == str(ids[1]) and r["number"] == "2"] == [CLEAN_NOTE]
    assert all(float(r["end_s"]) > float(r["start_s"]) for r in reps)
    assert [(r["session"], r["notes"]) for r in rows if r["kind"] == "note"] == [(str(ids[1]), SESSION_NOTE)]
    assert len(rows) == 7


@pytest.fixture(scope="module")
def plank(tmp_path_factory):
    """A recorded plank hold with a fault, a set stopped for pain, and a session note — as the
    coach's events record them (the bundled sagging clips sag to the floor: not a plank, not timed)."""
    store = Store(tmp_path_factory.mktemp("plank") / "formcheck.db")
    plank = load_by_id("forearm_plank")
    sag = HoldRecord(2_000, 20_000, 18_000, None, {"hips_sagging": ("Lift your hips into a straight line", 6_000)})
    held = SessionRecorder(store, "pat", str(sample("plank_good.mp4")), "file")
    held.on_frame(None, None, [SetStarted(0, plank, 1), HoldEnded(20_000, sag),
                               SetEnded(20_000, SetSummary(1, {}, 18.0, 1, {"Lift your hips into a straight line": 1},
                                                           "dose"))])
    held.finish()
    store.add_note(held.session_id, "Sagged throughout; try from the knees next time.")
    # A live set stopped for pain 4 s in.
    hurt = SessionRecorder(store, "pat", "camera 0", "live")
    hurt.on_frame(None, None, [SetStarted(0, plank, 1), PainStopped(4_000),
                               SetEnded(4_000, SetSummary(1, {}, 0.0, 0, {}, "pain"))])
    hurt.finish()
    yield store, [held.session_id, hurt.session_id]
    store.close()


def test_csv_has_holds_pain_stops_and_notes(plank):
    store, ids = plank
    rows = read_csv(report_csv(store, ids))
    holds = store.session_detail(ids[0]).sets[0].holds
    assert holds and all(h.faults for h in holds)
    hold_rows = [r for r in rows if r["kind"] == "hold"]
    assert len(hold_rows) == sum(len(h.faults) for h in holds)
    first = hold_rows[0]
    assert (first["exercise"], first["set"], first["number"]) == ("forearm_plank", "1", "1")
    assert float(first["duration_s"]) == holds[0].duration_s > 0
    assert float(first["end_s"]) == holds[0].end_s > float(first["start_s"])
    assert first["fault_code"] == "hips_sagging" and first["fault_message"] == holds[0].faults[0].message
    assert [(r["kind"], r["notes"]) for r in rows if r["kind"] == "note"] == [
        ("note", "Sagged throughout; try from the knees next time.")]
    [pain] = [r for r in rows if r["kind"] == "pain_stop"]
    assert (pain["session"], pain["exercise"], pain["set"], float(pain["start_s"])) == (
        str(ids[1]), "forearm_plank", "1", 4.0)
    assert {r["kind"] for r in rows} == {"hold", "note", "pain_stop"}


def test_csv_neutralises_formulas_in_user_text_but_keeps_negative_numbers(tmp_path):
    store = Store(tmp_path / "formcheck.db")
    sid, _ = store.start_session("=HYPERLINK(\"http://x\",\"x\")", "@camera", "live")
    set_id = sessions.add_set(store.db, sid, "bird_dog", 1, "2 × 8 reps", 0.0)
    rep_id = sessions.add_rep(store.db, set_id, parse_event({"type": "rep", "index": 1, "side": "left", "start_s": 1.0, "end_s": 3.5,
                                                "metrics": {"peak_deg": -12.5, "range_deg": 80.0},
                                                "faults": [{"code": "leg_high", "message": "-keep it level", "t_s": 2.0}]}))
    store.add_note(sid, "+1 rep next time", rep_id=rep_id)
    for note in ("\tcmd", "\rcmd", "-2 kg"):
        store.add_note(sid, note)
    rows = read_csv(report_csv(store, [sid]))
    rep = rows[0]
    assert rep["person"] == "'=HYPERLINK(\"http://x\",\"x\")" and rep["source"] == "'@camera"
    assert rep["fault_message"] == "'-keep it level" and rep["notes"] == "'+1 rep next time"
    assert rep["peak_deg"] == "-12.5" and float(rep["peak_deg"]) == -12.5  # a number stays a number
    assert [r["notes"] for r in rows if r["kind"] == "note"] == ["'\tcmd", "'\rcmd", "'-2 kg"]
    store.close()


def test_json_has_the_sessions(recorded):
    store, ids = recorded
    data = json.loads(report_json(store, ids))
    assert [d["id"] for d in data] == ids
    assert [len(d["sets"][0]["reps"]) for d in data] == [3, 3]
    assert data[0]["sets"][0]["ended_by"] == "video_end"


def test_reps_not_judged_are_listed_with_the_reason(tmp_path):
    store = Store(tmp_path / "formcheck.db")
    sid, _ = store.start_session("Ann", "camera 0", "live")
    with store.transaction():
        set_id = sessions.add_set(store.db, sid, "glute_bridge", 1, "2 × 10 reps", 0.0)
        sessions.add_rep(store.db, set_id, parse_event({"type": "rep", "index": 1, "side": None, "start_s": 1.0, "end_s": 4.0,
                                           "metrics": {}, "faults": [],
                                           "not_judged": [{"code": "bridge_feet_position",
                                                           "reason": "couldn't see your hip and knee and ankle clearly"}]}))
    rep = store.session_detail(sid).sets[0].reps[0]
    assert rep.not_judged[0].code == "bridge_feet_position"
    page = report_html(store, [sid])
    parsed = Collect()
    parsed.feed(page)
    assert "<h3>Not judged</h3>" in page and "bridge_feet_position: couldn't see your hip and knee and ankle clearly" in (
        "".join(parsed.items))
    store.close()


def test_a_threshold_edited_after_the_session_does_not_change_its_report(recorded, monkeypatch):
    """Reports read the definition each set was judged with, never today's exercise file."""
    import dataclasses
    from datetime import date

    from formcheck.reports import session_report as reports

    store, ids = recorded
    before = report_html(store, ids, today=date(2026, 11, 25))
    original = load_by_id("glute_bridge")
    edited = dataclasses.replace(original, rules=tuple(
        dataclasses.replace(r, min=r.min - 10) if r.min is not None else r for r in original.rules))
    monkeypatch.setattr(reports, "load_by_id", lambda _id: edited)  # "today's file", edited
    st = store.session_detail(ids[0]).sets[0]
    assert reports.exercise_thresholds(dataclasses.replace(st, definition=None)) != reports.exercise_thresholds(st)  # the edit shows
    assert report_html(store, ids, today=date(2026, 11, 25)) == before
