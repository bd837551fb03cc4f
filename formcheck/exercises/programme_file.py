"""A programme as a commented TOML file a therapist can read and edit: loader and writer.

    formcheck programme export --person Ann --out ann.toml   # edit it, then
    formcheck programme import ann.toml --person Ann          # a new version if anything changed

Every problem is reported as ``ProgrammeFileError`` naming the file, the key and what is wrong,
like the exercise files (``exercises[1].reps: must be at least 1, got 0``).
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Any

import tomli_w

from formcheck.core.pain import NRS_MAX, NRS_MIN
from formcheck.core.posture_coach import PostureSettings
from formcheck.core.programme import Programme, ProgrammeItem, Progression
from formcheck.exercises.exercise_file import read_dose
from formcheck.exercises.toml_reader import EXERCISE_ID, ExerciseFileError, TableReader, within
from formcheck.untrusted import TOML_BYTES, VERSION, YEARS, Refused, is_uid, iso_time, parse_toml, read_text

HEADER = """\
# formcheck home programme. Lines starting with # are comments.
#
#   person         whose programme it is (`formcheck programme import --person NAME` can set it)
#   days_per_week  how many days a week to do it
#   start, review  dates (YYYY-MM-DD): when it starts, and when the therapist reviews it
#   pain_stop_at   pain (0–10) at or above which the app advises stopping for today; a rise of 2
#                  or more since the start of a session always does
#   notes          free text shown to the person
#   version, uid, created   written by formcheck, which version this file is; leave them: an
#                  edited file becomes a new version when imported
"""
PROGRESSION_COMMENT = """
# How the doses grow. The app proposes the change, the therapist confirms it (a new version):
# add_reps (reps exercises) or add_hold_s (holds) when each of the last `sessions` sessions
# had at most max_flagged_percent % flagged reps and no pain increase. Delete the table for none.
"""
POSTURE_COMMENT = """
# Desk posture reminders between the exercises (delete the table to leave them off): remind after a
# posture has lasted after_min minutes, at most every interval_min, a break after break_min of
# sitting, none in quiet_hours ("HH:MM-HH:MM").
"""
EXERCISES_COMMENT = """
# The exercises, in order. id: see `formcheck exercises`. The dose here replaces the exercise's own:
# sets, then reps (or hold_s, seconds), per_side = true for each side, rest_s between sets.
"""


class ProgrammeFileError(ExerciseFileError):
    """A programme file with a mistake; the message names the file, the key and what is wrong."""


def loads(text: str, file: str = "programme", known: set[str] | None = None, person: str | None = None) -> Programme:
    """Parse and validate a programme; ``known`` the exercise ids it may use, ``person`` overrides
    the file's own."""
    if len(text) > TOML_BYTES:
        raise ProgrammeFileError(file, "(file)", f"is more than the {TOML_BYTES} bytes a programme file may have")
    try:
        data = parse_toml(text, file)
    except tomllib.TOMLDecodeError as exc:
        raise ProgrammeFileError(file, "(syntax)", str(exc)) from exc
    except Refused as exc:
        raise ProgrammeFileError(file, "(file)", str(exc)) from exc
    r = TableReader(file, data)
    try:
        programme = _programme(r, known, person)
        r.finish()
    except ExerciseFileError as exc:
        raise ProgrammeFileError(exc.file, exc.key, exc.problem) from exc
    return programme


def load(path: Path, known: set[str] | None = None, person: str | None = None) -> Programme:
    try:
        text = read_text(path, TOML_BYTES)
    except Refused as exc:
        raise ProgrammeFileError(str(path), "(file)", f"cannot be read: {exc}") from exc
    return loads(text, path.name, known, person)


def _programme(r: TableReader, known: set[str] | None, person: str | None) -> Programme:
    name = r.get("person", str, None)
    if person is None:
        if not name or not name.strip():
            raise r.err("person", "is required (or give --person NAME when importing)")
        person = name.strip()
    start = r.get("start", date, check=_year)
    review = r.get("review", date, None, _year)
    if review is not None and review < start:
        raise r.err("review", f"must not be before start ({start}), got {review}")
    stop_at = r.get("pain_stop_at", int, None, lambda v: None if NRS_MIN < v <= NRS_MAX else "must be 1–10")
    prog_r = r.sub("progression", None)
    posture_r = r.sub("posture", None)
    items = tuple(_item(t, known) for t in r.tables("exercises", '{ id = "glute_bridge", sets = 2, reps = 10 }'))
    if not items:
        raise r.err("exercises", "a programme needs at least one [[exercises]] entry")
    return Programme(
        person=person,
        items=items,
        days_per_week=r.get("days_per_week", int, check=lambda v: None if 1 <= v <= 7 else "must be 1–7"),
        start=start,
        review=review,
        notes=r.get("notes", str, "").strip(),
        progression=_progression(prog_r) if prog_r else None,
        pain_stop_at=stop_at,
        posture=_posture(posture_r) if posture_r else None,
        version=r.get("version", int, 0, lambda v: None if v == 0 else within(*VERSION)(v)),
        uid=r.get("uid", str, "", lambda v: None if not v or is_uid(v) else "must be 8 to 64 lower-case hex digits"),
        created=r.get("created", str, "", _created),
    )


def _year(d: date) -> str | None:
    return None if YEARS[0] <= d.year <= YEARS[1] else f"must lie in the years {YEARS[0]}–{YEARS[1]}, got {d}"


def _created(text: str) -> str | None:
    """When the version was saved, as formcheck writes it (empty for a file not saved yet)."""
    if not text:
        return None
    try:
        iso_time(text, "created")
    except Refused as exc:
        return str(exc).removeprefix("created ")
    return None


def _item(r: TableReader, known: set[str] | None) -> ProgrammeItem:
    def exercise(v: str) -> str | None:
        if not EXERCISE_ID.fullmatch(v):  # an id is a file name: never a path, whoever wrote the file
            return f"{v!r} is not an exercise id (lower-case letters, digits and _)"
        return None if known is None or v in known else f"no exercise {v!r} in the library; `formcheck exercises` lists them"

    ex = r.get("id", str, check=exercise)
    dose = read_dose(r, sets_default=1, rest_default=30.0)
    if dose.reps is not None and dose.hold_s is not None:
        raise r.err("hold_s", "give reps or hold_s, not both")
    item = ProgrammeItem(ex, dose, r.get("notes", str, "").strip())
    r.finish()
    return item


def _progression(r: TableReader) -> Progression:
    p = Progression(
        add_reps=r.get("add_reps", int, 2, within(0, 100)),
        add_hold_s=r.get("add_hold_s", float, 5.0, within(0, 600)),
        sessions=r.get("sessions", int, 2, within(1, 100)),
        max_flagged_percent=r.get("max_flagged_percent", float, 10.0,
                                  lambda v: None if 0 <= v <= 100 else "must be 0–100"),
    )
    r.finish()
    return p


DAY_MIN = 24 * 60  # the longest any posture setting may be, in minutes


def _posture(r: TableReader) -> PostureSettings:
    """[posture]: the desk posture mode with the therapist's settings (minutes; quiet hours as
    "HH:MM-HH:MM" strings)."""
    d = PostureSettings()

    def minutes(key: str, default_ms: int) -> int:
        return round(r.get(key, (int, float), default_ms / 60_000,
                           lambda v: None if 0 < v <= DAY_MIN else f"must be more than 0 and at most {DAY_MIN} minutes")
                     * 60_000)

    quiet = []
    hours = r.get("quiet_hours", list, [], lambda v: None if len(v) <= 24 else "can list at most 24 quiet times")
    for text in hours:
        try:
            start, end = (datetime.strptime(str(x).strip(), "%H:%M") for x in str(text).split("-"))
        except ValueError:
            raise r.err("quiet_hours", f'give times as "HH:MM-HH:MM", e.g. "12:00-13:00", not {text!r}') from None
        quiet.append((start.hour * 60 + start.minute, end.hour * 60 + end.minute))
    settings = PostureSettings(after_ms=minutes("after_min", d.after_ms),
                               min_interval_ms=minutes("interval_min", d.min_interval_ms),
                               break_after_ms=minutes("break_min", d.break_after_ms), quiet_hours=tuple(quiet))
    r.finish()
    return settings


def dumps(p: Programme) -> str:
    """The programme as a commented TOML file (``loads(dumps(p)) == p``)."""
    top: dict[str, Any] = {"person": p.person, "days_per_week": p.days_per_week, "start": p.start}
    if p.review is not None:
        top["review"] = p.review
    if p.pain_stop_at is not None:
        top["pain_stop_at"] = p.pain_stop_at
    top["notes"] = p.notes
    if p.version:
        top |= {"version": p.version, "uid": p.uid, "created": p.created}
    # The exercises come before [progression]: tomli-w writes a short list inline (a key of the
    # top table, which must precede any [table] header).
    parts = [HEADER, tomli_w.dumps(top, multiline_strings=True), EXERCISES_COMMENT,
             tomli_w.dumps({"exercises": [_item_table(i) for i in p.items]}, multiline_strings=True)]
    if p.progression is not None:
        pr = p.progression
        parts += [PROGRESSION_COMMENT, tomli_w.dumps({"progression": {
            "add_reps": pr.add_reps, "add_hold_s": pr.add_hold_s, "sessions": pr.sessions,
            "max_flagged_percent": pr.max_flagged_percent}})]
    if p.posture is not None:
        ps = p.posture
        parts += [POSTURE_COMMENT, tomli_w.dumps({"posture": {
            "after_min": ps.after_ms / 60_000, "interval_min": ps.min_interval_ms / 60_000,
            "break_min": ps.break_after_ms / 60_000,
            "quiet_hours": [f"{a // 60:02d}:{a % 60:02d}-{b // 60:02d}:{b % 60:02d}" for a, b in ps.quiet_hours]}})]
    return "".join(parts)


def _item_table(item: ProgrammeItem) -> dict[str, Any]:
    d = item.dose
    table: dict[str, Any] = {"id": item.exercise, "sets": d.sets}
    if d.reps is not None:
        table["reps"] = d.reps
    if d.hold_s is not None:
        table["hold_s"] = d.hold_s
    table |= {"per_side": d.per_side, "rest_s": d.rest_s}
    if item.notes:
        table["notes"] = item.notes
    return table
