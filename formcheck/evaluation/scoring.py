"""`formcheck eval` scoring: engine reps and holds matched to labelled ones, and the figures.

The rules are in ``formcheck.evaluation.evaluate``'s docstring (what `formcheck eval --help` shows).
Pure Python: the engine's side is its report.json document.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from formcheck.evaluation.labels import ClipLabels, LabelledItem, Span

MATCH_IOU = 0.3
PARTIAL_INSIDE = 0.5  # share of an engine rep inside a partial movement that pairs them
HOLD_TOLERANCE_S = 1.0
HOLD_TOLERANCE = 0.10  # of the labelled hold
MIN_FAULT_CASES = 5  # labelled cases a fault needs before its F1 is held to the target

# Where the engine should get to (issue 9); the eval prints each figure beside its target.
TARGETS: dict[str, float] = {
    "count_exact": 0.90,  # share of rep clips with exactly the labelled count
    "count_within_1": 1.0,  # share of rep clips within ±1
    "false_flag_rate": 0.10,  # at most, of matched clean reps and holds
    "fault_f1": 0.80,  # per fault with at least MIN_FAULT_CASES labelled cases
    "hold_within": 1.0,  # share of labelled holds timed within tolerance
    "identical": 1.0,  # share of clips whose repeated runs agree
}


# ---- matching ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class EngineItem:
    """An engine rep, attempt or hold as report.json gives it."""

    start: float
    end: float
    side: str | None = None
    faults: frozenset[str] = frozenset()
    not_judged: tuple[tuple[str, str], ...] = ()  # (code, reason): planned engine output
    timed: float | None = None  # a hold's timer

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> EngineItem:
        return cls(
            float(d["start_s"]), float(d["end_s"]), d.get("side"),
            frozenset(f["code"] for f in d.get("faults", [])),
            tuple((n["code"], n.get("reason", "")) for n in d.get("not_judged", [])),
            d.get("duration_s"),
        )


def iou(a: LabelledItem | EngineItem | Span, b: LabelledItem | EngineItem | Span) -> float:
    inter = min(a.end, b.end) - max(a.start, b.start)
    union = max(a.end, b.end) - min(a.start, b.start)
    return max(0.0, inter) / union if union > 0 else 0.0


def _pairs_with(engine: EngineItem, label: LabelledItem, sides: bool = True) -> bool:
    if sides and engine.side and label.side and engine.side != label.side:
        return False
    turn_inside = label.turn is not None and engine.start <= label.turn <= engine.end
    return iou(engine, label) >= MATCH_IOU or turn_inside


def _on_partial(engine: EngineItem, span: Span) -> bool:
    inside = min(engine.end, span.end) - max(engine.start, span.start)
    length = engine.end - engine.start
    return iou(engine, span) >= MATCH_IOU or (length > 0 and inside >= PARTIAL_INSIDE * length)


def _greedy(engine: Sequence[EngineItem], others: Sequence[Any], ok: Callable[[EngineItem, Any], bool]
            ) -> list[tuple[int, int]]:
    """(engine index, other index) pairs, best IoU first, each side used once."""
    candidates = sorted(
        (-iou(e, o), ei, oi) for ei, e in enumerate(engine) for oi, o in enumerate(others) if ok(e, o)
    )
    used_e: set[int] = set()
    used_o: set[int] = set()
    pairs = []
    for _, ei, oi in candidates:
        if ei not in used_e and oi not in used_o:
            used_e.add(ei)
            used_o.add(oi)
            pairs.append((ei, oi))
    return sorted(pairs)


@dataclass(frozen=True, slots=True)
class Matching:
    pairs: list[tuple[int, int]]  # (engine index, label index)
    on_partial: list[int]  # engine indexes paired with a partial movement
    engine_unmatched: list[int]
    labels_unmatched: list[int]
    wrong_side: int  # unmatched engine reps that would pair with an unmatched label of the other side


def match(engine: Sequence[EngineItem], labels: Sequence[LabelledItem], partial: Sequence[Span] = ()) -> Matching:
    """Pair engine reps with labelled ones by the rules in the module docstring."""
    pairs = _greedy(engine, labels, _pairs_with)
    left = [i for i in range(len(engine)) if i not in {e for e, _ in pairs}]
    on_partial = [left[e] for e, _ in _greedy([engine[i] for i in left], partial, _on_partial)]
    engine_unmatched = [i for i in left if i not in on_partial]
    labels_unmatched = [i for i in range(len(labels)) if i not in {lab for _, lab in pairs}]
    wrong_side = len(_greedy([engine[i] for i in engine_unmatched], [labels[i] for i in labels_unmatched],
                             lambda e, lab: _pairs_with(e, lab, sides=False)))
    return Matching(pairs, on_partial, engine_unmatched, labels_unmatched, wrong_side)


def match_holds(engine: Sequence[EngineItem], labels: Sequence[LabelledItem]) -> Matching:
    """Pair holds by overlap, biggest IoU first. Any overlap will do, so the longest piece of a
    hold the engine broke up still meets its label; the pieces left over count as extra holds."""
    pairs = _greedy(engine, labels, lambda e, lab: iou(e, lab) > 0)
    engine_unmatched = [i for i in range(len(engine)) if i not in {e for e, _ in pairs}]
    labels_unmatched = [i for i in range(len(labels)) if i not in {lab for _, lab in pairs}]
    return Matching(pairs, [], engine_unmatched, labels_unmatched, 0)


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


# ---- scoring ----------------------------------------------------------------------------------
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
                "precision": _r(self.precision), "recall": _r(self.recall), "f1": _r(self.f1)}


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
        return {"labelled_s": _r(self.labelled_s, 2), "engine_s": _r(self.engine_s, 2),
                "timed_s": self.timed_s, "error_s": _r(self.error_s, 2),
                "error_pct": _r(100 * self.error_s / self.labelled_s, 1), "within": self.within}


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
            score.matches.append({"kind": kind, "engine": ei, "label": li, "iou": _r(iou(e, lab), 2),
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


@dataclass(slots=True)
class Totals:
    library_codes: frozenset[str] = frozenset()  # fault codes the exercises evaluated can flag
    clips: int = 0  # scored (not skipped, not failed)
    rep_clips: int = 0  # in the count figures
    nothing_to_count: int = 0  # rep clips with 0 labelled and 0 counted reps: left out of them
    count_exact: int = 0
    count_within_1: int = 0
    faults: dict[str, FaultTally] = field(default_factory=dict)
    clean: int = 0
    clean_flagged: int = 0
    holds: int = 0
    holds_within: int = 0
    hold_error_s: float = 0.0  # sum, for the mean
    not_judged: dict[str, int] = field(default_factory=dict)
    repeated: int = 0
    identical: int = 0
    skipped: int = 0
    errors: int = 0

    def figures(self) -> dict[str, float | None]:
        """The headline figures compared with ``TARGETS`` (None when nothing to measure)."""
        gated = [t.f1 for c, t in self.faults.items() if self.gated(c)]
        return {
            "count_exact": _share(self.count_exact, self.rep_clips),
            "count_within_1": _share(self.count_within_1, self.rep_clips),
            "false_flag_rate": _share(self.clean_flagged, self.clean),
            "fault_f1": min((f or 0.0 for f in gated), default=None),
            "hold_within": _share(self.holds_within, self.holds),
            "identical": _share(self.identical, self.repeated),
        }

    def gated(self, code: str) -> bool:
        """Whether a fault is held to the F1 target: one the library can flag, labelled often enough."""
        return code in self.library_codes and self.faults[code].labelled >= MIN_FAULT_CASES

    def to_json(self) -> dict[str, Any]:
        return {
            "clips": self.clips, "rep_clips": self.rep_clips, "nothing_to_count": self.nothing_to_count,
            "count_exact": self.count_exact, "count_within_1": self.count_within_1,
            "faults": {c: {**t.to_json(), "in_library": c in self.library_codes, "gated": self.gated(c)}
                       for c, t in sorted(self.faults.items())},
            "clean": self.clean, "clean_flagged": self.clean_flagged,
            "holds": self.holds, "holds_within": self.holds_within,
            "hold_mean_error_s": _r(self.hold_error_s / self.holds, 2) if self.holds else None,
            "not_judged": self.not_judged, "repeated": self.repeated, "identical": self.identical,
            "skipped": self.skipped, "errors": self.errors,
            "figures": {k: _r(v) for k, v in self.figures().items()}, "targets": TARGETS,
        }


def totals(scores: Iterable[ClipScore], library_codes: Iterable[str] = ()) -> Totals:
    t = Totals(frozenset(library_codes))
    for s in scores:
        if s.status != "ok":
            t.skipped += s.status == "skipped"
            t.errors += s.status == "error"
            continue
        t.clips += 1
        if s.nothing_to_count:
            t.nothing_to_count += 1
        elif s.counts_reps:
            t.rep_clips += 1
            t.count_exact += s.count_error == 0
            t.count_within_1 += abs(s.count_error) <= 1
        for code, tally in s.faults.items():
            t.faults.setdefault(code, FaultTally()).add(tally)
        t.clean, t.clean_flagged = t.clean + s.clean, t.clean_flagged + s.clean_flagged
        for h in s.hold_times:
            t.holds += 1
            t.holds_within += h.within
            t.hold_error_s += h.error_s
        for key, n in s.not_judged.items():
            t.not_judged[key] = t.not_judged.get(key, 0) + n
        if s.identical is not None:
            t.repeated += 1
            t.identical += s.identical
    return t


def source_of(file: str) -> str:
    """A clip's source: its file name up to the first "_", with its folder ("stock", "labelled/home")."""
    path = PurePosixPath(file)
    prefix = path.name.split("_", 1)[0] if "_" in path.name else path.stem
    return prefix if path.parent == PurePosixPath(".") else f"{path.parent}/{prefix}"


def by_source(scores: Sequence[ClipScore], library_codes: Iterable[str] = ()) -> dict[str, Totals]:
    """The totals of each source's clips (``source_of``), sources in alphabetical order."""
    codes = frozenset(library_codes)
    groups: dict[str, list[ClipScore]] = {}
    for s in scores:
        groups.setdefault(source_of(s.file), []).append(s)
    return {src: totals(groups[src], codes) for src in sorted(groups)}


def _share(n: int, of: int) -> float | None:
    return n / of if of else None


def _r(x: float | None, digits: int = 3) -> float | None:
    return None if x is None else round(x, digits)
