"""Does personal range-of-motion calibration help? Measured on the labelled real clips.

    python tools/measure_calibration.py [--clips DIR] [--only NAME ...] [--json OUT] [--keep DIR]

For every labelled rep clip (tests/data/real_clip_labels.toml, labelled_clip_labels.toml) of an
exercise that counts reps: analyse it once with the population thresholds (recorded, so the session
can be re-judged), calibrate from the clip's first two movements (``rom_targets``, as
`formcheck calibrate person` does with three), and judge the rest of the clip twice from the stored
track — population thresholds and personal ones — against the human labels:

- reps: labelled reps after the calibration reps vs reps the engine counted there;
- false flags: counted reps with a fault the labels don't give them (or that match no labelled rep);
- per fault code: precision, recall and F1 over the reps (a label's ``unsure`` codes don't count).

Until `formcheck eval` lands on main this script scores with its own small matcher (a counted rep
is paired with the labelled rep it overlaps most); when it does, the scoring here should be
replaced by eval's so the figures are comparable with the rest of the project.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from formcheck.core.reps import RepRecord  # noqa: E402
from formcheck.core.tracker import ExerciseTracker  # noqa: E402
from formcheck.exercises.loader import ExerciseFileError, load_by_id  # noqa: E402
from formcheck.exercises.profile import Profile, rom_targets  # noqa: E402
from formcheck.pipeline.analyze import analyze_video  # noqa: E402
from formcheck.pipeline.recorder import SessionRecorder  # noqa: E402
from formcheck.pipeline.rejudge import recorded_sets, rejudge_session  # noqa: E402
from formcheck.pipeline.store import Store  # noqa: E402

LABELS = (ROOT / "tests" / "data" / "real_clip_labels.toml", ROOT / "tests" / "data" / "labelled_clip_labels.toml")
CALIBRATION_REPS = 2


def labelled_clips(only: set[str]) -> list[dict[str, Any]]:
    clips = []
    for path in LABELS:
        for clip in tomllib.loads(path.read_text(encoding="utf-8"))["clip"]:
            if only and Path(clip["file"]).stem not in only:
                continue
            if clip["exercise"] == "none" or len(clip.get("reps", [])) <= CALIBRATION_REPS:
                continue
            try:
                exercise = load_by_id(clip["exercise"])
            except ExerciseFileError:
                continue
            if exercise.rep is not None:
                clips.append(clip)
    return clips


def _record(rep: dict[str, Any], rising: bool) -> RepRecord:
    peak, span = rep["metrics"].get("peak_deg"), rep["metrics"].get("range_deg")
    low = peak - span if rising else peak + span
    return RepRecord(rep.get("side"), int(rep["start_s"] * 1000), True, peak=peak, low=low)


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> float:
    return min(a["end_s"], b["end"]) - max(a["start_s"], b["start"])


def score(detected: list[dict[str, Any]], labelled: list[dict[str, Any]], codes: list[str],
          judgeable: bool) -> dict[str, Any]:
    """Counts for one clip: reps, false flags, and per code tp/fp/fn."""
    pairs: dict[int, int] = {}
    for d, rep in sorted(enumerate(detected), key=lambda x: x[1]["start_s"]):
        best = max((i for i, lab in enumerate(labelled) if i not in pairs.values() and _overlap(rep, lab) > 0),
                   key=lambda i: _overlap(rep, labelled[i]), default=None)
        if best is not None:
            pairs[d] = best
    out: dict[str, Any] = {"labelled": len(labelled), "counted": len(detected), "matched": len(pairs),
                           "flagged": sum(1 for r in detected if r["faults"]), "false_flags": 0,
                           "codes": {c: Counter() for c in codes}}
    if not judgeable:
        return out
    for d, rep in enumerate(detected):
        said = {f["code"] for f in rep["faults"]}
        truth = set(labelled[pairs[d]]["faults"]) - {"clean"} if d in pairs else set()
        unsure = set(labelled[pairs[d]].get("unsure", [])) if d in pairs else set()
        if said - truth - unsure:
            out["false_flags"] += 1
        for c in codes:
            if c in unsure:
                continue
            if c in said and c in truth:
                out["codes"][c]["tp"] += 1
            elif c in said:
                out["codes"][c]["fp"] += 1
            elif c in truth:
                out["codes"][c]["fn"] += 1
    for i, lab in enumerate(labelled):
        if i not in pairs.values():
            for c in set(lab["faults"]) - {"clean"} - set(lab.get("unsure", [])):
                if c in out["codes"]:
                    out["codes"][c]["fn"] += 1
    return out


def measure(clip: dict[str, Any], clips_dir: Path, store: Store) -> dict[str, Any]:
    exercise = load_by_id(clip["exercise"])
    video = clips_dir / clip["file"]
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
        return {"clip": clip["file"], "skipped": f"only {len(moves)} movements counted"}
    reference = [_record(r, exercise.rep.rising) for r in moves[:CALIBRATION_REPS]]
    values, notes = rom_targets(exercise, reference)
    profile = Profile(Path(clip["file"]).stem, 1, exercises={exercise.id: values})
    (personal,) = rejudge_session(folder, profile)
    cut = moves[CALIBRATION_REPS - 1]["end_s"]
    labelled = [r for r in clip["reps"] if r["turn"] > cut]
    judgeable = bool(clip["reps"]) and all(r.get("faults") for r in clip["reps"]) and not clip.get("unjudgeable")
    codes = [r.code for r in exercise.rules]
    rest = lambda items: [r for r in items if r["start_s"] >= cut]  # noqa: E731
    return {"clip": clip["file"], "exercise": exercise.id, "targets": {"rep": values.rep, "rules": values.rules},
            "notes": notes, "population": score(rest(recorded.items["rep"]), labelled, codes, judgeable),
            "personal": score(rest(personal.items["rep"]), labelled, codes, judgeable)}


def _f1(c: Counter) -> str:
    tp, fp, fn = c["tp"], c["fp"], c["fn"]
    if tp + fp + fn == 0:
        return "   –"
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return f"{2 * p * r / (p + r):4.2f}" if p + r else "0.00"


def summary(results: list[dict[str, Any]]) -> str:
    lines = []
    by_ex: dict[str, list[dict[str, Any]]] = {}
    for r in results:
        if "skipped" in r:
            lines.append(f"{r['clip']}: skipped ({r['skipped']})")
            continue
        by_ex.setdefault(r["exercise"], []).append(r)
        pop, per = r["population"], r["personal"]
        lines.append(f"{r['clip']}: labelled {pop['labelled']}, counted {pop['counted']} → {per['counted']}, "
                     f"false flags {pop['false_flags']} → {per['false_flags']} (flagged {pop['flagged']} → "
                     f"{per['flagged']}); targets {r['targets']}")
    lines.append("")
    lines.append("exercise: reps labelled / counted (population → personal), false flags, per-fault F1")
    for ex, rs in sorted(by_ex.items()):
        tot = {k: Counter() for k in ("population", "personal")}
        codes: dict[str, dict[str, Counter]] = {}
        for r in rs:
            for k in tot:
                for key in ("labelled", "counted", "matched", "flagged", "false_flags"):
                    tot[k][key] += r[k][key]
                for code, c in r[k]["codes"].items():
                    codes.setdefault(code, {"population": Counter(), "personal": Counter()})[k].update(c)
        pop, per = tot["population"], tot["personal"]
        f1 = ", ".join(f"{code} {_f1(c['population'])} → {_f1(c['personal'])}" for code, c in codes.items()
                       if any(sum(v.values()) for v in c.values()))
        lines.append(f"{ex} ({len(rs)} clips): {pop['labelled']} / {pop['counted']} → {per['counted']}; "
                     f"false flags {pop['false_flags']} → {per['false_flags']}; {f1 or 'no faults labelled'}")
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
            print(f"measured {clip['file']}", file=sys.stderr, flush=True)
        store.close()
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=dict), encoding="utf-8")
    print(summary(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
