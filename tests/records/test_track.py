"""landmarks.npz: written as the frames come (flat memory), same content as np.savez_compressed."""

from __future__ import annotations

import tracemalloc
import zipfile

import numpy as np
import pytest

from formcheck.core.landmarks import NUM_LANDMARKS, Pose, PoseResult
from formcheck.records.track import LandmarkTrack, load_track


def _frames(n: int, seed: int = 0):
    """(raw, smoothed) results: a person in most frames, nobody in every 7th."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        t = round(i * 1000 / 30)
        if i % 7 == 3:
            nobody = PoseResult(t, 640, 480, None, 0)
            yield nobody, nobody
            continue
        pose = Pose(rng.random((NUM_LANDMARKS, 3)) * 640, rng.random((NUM_LANDMARKS, 3)),
                    rng.random(NUM_LANDMARKS), rng.random(NUM_LANDMARKS))
        raw = PoseResult(t, 640, 480, pose, 1)
        yield raw, PoseResult(t, 640, 480, pose.replace_image(pose.image + 0.5), 1)


def _reference_npz(path, frames) -> None:
    """What the in-memory LandmarkTrack wrote before: the arrays stacked, np.savez_compressed."""
    nan3 = np.full((NUM_LANDMARKS, 3), np.nan, np.float32)
    nan1 = np.full(NUM_LANDMARKS, np.nan, np.float32)

    def stack(poses, attr, empty):
        return np.stack([getattr(p, attr) if p is not None else empty for p in poses])

    raws, smooths = [r.pose for r, _ in frames], [s.pose for _, s in frames]
    np.savez_compressed(
        path, width=640, height=480, fps=30.0,
        t_ms=np.asarray([r.t_ms for r, _ in frames], np.int64),
        detected=np.asarray([p is not None for p in raws], bool),
        image=stack(raws, "image", nan3), image_smoothed=stack(smooths, "image", nan3),
        world=stack(raws, "world", nan3), visibility=stack(raws, "visibility", nan1),
        presence=stack(raws, "presence", nan1),
    )


def test_npz_has_the_same_members_byte_for_byte_as_before(tmp_path):
    frames = list(_frames(50))
    _reference_npz(tmp_path / "before.npz", frames)
    track = LandmarkTrack(tmp_path / "landmarks.npz")
    for raw, smoothed in frames:
        track.append(raw, smoothed)
    track.save(640, 480, 30.0)
    track.close()

    before, after = zipfile.ZipFile(tmp_path / "before.npz"), zipfile.ZipFile(tmp_path / "landmarks.npz")
    assert after.namelist() == before.namelist()
    for name in before.namelist():
        assert after.read(name) == before.read(name), name
    data = load_track(tmp_path / "landmarks.npz")
    assert data["t_ms"][-1] == round(49 * 1000 / 30) and data["detected"].sum() == 50 - 7
    assert (len(track), track.frames_with_pose) == (50, 43)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["before.npz", "landmarks.npz"]  # temp files gone


def test_an_empty_track_saves_empty_arrays(tmp_path):
    track = LandmarkTrack(tmp_path / "landmarks.npz")
    track.save(320, 240, 25.0)
    track.close()
    data = load_track(tmp_path / "landmarks.npz")
    assert data["image"].shape == (0, NUM_LANDMARKS, 3) and data["t_ms"].shape == (0,)
    assert (int(data["width"]), int(data["height"]), float(data["fps"])) == (320, 240, 25.0)


def test_memory_stays_flat_while_frames_are_added_and_saved(tmp_path):
    # 20,000 frames (11 minutes at 30 fps) kept in memory took ~2.5 KB each; streamed, nothing grows.
    track = LandmarkTrack(tmp_path / "landmarks.npz")
    tracemalloc.start()
    try:
        for raw, smoothed in _frames(20_000):
            track.append(raw, smoothed)
        held, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        track.save(640, 480, 30.0)
        _, saving_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        track.close()
    assert held < 2_000_000, f"{held / 1e6:.1f} MB held after 20,000 frames"
    assert saving_peak < 8_000_000, f"{saving_peak / 1e6:.1f} MB while saving"  # the arrays are 48 MB
    assert load_track(tmp_path / "landmarks.npz")["image"].shape == (20_000, NUM_LANDMARKS, 3)


def test_a_failed_analysis_leaves_no_temporary_files(tmp_path):
    track = LandmarkTrack(tmp_path / "landmarks.npz")
    for raw, smoothed in _frames(10):
        track.append(raw, smoothed)
    track.close()  # what analyze does when the analysis fails
    assert list(tmp_path.iterdir()) == []


def test_without_a_path_only_counts(tmp_path):
    track = LandmarkTrack()
    for raw, smoothed in _frames(14):
        track.append(raw, smoothed)
    assert (len(track), track.frames_with_pose) == (14, 12)
    with pytest.raises(ValueError, match="keeps no landmarks"):
        track.save(640, 480, 30.0)
