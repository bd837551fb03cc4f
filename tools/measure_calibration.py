"""Does personal range-of-motion calibration help? Measured on the labelled real clips.

    python tools/measure_calibration.py [--clips DIR] [--only NAME ...] [--json OUT] [--keep DIR]

For every labelled rep clip (tests/data/real_clip_labels.toml, labelled_clip_labels.toml) of an
exercise that counts reps: analyse it once with the population thresholds (recorded, so the session
can be re-judged), calibrate from the clip's first two movements (``rom_targets``, as
`formcheck calibrate person` does with three), and judge the rest of the clip twice from the stored
track — population thresholds and personal ones. Both are scored exactly as `formcheck eval`
scores a clip (``eval_score.score_clip`` on the labels after the calibration reps), so the figures
read like eval's: clips counted exactly / within one, false flags on clean reps, per-fault F1.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from formcheck.analysis.analyze import analyze_video  # noqa: E402
from formcheck.analysis.rejudge import recorded_sets, rejudge_session  # noqa: E402
from formcheck.core.reps import RepRecord  # noqa: E402
from formcheck.core.tracker import ExerciseTracker  # noqa: E402
from formcheck.evaluation.figures import totals  # noqa: E402
from formcheck.evaluation.labels import ClipLabels, load_labels  # noqa: E402
from formcheck.evaluation.scoring import ClipScore, FaultTally, score_clip  # noqa: E402
from formcheck.exercises.loader import load_by_id  # noqa: E402
from formcheck.exercises.personal_thresholds import rom_targets  # noqa: E402
from formcheck.exercises.profile import Profile  # noqa: E402
from formcheck.exercises.toml_reader import ExerciseFileError  # noqa: E402
from formcheck.records.recorder import SessionRecorder  # noqa: E402
from formcheck.records.store import Store  # noqa: E402

LABELS = (ROOT / "tests" / "data" / "real_clip_labels.toml", ROOT / "tests" / "data" / "labelled_clip_labels.toml")
CALIBRATION_REPS = 2


def labelled_clips(only: set[str]) -> list[ClipLabels]:
    clips = []
    for path in LABELS:
        for clip in load_labels(path):
            if only and Path(clip.file).stem not in only:
                continue
            if clip.exercise == "none" or len(clip.reps) <= CALIBRATION_REPS:
                continue
            try:
                exercise = load_by_id(clip.exercise)
            except ExerciseFileError:
                continue
            if exercise.rep is not None:
                clips.append(clip)
    return clips


def _record(rep: dict[str, Any], rising: bool) -> RepRecord:
    peak, span = rep["metrics"].get("peak_deg"), rep["metrics"].get("range_deg")
    low = peak - span if rising else peak + span
    return RepRecord(rep.get("side"), int(rep["start_s"] * 1000), True, peak=peak, low=low)


def _after(clip: ClipLabels, cut_s: float) -> ClipLabels:
    """The clip's labels for what follows the calibration reps (a rep whose turn is past the cut)."""
    return replace(clip, reps=tuple(r for r in clip.reps if (r.turn if r.turn is not None else r.start) > cut_s),
                   partial=tuple(p for p in clip.partial if p.end > cut_s), holds=())


def measure(clip: ClipLabels, clips_dir: Path, store: Store) -> dict[str, Any]:
    exercise = load_by_id(clip.exercise)
    video = clips_dir / clip.file
    done = [s for s in store.sessions() if s.source == str(video) and s.status == "complete"]
    if done:  # analysed on an earlier run (--keep): re-judging needs no model run
        folder = done[-1].folder
    else:
        result = analyze_video(video, None, exercise=exercise.id, tracker=ExerciseTracker(exercise), progress=False,
                               record=lambda: SessionRecorder(store, "measure", str(video), "file"))
        folder = store.session(result.session_id).folder
    (recorded,) = recorded_sets(folder)
    moves = sorted(recorded.items["rep"] + recorded.items["attempt"], key=lambda r: r["start_s"])
    if len(moves) <= CALIBRATION_REPS:
        return {"clip": clip.file, "skipped": f"only {len(moves)} movements counted"}
    reference = [_record(r, exercise.rep.rising) for r in moves[:CALIBRATION_REPS]]
    values, notes = rom_targets(exercise, reference)
    profile = Profile(Path(clip.file).stem, 1, exercises={exercise.id: values})
    (personal,) = rejudge_session(folder, profile)
    cut = moves[CALIBRATION_REPS - 1]["end_s"]
    rest = _after(clip, cut)

    def scored(items: dict[str, list[dict[str, Any]]]) -> ClipScore:
        report = {k: [r for r in items[kind] if r["start_s"] >= cut] for k, kind in (("reps", "rep"), ("attempts", "attempt"))}
        return score_clip(rest, report, counts_reps=True)

    return {"clip": clip.file, "exercise": exercise.id, "targets": {"rep": values.rep, "rules": values.rules},
            "notes": notes, "population": scored(recorded.items), "personal": scored(personal.items)}


def _f1(t: FaultTally | None) -> str:
    f1 = t.f1 if t is not None else None
    return "   –" if f1 is None else f"{f1:4.2f}"


def summary(results: list[dict[str, Any]]) -> str:
    lines = []
    measured = [r for r in results if "skipped" not in r]
    for r in results:
        if "skipped" in r:
            lines.append(f"{r['clip']}: skipped ({r['skipped']})")
            continue
        pop, per = r["population"], r["personal"]
        lines.append(f"{r['clip']}: labelled {pop.labelled}, counted {pop.engine} → {per.engine}, "
                     f"clean reps flagged {pop.clean_flagged}/{pop.clean} → {per.clean_flagged}/{per.clean}; "
                     f"targets {r['targets']}")
    lines += ["", "condition: clips counted exactly / within one, false flags on clean reps, per-fault F1 (eval's scoring)"]
    both = {k: totals(r[k] for r in measured) for k in ("population", "personal")}
    codes = sorted(set(both["population"].faults) | set(both["personal"].faults))
    for k, t in both.items():
        f1 = ", ".join(f"{c} {_f1(t.faults.get(c))} ({t.faults[c].labelled if c in t.faults else 0} labelled)"
                       for c in codes)
        lines.append(f"{k:10}: {t.count_exact}/{t.rep_clips} exact, {t.count_within_1}/{t.rep_clips} within one; "
                     f"false flags {t.clean_flagged}/{t.clean}; {f1}")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clips", type=Path, default=Path(os.environ.get("FORMCHECK_REAL_CLIPS",
                                                                     ROOT.parent / "shared" / "real_clips")))
    p.add_argument("--only", nargs="*", default=[], help="clip names (file stems)")
    p.add_argument("--json", type=Path, help="also write the per-clip figures here")
    p.add_argument("--keep", type=Path, help="keep the analysed sessions in this folder and reuse them next time")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    if not args.clips.is_dir():
        print(f"no real clips at {args.clips}", file=sys.stderr)
        return 2
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Store((args.keep or Path(tmp)) / "formcheck.db")
        for clip in labelled_clips(set(args.only)):
            results.append(measure(clip, args.clips, store))
            print(f"measured {clip.file}", file=sys.stderr, flush=True)
        store.close()
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=lambda o: o.to_json()), encoding="utf-8")
    print(summary(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
