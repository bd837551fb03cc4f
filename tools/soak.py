"""Soak: the real app, a real clip looping through the full live path, for many minutes.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/soak.py --minutes 10

The window, the worker thread, the MediaPipe model, the coach, recording (database, track and the
kept camera video) and the voice all run as in a live session; the clip (a real person when
../shared/real_clips is here, else the bundled sample) plays paced like a camera, for ever. When
an exercise finishes, the next one starts, as a person going through their programme would.
Every 30 s it prints memory (RSS), fps, glass-to-screen latency p50/p99 and dropped frames.

Pass (exit 0): alive at the end, RSS after warm-up grows ≤ 5 %, no latency over 250 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REAL_CLIP = ROOT.parent / "shared" / "real_clips" / "stock_glute_bridges.mp4"
SAMPLE_CLIP = ROOT / "sample_videos" / "glute_bridge_good.mp4"
REPORT_S = 30.0
WARM_UP_S = 60.0
MAX_RSS_GROWTH = 0.05
MAX_LATENCY_MS = 250.0


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--clip", type=Path, default=REAL_CLIP if REAL_CLIP.is_file() else SAMPLE_CLIP)
    ap.add_argument("--exercise", default="glute_bridge")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="formcheck-soak-"))
    os.environ["FORMCHECK_DATA_DIR"] = str(work / "data")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from formcheck.pipeline.frames import LoopingSource, VideoFileSource
    from formcheck.ui.app import build_window

    app = QApplication([])
    settings = QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)
    settings.setValue("keep_webcam_video", True)
    window = build_window(settings)
    window.show()
    c = window.controller
    print(f"soak: {args.clip.name}, {args.exercise}, {args.minutes:g} min, voice "
          f"{'on (' + c.speaker.command[0] + ')' if c.speaker.available else 'unavailable'}, data in {work}",
          flush=True)

    latencies: list[float] = []
    frames = [0]
    exercises = [0]

    def on_frame(packet: object) -> None:
        latencies.append(packet.latency_ms)  # type: ignore[attr-defined]
        frames[0] += 1

    c.frame.connect(on_frame)

    def next_exercise() -> None:
        if c.coach is None or c.coach.state == "done":
            exercises[0] += 1
            window.start_exercise(args.exercise)

    window.start_exercise(args.exercise)
    # Paced like a camera; recorded as a live session, so the camera picture is kept too.
    window.controller.open_source(lambda: LoopingSource(lambda: VideoFileSource(args.clip)),
                                  label=f"soak {args.clip.name}", kind="live")
    start = time.monotonic()
    samples: list[tuple[float, float]] = []
    worst = [0.0]
    alive = [False]
    last = {"t": start, "frames": 0, "dropped": 0}

    def report() -> None:
        now = time.monotonic()
        lat = np.array(latencies) if latencies else np.array([np.nan])
        latencies.clear()
        dropped = c.latest.dropped if c.latest else 0
        fps = (frames[0] - last["frames"]) / (now - last["t"])
        rss = rss_mb()
        elapsed = now - start
        samples.append((elapsed, rss))
        worst[0] = max(worst[0], float(np.nanmax(lat)) if lat.size else 0.0)
        reps = sum(s.rep_total for s in c.coach.sets) if c.coach else 0
        print(f"{elapsed:6.0f} s  rss {rss:7.1f} MB  fps {fps:5.1f}  latency p50 {np.nanpercentile(lat, 50):6.1f} "
              f"p99 {np.nanpercentile(lat, 99):6.1f} max {np.nanmax(lat):6.1f} ms  dropped {dropped - last['dropped']:4d}  "
              f"exercise #{exercises[0] + 1} {c.coach.state if c.coach else '-'} ({reps} reps this one)", flush=True)
        alive[0] = c.running and frames[0] > last["frames"]  # the pipeline still delivers frames
        last.update(t=now, frames=frames[0], dropped=dropped)
        if elapsed >= args.minutes * 60:
            app.quit()

    timer = QTimer()
    timer.timeout.connect(report)
    timer.start(int(REPORT_S * 1000))
    flow = QTimer()
    flow.timeout.connect(next_exercise)
    flow.start(1000)
    app.exec()

    window.close()
    after = [rss for t, rss in samples if t >= WARM_UP_S]
    growth = (max(after) - after[0]) / after[0] if len(after) >= 2 else float("nan")
    sessions = len(list((work / "data" / "sessions").glob("*")))
    ok = alive[0] and growth <= MAX_RSS_GROWTH and worst[0] <= MAX_LATENCY_MS
    print(f"soak {'PASSED' if ok else 'FAILED'}: pipeline alive {alive[0]}, RSS after warm-up "
          f"{after[0] if after else float('nan'):.1f} → {max(after) if after else float('nan'):.1f} MB "
          f"({100 * growth:+.1f} %, limit {100 * MAX_RSS_GROWTH:.0f} %), worst latency {worst[0]:.0f} ms "
          f"(limit {MAX_LATENCY_MS:.0f}), {exercises[0] + 1} exercises, {sessions} session folder(s)", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
