"""Posture sessions on record: the folder (durable), the database index, repair, bundles and the
reports the therapist reads — from a scripted session (no model)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from formcheck.core.posture import measure
from formcheck.core.posture_coach import PostureCoach, PostureSettings
from formcheck.core.posture_judge import Baseline, PostureJudge
from formcheck.records.bundle_export import export_bundle
from formcheck.records.bundle_import import import_bundle
from formcheck.records.posture_records import PostureRecorder, posture_summary
from formcheck.records.repair import repair
from formcheck.records.store import Store
from formcheck.reports.fhir import fhir_bundle
from formcheck.reports.session_report import report_csv, report_html, report_json
from tests.core.test_posture import MIN, S, side_pose

UP, SLOUCH = side_pose(0, 10), side_pose(20, 10)


def record_scripted(store: Store, person: str = "Eve") -> PostureRecorder:
    """Minute 0–1 upright, 1–4:30 slouched (a reminder at 3:00, not corrected by 4:00), then upright."""
    baseline = Baseline("side", {"trunk_deg": 0.0, "neck_deg": 10.0})
    rec = PostureRecorder(store, person, "camera 0", {"view": "side", "baseline": baseline.as_dict(),
                                                      "model": "pose_landmarker_full", "settings": {}})
    coach = PostureCoach(PostureJudge(baseline, window=1), PostureSettings(sample_ms=1000))
    for t in range(0, 5 * MIN, S):
        pose = SLOUCH if MIN <= t < 4 * MIN + 30 * S else UP
        for event in coach.update(t, measure(pose, t, "side")):
            rec.add(event)
    for event in coach.finish(5 * MIN):
        rec.add(event)
    rec.close()
    return rec


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[Store, PostureRecorder]:
    store = Store(tmp_path / "data" / "formcheck.db")
    rec = record_scripted(store)
    yield store, rec
    store.close()


def test_minutes_and_reminders_are_indexed_and_only_measures_are_kept(recorded) -> None:
    store, rec = recorded
    d = store.posture_detail(rec.session_id)
    assert [(m.minute, m.upright_s, m.slouched_s) for m in d.minutes] == [
        (0, 60.0, 0.0), (1, 0.0, 60.0), (2, 0.0, 60.0), (3, 0.0, 60.0), (4, 30.0, 30.0)]
    assert [(r.t_s, r.kind, r.lasted_s, r.corrected) for r in d.reminders] == [
        (180.0, "slouched", 120.0, False)]
    assert sorted(p.name for p in rec.folder.iterdir()) == ["events.jsonl", "session.json"]  # no image, no track
    assert store.session(rec.session_id).kind == "posture"


def test_summary_per_hour_and_day(recorded) -> None:
    store, rec = recorded
    s = posture_summary(store, [rec.session_id])
    assert len(s["days"]) == 1
    day = s["days"][0]
    assert (day["upright_min"], day["slouched_min"], day["reminders"], day["corrected"]) == (1.5, 3.5, 1, 0)
    assert sum(h["upright_min"] + h["slouched_min"] for h in s["hours"]) == 5.0


def test_repair_and_bundles_carry_posture_sessions(recorded, tmp_path: Path) -> None:
    store, rec = recorded
    before = store.posture_detail(rec.session_id)
    store.close()
    repair(tmp_path / "data" / "formcheck.db")
    rebuilt = Store(tmp_path / "data" / "formcheck.db")
    (sid,) = [s.id for s in rebuilt.sessions("Eve")]
    assert rebuilt.posture_detail(sid) == before
    out = tmp_path / "eve.formcheck"
    export_bundle(rebuilt, "Eve", out)
    rebuilt.close()
    clinic = Store(tmp_path / "clinic" / "formcheck.db")
    import_bundle(clinic, out)
    (cid,) = [s.id for s in clinic.sessions("Eve")]
    assert clinic.posture_detail(cid) == before
    clinic.close()


def test_reports_show_the_therapist_minutes_and_reminders(recorded) -> None:
    store, rec = recorded
    sid = rec.session_id
    rows = list(csv.DictReader(io.StringIO(report_csv(store, [sid]))))
    hours = [r for r in rows if r["kind"] == "posture_hour"]
    assert sum(float(r["upright_min"]) for r in hours) == 1.5 and sum(float(r["slouched_min"]) for r in hours) == 3.5
    (reminder,) = [r for r in rows if r["kind"] == "posture_reminder"]
    assert (reminder["fault_code"], reminder["start_s"], reminder["corrected"]) == ("slouched", "180.0", "no")
    (js,) = json.loads(report_json(store, [sid]))
    assert len(js["posture"]["minutes"]) == 5 and js["posture"]["reminders"][0]["kind"] == "slouched"
    page = report_html(store, [sid])
    assert "Posture at the desk" in page and "not corrected within a minute" in page
    obs = [e["resource"] for e in fhir_bundle(store, [sid])["entry"]
           if e["resource"]["resourceType"] == "Observation"]
    (posture,) = [o for o in obs if o["code"]["text"] == "Desk posture"]
    values = {c["code"]["coding"][0]["code"]: c.get("valueQuantity", {}).get("value", c.get("valueInteger"))
              for c in posture["component"]}
    assert values == {"posture-upright": 1.5, "posture-not-upright": 3.5, "posture-away": 0.0,
                      "posture-reminders": 1, "posture-corrected": 0, "posture-paused": 0}


def test_a_paused_reminder_counts_neither_way_in_the_records_and_reports(tmp_path: Path) -> None:
    store = Store(tmp_path / "data" / "formcheck.db")
    baseline = Baseline("side", {"trunk_deg": 0.0, "neck_deg": 10.0})
    rec = PostureRecorder(store, "Eve", "camera 0", {"view": "side", "baseline": baseline.as_dict(),
                                                     "model": "pose_landmarker_full", "settings": {}})
    coach = PostureCoach(PostureJudge(baseline, window=1), PostureSettings(sample_ms=1000))
    # Slouched, reminded at 2:00, paused at 2:20 (a call); back at 5:00, upright until 6:00.
    for start, end, pose in ((0, 2 * MIN + 20 * S, SLOUCH), (5 * MIN, 6 * MIN, UP)):
        for t in range(start, end, S):
            for event in coach.update(t, measure(pose, t, "side")):
                rec.add(event)
        for event in coach.finish(end):  # the pause, then the end
            rec.add(event)
    rec.close()
    sid = rec.session_id
    (reminder,) = store.posture_detail(sid).reminders
    assert (reminder.t_s, reminder.outcome, reminder.corrected) == (120.0, "paused", None)
    (day,) = posture_summary(store, [sid])["days"]
    assert (day["reminders"], day["corrected"], day["paused"]) == (1, 0, 1)
    assert (day["upright_min"], day["slouched_min"]) == (1.0, 2.3)  # the pause isn't watched time
    rows = list(csv.DictReader(io.StringIO(report_csv(store, [sid]))))
    assert [r["corrected"] for r in rows if r["kind"] == "posture_reminder"] == ["paused"]
    page = report_html(store, [sid])
    assert "paused before the minute was up (not counted)" in page and "not corrected" not in page
    (obs,) = [e["resource"] for e in fhir_bundle(store, [sid])["entry"]
              if e["resource"].get("code", {}).get("text") == "Desk posture"]
    values = {c["code"]["coding"][0]["code"]: c.get("valueInteger") for c in obs["component"]}
    assert (values["posture-reminders"], values["posture-corrected"], values["posture-paused"]) == (1, 0, 1)
    store.close()


def test_a_name_with_markup_is_escaped_in_the_html(tmp_path: Path) -> None:
    store = Store(tmp_path / "formcheck.db")
    rec = record_scripted(store, person="<script>x</script>")
    page = report_html(store, [rec.session_id])
    assert "<script>x" not in page
    store.close()
