"""Latest-frame capture: a slow consumer gets fresh frames and latency stays bounded."""

import time

import numpy as np

from formcheck.core.frame import Frame
from formcheck.video.live import LatestFrameGrabber
from formcheck.video.source import SourceInfo


class FastSource:
    """100 frames at 100 fps, like a camera faster than inference."""

    info = SourceInfo("fake", 100.0, 8, 8, None, True)

    def __iter__(self):
        for i in range(100):
            time.sleep(0.01)
            yield Frame(i, i * 10, np.zeros((8, 8, 3), np.uint8))

    def close(self):
        pass


def test_slow_consumer_drops_stale_frames_and_latency_stays_bounded():
    grabber = LatestFrameGrabber(FastSource()).start()
    got, latencies = [], []
    while (item := grabber.get(timeout=2.0)) is not None:
        time.sleep(0.05)  # "inference" 5× slower than the camera
        latencies.append(time.monotonic() - item.captured_at)
        got.append(item.frame.index)
    grabber.stop()
    assert got == sorted(got) and len(got) < 40
    assert grabber.dropped + len(got) == grabber.captured == 100
    # Never a backlog: each frame handed over is at most one inference old (+ scheduling slack).
    assert max(latencies) < 0.05 + 0.05
