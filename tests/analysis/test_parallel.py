"""`--jobs N`: several videos at once in worker processes, each video whole in one process, so a
video's results never depend on N; and workers that never outlive their parent."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from formcheck.analysis.batch import VideoTask, analyze_videos
from formcheck.analysis.parallel import WorkerDied, WorkerPool, in_order
from formcheck.exercises.loader import load_by_id
from tests.analysis import pool_jobs
from tests.conftest import ROOT, damaged_copy, sample

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the processes in /proc")


# ---- processes, read from /proc ---------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    """``pid``'s child processes, started from any of its threads."""
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return children


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _workers_of(pid: int) -> list[int]:
    """The pool's worker processes among ``pid``'s children."""
    return [c for c in _children(pid) if b"spawn_main" in _cmdline(c)]


def _tracker_of(pid: int) -> list[int]:
    """multiprocessing's resource tracker among ``pid``'s children."""
    return [c for c in _children(pid) if b"resource_tracker" in _cmdline(c)]


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a parent that never reaps it has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while not (value := condition()):
        assert time.monotonic() < deadline, what
        time.sleep(0.05)
    return value


def _gone_within(pids: list[int], seconds: float) -> list[int]:
    """The ``pids`` still running after ``seconds`` (checked every 50 ms, so it ends early)."""
    deadline = time.monotonic() + seconds
    while (left := [p for p in pids if _alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), **extra}


def _kill_9(parent: subprocess.Popen, workers: list[int]) -> list[int]:
    """SIGKILL ``parent``; which of its ``workers`` and its resource tracker still run 5 s later."""
    tracker = _tracker_of(parent.pid)
    assert len(tracker) == 1
    parent.kill()
    parent.wait()
    return _gone_within(workers + tracker, 5.0)


def _stop(parent: subprocess.Popen) -> None:
    """Leave nothing running, whatever the test found."""
    parent.kill()
    for pid in _workers_of(parent.pid):
        os.kill(pid, signal.SIGKILL)


# ---- the pool (no model) ---------------------------------------------------------------------------


def test_the_pool_gives_each_items_result_or_its_own_error_in_the_order_given():
    with WorkerPool(pool_jobs.square, 2) as pool:
        got = list(in_order(pool.as_completed([0, 1, 2, 3, 4])))
    assert got[:3] == [0, 1, 4] and got[4] == 16
    assert isinstance(got[3], ValueError) and str(got[3]) == "three is refused"


def test_a_worker_that_dies_is_replaced_and_its_item_tried_again(tmp_path, monkeypatch):
    monkeypatch.setenv("POOL_TEST_DIR", str(tmp_path))
    with WorkerPool(pool_jobs.die_once, 2) as pool:
        assert list(in_order(pool.as_completed([0, 1, 2, 3]))) == [0, 1, 2, 3]
    assert (tmp_path / "died").exists()


def test_an_item_that_kills_its_worker_twice_fails_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("POOL_TEST_DIR", str(tmp_path))
    with WorkerPool(os._exit, 1) as pool:  # os._exit(9) ends the worker at once, every time
        got = list(in_order(pool.as_completed([9])))
    assert isinstance(got[0], WorkerDied) and "stopped unexpectedly, twice" in str(got[0])


PARENT = """
import sys, threading
from formcheck.analysis.parallel import WorkerPool
from tests.analysis.pool_jobs import sleep_then_pid

def run():
    with WorkerPool(sleep_then_pid, 2) as pool:
        list(pool.as_completed([120, 120]))

if sys.argv[1] == "main":
    run()
else:  # workers started from another thread get no PR_SET_PDEATHSIG: the watching thread ends them
    t = threading.Thread(target=run)
    t.start()
    t.join()
"""


@linux_only
@pytest.mark.parametrize("thread", ["main", "other"])
def test_workers_and_the_resource_tracker_end_within_seconds_of_a_kill_9_of_their_parent(tmp_path, thread):
    parent = subprocess.Popen([sys.executable, "-c", PARENT, thread], env=_env(POOL_TEST_DIR=str(tmp_path)))
    try:
        started = _wait_for(lambda: len(list(tmp_path.iterdir())) == 2 and _workers_of(parent.pid), 60,
                            "the workers never started")
        workers = [int(p.name) for p in tmp_path.iterdir()]
        assert sorted(workers) == sorted(started)
        assert _kill_9(parent, workers) == []
    finally:
        _stop(parent)


# ---- videos (real model) ---------------------------------------------------------------------------


def _clip(path, frames):
    """The first ``frames`` frames of the squat sample (looped when longer), as a new video."""
    import cv2

    cap = cv2.VideoCapture(str(sample("squat_good.mp4")))
    images = [cap.read()[1] for _ in range(min(frames, 282))]
    cap.release()
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (640, 480))
    for i in range(frames):
        writer.write(images[i % len(images)])
    writer.release()
    return path


def _verdicts(report):
    """Everything the engine said about the reps, attempts and holds."""
    return {k: report.get(k) for k in ("reps", "attempts", "holds", "summary", "view")}


BATCH = [("glute_bridge_low", "glute_bridge"), ("plank_good", "forearm_plank")]  # (the sag clips are not planks)


def _tasks(out: Path, model_path: Path) -> list[VideoTask]:
    return [VideoTask(sample(f"{clip}.mp4"), out / clip, load_by_id(exercise), model_path=model_path)
            for clip, exercise in BATCH]


@pytest.fixture(scope="module")
def alone(tmp_path_factory, model_path):
    """Each video of BATCH analysed on its own in this process (what `--jobs 1` does)."""
    out = tmp_path_factory.mktemp("alone")
    items = [next(analyze_videos([task], jobs=2, progress=False)) for task in _tasks(out, model_path)]
    assert all(item.error is None for item in items)
    return out, [item.result.report for item in items]


@pytest.mark.e2e
def test_videos_analysed_side_by_side_in_workers_give_what_each_gives_alone(tmp_path, model_path, alone):
    folder, reports = alone
    items = list(analyze_videos(_tasks(tmp_path, model_path), jobs=2, progress=False))
    assert [item.error for item in items] == [None, None]
    side_by_side = [item.result.report for item in items]
    assert [_verdicts(r) for r in side_by_side] == [_verdicts(r) for r in reports]
    assert reports[0]["summary"]["reps_flagged"] >= 1 and len(reports[1]["holds"]) >= 1  # something to get right
    for clip, _ in BATCH:  # the very same poses, not merely the same counts
        one, many = np.load(folder / clip / "landmarks.npz"), np.load(tmp_path / clip / "landmarks.npz")
        assert sorted(one.files) == sorted(many.files)
        for name in one.files:
            assert np.array_equal(one[name], many[name], equal_nan=True), name


@pytest.mark.e2e
@linux_only
def test_a_worker_killed_mid_video_is_replaced_and_the_batch_gives_the_same_results(tmp_path, model_path, alone):
    _, reports = alone
    tasks = _tasks(tmp_path, model_path)
    items = analyze_videos(tasks, jobs=2, progress=False)
    killed = []

    def kill_a_busy_worker():
        busy = [w for w in _workers_of(os.getpid()) if _cpu_ticks(w) > 250]  # past start-up
        if busy:
            os.kill(busy[0], signal.SIGKILL)
            killed.append(busy[0])
        return busy

    import threading

    killer = threading.Thread(target=lambda: _wait_for(kill_a_busy_worker, 120, "the workers never got going"))
    killer.start()
    results = list(items)
    killer.join()
    assert killed and killed[0] not in _workers_of(os.getpid())
    assert [item.error for item in results] == [None, None]
    assert [_verdicts(item.result.report) for item in results] == [_verdicts(r) for r in reports]


@pytest.mark.e2e
def test_a_damaged_video_in_a_batch_is_read_as_it_is_alone(tmp_path, model_path):
    video = damaged_copy(sample("squat_good.mp4"), tmp_path / "damaged.mp4")
    squat = load_by_id("squat")
    one = next(analyze_videos([VideoTask(video, None, squat, model_path=model_path)], progress=False))
    many = list(analyze_videos([VideoTask(video, None, squat, model_path=model_path)] * 2, jobs=2, progress=False))
    assert one.result.report["video"]["frames_lost"] >= 1
    for item in many:
        assert item.result.report["video"] == one.result.report["video"]
        assert _verdicts(item.result.report) == _verdicts(one.result.report)


def _analyze_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "formcheck", "analyze", *args, "--no-progress"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _recording_a_batch(tmp_path: Path) -> tuple[subprocess.Popen, list[int], Path]:
    """`analyze anna.mp4 ben.mp4 --record --jobs 2` (30 s each), once both workers are busy: the
    process, its workers and the data folder."""
    videos = [_clip(tmp_path / f"{name}.mp4", 900) for name in ("anna", "ben")]
    data = tmp_path / "data"
    parent = _analyze_cli(*map(str, videos), "--exercise", "squat", "--jobs", "2", "--record", "--person", "Eve",
                          "--out", str(tmp_path / "out"), env=_env(FORMCHECK_DATA_DIR=str(data)))
    try:
        workers = _wait_for(lambda: len(busy := [w for w in _workers_of(parent.pid) if _cpu_ticks(w) > 250]) == 2
                            and busy, 120, "the workers never got going")
    except BaseException:
        _stop(parent)
        raise
    return parent, workers, data


def _sessions(data: Path) -> list[tuple[str, str | None]]:
    """(status, end reason) of each session, as the next start finds them."""
    from formcheck.records.store import Store

    store = Store(data / "formcheck.db")
    try:
        return [(s.status, s.end_reason) for s in store.sessions("Eve")]
    finally:
        store.close()


@pytest.mark.e2e
@linux_only
def test_a_kill_9_of_analyze_record_leaves_no_worker_and_its_sessions_are_found_interrupted(tmp_path, model_path):
    parent, workers, data = _recording_a_batch(tmp_path)
    try:
        assert _kill_9(parent, workers) == []
    finally:
        _stop(parent)
    # Ended, but a zombie counts as running for the store until init reaps it (this machine's init
    # does so every few seconds).
    _wait_for(lambda: not any(Path(f"/proc/{pid}").exists() for pid in workers), 30, "the workers were never reaped")
    assert [status for status, _ in _sessions(data)] == ["interrupted", "interrupted"]


@pytest.mark.e2e
@linux_only
def test_sigterm_stops_a_batch_at_once_and_its_sessions_say_interrupted(tmp_path, model_path):
    parent, workers, data = _recording_a_batch(tmp_path)
    try:
        parent.terminate()
        _, err = parent.communicate(timeout=15)
    finally:
        _stop(parent)
    assert parent.returncode == 130, err
    assert "interrupted (stopped by SIGTERM); what was recorded is kept" in err and "Traceback" not in err
    assert _gone_within(workers, 5.0) == []
    assert _sessions(data) == [("interrupted", "stopped with the analysis it was part of")] * 2


# ---- the same clip, whatever --jobs, on real footage ----------------------------------------------


@pytest.mark.e2e
@pytest.mark.real_clips
def test_a_real_clip_gives_the_same_reps_holds_and_faults_with_jobs_1_and_jobs_2(real_clips, model_path, tmp_path):
    """labelled/home_000_squat counted 13 squats with --jobs 1 and 14 with --jobs 2 when a video
    was cut into pieces posed by several processes."""
    clip, other = real_clips / "labelled" / "home_000_squat.mp4", real_clips / "labelled" / "home_006_squat.mp4"
    reports = {}
    for jobs, videos in (("1", [clip]), ("2", [clip]), ("2-batch", [clip, other])):
        out = tmp_path / jobs
        done = _analyze_cli(*map(str, videos), "--exercise", "squat", "--jobs", jobs[0], "--out", str(out))
        _, err = done.communicate(timeout=600)
        assert done.returncode == 0, err
        folder = out if len(videos) == 1 else out / clip.stem
        reports[jobs] = json.loads((folder / "report.json").read_text())
    one = _verdicts(reports["1"])
    assert one["summary"]["reps"] >= 10
    assert _verdicts(reports["2"]) == one and _verdicts(reports["2-batch"]) == one


# ---- the command line: several files, a folder, a bad file among good ones -----------------------


@pytest.mark.e2e
def test_a_folder_and_files_give_one_report_each_and_a_bad_file_fails_alone(tmp_path, model_path):
    folder = tmp_path / "patients"
    folder.mkdir()
    _clip(folder / "anna.mp4", 45)
    _clip(folder / "ben.mov", 30)
    (folder / "notes.txt").write_text("not a video, and not taken for one")
    (folder / "broken.mp4").write_bytes(b"this is no video")
    extra = _clip(tmp_path / "anna.mp4", 20)  # same name as one in the folder
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "formcheck", "analyze", str(folder), str(extra), "--exercise", "squat",
         "--out", str(out), "--jobs", "2", "--no-progress"],
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 4  # one line per video, in the order given
    assert lines[0].startswith(f"{folder / 'anna.mp4'}: 45 frames (1.5 s), pose in 100 %, squat: 0 reps")
    assert lines[0].endswith(f"-> {out / 'anna'}")
    assert lines[1].startswith(f"{folder / 'ben.mov'}: 30 frames") and lines[1].endswith(f"-> {out / 'ben'}")
    assert lines[2].startswith(f"{folder / 'broken.mp4'}: failed: Could not open broken.mp4 as a video")
    assert lines[3].startswith(f"{extra}: 20 frames") and lines[3].endswith(f"-> {out / 'anna-2'}")
    assert "1 of 4 videos failed" in done.stderr
    for name, frames in (("anna", 45), ("ben", 30), ("anna-2", 20)):
        report = json.loads((out / name / "report.json").read_text())
        assert report["video"]["frames"] == frames and report["exercise"] == "squat"
        assert len(np.load(out / name / "landmarks.npz")["t_ms"]) == frames
    assert sorted(p.name for p in out.iterdir()) == ["anna", "anna-2", "ben"]


def test_an_empty_folder_is_one_clear_message(tmp_path):
    done = subprocess.run([sys.executable, "-m", "formcheck", "analyze", str(tmp_path), "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert f"{tmp_path} has no video files (.mp4," in done.stderr and "Traceback" not in done.stderr
