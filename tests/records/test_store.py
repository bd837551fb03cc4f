"""Session database: round trip, migration, verdicts and notes, crash consistency, bad folders."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from formcheck.analysis.analyze import analyze_video
from formcheck.core.tracker import ExerciseTracker
from formcheck.exercises.loader import load_by_id
from formcheck.pose.estimator import PoseEstimator
from formcheck.records.database import sessions
from formcheck.records.database.connection import DDL_WORDS, StoreError
from formcheck.records.database.schema import MIGRATIONS, SCHEMA_VERSION, statements
from formcheck.records.recorder import SessionRecorder
from formcheck.records.session_events import parse_event
from formcheck.records.session_track import read_track
from formcheck.records.store import Store
from tests.conftest import ROOT, sample


def test_recorded_analysis_round_trips(store, model_path):
    with PoseEstimator(model_path) as est:
        result = analyze_video(sample("glute_bridge_low.mp4"), None, exercise="glute_bridge",
                               tracker=ExerciseTracker(load_by_id("glute_bridge")), progress=False, estimator=est,
                               record=lambda: SessionRecorder(store, "Ann <script>", "glute_bridge_low.mp4", "file"))
    report = result.report
    detail = store.session_detail(result.session_id)
    assert detail.person == "Ann <script>" and detail.status == "complete"
    reps = detail.sets[0].reps
    assert [(r.index, r.start_s, r.end_s) for r in reps] == [
        (r["index"], r["start_s"], r["end_s"]) for r in report["reps"]]
    assert [[f.code for f in r.faults] for r in reps] == [[f["code"] for f in r["faults"]] for r in report["reps"]]
    folder = store.session(result.session_id).folder
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    assert events[0]["type"] == "set_start" and events[0]["exercise"] == "glute_bridge"
    assert [e["index"] for e in events if e["type"] == "rep"] == [1, 2, 3]
    assert events[-1] == {"type": "set_end", "t_s": events[-1]["t_s"], "ended_by": "video_end"}
    track = read_track(folder)
    assert len(track) == report["video"]["frames"]
    assert (track[:, 1] == 1).mean() >= 0.95  # detected


def test_migration_from_version_1_keeps_data(tmp_path):
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    for statement in statements(MIGRATIONS[0], DDL_WORDS):
        old.execute(statement)
    old.execute("PRAGMA user_version=1")
    old.execute("INSERT INTO people(name, created) VALUES ('Bob', 'x')")
    old.execute("INSERT INTO sessions(person_id, started, source, kind, folder, status) VALUES (1, 't', 'v.mp4', 'file', '/f', 'complete')")
    old.execute("INSERT INTO sets(session_id, exercise, number, prescribed, started_s) VALUES (1, 'squat', 1, '2 × 10 reps', 0)")
    old.commit()
    old.close()
    store = Store(path)
    assert store.version == SCHEMA_VERSION == 9
    old_session = store.sessions("Bob")[0]
    assert old_session.source == "v.mp4" and old_session.status == "complete" and old_session.uid == "legacy-1"
    # 5 → 6: folders relative to the data folder, and every person has a uid
    assert store.db.execute("SELECT folder FROM sessions").fetchone()[0] == "sessions/f"
    assert old_session.folder == tmp_path / "sessions" / "f"
    assert len(store.person_uid("Bob")) == 32
    # sets from before calibration profiles were judged with the population thresholds
    assert store.session_detail(1).sets[0].profile == "population"
    store.add_note(1, "new in v2")
    assert store.session_detail(1).notes == ("new in v2",)
    store.close()


def test_verdicts_and_notes_persist(store):
    sid, _ = store.start_session("Cy", "cam", "live")
    with store.transaction():
        set_id = sessions.add_set(store.db, sid, "squat", 1, "2 × 10 reps", 0.0)
        rid = sessions.add_rep(store.db, set_id, parse_event({"type": "rep", "index": 1, "side": None, "start_s": 1.0, "end_s": 3.0,
                                                 "metrics": {}, "faults": [{"code": "squat_chest_down",
                                                                            "message": "Keep your chest tall", "t_s": 2.0}]}))
    fault_id = store.session_detail(sid).sets[0].reps[0].faults[0].id
    store.set_verdict(fault_id, agree=False)
    store.set_verdict(fault_id, agree=True)  # changing one's mind replaces the verdict
    store.add_note(sid, "Chest fine, camera angle", rep_id=rid)
    store.close()
    again = Store(store.location)
    rep = again.session_detail(sid).sets[0].reps[0]
    assert rep.faults[0].agree is True and rep.notes == ("Chest fine, camera angle",)
    again.close()


CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from formcheck.core.events import SetStarted
    from formcheck.core.tracker import ExerciseTracker
    from formcheck.exercises.loader import load_by_id
    from formcheck.video.file_sources import VideoFileSource
    from formcheck.video.frames import paced
    from formcheck.pose.estimator import PoseEstimator
    from formcheck.records.recorder import SessionRecorder
    from formcheck.analysis.runner import FramePipeline
    from formcheck.records.store import Store

    class Reporting(SessionRecorder):
        def flush(self, t_ms=None):
            super().flush(t_ms)
            print(f"flushed {self._last_flush_ms}", flush=True)

    store = Store(Path(sys.argv[1]))
    squat = load_by_id("squat")
    rec = Reporting(store, "Dee", "squat_good.mp4", "live")
    pipe = FramePipeline(PoseEstimator(), None, ExerciseTracker(squat))
    pending = [SetStarted(0, squat, 1)]
    for frame in paced(iter(VideoFileSource(sys.argv[2]))):   # real time, like a camera
        out = pipe.step(frame)
        rec.on_frame(out, out.evaluation, [*pending, *out.evaluation.events])
        pending = []
""")


def test_kill_9_mid_session_loses_at_most_the_last_second(tmp_path, model_path):
    db = tmp_path / "data" / "formcheck.db"
    env = dict(os.environ, PYTHONPATH=str(ROOT), FORMCHECK_MODELS_DIR=str(model_path.parent))
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db), str(sample("squat_good.mp4"))],
                             stdout=subprocess.PIPE, text=True, env=env)
    last_flushed = 0
    for line in child.stdout:  # the child reports each flush; kill once reps have happened
        last_flushed = int(line.split()[1])
        if last_flushed >= 6000:
            break
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)

    store = Store(db)  # opening it notices the recording process is gone
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    session = store.sessions("Dee")[0]
    assert session.status == "interrupted" and "crash" in (session.end_reason or "")
    assert json.loads((session.folder / "session.json").read_text())["status"] == "interrupted"
    track = read_track(session.folder)
    # Everything flushed before the kill is there: nothing older than one flush is lost.
    assert track[-1, 0] >= last_flushed - 1000
    reps = store.session_detail(session.id).sets[0].reps
    assert len(reps) >= 1 and all(r.end_s * 1000 <= track[-1, 0] + 1000 for r in reps)
    store.close()


def test_unwritable_data_folder_gives_one_clear_message(tmp_path):
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    with pytest.raises(StoreError) as err:
        Store(blocked / "formcheck.db")
    assert "FORMCHECK_DATA_DIR" in str(err.value) and "\n" not in str(err.value)


def test_person_names_are_trimmed_and_never_blank(store):
    rec = SessionRecorder(store, "  Alex \t", "camera 0", "live")
    rec.finish()
    assert store.session(rec.session_id).person == "Alex"
    assert [s.id for s in store.sessions("Alex")] == [rec.session_id]
    for blank in ("", " \n "):
        with pytest.raises(StoreError, match="saved under a person's name, and this one is empty"):
            SessionRecorder(store, blank, "camera 0", "live")
    assert len(store.sessions()) == 1  # nothing half-made by the refused ones


def test_track_keeps_the_pose_the_engine_saw_and_sets_keep_their_definition(store, model_path):
    """Enough to re-judge a session later: every landmark as the engine saw it, and the thresholds."""
    from formcheck.core.smoothing import PoseSmoother
    from formcheck.exercises.snapshot import from_json
    from formcheck.records.session_track import track_pose
    from formcheck.reports.session_report import judged_with
    from formcheck.video.file_sources import VideoFileSource

    with PoseEstimator(model_path) as est:
        result = analyze_video(sample("squat_good.mp4"), None, exercise="squat", progress=False, estimator=est,
                               tracker=ExerciseTracker(load_by_id("squat")),
                               record=lambda: SessionRecorder(store, "Cy", "squat_good.mp4", "file"))
    with PoseEstimator(model_path) as est:  # the same frames again, smoothed the same way
        smoother = PoseSmoother()
        seen = [smoother.update(est.process(f)) for f in VideoFileSource(sample("squat_good.mp4"))]
    track = read_track(store.session(result.session_id).folder)
    assert len(track) == len(seen)
    for row, expected in zip(track[::40], seen[::40]):
        got = track_pose(row)
        assert got.t_ms == expected.t_ms and (got.width, got.height) == (expected.width, expected.height)
        for attr in ("image", "world", "visibility", "presence"):
            assert (getattr(got.pose, attr) == getattr(expected.pose, attr)).all()
    st = store.session_detail(result.session_id).sets[0]
    assert from_json(st.definition) == load_by_id("squat")
    # Reports read the stored definition, not today's file.
    tuned = dataclasses.replace(load_by_id("squat"), name="Squat as judged then")
    from formcheck.exercises.snapshot import to_json
    st = dataclasses.replace(st, definition=to_json(tuned))
    assert judged_with(st).name == "Squat as judged then"
