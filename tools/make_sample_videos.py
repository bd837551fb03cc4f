"""Render the bundled sample videos and their ground truth from the procedural mannequin.

    pip install -e .[samples]; apt-get install libosmesa6
    python tools/make_sample_videos.py [--only NAME ...] [--out sample_videos]

Writes NAME.mp4 (H.264), NAME.json (labels) and NAME.truth.npz (per-frame landmarks and angles).
Not needed at run time; CI never re-renders.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import imageio_ffmpeg
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools.mannequin.body import Body, near_side  # noqa: E402
from tools.mannequin.motions import CLIPS, FPS, Clip  # noqa: E402
from tools.mannequin.render import HEIGHT, WIDTH, Renderer  # noqa: E402

ANGLES = {  # name: (a, b, c) landmark indices, angle at b
    "knee_left": (23, 25, 27), "knee_right": (24, 26, 28),
    "hip_left": (11, 23, 25), "hip_right": (12, 24, 26),
    "elbow_left": (11, 13, 15), "elbow_right": (12, 14, 16),
    "shoulder_left": (23, 11, 13), "shoulder_right": (24, 12, 14),
    "body_line_left": (11, 23, 27), "body_line_right": (12, 24, 28),
}


def angle_2d(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    u, v = a - b, c - b
    cos = float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


def truth(clip: Clip) -> dict[str, np.ndarray]:
    xy = np.stack([clip.camera.project(b.landmarks()) for b in clip.bodies]).astype(np.float32)
    visible = np.stack([_visible(b, clip.view) for b in clip.bodies])
    out = {
        "t_ms": np.array([round(i * 1000 / FPS) for i in range(len(clip.bodies))], np.int64),
        "image_xy": xy,
        "visible": visible,
    }
    for name, (a, b, c) in ANGLES.items():
        out[name] = np.array([angle_2d(f[a], f[b], f[c]) for f in xy], np.float32)
    return out


def _visible(body: Body, view: str) -> np.ndarray:
    """Approximate: side-on, the far side's limbs are hidden; facing the camera, all are seen."""
    vis = np.ones(33, bool)
    if view == "side":
        far = 1 if near_side(body) == "left" else 0  # MediaPipe: odd = left, even = right (from 11)
        for i in range(11, 33):
            if i % 2 == far:
                vis[i] = False
    return vis


def write(clip: Clip, out: Path) -> None:
    renderer = Renderer(clip.camera)
    writer = imageio_ffmpeg.write_frames(
        str(out / f"{clip.name}.mp4"), (WIDTH, HEIGHT), fps=FPS, codec="libx264",
        pix_fmt_in="rgb24", pix_fmt_out="yuv420p", output_params=["-crf", "26", "-preset", "slow"],
        macro_block_size=16,
    )
    writer.send(None)
    for body in clip.bodies:
        writer.send(np.ascontiguousarray(renderer.render(body)[:, :, ::-1]))
    writer.close()
    renderer.close()
    arrays = truth(clip)
    np.savez_compressed(out / f"{clip.name}.truth.npz", **arrays)
    meta = {
        "exercise": clip.exercise, "fps": FPS, "width": WIDTH, "height": HEIGHT, "frames": len(clip.bodies),
        "view": clip.view, "facing_side": near_side(clip.bodies[0]) if clip.view == "side" else None,
        "reps": clip.reps, "holds": clip.holds, "faults": clip.faults, "description": clip.description,
    }
    (out / f"{clip.name}.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--only", nargs="*", choices=sorted(CLIPS))
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "sample_videos")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.only or sorted(CLIPS):
        clip = CLIPS[name]()
        write(clip, args.out)
        size = (args.out / f"{name}.mp4").stat().st_size
        print(f"{name}: {len(clip.bodies)} frames, {size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
