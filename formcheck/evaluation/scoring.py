"""`formcheck eval` scoring of one clip: its engine reps and holds against its labels, tallied.

The rules are in ``formcheck.evaluation.evaluate``'s docstring (what `formcheck eval --help` shows).
Pure Python: the engine's side is its report.json document.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from formcheck.evaluation.labels import ClipLabels, LabelledItem
from formcheck.evaluation.matching import EngineItem, iou, match, match_holds

HOLD_TOLERANCE_S = 1.0
HOLD_TOLERANCE = 0.10  # of the labelled hold


# ---- views --------------------------------------------------------------------------------------
ENGINE_VIEWS = ("side", "front", "back")  # the camera views a rule can ask for


def clip_view(clip: ClipLabels, report: dict[str, Any]) -> str | None:
    """Where the camera stood: the labeller's view when it is one a rule can name, else (oblique,
    or not labelled) the engine's own verdict."""
    if clip.view in ENGINE_VIEWS:
        return clip.view
    label = (report.get("view") or {}).get("label")  # "side/standing": the view, then the posture
    return label.split("/")[0] if label else None


def view_gated(rule_views: Mapping[str, Sequence[str]], view: str | None) -> frozenset[str]:
    """The codes whose rules can't be judged from ``view`` (their ``views`` leave it out)."""
    if view is None:
        return frozenset()
    return frozenset(code for code, views in rule_views.items() if views and view not in views)


# ---- one clip ----------------------------------------------------------------------------------
@dataclass(slots=True)
class FaultTally:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    declined: int = 0  # items on which the engine said it could not judge this code

    def add(self, other: FaultTally) -> None:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn
        self.declined += other.declined

    @property
    def labelled(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / self.labelled if self.labelled else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if p + r else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"tp": self.tp, "fp": self.fp, "fn": self.fn, "declined": self.declined,
                "precision": rounded(self.precision), "recall": rounded(self.recall), "f1": rounded(self.f1)}


@dataclass(frozen=True, slots=True)
class HoldTime:
    labelled_s: float
    engine_s: float  # time in position; 0 when the hold was missed
    timed_s: float | None  # the engine's hold timer

    @property
    def error_s(self) -> float:
        return abs(self.engine_s - self.labelled_s)

    @property
    def within(self) -> bool:
        return self.error_s <= HOLD_TOLERANCE_S or self.error_s <= HOLD_TOLERANCE * self.labelled_s

    def to_json(self) -> dict[str, Any]:
        return {"labelled_s": rounded(self.labelled_s, 2), "engine_s": rounded(self.engine_s, 2),
                "timed_s": self.timed_s, "error_s": rounded(self.error_s, 2),
                "error_pct": rounded(100 * self.error_s / self.labelled_s, 1), "within": self.within}


@dataclass(slots=True)
class ClipScore:
    """One clip's result; ``status`` is ok, skipped or error (then ``reason`` says why)."""

    file: str
    exercise: str
    labels_path: str
    status: str = "ok"
    reason: str = ""
    counts_reps: bool = True  # a rep exercise (else a hold)
    view: str | None = None  # the view its rules were judged for (``clip_view``)
    view_gated: tuple[str, ...] = ()  # codes that view can't judge: declined, never misses
    setup: tuple[str, ...] = ()
    coverage: float | None = None
    labelled: int = 0  # reps, or holds for a hold exercise
    engine: int = 0  # reps not on partial movements, or holds
    on_partial: int = 0
    attempts: int = 0
    attempts_on_labelled: int = 0  # attempts where a labelled rep went uncounted
    wrong_side: int = 0
    faults: dict[str, FaultTally] = field(default_factory=dict)
    clean: int = 0
    clean_flagged: int = 0
    hold_times: list[HoldTime] = field(default_factory=list)
    not_judged: dict[str, int] = field(default_factory=dict)  # "code: reason" -> items
    matches: list[dict[str, Any]] = field(default_factory=list)
    identical: bool | None = None  # repeated runs agree (None: run once)
    elapsed_s: float = 0.0
    output: dict[str, Any] = field(default_factory=dict)  # the engine's reps, attempts and holds

    @property
    def count_error(self) -> int:
        return self.engine - self.labelled

    @property
    def nothing_to_count(self) -> bool:
        """A rep clip with no labelled rep and none counted: nothing for the count figures."""
        return self.status == "ok" and self.counts_reps and self.labelled == 0 and self.engine == 0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"file": self.file, "exercise": self.exercise, "labels": self.labels_path,
                               "status": self.status}
        if self.status != "ok":
            return {**out, "reason": self.reason}
        return {
            **out,
            "kind": "reps" if self.counts_reps else "holds",
            "view": self.view, "view_gated": list(self.view_gated), "nothing_to_count": self.nothing_to_count,
            "setup": list(self.setup), "coverage": self.coverage,
            "labelled": self.labelled, "engine": self.engine, "count_error": self.count_error,
            "on_partial": self.on_partial, "attempts": self.attempts,
            "attempts_on_labelled": self.attempts_on_labelled, "wrong_side": self.wrong_side,
            "faults": {c: t.to_json() for c, t in sorted(self.faults.items())},
            "clean": self.clean, "clean_flagged": self.clean_flagged,
            "holds": [h.to_json() for h in self.hold_times],
            "not_judged": self.not_judged, "matches": self.matches,
            "identical": self.identical, "elapsed_s": round(self.elapsed_s, 2), "output": self.output,
        }


def score_clip(clip: ClipLabels, report: dict[str, Any], *, counts_reps: bool,
               rule_views: Mapping[str, Sequence[str]] | None = None) -> ClipScore:
    """Compare one clip's labels with the engine's report.json (reps, attempts, holds).

    ``rule_views``: each fault code's ``views`` (empty: any); codes the clip's view can't judge
    are declined on every rep and hold, not scored.
    """
    reps = [EngineItem.from_json(r) for r in report.get("reps", [])]
    attempts = [EngineItem.from_json(r) for r in report.get("attempts", [])]
    holds = [EngineItem.from_json(h) for h in report.get("holds", [])]
    view = clip_view(clip, report)
    gated = view_gated(rule_views or {}, view)
    score = ClipScore(clip.file, clip.exercise, str(clip.labels_path), counts_reps=counts_reps,
                      view=view, view_gated=tuple(sorted(gated)),
                      setup=clip.setup, coverage=report.get("pose", {}).get("coverage"),
                      output={k: report.get(k, []) for k in ("reps", "attempts", "holds")})
    rep_m = match(reps, clip.reps, clip.partial)
    hold_m = match_holds(holds, clip.holds)
    if counts_reps:
        score.labelled, score.engine = len(clip.reps), len(reps) - len(rep_m.on_partial)
    else:
        score.labelled, score.engine = len(clip.holds), len(holds)
    score.on_partial, score.wrong_side = len(rep_m.on_partial), rep_m.wrong_side
    score.attempts = len(attempts)
    missed = [clip.reps[i] for i in rep_m.labels_unmatched]
    score.attempts_on_labelled = len(match(attempts, missed).pairs)
    for kind, engine, labels, m in (("rep", reps, clip.reps, rep_m), ("hold", holds, clip.holds, hold_m)):
        for ei, li in m.pairs:
            e, lab = engine[ei], labels[li]
            _tally(score, lab, e, gated)
            score.matches.append({"kind": kind, "engine": ei, "label": li, "iou": rounded(iou(e, lab), 2),
                                  "engine_faults": sorted(e.faults), "label_faults": sorted(lab.faults)})
            if not lab.faults and lab.unjudgeable is None:
                score.clean += 1
                score.clean_flagged += bool(e.faults - lab.unsure - {c for c, _ in e.not_judged} - gated)
        for ei in m.engine_unmatched:
            _tally(score, None, engine[ei], gated)
        for li in m.labels_unmatched:
            _tally(score, labels[li], None, gated)
    pairs = dict((li, ei) for ei, li in hold_m.pairs)
    for li, lab in enumerate(clip.holds):
        e = holds[pairs[li]] if li in pairs else None
        score.hold_times.append(HoldTime(lab.end - lab.start, e.end - e.start if e else 0.0, e.timed if e else None))
    for item in [*reps, *holds]:
        for code, reason in item.not_judged:
            key = f"{code}: {reason}" if reason else code
            score.not_judged[key] = score.not_judged.get(key, 0) + 1
    return score


def _tally(score: ClipScore, label: LabelledItem | None, engine: EngineItem | None,
           gated: frozenset[str] = frozenset()) -> None:
    if label is not None and label.unjudgeable is not None:
        return
    labelled = label.faults if label else frozenset()
    flagged = engine.faults if engine else frozenset()
    # Declined: what the engine said it couldn't judge on this item, and what the view can't show.
    declined = ({c for c, _ in engine.not_judged} if engine else set()) | gated
    for code in declined:
        score.faults.setdefault(code, FaultTally()).declined += 1
    for code in (labelled | flagged) - (label.unsure if label else frozenset()) - declined:
        t = score.faults.setdefault(code, FaultTally())
        if code in labelled and code in flagged:
            t.tp += 1
        elif code in flagged:
            t.fp += 1
        else:
            t.fn += 1



def rounded(x: float | None, digits: int = 3) -> float | None:
    """A figure as the JSON results give it."""
    return None if x is None else round(x, digits)
