"""Check the bundled clips against their ground truth with the real pose model.

    python tools/check_sample_videos.py [NAME ...]

Prints, per clip: pose coverage, mean absolute error of the 2D knee and hip angles on the side
facing the camera, and whether MediaPipe's left/right agrees with the mannequin's.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from formcheck.core.geometry import joint_angle  # noqa: E402
from formcheck.pose.estimator import PoseEstimator  # noqa: E402
from formcheck.video.file_sources import VideoFileSource  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"
JOINTS = {"knee": (23, 25, 27), "hip": (11, 23, 25)}


def check(name: str, estimator: PoseEstimator) -> dict[str, float]:
    meta = json.loads((SAMPLES / f"{name}.json").read_text())
    truth = np.load(SAMPLES / f"{name}.truth.npz")
    side = meta["facing_side"] or "left"
    off = 0 if side == "left" else 1
    errors: dict[str, list[float]] = {k: [] for k in JOINTS}
    found = swapped = 0
    source = VideoFileSource(SAMPLES / f"{name}.mp4")
    for frame in source:
        r = estimator.process(frame)
        if r.pose is None:
            continue
        found += 1
        xy = r.pose.image[:, :2]
        gt = truth["image_xy"][frame.index]
        # Left/right check: MediaPipe's left hip is nearer our left hip than our right hip.
        if np.linalg.norm(xy[23] - gt[23]) > np.linalg.norm(xy[23] - gt[24]) + 5:
            swapped += 1
        for k, (a, b, c) in JOINTS.items():
            a, b, c = a + off, b + off, c + off
            errors[k].append(abs(joint_angle(xy[a], xy[b], xy[c]) - truth[f"{k}_{side}"][frame.index]))
    source.close()
    n = meta["frames"]
    return {
        "coverage": found / n,
        "knee_mae": float(np.mean(errors["knee"])) if errors["knee"] else float("nan"),
        "hip_mae": float(np.mean(errors["hip"])) if errors["hip"] else float("nan"),
        "lr_swapped": swapped / max(found, 1),
    }


def main() -> int:
    names = sys.argv[1:] or sorted(p.stem for p in SAMPLES.glob("*.mp4"))
    print(f"{'clip':22s} {'coverage':>8s} {'knee MAE':>9s} {'hip MAE':>8s} {'L/R swapped':>11s}")
    for name in names:
        with PoseEstimator() as est:
            m = check(name, est)
        print(f"{name:22s} {100 * m['coverage']:7.1f}% {m['knee_mae']:8.1f}° {m['hip_mae']:7.1f}° {100 * m['lr_swapped']:10.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
