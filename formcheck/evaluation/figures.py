"""`formcheck eval` figures: the clips' scores summed, overall and by source, against the targets."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from formcheck.evaluation.scoring import ClipScore, FaultTally, rounded

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
            "hold_mean_error_s": rounded(self.hold_error_s / self.holds, 2) if self.holds else None,
            "not_judged": self.not_judged, "repeated": self.repeated, "identical": self.identical,
            "skipped": self.skipped, "errors": self.errors,
            "figures": {k: rounded(v) for k, v in self.figures().items()}, "targets": TARGETS,
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
