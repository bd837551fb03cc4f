"""A live session measured: the real window, a clip paced like a 30 fps camera, recording (with
the camera video kept) and voice on — the full app path. Used by `formcheck bench --live` (a
minute) and tools/soak.py (ten minutes and more).

Latency is glass to screen: from the frame's arrival (the grabber) to its packet with evaluation,
cue and overlay ready for the window. Drops are frames the camera delivered that the pipeline never
saw (it was busy); they only happen when inference is slower than the camera.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from formcheck.video.file_sources import VideoFileSource
from formcheck.video.frames import LoopingSource


def rss_mb() -> float:
    """Resident memory of this process (Linux), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


@dataclass
class Interval:
    """One reporting interval of a live run."""

    elapsed_s: float
    rss_mb: float
    fps: float
    latencies_ms: np.ndarray
    dropped: int
    captured: int
    state: str
    reps: int

    def line(self) -> str:
        lat = self.latencies_ms if self.latencies_ms.size else np.array([np.nan])
        return (f"{self.elapsed_s:6.0f} s  rss {self.rss_mb:7.1f} MB  fps {self.fps:5.1f}  latency p50 "
                f"{np.nanpercentile(lat, 50):6.1f} p99 {np.nanpercentile(lat, 99):6.1f} max {np.nanmax(lat):6.1f} ms  "
                f"dropped {self.dropped:4d}  {self.state} ({self.reps} reps in this exercise)")


@dataclass
class LiveRun:
    intervals: list[Interval] = field(default_factory=list)
    exercises: int = 1
    alive: bool = False  # the pipeline still delivered frames in the last interval
    data_dir: Path | None = None

    @property
    def latencies_ms(self) -> np.ndarray:
        parts = [i.latencies_ms for i in self.intervals if i.latencies_ms.size]
        return np.concatenate(parts) if parts else np.zeros(0)

    @property
    def drop_rate(self) -> float:
        captured = sum(i.captured for i in self.intervals)
        return sum(i.dropped for i in self.intervals) / captured if captured else 0.0

    def summary(self) -> str:
        lat = self.latencies_ms
        if not lat.size:
            return "no frames were processed"
        p50, p95, p99 = np.percentile(lat, [50, 95, 99])
        return (f"{lat.size} frames, latency p50 {p50:.1f} ms, p95 {p95:.1f} ms, p99 {p99:.1f} ms, "
                f"max {lat.max():.1f} ms; dropped {100 * self.drop_rate:.1f} % of camera frames")


def run_live(clip: Path, exercise: str, seconds: float, report_s: float = 30.0,
             on_interval: Callable[[Interval], None] | None = None) -> LiveRun:
    """Run the app live on ``clip`` (looping, paced like a camera) for ``seconds``."""
    work = Path(tempfile.mkdtemp(prefix="formcheck-live-"))
    os.environ["FORMCHECK_DATA_DIR"] = str(work / "data")
    from formcheck.ui.app import build_window  # after FORMCHECK_DATA_DIR: the recorder's folder

    app = QApplication.instance() or QApplication([])
    settings = QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("keep_webcam_video", True)
    window = build_window(settings)
    window.show()
    c = window.controller
    run = LiveRun(data_dir=work / "data")
    latencies: list[float] = []
    c.frame.connect(lambda packet: latencies.append(packet.latency_ms))

    def next_exercise() -> None:  # a person going on through their programme
        if c.coach is None or c.coach.state == "done":
            run.exercises += 1
            window.start_exercise(exercise)

    window.start_exercise(exercise)
    c.open_source(lambda: LoopingSource(lambda: VideoFileSource(clip)), label=f"live bench {clip.name}", kind="live")
    start = time.monotonic()
    last_t = start
    last = {"frames": 0, "dropped": 0, "captured": 0}  # the counts at the last report
    frames = [0]
    c.frame.connect(lambda _p: frames.__setitem__(0, frames[0] + 1))

    def report() -> None:
        nonlocal last_t
        now = time.monotonic()
        dropped = c.latest.dropped if c.latest else 0  # the grabber's running count
        captured = frames[0] + dropped
        interval = Interval(
            now - start, rss_mb(), (frames[0] - last["frames"]) / (now - last_t), np.array(latencies),
            dropped - last["dropped"], captured - last["captured"], c.coach.state if c.coach else "-",
            sum(s.rep_total for s in c.coach.sets) if c.coach else 0)
        latencies.clear()
        run.intervals.append(interval)
        run.alive = c.running and frames[0] > last["frames"]
        last_t = now
        last.update(frames=frames[0], dropped=dropped, captured=captured)
        if on_interval is not None:
            on_interval(interval)
        if now - start >= seconds:
            app.quit()

    timer = QTimer()
    timer.timeout.connect(report)
    timer.start(int(min(report_s, seconds) * 1000))
    flow = QTimer()
    flow.timeout.connect(next_exercise)
    flow.start(1000)
    app.exec()
    timer.stop()
    flow.stop()
    window.close()
    return run
