"""Run the exercise engine over ../shared/real_clips and print the tables for the issue notes.

    python tools/real_footage.py counts      # per clip: what the engine counted and flagged
    python tools/real_footage.py labelled    # per-fault precision/recall on labelled/ (frame level)

The footage is never copied into the project; this script only reads it.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from formcheck.analysis.runner import FramePipeline  # noqa: E402
from formcheck.core.smoothing import PoseSmoother  # noqa: E402
from formcheck.core.tracker import ExerciseTracker, FrameEvaluation  # noqa: E402
from formcheck.exercises.loader import load_by_id  # noqa: E402
from formcheck.pose.estimator import PoseEstimator  # noqa: E402
from formcheck.records.results_json import results_json  # noqa: E402
from formcheck.video.file_sources import VideoFileSource  # noqa: E402

CLIPS = Path(__file__).resolve().parents[2] / "shared" / "real_clips"
EXERCISE_OF = {
    "darebee_bridge.mp4": "glute_bridge",
    "darebee_squat.mp4": "squat",
    "polybag_bird_dog.mp4": "bird_dog",
    "polybag_cat_back.mp4": "cat_cow",
    "polybag_childs_pose.mp4": "childs_pose",
    "polybag_thoracic_rotation.mp4": "tspine_rotation",
    "stock_bridge_pose.mp4": "glute_bridge",
    "stock_glute_bridges.mp4": "glute_bridge",
    "stock_cat_cow.mp4": "cat_cow",
    "stock_childs_pose.mp4": "childs_pose",
    "stock_hamstring_stretch.mp4": "hamstring_stretch",
    "stock_lunges.mp4": "lunge_twist",
    "stock_side_plank.mp4": "side_plank",
    "stock_squats.mp4": "squat",
    "studio_good_mornings.mp4": "hip_hinge",
    "studio_lunges.mp4": "lunge_twist",
    "studio_side_plank.mp4": "side_plank",
    "studio_squats.mp4": "squat",
}
# Label codes of labelled/ → our fault codes.
LABEL_FAULTS = {
    "plank": {"l": "hips_sagging", "h": "hips_piking"},
    "squat": {"k": "squat_knees_forward", "h": "squat_chest_down", "r": "squat_chest_down"},
}
EXERCISE_OF_LABELLED = {"plank": "forearm_plank", "squat": "squat"}


def run(video: Path, exercise: str, estimator: PoseEstimator) -> tuple[dict, list[FrameEvaluation]]:
    tracker = ExerciseTracker(load_by_id(exercise))
    pipeline = FramePipeline(estimator, PoseSmoother(), tracker)
    evaluations = []
    source = VideoFileSource(video)
    for frame in source:
        out = pipeline.step(frame)
        evaluations.append(out.evaluation)
    source.close()
    return results_json(tracker), evaluations


def counts() -> None:
    print("| clip | exercise | reps counted | attempts | holds (s) | faults raised |")
    print("|---|---|---|---|---|---|")
    for name, exercise in EXERCISE_OF.items():
        path = CLIPS / name
        try:
            load_by_id(exercise)
        except ValueError:
            print(f"| {name} | {exercise} | (no definition) | | | |")
            continue
        with PoseEstimator() as est:
            results, _ = run(path, exercise, est)
        faults = Counter(f["code"] for item in results["reps"] + results["holds"] for f in item["faults"])
        sides = Counter(r["side"] for r in results["reps"] if r["side"])
        rep_text = f"{len(results['reps'])}" + (f" ({dict(sides)})" if sides else "")
        holds = ", ".join(f"{h['duration_s']:.0f}" for h in results["holds"]) or "-"
        fault_text = ", ".join(f"{c}×{n}" for c, n in faults.most_common()) or "-"
        print(f"| {name} | {exercise} | {rep_text} | {len(results['attempts'])} | {holds} | {fault_text} |")


def _labels(kind: str) -> dict[str, list[tuple[float, set[str]]]]:
    """video number → [(end_s, codes)] segments, 'end' as infinity."""
    path = CLIPS / "labelled" / ("squat_labels.tsv" if kind == "squat" else "plank_labels.csv")
    out: dict[str, list[tuple[float, set[str]]]] = {}
    with path.open() as f:
        rows = csv.reader(f, delimiter="\t" if kind == "squat" else ",")
        for row in rows:
            if len(row) < 3:
                continue
            vid, end, codes = row[0].strip(), row[1].strip(), row[2].strip()
            out.setdefault(vid, []).append((float("inf") if end == "end" else float(end), set(codes)))
    return out


def labelled() -> None:
    for kind, mapping in LABEL_FAULTS.items():
        labels = _labels(kind)
        tally = {code: Counter() for code in set(mapping.values())}
        for video in sorted((CLIPS / "labelled").glob(f"home_*_{kind}.mp4")):
            vid = video.stem.split("_")[1]
            if vid not in labels:
                continue
            with PoseEstimator() as est:
                _, evaluations = run(video, EXERCISE_OF_LABELLED[kind], est)
            for ev in evaluations:
                t = ev.t_ms / 1000
                codes = next((c for end, c in labels[vid] if t < end), set())
                if "i" in codes:
                    continue  # idle: nobody is exercising, nothing to judge
                truth = {mapping[c] for c in codes if c in mapping}
                for code in tally:
                    predicted, actual = code in ev.faults, code in truth
                    tally[code]["tp" if predicted and actual else "fp" if predicted else "fn" if actual else "tn"] += 1
        print(f"{kind}: frame-level, idle frames excluded")
        for code, c in tally.items():
            p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else float("nan")
            r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else float("nan")
            print(f"  {code:24s} precision {p:.2f} recall {r:.2f}  (tp {c['tp']}, fp {c['fp']}, fn {c['fn']}, tn {c['tn']})")


if __name__ == "__main__":
    {"counts": counts, "labelled": labelled}[sys.argv[1] if len(sys.argv) > 1 else "counts"]()
