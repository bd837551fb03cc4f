import threading

import cv2
import numpy as np
import pytest

from formcheck.pipeline.frames import (
    CameraSource,
    FrameSourceError,
    ImageFolderSource,
    VideoFileSource,
    open_source,
    paced,
    prefetch,
)


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
