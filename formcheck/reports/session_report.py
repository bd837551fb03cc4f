"""Reports of recorded sessions: JSON, CSV of reps and faults, and a self-contained HTML page.

The HTML embeds its images (PNG as data: URIs) so it can be mailed or archived as one file. It is
a Jinja2 template with autoescaping (``templates/report.html.j2``): every field is escaped by
construction, whoever wrote it (a bundle from another computer included), not at each call site.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import io
import json
import math
from datetime import date
from pathlib import Path
from typing import Any

import cv2
import jinja2
import numpy as np
from matplotlib.ticker import ScalarFormatter

from formcheck.core.exercise import ExerciseDef
from formcheck.exercises.loader import load_by_id
from formcheck.exercises.snapshot import from_json
from formcheck.exercises.toml_reader import ExerciseFileError
from formcheck.records.database.rows import FaultDetail, HoldDetail, RepDetail, SessionDetail, SetDetail
from formcheck.records.reviewer import said
from formcheck.records.session_track import read_track
from formcheck.records.store import Store
from formcheck.reports import posture_report
from formcheck.reports.adherence import Adherence, adherence, stopped_for_pain
from formcheck.reports.evidence import evidence, evidence_frame, evidence_plot, session_video
from formcheck.reports.fhir import fhir_json
from formcheck.reports.plots import plt, png

CSV_FIELDS = ("session", "person", "started", "source", "exercise", "set", "kind", "number", "side", "start_s",
              "end_s", "duration_s", "peak_deg", "range_deg", "fault_code", "fault_message", "fault_t_s",
              "therapist_agrees", "verdicts", "notes", "profile", "goal_pct", *posture_report.CSV_FIELDS)
# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def report_json(store: Store, session_ids: list[int]) -> str:
    posture = set(posture_report.posture_sessions(store, session_ids))
    details = [store.session_detail(s).as_json() | ({"posture": store.posture_detail(s).as_json()} if s in posture else {})
               for s in session_ids]
    return json.dumps(details, indent=2, ensure_ascii=False) + "\n"


def _cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading ' (OWASP); numbers stay
    numbers, so a measure of -12.5 is still -12.5."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _fault_rows(base: dict[str, Any], faults: tuple[FaultDetail, ...]) -> list[dict[str, Any]]:
    """One row per fault; an item without faults has one row with empty fault columns."""
    rows = []
    for f in faults or (None,):
        row = dict(base)
        if f:
            # The reviewers together (records.database.rows): yes / no when all agree, else disputed.
            agree = "disputed" if f.disputed else "" if f.agree is None else ("yes" if f.agree else "no")
            row |= {"fault_code": f.code, "fault_message": f.message, "fault_t_s": f.t_s, "therapist_agrees": agree,
                    "verdicts": said(f)}
        rows.append(row)
    return rows


def report_csv(store: Store, session_ids: list[int]) -> str:
    """One row per event; ``kind`` says which: rep, attempt, hold, pain_stop or note.

    Reps, attempts and holds have one row per fault (``number`` is their number in the set); a
    pain stop's moment is in ``start_s``; a session note's text is in ``notes`` (a rep's notes are
    on that rep's rows).
    """
    out = io.StringIO()
    w = csv.DictWriter(out, CSV_FIELDS)
    w.writeheader()
    for sid in session_ids:
        d = store.session_detail(sid)
        session = {"session": sid, "person": d.person, "started": d.started, "source": d.source}
        rows: list[dict[str, Any]] = []
        sets = {st.id: st for st in d.sets}
        for st in d.sets:
            in_set = session | {"exercise": st.exercise, "set": st.number, "profile": st.profile}
            for r in st.reps:
                rows += _fault_rows(in_set | {
                    "kind": "attempt" if r.attempt else "rep", "number": r.index, "side": r.side or "",
                    "start_s": r.start_s, "end_s": r.end_s, "peak_deg": r.metrics.get("peak_deg", ""),
                    "range_deg": r.metrics.get("range_deg", ""), "goal_pct": r.metrics.get("goal_pct", ""),
                    "notes": " | ".join(r.notes)}, r.faults)
            for i, h in enumerate(st.holds, 1):
                rows += _fault_rows(in_set | {
                    "kind": "hold", "number": i, "side": h.side or "", "start_s": h.start_s,
                    "end_s": h.end_s, "duration_s": h.duration_s}, h.faults)
        for p in d.pain_stops:
            stopped_in = sets.get(p.set_id) if p.set_id is not None else None
            where = {"exercise": stopped_in.exercise, "set": stopped_in.number} if stopped_in else {}
            rows.append(session | where | {"kind": "pain_stop", "start_s": p.t_s})
        rows += [session | {"kind": "note", "notes": n} for n in d.notes]
        rows += posture_report.csv_rows(store, sid, session)
        w.writerows({k: _cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue()


def judged_with(st: SetDetail) -> ExerciseDef | None:
    """The exercise definition a recorded set was judged with: the one stored with the set, never
    today's file (thresholds may have changed since). Sets recorded before definitions were stored
    fall back to the library."""
    if st.definition:
        return from_json(st.definition)
    try:
        return load_by_id(st.exercise)
    except ExerciseFileError:
        return None


def exercise_thresholds(st: SetDetail) -> tuple[str | None, list[tuple[float, str]]]:
    """The primary measure and the lines worth drawing on its curve (rep start/target, limits)."""
    ex = judged_with(st)
    if ex is None or ex.rep is None:
        return None, []
    lines = [(ex.rep.start, "rep starts"), (ex.rep.target, "counts as a rep")]
    for rule in ex.rules:
        if rule.kind == "peak":
            lines += [(v, f"{rule.code}") for v in (rule.min, rule.max) if v is not None]
    return ex.rep.measure, lines


def angle_plot(track: np.ndarray, st: SetDetail, measure: str, lines: list[tuple[float, str]]) -> str:
    t = track[:, 0] / 1000
    in_set = (t >= st.started_s) & (t <= (st.ended_s if st.ended_s is not None else math.inf))
    fig, ax = plt.subplots(figsize=(9, 2.8))
    ax.plot(t[in_set], track[in_set, 2], color="#1565c0", lw=1.5, label=measure)
    for r in st.reps:
        flagged = bool(r.faults)
        ax.axvspan(r.start_s, r.end_s, color="#e57373" if flagged else "#81c784", alpha=0.25)
        ax.text((r.start_s + r.end_s) / 2, ax.get_ylim()[1], f"{r.index}{'!' if flagged else ''}",
                ha="center", va="bottom", fontsize=8)
    for value, label in lines:
        ax.axhline(value, color="#607d8b", ls="--", lw=0.8)
        ax.text(ax.get_xlim()[0], value, f" {label} ({value:g})", fontsize=7, va="bottom", color="#455a64")
    ax.set_xlabel("time (s)")
    ax.set_ylabel(f"{measure} (°)")
    ax.set_title("Green: clean reps · red: flagged reps · dashed: thresholds", fontsize=9)
    return png(fig)


def _frame_uri(video: tuple[Path, float] | None, track: np.ndarray, t_s: float, label: str) -> str | None:
    """The picture at the fault, with the skeleton and the value that fired (None: no video)."""
    image = evidence_frame(video, track, t_s, label) if video is not None else None
    if image is None:
        return None
    ok, encoded = cv2.imencode(".png", image)
    return "data:image/png;base64," + base64.b64encode(encoded.tobytes()).decode() if ok else None


# The smallest span each progress panel shows (reps, flagged %, degrees, seconds, % of goal): a
# change of a fraction of a degree must look like one, not like the range of motion halving.
_PROGRESS_SPAN = (4.0, 100.0, 10.0, 10.0, 20.0)


def progress_plot(details: list[SessionDetail], exercise: str) -> str | None:
    fig = progress_figure(details, exercise)
    return png(fig) if fig is not None else None


def progress_figure(details: list[SessionDetail], exercise: str) -> plt.Figure | None:
    labels: list[str] = []
    points: list[tuple[float, float, float, float, float]] = []  # per session, one value per panel
    for d in details:
        reps = [r for st in d.sets if st.exercise == exercise for r in st.reps if not r.attempt]
        holds = [h for st in d.sets if st.exercise == exercise for h in st.holds]
        if not reps and not holds:
            continue
        flagged = sum(1 for r in reps if r.faults)
        rom = [v for r in reps if (v := r.metrics.get("range_deg")) is not None]
        goal = [v for r in reps if (v := r.metrics.get("goal_pct")) is not None]
        labels.append(d.started[:10] + f" #{d.id}")
        points.append((len(reps), 100 * flagged / len(reps) if reps else 0, float(np.mean(rom)) if rom else math.nan,
                       sum(h.duration_s for h in holds), float(np.mean(goal)) if goal else math.nan))
    if len(points) < 2:
        return None
    panels = [(0, "reps per session"), (1, "flagged reps (%)"), (2, "range of motion (°)"), (3, "hold time (s)"),
              (4, "% of personal goal")]
    # Only what this exercise has: rep panels for rep exercises, hold time for holds.
    panels = [(i, t) for i, t in panels if any(p[i] for p in points if not math.isnan(p[i]))]
    fig, axes = plt.subplots(1, len(panels), figsize=(3 * len(panels), 2.6), squeeze=False)
    for ax, (idx, title) in zip(axes[0], panels, strict=False):
        values = [p[idx] for p in points]
        ax.plot(range(len(points)), values, marker="o")
        ax.set_title(title, fontsize=9)
        ax.set_xticks(range(len(points)), labels, rotation=45, ha="right", fontsize=7)
        seen = [v for v in values if not math.isnan(v)]
        mid, half = (max(seen) + min(seen)) / 2, max(max(seen) - min(seen), _PROGRESS_SPAN[idx]) / 2 * 1.1
        ax.set_ylim(max(0.0, mid - half) if min(seen) >= 0 else mid - half, mid + half)
        ax.yaxis.set_major_formatter(ScalarFormatter(useOffset=False))  # 51.3, never "+5.1e1" and "0.300"
        ax.tick_params(axis="y", labelsize=8)
    return fig


def adherence_plot(a: Adherence) -> str | None:
    """Per week: days and sets done against prescribed (sessions stopped for pain marked ×), pain
    before/after and effort, flagged-rep rate and range of motion."""
    if not a.weeks:
        return None
    x = np.arange(len(a.weeks))
    labels = [w.label for w in a.weeks]
    fig, axes = plt.subplots(1, 4, figsize=(13, 2.8))
    for ax, done, due, title in ((axes[0], "days", "prescribed_days", "days exercised / prescribed"),
                                 (axes[1], "sets", "prescribed_sets", "sets completed / prescribed")):
        ax.bar(x, [getattr(w, done) for w in a.weeks], color="#1565c0", label="done")
        ax.plot(x, [getattr(w, due) or math.nan for w in a.weeks], "_", color="#263238", ms=18, mew=2,
                label="prescribed")
        ax.set_title(title, fontsize=9)
    stopped = [(i, w.days) for i, w in enumerate(a.weeks) if w.pain_stopped]
    if stopped:
        axes[0].plot(*zip(*stopped, strict=False), "x", color="#b3261e", ms=10, mew=2, label="stopped for pain")
    axes[0].legend(fontsize=7)

    def line(ax: plt.Axes, values: list[float | None], **kw: Any) -> None:
        ax.plot(x, [math.nan if v is None else v for v in values], marker="o", **kw)

    line(axes[2], [w.pain_before for w in a.weeks], color="#607d8b", label="pain before")
    line(axes[2], [w.pain_after for w in a.weeks], color="#b3261e", label="pain after")
    line(axes[2], [w.effort for w in a.weeks], color="#2e7d32", label="effort")
    axes[2].set_ylim(0, 10)
    axes[2].set_title("pain and effort (0–10)", fontsize=9)
    axes[2].legend(fontsize=7)
    line(axes[3], [w.flagged_percent for w in a.weeks], color="#b3261e", label="flagged reps (%)")
    line(axes[3], [w.rom_deg for w in a.weeks], color="#1565c0", label="range of motion (°)")
    axes[3].set_title("flagged reps and range of motion", fontsize=9)
    axes[3].legend(fontsize=7)
    for ax in axes:
        ax.set_xticks(x, labels, rotation=45, ha="right", fontsize=7)
    return png(fig)


def _of(n: int, due: int) -> str:
    return f"{n} / {due}" if due else str(n)


def _f1(value: Any, unit: str = "") -> str:
    """A number with one decimal (and its unit); "–" for anything else."""
    return f"{value:.1f}{unit}" if _is_number(value) else "–"


def _g(value: Any) -> str:
    return f"{value:g}" if _is_number(value) else "–"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# One environment: autoescape on for everything it renders, and StrictUndefined so a template
# never shows a silent blank for a misspelt field.
_TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("formcheck.reports", "templates"),
                                autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                                lstrip_blocks=True, keep_trailing_newline=False)
_TEMPLATES.filters.update(f1=_f1, g=_g)
_TEMPLATES.globals.update(of=_of, said=said)


def report_html(store: Store, session_ids: list[int], today: date | None = None) -> str:
    """The self-contained HTML report (templates/report.html.j2): every field is escaped by the
    template engine, so nothing a session, a person or a bundle holds can become markup."""
    details = [store.session_detail(s) for s in session_ids]
    people = sorted({d.person for d in details})
    a = adherence(store, people[0], today) if len(people) == 1 else None
    exercises = sorted({st.exercise for d in details for st in d.sets})
    progress = [(ex, img) for ex in exercises if (img := progress_plot(details, ex))]
    return _TEMPLATES.get_template("report.html.j2").render(
        people=people, adherence=a, adherence_img=adherence_plot(a) if a else None, progress=progress,
        sessions=[_session_view(d) for d in details], posture=posture_report.html_view(store, session_ids))


def _session_view(d: SessionDetail) -> dict[str, Any]:
    """What the template shows of one session: its fields, and per set the figures and cards."""
    track = read_track(d.folder)
    efforts = ", ".join(f"{r.exercise} {r.score}" for r in d.ratings if r.kind == "effort")
    return _fields(d) | {"stopped_for_pain": stopped_for_pain(d), "efforts": efforts,
                         "sets": [_set_view(d, st, track) for st in d.sets]}


def _set_view(d: SessionDetail, st: SetDetail, track: np.ndarray) -> dict[str, Any]:
    reps = [r for r in st.reps if not r.attempt]
    held = sum(h.duration_s for h in st.holds)
    view = _fields(st) | {
        "done": f"{len(reps)} reps" if reps or not st.holds else f"{held:.0f} s held",
        "flagged": sum(1 for r in reps if r.faults) + sum(1 for h in st.holds if h.faults),
        "curve": None, "measure": None, "cards": [],
        "unjudged": [r for r in st.reps if r.not_judged],
        "noted": [r for r in st.reps if r.notes and not r.faults],  # flagged ones have cards
    }
    measure, lines = exercise_thresholds(st)
    if measure and len(track) and np.isfinite(track[:, 2]).any():
        view |= {"measure": measure, "curve": angle_plot(track, st, measure, lines)}
    # (what the card calls it, the rep or hold, its notes)
    flagged_items: list[tuple[int | str, RepDetail | HoldDetail, tuple[str, ...]]] = [
        *((r.index, r, r.notes) for r in st.reps if r.faults), *(("hold", h, ()) for h in st.holds if h.faults)]
    if flagged_items:
        video = session_video(d.folder, d.source)
        judged = judged_with(st)
        for index, item, notes in flagged_items:
            first = item.faults[0]
            curve, label = evidence(d, st, item, first, track, judged)
            view["cards"].append({
                "index": index, "start_s": item.start_s, "end_s": item.end_s, "faults": item.faults,
                "code": first.code, "notes": notes, "thumb": _frame_uri(video, track, first.t_s, label),
                "plot": evidence_plot(curve, first.t_s, span=(item.start_s, item.end_s)) if curve else None})
    return view


def _fields(row: SessionDetail | SetDetail) -> dict[str, Any]:
    """A row's fields by name (not their insides, as ``asdict`` would make them)."""
    return {f.name: getattr(row, f.name) for f in dataclasses.fields(row)}


def write_report(store: Store, session_ids: list[int], fmt: str, out: Path | None) -> str:
    text = {"json": report_json, "csv": report_csv, "html": report_html, "fhir": fhir_json}[fmt](store, session_ids)
    if out is not None:
        out.write_text(text, encoding="utf-8")
    return text
