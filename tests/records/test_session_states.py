"""Sessions say how they ended, are never ghosts, never mix, and survive a lost database."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from formcheck.analysis.analyze import analyze_video
from formcheck.core.tracker import ExerciseTracker
from formcheck.exercises.loader import load_by_id
from formcheck.pose.estimator import PoseEstimator
from formcheck.records.database.connection import StoreError
from formcheck.records.recorder import SessionRecorder
from formcheck.records.session_events import SetStart, read_events
from formcheck.records.session_meta import read_session_json
from formcheck.records.store import Store
from formcheck.reports.session_report import report_html
from tests.conftest import ROOT, mounted_tmpfs, sample

pytestmark = pytest.mark.e2e


def env_for(data: Path, model_path: Path) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT), FORMCHECK_DATA_DIR=str(data),
                FORMCHECK_MODELS_DIR=str(model_path.parent), FORMCHECK_CONFIG_DIR=str(data / "config"),
                QT_QPA_PLATFORM="offscreen")


def formcheck(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "formcheck", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def wait_for_events(data: Path, child: subprocess.Popen[str], timeout: float = 60) -> Path:
    """The first session folder once it holds recorded events (the recording is under way)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for events in (data / "sessions").glob("*/events.jsonl"):
            if events.stat().st_size > 0:
                return events.parent
        if child.poll() is not None:
            pytest.fail(f"the run ended before recording anything: {child.stderr.read() if child.stderr else ''}")
        time.sleep(0.02)
    pytest.fail("no recording started")


def record_bridges(store: Store, est: PoseEstimator, person: str = "Ann") -> list[int]:
    ids = []
    for clip in ("glute_bridge_low", "glute_bridge_good"):
        video = sample(f"{clip}.mp4")
        result = analyze_video(video, None, exercise="glute_bridge", progress=False, estimator=est,
                               tracker=ExerciseTracker(load_by_id("glute_bridge")),
                               record=lambda v=video: SessionRecorder(store, person, str(v), "file"))
        ids.append(result.session_id)
    return ids


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_analyze_stopped_by_a_signal_ends_interrupted(tmp_path, model_path, sig):
    data = tmp_path / "data"
    child = subprocess.Popen(
        [sys.executable, "-m", "formcheck", "analyze", str(sample("bird_dog_good.mp4")), "--exercise", "bird_dog",
         "--record", "--no-progress", "--out", str(tmp_path / "out")],
        env=env_for(data, model_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    folder = wait_for_events(data, child)
    child.send_signal(sig)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130, err
    assert "what was recorded is kept" in err
    meta = read_session_json(folder)
    assert meta["status"] == "interrupted"
    if sig != signal.SIGINT:
        assert sig.name in meta["end_reason"]
    store = Store(data / "formcheck.db")
    session = store.sessions()[0]
    assert session.status == "interrupted" and session.folder == folder
    assert store.session_detail(session.id).sets[0].ended_by == "closed"
    html = report_html(store, [session.id])  # the report says how the session ended, and why
    assert "status <b>interrupted</b>" in html and (sig == signal.SIGINT or sig.name in html)
    store.close()


def test_app_stopped_by_sigterm_ends_interrupted(tmp_path, model_path):
    data = tmp_path / "data"
    script = ("import sys; from pathlib import Path; from formcheck.ui.app import run_app; "
              f"sys.exit(run_app(video=Path({str(sample('squat_good.mp4'))!r}), exercise='squat'))")
    child = subprocess.Popen([sys.executable, "-c", script], env=env_for(data, model_path),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    folder = wait_for_events(data, child)
    child.send_signal(signal.SIGTERM)
    child.communicate(timeout=60)
    meta = read_session_json(folder)
    assert meta["status"] == "interrupted" and "SIGTERM" in meta["end_reason"]
    assert isinstance(read_events(folder).items[0], SetStart)


def test_no_ghost_session_when_the_video_cannot_be_read(tmp_path, model_path):
    data = tmp_path / "data"
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00" * 5000)
    for video, out in ((bad, tmp_path / "out"), (tmp_path / "missing.mp4", tmp_path / "out"),
                       (sample("squat_good.mp4"), Path("/proc/formcheck-cannot-write-here"))):
        run = formcheck("analyze", str(video), "--exercise", "squat", "--record", "--no-progress", "--out", str(out),
                        env=env_for(data, model_path))
        assert run.returncode == 2 and "Traceback" not in run.stderr, run.stderr
    store = Store(data / "formcheck.db")
    assert store.sessions() == [] and not list((data / "sessions").glob("*"))
    store.close()


def test_deleted_database_never_mixes_new_sessions_into_old_folders(tmp_path, model_path):
    db = tmp_path / "data" / "formcheck.db"
    with PoseEstimator(model_path) as est:
        store = Store(db)
        first = record_bridges(store, est, "Ann")
        old_folders = {sid: store.session(sid).folder for sid in first}
        old_events = {sid: (f / "events.jsonl").read_bytes() for sid, f in old_folders.items()}
        store.close()
        for f in db.parent.glob("formcheck.db*"):
            f.unlink()
        store = Store(db)
        second = record_bridges(store, est, "Bob")
        assert second == first  # numbering starts again with a new database...
        new_folders = {store.session(sid).folder for sid in second}
        assert not new_folders & set(old_folders.values())  # ...but folders are never reused
        store.close()
    for sid, folder in old_folders.items():
        assert (folder / "events.jsonl").read_bytes() == old_events[sid]
        assert read_session_json(folder)["person"] == "Ann"


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_damaged_database_gives_one_sentence_and_repair_rebuilds_it(tmp_path, model_path, damage):
    data = tmp_path / "data"
    db = data / "formcheck.db"
    with PoseEstimator(model_path) as est:
        store = Store(db)
        ids = record_bridges(store, est)
        detail = store.session_detail(ids[0])
        store.set_verdict(detail.sets[0].reps[1].faults[0].id, agree=False)
        store.add_note(ids[0], "Hips fine, camera low", rep_id=detail.sets[0].reps[1].id)
        store.add_note(ids[0], "Good effort today")
        before = [store.session_detail(i) for i in ids]
        store.close()
    if damage == "garbage":
        db.write_bytes(b"this is not a database" * 100)
    else:
        db.write_bytes(db.read_bytes()[:4096])
    for f in data.glob("formcheck.db-*"):
        f.unlink()

    run = formcheck("sessions", env=env_for(data, model_path))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert str(db) in run.stderr and "formcheck repair" in run.stderr and len(run.stderr.strip().splitlines()) == 1
    with pytest.raises(StoreError, match="formcheck repair"):
        Store(db)

    run = formcheck("repair", env=env_for(data, model_path))
    assert run.returncode == 0, run.stderr
    assert "rebuilt" in run.stdout and "kept as" in run.stdout
    store = Store(db)
    after = [store.session_detail(s.id) for s in store.sessions()]
    store.close()

    def essence(d):
        return (d.person, d.source, d.status, d.notes, [
            (st.exercise, st.number, st.ended_by,
             [(r.index, r.start_s, r.attempt, [(f.code, f.agree) for f in r.faults], r.notes)
              for r in st.reps]) for st in d.sets], len(d.cues))

    assert [essence(d) for d in after] == [essence(d) for d in before]
    assert after[0].sets[0].reps[1].faults[0].agree is False
    assert after[0].sets[0].reps[1].notes == ("Hips fine, camera low",)


@pytest.fixture
def tiny_disk(tmp_path):
    """A 420 kB file system for the data folder: recording fills it part-way through a clip."""
    yield from mounted_tmpfs(tmp_path / "tiny", "420k")


def test_disk_full_during_analyze_record_keeps_report_and_marks_the_session(tmp_path, model_path, tiny_disk):
    data = tiny_disk / "data"
    out = tmp_path / "out"
    run = formcheck("analyze", str(sample("bird_dog_good.mp4")), "--exercise", "bird_dog", "--record",
                    "--no-progress", "--out", str(out), env=env_for(data, model_path))
    assert run.returncode == 1, run.stderr
    folder = next((data / "sessions").iterdir())
    assert "Recording stopped" in run.stderr and str(folder) in run.stderr and "Traceback" not in run.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["summary"]["reps"] >= 4  # the analysis itself went to the end
    shutil.rmtree(out)
    store = Store(data / "formcheck.db")
    session = store.sessions()[0]
    assert session.status == "interrupted" and "No space left" in (session.end_reason or "")
    store.close()
