"""`analyze --jobs N`: videos posed in worker processes, chunk by chunk, judged in order here."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from formcheck.core.tracker import ExerciseTracker
from formcheck.exercises.loader import load_by_id
from formcheck.pipeline.analyze import analyze_video
from formcheck.pipeline.bench import verdicts
from formcheck.pipeline.parallel import (
    Chunk, ChunkJob, ChunkPoses, PoseWorkers, _aligned, plan_chunks, pose_chunk,
)
from tests.conftest import damaged_copy, sample


# ---- planning and joining (no model) -------------------------------------------------------------


def test_chunks_are_equal_a_multiple_of_jobs_and_warm_up_before_each_join():
    assert plan_chunks(12_000, jobs=2, chunk_s=3, overlap_s=2) == [
        Chunk(0, 3000, 0), Chunk(3000, 6000, 2000), Chunk(6000, 9000, 2000), Chunk(9000, None, 2000),
    ]
    assert len(plan_chunks(9_400, jobs=2, chunk_s=3)) == 3  # 4 would be shorter than 3 s
    assert len(plan_chunks(150_000, jobs=2)) == 4  # 3 of 50 s would leave a worker idle at the end
    assert len(plan_chunks(150_000, jobs=1)) == 3
    assert len(plan_chunks(3_600_000, jobs=16)) == 64
    assert plan_chunks(25_000, jobs=2) == [Chunk(0, 12_500, 0), Chunk(12_500, None, 2000)]
    assert plan_chunks(19_000, jobs=2) == [Chunk(0, None, 0)]  # chunks under 10 s: one piece
    assert plan_chunks(35_000, jobs=4) == [Chunk(0, 11_667, 0), Chunk(11_667, 23_333, 2000),
                                           Chunk(23_333, None, 2000)]
    assert plan_chunks(0, jobs=2) == [Chunk(0, None, 0)]  # length unknown
    assert Chunk(60_000, 120_000, 3000).warm_from_ms == 57_000


def _poses(times, crcs):
    n = len(times)
    return ChunkPoses(640, 480, 0, np.array(times, np.int64), np.ones(n, np.int16), np.zeros(n, bool),
                      *(np.full((n, 33, 3), np.nan, np.float32) for _ in range(3)),
                      *(np.full((n, 33), np.nan, np.float32) for _ in range(2)),
                      np.array(crcs, np.uint32), 0)


def test_a_chunk_is_used_only_if_it_decoded_the_overlap_as_its_neighbour_did():
    chunk = Chunk(200, None, 100)  # warms up on 100..199
    previous = _poses([0, 50, 100, 150], [0, 0, 7, 8])
    assert _aligned(previous, _poses([100, 150, 200], [7, 8, 0]), chunk)
    assert _aligned(previous, _poses([90, 100, 150, 200], [0, 7, 8, 0]), chunk)  # landed early: fine
    assert not _aligned(previous, _poses([150, 200], [8, 0]), chunk)  # landed late: a frame missing
    assert not _aligned(previous, _poses([100, 150, 200], [7, 9, 0]), chunk)  # another picture


# ---- with the model ------------------------------------------------------------------------------


CHUNK_S = 3.0  # short chunks, so the bundled clips are cut in 3 to 6


@pytest.fixture(scope="module")
def workers(model_path):
    with PoseWorkers(2, model_path=model_path, chunk_s=CHUNK_S) as pool:
        yield pool


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


def _analyse(video, out, exercise, poses=None, **kw):
    tracker = ExerciseTracker(load_by_id(exercise))
    return analyze_video(video, out, exercise=exercise, tracker=tracker, progress=False, poses=poses, **kw)


def _same_verdicts(single, chunked, fps):
    """Same reps, attempts and holds with the same sides, faults and unjudged rules; their times
    within one frame (a joint angle that differs by a fraction of a degree can cross a threshold
    one frame apart; the times are rounded to 0.01 s)."""
    a, b = verdicts(single), verdicts(chunked)
    assert {k: len(v) for k, v in a.items()} == {k: len(v) for k, v in b.items()}
    for kind in a:
        for x, y in zip(a[kind], b[kind]):
            times = 3 if kind == "holds" else 2
            assert x[times:] == y[times:], f"{kind}: {x} vs {y}"
            assert np.allclose(x[:times], y[:times], atol=1 / fps + 0.011), f"{kind}: {x} vs {y}"


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("clip", "exercise", "chunks"), [("glute_bridge_low", "glute_bridge", 6), ("plank_sag", "forearm_plank", 3)]
)
def test_chunked_analysis_gives_the_single_process_reps_faults_and_holds(tmp_path, workers, clip, exercise, chunks):
    video = sample(f"{clip}.mp4")
    single = _analyse(video, tmp_path / "single", exercise).report
    chunked = _analyse(video, tmp_path / "chunked", exercise, workers.open(video, pictures=True), annotated=True).report

    assert chunked["pose"]["chunks"] == chunks
    assert (single["summary"]["reps"], single["summary"]["reps_flagged"]) == (
        chunked["summary"]["reps"], chunked["summary"]["reps_flagged"])
    assert single["summary"]["reps_flagged"] + len(single["holds"]) >= 1  # something to get right
    _same_verdicts(single, chunked, single["video"]["fps"])
    assert chunked["video"] == single["video"] and chunked["view"] == single["view"]

    one, many = np.load(tmp_path / "single" / "landmarks.npz"), np.load(tmp_path / "chunked" / "landmarks.npz")
    assert np.array_equal(one["t_ms"], many["t_ms"]) and np.array_equal(one["detected"], many["detected"])
    first = one["t_ms"] < plan_chunks(round(single["video"]["duration_s"] * 1000), 2, CHUNK_S)[1].start_ms
    assert np.array_equal(one["image_smoothed"][first], many["image_smoothed"][first])  # same run
    # Later chunks start MediaPipe's tracking afresh, which remembers every earlier frame: the
    # shoulders, hips, knees and ankles it sees stay within a pixel or so (hidden ones are guesses
    # that can differ a lot, and a crossed limb can be taken for the other one for a while).
    joints = [11, 12, 23, 24, 25, 26, 27, 28]
    seen = (one["visibility"][:, joints] >= 0.8) & (many["visibility"][:, joints] >= 0.8)
    px = np.abs(one["image_smoothed"] - many["image_smoothed"])[:, joints, :2].max(axis=2)[seen]
    assert np.median(px) < 1.0 and np.percentile(px, 90) < 5.0

    import cv2

    cap = cv2.VideoCapture(str(tmp_path / "chunked" / "annotated.mp4"))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == single["video"]["frames"]
    cap.release()


@pytest.mark.e2e
def test_a_worker_that_seeks_poses_what_one_reading_from_the_start_does(model_path):
    chunk = Chunk(4000, 6000, 2000)
    job = ChunkJob(sample("squat_good.mp4"), chunk, 5000, model_path, None)
    sought, read = pose_chunk(job), pose_chunk(ChunkJob(**{**_fields(job), "seek": False}))
    assert sought.t_ms[0] == 2000 and sought.t_ms[sought.first_kept] == 4000 and sought.t_ms[-1] == 5967
    for name in ("t_ms", "detected", "image", "smoothed", "world", "crc"):
        assert np.array_equal(getattr(sought, name), getattr(read, name), equal_nan=True), name
    assert (sought.crc[:sought.first_kept] != 0).all() and (sought.crc[sought.t_ms >= 5000] != 0).all()


def _fields(job):
    return {name: getattr(job, name) for name in job.__dataclass_fields__}


@pytest.mark.e2e
def test_a_damaged_video_is_chunked_like_it_is_read(tmp_path, workers):
    video = damaged_copy(sample("squat_good.mp4"), tmp_path / "damaged.mp4")
    single = analyze_video(video, tmp_path / "single", progress=False).report
    chunked = analyze_video(video, tmp_path / "chunked", progress=False, poses=workers.open(video)).report
    assert chunked["pose"]["chunks"] == 3
    assert chunked["video"] == single["video"] and single["video"]["frames_lost"] >= 1
    one, many = np.load(tmp_path / "single" / "landmarks.npz"), np.load(tmp_path / "chunked" / "landmarks.npz")
    assert np.array_equal(one["t_ms"], many["t_ms"])


def _workers_of(pid):
    """The pool's worker processes among ``pid``'s children (not multiprocessing's resource tracker)."""
    from pathlib import Path

    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children
            if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def _cpu_ticks(pid):
    from pathlib import Path

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


@pytest.mark.e2e
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the worker processes in /proc")
def test_a_worker_killed_mid_chunk_is_replaced_and_the_video_still_completes(tmp_path, model_path):
    import os
    import signal
    import time

    video = _clip(tmp_path / "twenty_seconds.mp4", 600)  # 6 chunks of 3.3 s
    with PoseWorkers(2, model_path=model_path, chunk_s=CHUNK_S) as pool:
        stream = pool.open(video)
        deadline = time.monotonic() + 120
        while not (busy := [w for w in _workers_of(os.getpid()) if _cpu_ticks(w) > 250]):  # past start-up
            assert time.monotonic() < deadline, "the workers never got going"
            time.sleep(0.1)
        os.kill(busy[0], signal.SIGKILL)
        times = [frame.t_ms for frame, _, _ in stream]
        workers = _workers_of(os.getpid())
    assert len(times) == 600 and times == sorted(set(times)) and times[-1] == round(599 * 1000 / 30)
    assert busy[0] not in workers and len(workers) == 2  # a new pool took over


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
