"""What each fault code of an exercise checks, in words (`formcheck exercises --faults ID`).

Read from the loaded definition, so the words always give the thresholds the engine uses.
"""

from __future__ import annotations

from formcheck.core.exercise import ExerciseDef, RuleDef
from formcheck.core.measures import UNITS, Measure

_PHASES = {
    "always": "throughout", "rest": "at rest", "moving": "while moving", "top": "at the top",
    "peak": "at the turn of each rep", "hold": "while holding",
}
# A rep's phases, from its start position (formcheck.core.reps): "up" leaves it, whichever way the
# measure goes (a squat's lowering), "top" is the turn, "down" the way back.
_REP_PHASES = {"up": "the way out of the start position", "top": "the pause at the turn", "down": "the way back"}


def fault_lines(ex: ExerciseDef) -> list[str]:
    """One line per fault code: the code, what it checks (measure, threshold, when, from which
    view) and the cue the person hears."""
    if not ex.rules:
        return ["(no fault codes: nothing is judged)"]
    width = max(len(r.code) for r in ex.rules)
    return [f"{r.code:{width}}  {rule_text(ex, r)}; cue \"{r.cue}\"" for r in ex.rules]


def rule_text(ex: ExerciseDef, rule: RuleDef) -> str:
    """What ``rule`` checks, e.g. "trunk (tilt hip–shoulder) above 45° (by more than 5°) at the
    turn of each rep, judged side-on"."""
    measure = ex.measures.get(rule.measure or "") if rule.measure else None
    unit = UNITS.get(measure.kind, "") if measure else ""
    if rule.kind == "peak":
        rep = ex.rep
        measure = ex.measures.get(rep.measure) if rep else None
        unit = UNITS.get(measure.kind, "") if measure else ""
        what = f"the furthest {_measure_text(measure, rep.measure if rep else '?')} of a rep {_bounds(rule, unit)}"
    elif rule.kind == "range":
        change = "the change in " if rule.relative else ""
        what = f"{change}{_measure_text(measure, rule.measure)} {_bounds(rule, unit)} {_PHASES[rule.phase]}"
    elif rule.kind == "symmetry":
        what = f"left and right {_measure_text(measure, rule.measure)} differ by more than {rule.max:g}{unit} " \
               f"{_PHASES[rule.phase]}"
    elif rule.kind == "stability":
        what = f"the {rule.point or '?'} moves more than {rule.max:g} torso lengths {_PHASES[rule.phase]}"
    elif rule.kind == "tempo":
        phase = _REP_PHASES.get(rule.rep_phase or "", "a rep")
        what = f"{phase} takes {_bounds(rule, ' s', 'min_s', 'max_s')}"
    elif rule.kind == "hold_time":
        what = f"held for less than {rule.min_s:g} s"
    elif rule.kind == "pairing":
        what = "the raised arm and the raised leg are on the same side (they should be opposite)"
    else:  # a kind added without words here
        what = rule.kind
    if rule.views:
        what += f", judged from the {' or '.join(rule.views)} only"
    return what


def _measure_text(measure: Measure | None, name: str | None) -> str:
    if measure is None:
        return name or "?"
    return f"{measure.name} ({measure.kind} {'–'.join(p.replace('_', ' ') for p in measure.points)})"


def _bounds(rule: RuleDef, unit: str, low: str = "min", high: str = "max") -> str:
    """When it is a fault: under min or over max, by more than the margin."""
    lo, hi = getattr(rule, low), getattr(rule, high)
    parts = []
    if lo is not None:
        parts.append(f"under {lo:g}{unit}")
    if hi is not None:
        parts.append(f"over {hi:g}{unit}")
    text = " or ".join(parts) or "out of range"
    if rule.margin:
        text += f" (by more than {rule.margin:g}{unit if unit in ('°', ' s') else ''})"
    return text
