"""Soak: the real app, a real clip looping through the full live path, for many minutes.

    QT_QPA_PLATFORM=offscreen .venv/bin/python tools/soak.py --minutes 10

The window, the worker thread, the MediaPipe model, the coach, recording (database, track and the
kept camera video) and the voice all run as in a live session (formcheck.ui.live_bench); the clip
(a real person when ../shared/real_clips is here, else the bundled sample) plays paced like a
camera, for ever, and the next exercise starts when one finishes. Every 30 s it prints memory
(RSS), fps, latency p50/p99/max and dropped frames.

Pass (exit 0): alive at the end, RSS after warm-up grows ≤ 5 %, no latency over 250 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
REAL_CLIP = ROOT.parent / "shared" / "real_clips" / "stock_glute_bridges.mp4"
SAMPLE_CLIP = ROOT / "sample_videos" / "glute_bridge_good.mp4"
WARM_UP_S = 60.0
MAX_RSS_GROWTH = 0.05
MAX_LATENCY_MS = 250.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--clip", type=Path, default=REAL_CLIP if REAL_CLIP.is_file() else SAMPLE_CLIP)
    ap.add_argument("--exercise", default="glute_bridge")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from formcheck.ui.live_bench import run_live

    print(f"soak: {args.clip.name}, {args.exercise}, {args.minutes:g} min", flush=True)
    run = run_live(args.clip, args.exercise, args.minutes * 60, 30.0, lambda i: print(i.line(), flush=True))
    after = [i.rss_mb for i in run.intervals if i.elapsed_s >= WARM_UP_S]
    growth = (max(after) - after[0]) / after[0] if len(after) >= 2 else float("nan")
    worst = float(run.latencies_ms.max()) if run.latencies_ms.size else float("nan")
    sessions = len(list((run.data_dir / "sessions").glob("*"))) if run.data_dir else 0
    ok = run.alive and growth <= MAX_RSS_GROWTH and worst <= MAX_LATENCY_MS
    print(f"{run.summary()}\nsoak {'PASSED' if ok else 'FAILED'}: pipeline alive {run.alive}, RSS after warm-up "
          f"{after[0] if after else float('nan'):.1f} → {max(after) if after else float('nan'):.1f} MB "
          f"({100 * growth:+.1f} %, limit {100 * MAX_RSS_GROWTH:.0f} %), worst latency {worst:.0f} ms "
          f"(limit {MAX_LATENCY_MS:.0f}), {run.exercises} exercises, {sessions} session folder(s)", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
