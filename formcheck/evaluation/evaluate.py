# Over 400 lines: the docstring is the label format and scoring rules `formcheck eval --help` prints.
"""`formcheck eval`: score the exercise engine against videos labelled by people.

Every clip is analysed as `formcheck analyze CLIP --exercise ID` analyses it (the same function,
one clip whole in one process, so ``--jobs`` never changes a clip's result), several clips at a
time in worker processes, and the engine's reps and holds are compared with the labels.

Label files (TOML, times in seconds from the start of the clip)::

    version = 1
    labeller = "who made the labels, and how"      # optional

    [[clip]]
    file = "squats.mp4"            # relative to --clips
    exercise = "squat"             # an id from `formcheck exercises`, or "none" (skipped)
    view = "side"                  # optional: side, front, back or oblique (see "Views" below)
    setup = ["dim"]                # set-up problems seen in the clip (shown beside pose coverage)
    reps = [                       # every full rep
      { start = 1.0, turn = 1.6, end = 2.3, faults = ["clean"] },
      { start = 3.0, turn = 3.7, end = 4.4, faults = ["squat_chest_down"], unsure = ["squat_knees_forward"] },
      { start = 5.0, end = 6.1, faults = [], unjudgeable = "knees out of frame" },
    ]
    holds = [ { start = 0.0, end = 31.5, faults = ["hips_sagging"] } ]
    partial = [ { start = 7.0, end = 7.9, why = "cut off by the end of the clip" } ]

- ``start``/``end``: the movement leaves / is back at rest (a hold: position reached / left);
  ``turn``: the turn point (bottom of a squat, top of a bridge), optional.
- ``side``: for exercises counted per side (the reaching arm, the front leg); optional.
- ``faults``: the exercise's fault codes a therapist would name, or ``["clean"]``; ``[]`` only
  with ``unjudgeable = "why"`` (the rep counts, its form is not scored).
- ``unsure``: codes that could not be judged on that rep; they count neither for nor against.
- Every code in ``faults`` and ``unsure`` must be one of the exercise's (`formcheck exercises
  --faults ID` lists them and what each checks); a label file with another is refused before
  anything is analysed.
- ``partial``: movements that are not a full rep (cut off, faded); an engine rep on one is
  neither credited nor penalised.
- ``note``, ``why`` and ``segments`` are for people and ignored here.

Scoring rules:

- Matching: an engine rep and a labelled rep are paired when their [start, end] intersection over
  union is at least 0.3 (``MATCH_IOU``) or the labelled turn lies inside the engine rep, and (for sided
  exercises, when both give one) their sides agree; pairs are taken greedily, best IoU first, each
  rep used once. Engine reps left over are then paired with partial movements by the same IoU or
  by lying at least half (``PARTIAL_INSIDE``) inside one. Holds pair by any overlap, biggest IoU first, each used once
  (so the longest piece of a hold the engine broke up meets its label; the other pieces are extra
  holds).
- Rep count of a clip = engine reps not on a partial movement, against the labelled reps.
  Attempts (reps that fell short of the target) are reported on their own, not counted. A rep
  clip with no labelled rep and none counted is reported apart ("nothing to count"), not as an
  exact count.
- Faults, per code, rep by rep and hold by hold: on a matched pair, labelled and flagged = TP,
  flagged only = FP, labelled only = FN; flags on unmatched engine reps are FP, faults of missed
  labelled reps FN. Codes in ``unsure`` and codes the engine declined to judge on that rep
  (``"not_judged": [{"code", "reason"}]`` in its report) are left out, counted as declined;
  ``unjudgeable`` items and reps on partial movements are left out entirely.
- Views: a rule whose ``views`` leave out the clip's view (knees past the toes, judged side-on,
  on a clip filmed from the front) is declined on every rep and hold of the clip, never a miss.
  The clip's view is its label's ``view`` when that is side, front or back, else (oblique, or
  none given) the view the engine found.
- False flags: matched labelled-clean reps and holds that the engine flagged with any code other
  than their ``unsure`` and declined ones, over all matched labelled-clean reps and holds.
- Hold time: the engine's time in position (its hold's end − start; its timer, which stops while
  the form is broken, is shown beside it) against the labelled hold; a missed hold counts 0 s.
  Within tolerance when off by at most 1 s (``HOLD_TOLERANCE_S``) or 10 % (``HOLD_TOLERANCE``)
  of the label.
- Sources (``--by-source``; always in ``--json`` as ``by_source``): the clips grouped by the
  start of their file name up to the first "_" (stock, studio, darebee, polybag, labelled/home),
  with the figures of each group and of all clips — for leave-one-source-out checks: tune with
  the other sources' clips (``--only``), then read the row of the one left out.
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formcheck import __version__
from formcheck.evaluation.figures import MIN_FAULT_CASES, TARGETS, Totals, by_source, totals
from formcheck.evaluation.labels import NO_EXERCISE, ClipLabels, LabelError, check_codes, load_labels
from formcheck.evaluation.matching import MATCH_IOU, PARTIAL_INSIDE
from formcheck.evaluation.scoring import HOLD_TOLERANCE, HOLD_TOLERANCE_S, ClipScore, score_clip

if TYPE_CHECKING:
    from formcheck.analysis.batch import BatchItem

SCHEMA_VERSION = 1  # of the --json document
REPO_ROOT = Path(__file__).resolve().parents[2]


# ---- running ----------------------------------------------------------------------------------
@dataclass(slots=True)
class EvalResult:
    scores: list[ClipScore]
    totals: Totals
    settings: dict[str, Any]
    elapsed_s: float
    by_source: dict[str, Totals] = field(default_factory=dict)  # ``source_of`` each clip -> its totals


def default_clips_dir(labels_path: Path) -> Path:
    """The development clips ($FORMCHECK_REAL_CLIPS, else ``../shared/real_clips`` beside the
    checkout) when they are there, else the label file's own folder."""
    shared = Path(os.environ.get("FORMCHECK_REAL_CLIPS") or REPO_ROOT.parent / "shared" / "real_clips")
    return shared if shared.is_dir() else labels_path.resolve().parent


def _selected(clip: ClipLabels, only: Sequence[str]) -> bool:
    return not only or any(p in clip.file or fnmatch.fnmatch(clip.file, p) for p in only)


def _analyse(task: Any) -> tuple[BatchItem, float]:
    """Worker: one clip through ``analyse_task`` (what `formcheck analyze VIDEO --exercise ID`
    does with each video); (its ``BatchItem``, seconds). A clip that fails returns its error (not
    raised: a cluster would run it again)."""
    from formcheck.analysis.batch import analyse_task

    start = time.perf_counter()
    item = analyse_task(task)
    return item, time.perf_counter() - start


def _engine_output(report: dict[str, Any]) -> str:
    """What must not change between two runs of the same clip."""
    keep = {k: report.get(k) for k in ("reps", "attempts", "holds")}
    keep["frames_with_pose"] = report.get("pose", {}).get("frames_with_pose")
    return json.dumps(keep, sort_keys=True)


def run_eval(
    label_files: Sequence[Path],
    *,
    clips_dir: Path | None = None,
    jobs: int | None = None,
    cluster: str | None = None,
    repeat: int = 1,
    only: Sequence[str] = (),
    on_clip: Callable[[int, int, ClipScore], None] | None = None,
) -> EvalResult:
    """Analyse every labelled clip (``repeat`` times) in ``jobs`` processes, or on the Dask cluster
    whose scheduler is at ``cluster`` (one task per clip), and score it.

    ``only``: keep the clips whose file contains one of these patterns or matches it as a glob.

    Label, exercise and missing-video problems raise ``LabelError`` before anything is analysed;
    a clip that fails during analysis is reported as an error and the others go on.
    """
    from formcheck.exercises.loader import load_by_id
    from formcheck.exercises.toml_reader import ExerciseFileError

    started = time.perf_counter()
    planned: list[tuple[ClipLabels, Path]] = []
    for path in label_files:
        folder = clips_dir or default_clips_dir(path)
        planned += [(c, folder / c.file) for c in load_labels(path) if _selected(c, only)]
    if not planned:
        raise LabelError(f"No clip matches --only {' '.join(only)}; it is matched against each clip's 'file'.")
    scores: dict[int, ClipScore] = {}
    exercises: dict[str, Any] = {}  # id -> ExerciseDef
    todo: list[int] = []
    for i, (clip, video) in enumerate(planned):
        if clip.exercise == NO_EXERCISE:
            scores[i] = ClipScore(clip.file, clip.exercise, str(clip.labels_path), status="skipped",
                                  reason="no library exercise")
            continue
        if clip.exercise not in exercises:
            try:
                exercises[clip.exercise] = load_by_id(clip.exercise)
            except ExerciseFileError as exc:
                raise LabelError(f"{clip.labels_path.name}, {clip.file}: exercise {clip.exercise!r}: {exc.problem}"
                                 ) from exc
        check_codes(clip, {r.code for r in exercises[clip.exercise].rules})
        if not video.is_file():
            raise LabelError(f"{clip.labels_path.name}: clip {clip.file} is not in {video.parent}; "
                             "pass --clips with the folder the label file's paths start from.")
        todo.append(i)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo) * repeat))
    if todo:
        _run_clips(planned, todo, exercises, scores, jobs, cluster, repeat, on_clip)
    ordered = [scores[i] for i in range(len(planned))]
    codes = {r.code for ex in exercises.values() for r in ex.rules}
    settings = {
        "labels": [str(p) for p in label_files],
        "clips": sorted({str(v.parent) for _, v in planned}),
        "jobs": jobs, **({"cluster": cluster} if cluster else {}), "repeat": repeat, "only": list(only),
        "match_iou": MATCH_IOU, "partial_inside": PARTIAL_INSIDE,
        "hold_tolerance_s": HOLD_TOLERANCE_S, "hold_tolerance": HOLD_TOLERANCE,
        "min_fault_cases": MIN_FAULT_CASES,
    }
    return EvalResult(ordered, totals(ordered, codes), settings, time.perf_counter() - started,
                      by_source(ordered, codes))


def _run_clips(
    planned: list[tuple[ClipLabels, Path]],
    todo: list[int],
    exercises: dict[str, Any],
    scores: dict[int, ClipScore],
    jobs: int,
    cluster: str | None,
    repeat: int,
    on_clip: Callable[[int, int, ClipScore], None] | None,
) -> None:
    from formcheck.analysis.batch import VideoTask, on_cluster, workers
    from formcheck.pose.model_store import ensure_model

    # Once here, so workers never fetch it side by side (a cluster's workers have their own).
    model = None if cluster else ensure_model(progress=False)
    # Longest files first: with few workers, a long clip left to the end would run alone.
    todo = sorted(todo, key=lambda i: -planned[i][1].stat().st_size)
    runs: dict[int, list[tuple[dict[str, Any], float]]] = {i: [] for i in todo}
    finished = dict.fromkeys(todo, 0)
    failures: dict[int, str] = {}
    order = [i for _ in range(repeat) for i in todo]
    tasks = [VideoTask(planned[i][1], None, exercises[planned[i][0].exercise], model_path=model) for i in order]
    # On Ctrl-C or SIGTERM the clips under way are stopped and the others dropped (WorkerPool, ClusterRunner).
    with workers(_analyse, jobs, cluster) as runner:
        for k, outcome in runner.as_completed(on_cluster(tasks) if cluster else tasks):
            i = order[k]
            if isinstance(outcome, BaseException):  # one clip's failure must not stop the others
                failures[i] = f"could not analyse it: {outcome}"
            elif outcome[0].result is None:
                failures[i] = f"could not analyse it: {outcome[0].error}"
            else:
                runs[i].append((outcome[0].result.report, outcome[1]))
            finished[i] += 1
            if finished[i] < repeat:
                continue
            clip = planned[i][0]
            if i in failures:
                score = ClipScore(clip.file, clip.exercise, str(clip.labels_path), status="error",
                                  reason=failures[i])
            else:
                ex = exercises[clip.exercise]
                score = score_clip(clip, runs[i][0][0], counts_reps=ex.rep is not None,
                                   rule_views={r.code: r.views for r in ex.rules})
                score.elapsed_s = runs[i][0][1]
                if repeat > 1:
                    score.identical = len({_engine_output(r) for r, _ in runs[i]}) == 1
            scores[i] = score
            if on_clip is not None:
                on_clip(len(scores), len(planned), score)


# ---- output -----------------------------------------------------------------------------------
def _git() -> dict[str, Any]:
    """The commit the code came from, when it runs from a git checkout."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(REPO_ROOT), *args], capture_output=True, text=True,
                                  timeout=10, check=True)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    commit = git("rev-parse", "HEAD") if (REPO_ROOT / ".git").exists() else None
    status = git("status", "--porcelain", "--untracked-files=no") if commit else None
    return {"git_commit": commit, "git_dirty": None if status is None else bool(status)}


def result_json(result: EvalResult) -> dict[str, Any]:
    """The document `--json` writes: versioned, so runs can be compared over time."""
    return {
        "schema_version": SCHEMA_VERSION,
        "formcheck_version": __version__,
        **_git(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "elapsed_s": round(result.elapsed_s, 1),
        "settings": result.settings,
        "clips": [s.to_json() for s in result.scores],
        "totals": result.totals.to_json(),
        "by_source": {src: t.to_json() for src, t in result.by_source.items()},
    }


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f} %"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def format_table(result: EvalResult) -> str:
    """The per-clip table and the totals, for the terminal."""
    width = max([len(s.file) for s in result.scores] + [4])
    head = (f"{'clip':{width}}  {'exercise':15} {'lab':>3} {'eng':>3} {'Δ':>3} {'att':>3} {'part':>4}  "
            f"{'TP':>3} {'FP':>3} {'FN':>3}  {'flag/clean':>10}  {'hold s lab→eng (timer)':24} {'cover':>6} "
            f"{'same':4}  setup / notes")
    lines = [head, "-" * len(head)]
    for s in result.scores:
        if s.status != "ok":
            lines.append(f"{s.file:{width}}  {s.exercise:15} {s.status}: {s.reason}")
            continue
        tp, fp, fn = (sum(getattr(t, k) for t in s.faults.values()) for k in ("tp", "fp", "fn"))
        holds = ", ".join(f"{h.labelled_s:.1f}→{h.engine_s:.1f}" + ("" if h.timed_s is None else f" ({h.timed_s:.1f})")
                          for h in s.hold_times) or "-"
        same = "-" if s.identical is None else ("yes" if s.identical else "NO")
        notes = list(s.setup)
        if s.nothing_to_count:
            notes.append("nothing labelled, nothing counted (not in the count figures)")
        if s.view_gated:
            notes.append(f"{s.view} view: declined {', '.join(s.view_gated)}")
        if s.wrong_side:
            notes.append(f"{s.wrong_side} on the wrong side")
        if s.attempts_on_labelled:
            notes.append(f"{s.attempts_on_labelled} labelled reps counted as attempts")
        notes += [f"not judged {k} ×{n}" for k, n in s.not_judged.items()]
        cover = "-" if s.coverage is None else f"{100 * s.coverage:.0f} %"
        lines.append(
            f"{s.file:{width}}  {s.exercise:15} {s.labelled:3d} {s.engine:3d} {s.count_error:+3d} {s.attempts:3d} "
            f"{s.on_partial:4d}  {tp:3d} {fp:3d} {fn:3d}  {f'{s.clean_flagged}/{s.clean}':>10}  {holds:24} "
            f"{cover:>6} {same:4}  {', '.join(notes) or '-'}"
        )
    t = result.totals
    fig = t.figures()
    lines += [
        "",
        "lab/eng: labelled and engine reps (holds for hold exercises); Δ = eng − lab; att: engine attempts "
        "(short of the target, not counted); part: engine reps on partial movements (ignored); hold s: labelled "
        "→ the engine's time in position (its hold timer, which stops while the form is broken)",
        "",
        f"rep count exact:   {t.count_exact}/{t.rep_clips} clips = {_pct(fig['count_exact'])}"
        f"   (target ≥ {_pct(TARGETS['count_exact'])})"
        + (f"; {t.nothing_to_count} more with nothing labelled or counted, left out" if t.nothing_to_count else ""),
        f"rep count ±1:      {t.count_within_1}/{t.rep_clips} clips = {_pct(fig['count_within_1'])}"
        f"   (target {_pct(TARGETS['count_within_1'])})",
        f"false flags:       {t.clean_flagged}/{t.clean} matched clean reps and holds = "
        f"{_pct(fig['false_flag_rate'])}   (target ≤ {_pct(TARGETS['false_flag_rate'])})",
        f"hold time:         {t.holds_within}/{t.holds} holds within {HOLD_TOLERANCE_S:g} s or "
        f"{100 * HOLD_TOLERANCE:g} % = {_pct(fig['hold_within'])}"
        + (f", mean error {t.hold_error_s / t.holds:.1f} s" if t.holds else "")
        + f"   (target {_pct(TARGETS['hold_within'])})",
        f"not judged:        {sum(t.not_judged.values())} reps and holds"
        + "".join(f"; {k} ×{n}" for k, n in sorted(t.not_judged.items())),
        "repeated runs:     " + (f"{t.identical}/{t.repeated} clips identical = {_pct(fig['identical'])}"
                                  if t.repeated else "not asked (--repeat 2)"),
        f"skipped:           {t.skipped} clips (no library exercise)" + (f"; {t.errors} failed" if t.errors else ""),
        "",
        f"{'fault':28} {'labelled':>8} {'TP':>4} {'FP':>4} {'FN':>4} {'declined':>8} {'precision':>9} "
        f"{'recall':>6} {'F1':>5}",
    ]
    for code, ft in sorted(t.faults.items()):
        mark = "" if code in t.library_codes else "  (not in the library: can't be flagged)"
        if t.gated(code):
            mark = f"  (target F1 ≥ {TARGETS['fault_f1']:.2f})"
        lines.append(f"{code:28} {ft.labelled:8d} {ft.tp:4d} {ft.fp:4d} {ft.fn:4d} {ft.declined:8d} "
                     f"{_num(ft.precision):>9} {_num(ft.recall):>6} {_num(ft.f1):>5}{mark}")
    if not t.faults:
        lines.append("(no faults labelled or flagged)")
    jobs = result.settings["jobs"]
    where = (f"on the cluster at {result.settings['cluster']}" if "cluster" in result.settings
             else f"with {jobs} job{'s' if jobs > 1 else ''}")
    lines += ["", f"{len(result.scores)} clips in {result.elapsed_s:.0f} s {where}"
                  + (f", each run {result.settings['repeat']} times" if result.settings["repeat"] > 1 else "")]
    return "\n".join(lines)


def format_sources(result: EvalResult) -> str:
    """The figures of each source (``source_of``: the file name's prefix) and of all clips, for a
    leave-one-source-out table; then the F1 of each fault held to the target, per source."""
    rows = [*result.by_source.items(), ("all", result.totals)]
    width = max(len(src) for src, _ in rows)
    head = (f"{'source':{width}}  {'clips':>5}  {'count exact':>13}  {'±1':>13}  {'false flags':>13}  "
            f"{'holds within':>13}  {'hold err':>8}")
    lines = [head, "-" * len(head)]

    def share(n: int, of: int) -> str:
        return f"{n}/{of} {_pct(n / of) if of else '-':>7}"

    for src, t in rows:
        lines.append(f"{src:{width}}  {t.clips:5d}  {share(t.count_exact, t.rep_clips):>13}  "
                     f"{share(t.count_within_1, t.rep_clips):>13}  {share(t.clean_flagged, t.clean):>13}  "
                     f"{share(t.holds_within, t.holds):>13}  "
                     f"{f'{t.hold_error_s / t.holds:.1f} s' if t.holds else '-':>8}")
    gated = sorted(code for code in result.totals.faults if result.totals.gated(code))
    if gated:
        lines += ["", "F1 (labelled cases) of the faults held to the target:",
                  f"{'fault':28} " + " ".join(f"{src:>14}" for src, _ in rows)]
        for code in gated:
            cells = []
            for _, t in rows:
                ft = t.faults.get(code)
                cells.append("-" if ft is None or not (ft.labelled or ft.fp) else f"{_num(ft.f1)} ({ft.labelled})")
            lines.append(f"{code:28} " + " ".join(f"{c:>14}" for c in cells))
    return "\n".join(lines)


def write_json(result: EvalResult, path: Path) -> None:
    path.write_text(json.dumps(result_json(result), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
