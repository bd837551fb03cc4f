import logging
import threading
from fractions import Fraction

import cv2
import numpy as np
import pytest

from formcheck.video.camera import CameraSource
from formcheck.video.file_sources import ImageFolderSource, VideoFileSource
from formcheck.video.frames import open_source, paced, prefetch
from formcheck.video.source import FrameSourceError
from tests.conftest import damaged_copy


def write_clip(path, frames=12, size=(160, 120), fps=25.0):
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for i in range(frames):
        img = np.full((size[1], size[0], 3), (i * 20) % 255, np.uint8)
        cv2.putText(img, str(i), (10, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.5, (0, 0, 255), 3)
        w.write(img)
    w.release()
    return path


def _file(path, data):
    path.write_bytes(data)
    return path


def test_video_file_frames_and_timestamps(tmp_path):
    src = VideoFileSource(write_clip(tmp_path / "c.mp4", frames=12, fps=25.0))
    frames = list(src)
    assert src.info.fps == pytest.approx(25.0)
    assert (src.info.width, src.info.height) == (160, 120)
    assert len(frames) == 12
    assert [f.t_ms for f in frames] == [i * 40 for i in range(12)]
    assert [f.index for f in frames] == list(range(12))


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: p / "missing.mp4", "not found"),
        (lambda p: p, "not a file"),
        (lambda p: _file(p / "empty.mp4", b""), "empty.mp4"),
        (lambda p: _file(p / "junk.mp4", b"\x00garbage" * 500), "junk.mp4"),
    ],
)
def test_bad_video_files_raise_one_clear_message(tmp_path, make, words):
    with pytest.raises(FrameSourceError) as err:
        VideoFileSource(make(tmp_path))
    assert words in str(err.value)
    assert "\n" not in str(err.value)


def test_truncated_video_yields_what_it_has(tmp_path):
    good = write_clip(tmp_path / "c.mp4", frames=60)
    data = good.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    try:
        src = VideoFileSource(cut)
    except FrameSourceError as exc:  # a cut that removes the index is unreadable: clear message
        assert "cut.mp4" in str(exc)
        return
    frames = list(src)  # must terminate, never hang or crash
    assert len(frames) < 60


# A phone clip: 30 fps, dropping to 15 fps in dim light, with the jitter phones record.
PHONE_PTS_MS = (
    [i * 33 for i in range(30)]
    + [990 + i * 66 for i in range(1, 31)]
    + [2970 + i * 33 + (i % 3) * 4 for i in range(1, 31)]
)


def write_vfr_clip(path, pts_ms, size=(160, 120)):
    """A variable-frame-rate clip whose frames carry exactly the given presentation times."""
    import av

    ms = Fraction(1, 1000)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=30)
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.time_base = stream.codec_context.time_base = ms
        for i, t in enumerate(pts_ms):
            img = np.full((size[1], size[0], 3), (i * 20) % 255, np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="bgr24")
            frame.pts, frame.time_base = t, ms
            container.mux(stream.encode(frame))
        container.mux(stream.encode())
    return path


def container_times_ms(path):
    """Presentation times of the decoded frames as the container stores them (read with PyAV)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sorted(float(f.pts * stream.time_base * 1000) for f in container.decode(stream))


@pytest.mark.parametrize("suffix", [".mp4", ".mkv"])
def test_variable_frame_rate_video_is_timed_by_the_container(tmp_path, caplog, suffix):
    clip = write_vfr_clip(tmp_path / f"phone{suffix}", PHONE_PTS_MS)
    truth = container_times_ms(clip)
    assert truth == PHONE_PTS_MS  # the clip really is variable-rate
    src = VideoFileSource(clip)
    with caplog.at_level(logging.WARNING):
        frames = list(src)
    assert len(frames) == len(truth)
    assert max(abs(f.t_ms - t) for f, t in zip(frames, truth)) <= 1
    assert all(b.t_ms > a.t_ms for a, b in zip(frames, frames[1:]))
    assert src.frames_lost == 0
    assert "truncated" not in caplog.text


def _first_failed_read(path):
    cap = cv2.VideoCapture(str(path))
    n = 0
    while cap.read()[0]:
        n += 1
    cap.release()
    return n


def test_damaged_data_mid_file_is_skipped_and_counted(tmp_path, caplog):
    good = write_clip(tmp_path / "c.mp4", frames=90, fps=30.0)
    bad = damaged_copy(good, tmp_path / "damaged.mp4")
    stops_at = _first_failed_read(bad)
    assert 10 < stops_at < 80  # a plain OpenCV read loop really stops at the damage

    src = VideoFileSource(bad)
    with caplog.at_level(logging.WARNING):
        frames = list(src)
    times = [f.t_ms for f in frames]
    assert times[-1] == round(89 * 1000 / 30)  # decoded to the last frame
    assert sum(t > times[stops_at - 1] for t in times) >= 90 - stops_at - 10
    assert all(b > a for a, b in zip(times, times[1:]))
    assert [f.index for f in frames] == list(range(len(frames)))
    assert 1 <= src.frames_lost <= 20
    assert len(frames) + src.frames_lost == 90
    assert "could not be decoded" in caplog.text
    assert "truncated" not in caplog.text


def test_image_folder(tmp_path):
    for i in range(5):
        cv2.imwrite(str(tmp_path / f"f{i:03d}.png"), np.full((40, 60, 3), i * 40, np.uint8))
    (tmp_path / "f002.png").write_bytes(b"not an image")  # one corrupt image is skipped
    src = ImageFolderSource(tmp_path, fps=10)
    frames = list(src)
    assert len(frames) == 4
    assert [f.t_ms for f in frames] == [0, 100, 200, 300]


def test_image_folder_without_images(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(FrameSourceError, match="no images"):
        ImageFolderSource(tmp_path)


def test_open_source_dispatch(tmp_path):
    clip = write_clip(tmp_path / "c.mp4")
    assert isinstance(open_source(str(clip)), VideoFileSource)
    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((10, 10, 3), np.uint8))
    assert isinstance(open_source(tmp_path), ImageFolderSource)


class FakeCapture:
    """The hardware edge: stands in for cv2.VideoCapture."""

    def __init__(self, frames=5, opened=True, then="disconnect"):
        self.opened, self.left, self.then = opened, frames, then
        self.block = threading.Event()

    def isOpened(self):
        return self.opened

    def set(self, *_):
        return True

    def get(self, prop):
        return 30.0 if prop == cv2.CAP_PROP_FPS else 0.0

    def read(self):
        if self.left > 0:
            self.left -= 1
            return True, np.zeros((48, 64, 3), np.uint8)
        if self.then == "stall":
            self.block.wait(10)  # a driver that hangs
        return False, None

    def release(self):
        self.block.set()


def test_camera_that_fails_to_open():
    with pytest.raises(FrameSourceError, match="Could not open camera 3"):
        CameraSource(3, capture_factory=lambda d: FakeCapture(opened=False))


def test_camera_that_opens_but_gives_no_picture():
    with pytest.raises(FrameSourceError, match="gives no picture"):
        CameraSource(0, capture_factory=lambda d: FakeCapture(frames=0))


def test_camera_disconnect_mid_session_raises_after_delivering_frames():
    clock = iter(range(0, 10_000, 33))
    cam = CameraSource(0, capture_factory=lambda d: FakeCapture(frames=5), clock_ms=lambda: next(clock))
    got = []
    with pytest.raises(FrameSourceError, match="disconnected"):
        for f in cam:
            got.append(f)
    cam.close()
    assert 1 <= len(got) <= 5
    assert all(b.t_ms > a.t_ms for a, b in zip(got, got[1:]))


def test_camera_that_stalls_is_reported_not_waited_on_forever():
    cam = CameraSource(0, capture_factory=lambda d: FakeCapture(frames=2, then="stall"),
                       stall_timeout_s=0.3)
    with pytest.raises(FrameSourceError, match="stopped sending frames"):
        for _ in cam:
            pass
    cam.close()


def test_prefetch_preserves_order_and_reraises(tmp_path):
    src = VideoFileSource(write_clip(tmp_path / "c.mp4", frames=20))
    assert [f.index for f in prefetch(iter(src))] == list(range(20))

    def broken():
        yield from list(VideoFileSource(tmp_path / "c.mp4"))[:3]
        raise FrameSourceError("boom")

    with pytest.raises(FrameSourceError, match="boom"):
        list(prefetch(broken()))


def test_paced_waits_for_frame_time(tmp_path):
    src = VideoFileSource(write_clip(tmp_path / "c.mp4", frames=5, fps=10))
    now = [0.0]
    waits = []

    def sleep(s):
        waits.append(s)
        now[0] += s

    list(paced(iter(src), speed=2.0, sleep=sleep, clock=lambda: now[0]))
    # Frames 100 ms apart at double speed: about 50 ms per frame to wait in total.
    assert sum(waits) == pytest.approx(0.2, abs=0.05)
