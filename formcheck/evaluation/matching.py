"""`formcheck eval` matching: engine reps, attempts and holds paired with the labelled ones.

The rules are in ``formcheck.evaluation.evaluate``'s docstring (what `formcheck eval --help` shows).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from formcheck.evaluation.labels import LabelledItem, Span

MATCH_IOU = 0.3
PARTIAL_INSIDE = 0.5  # share of an engine rep inside a partial movement that pairs them


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
