"""Calibration profiles: a person's own thresholds and body, as commented TOML files with versions.

The format is described for people in ``calibration/README.md``; in short::

    format = "formcheck-profile/1"
    person = "Eve"            version = 3
    created = "…"             created_by = "…"      made_from = "session 12"     reason = "…"
    [body]                    segment lengths from body calibration (``formcheck.core.body``)
    [exercises.glute_bridge.rep]                       target, goal
    [exercises.glute_bridge.rules.bridge_not_high_enough]   min, max, min_s, max_s

A profile names only what differs from the exercise files; everything else keeps the population
thresholds (what a profile does to an exercise: ``formcheck.exercises.personal_thresholds``).

Personal profiles live in ``calibration_dir()/people/<name>/vNNNN.toml``; every save is a new
version beside the old ones (never overwritten), and sessions use the newest. A file that is
malformed, or isn't a profile at all, is reported as ``file: key: problem`` and the population
thresholds are used instead.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from formcheck.core.body import SEGMENT_NAMES, BodyModel
from formcheck.core.exercise import ADJUSTABLE, ExerciseDef, RuleDef
from formcheck.exercises.toml_reader import EXERCISE_ID, ExerciseFileError, TableReader, read_toml
from formcheck.paths import calibration_dir

FORMAT = "formcheck-profile/1"
POPULATION = "population"
REP_KEYS = ("target", "goal")
_VERSION_FILE = re.compile(r"v(\d{4,})\.toml")


class ProfileError(ValueError):
    """A profile that can't be used, as ``file: key: problem``."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        super().__init__(f"{file}: {key}: {problem}")
        self.file, self.key, self.problem = file, key, problem


@dataclass(frozen=True)
class ExerciseOverrides:
    """A person's values for one exercise: ``rep`` (target, goal) and ``rules`` by code."""

    rep: dict[str, float] = field(default_factory=dict)
    rules: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Profile:
    person: str
    version: int = 0  # 0: not saved yet
    created: str = ""
    created_by: str = ""
    made_from: str = ""
    reason: str = ""
    exercises: dict[str, ExerciseOverrides] = field(default_factory=dict)
    body: BodyModel | None = None
    population: bool = False  # the default profile (calibration/default.toml): no person
    path: Path | None = field(default=None, compare=False)

    @property
    def label(self) -> str:
        """How reports name it: "population", or "Eve v3"."""
        return POPULATION if self.population else f"{self.person} v{self.version}"

    def with_values(self, exercise_id: str, rep: dict[str, float] | None = None,
                    rules: dict[str, dict[str, float]] | None = None, **about: Any) -> Profile:
        """A new (unsaved) profile: this one with some of one exercise's values replaced."""
        old = self.exercises.get(exercise_id, ExerciseOverrides())
        merged_rules = {code: dict(values) for code, values in old.rules.items()}
        for code, values in (rules or {}).items():
            merged_rules.setdefault(code, {}).update(values)
        new = ExerciseOverrides({**old.rep, **(rep or {})}, {c: v for c, v in merged_rules.items() if v})
        return dataclasses.replace(self, exercises={**self.exercises, exercise_id: new}, version=0, path=None,
                                   population=False, **about)


# ---- reading ------------------------------------------------------------------------------------
def read_profile(path: Path) -> Profile:
    """Parse and check one profile file; ``ProfileError`` names the file, the key and the problem."""
    file = str(path)
    data = read_toml(path, file, ProfileError)
    try:
        return dataclasses.replace(_profile(file, data), path=path)
    except ExerciseFileError as exc:
        raise ProfileError(file, exc.key, exc.problem) from exc


def _profile(file: str, data: dict[str, Any]) -> Profile:
    r = TableReader(file, data)
    fmt = data.get("format")
    if fmt != FORMAT:
        what = "an exercise file" if "measures" in data or "rules" in data else f"format = {fmt!r}"
        raise ProfileError(file, "format", f"this is not a formcheck calibration profile ({what}); "
                           f"a profile starts with format = {FORMAT!r}")
    r.get("format", str)
    population = r.get("kind", str, "person", lambda v: None if v in ("person", POPULATION)
                       else f"must be 'person' or '{POPULATION}', got {v!r}") == POPULATION
    person = r.get("person", str, "" if population else ..., lambda v: None if v.strip() or population
                   else "must not be empty")
    profile = Profile(
        person=person,
        version=r.get("version", int, 0 if population else ..., lambda v: None if v >= 1 else "must be at least 1"),
        created=r.get("created", str, ""),
        created_by=r.get("created_by", str, ""),
        made_from=r.get("made_from", str, ""),
        reason=r.get("reason", str, ""),
        exercises=_exercises(r.sub("exercises", {}) or TableReader(file, {})),
        body=_body(r.sub("body", None)),
        population=population,
    )
    r.finish()
    return profile


def _number(r: TableReader, key: str) -> float:
    return r.get(key, float)


def _exercises(r: TableReader) -> dict[str, ExerciseOverrides]:
    out: dict[str, ExerciseOverrides] = {}
    for ex_id in list(r.table):
        if not EXERCISE_ID.fullmatch(ex_id):
            raise r.err(ex_id, "not an exercise id (lower-case letters, digits and _)")
        e = r.sub(ex_id)
        assert e is not None
        rep: dict[str, float] = {}
        rep_r = e.sub("rep", None)
        if rep_r is not None:
            rep = {k: _number(rep_r, k) for k in REP_KEYS if k in rep_r.table}
            rep_r.finish()
        rules: dict[str, dict[str, float]] = {}
        rules_r = e.sub("rules", None)
        if rules_r is not None:
            for code in list(rules_r.table):
                rule_r = rules_r.sub(code)
                assert rule_r is not None
                rules[code] = {k: _number(rule_r, k) for k in ADJUSTABLE if k in rule_r.table}
                rule_r.finish()
            rules_r.finish()
        e.finish()
        out[ex_id] = ExerciseOverrides(rep, rules)
    r.finish()
    return out


def _body(r: TableReader | None) -> BodyModel | None:
    if r is None:
        return None
    tables = {}
    for unit in ("image_px", "world_m"):
        t = r.sub(unit, {}) or TableReader(r.file, {})
        tables[unit] = {k: t.get(k, float, check=lambda v: None if v > 0 else "must be greater than 0")
                        for k in list(t.table) if k in SEGMENT_NAMES}
        t.finish()
    views = r.get("views", list, [], lambda v: None if all(isinstance(x, str) for x in v) else "must be a list of text")
    body = BodyModel(tables["image_px"], tables["world_m"], r.get("frames", int, 0), tuple(views),
                     r.get("stance", float, None, lambda v: None if v >= 0 else "must not be negative"))
    r.finish()
    return body


# ---- writing ------------------------------------------------------------------------------------
def _toml_str(text: str) -> str:
    # A JSON string is a TOML basic string, except that TOML also forbids a raw DEL character.
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def _num(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"a profile holds finite numbers only, got {value!r}")
    return repr(round(float(value), 4))


def _key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else _toml_str(name)


def render_profile(profile: Profile, exercises: dict[str, ExerciseDef] | None = None) -> str:
    """The profile as commented TOML; with ``exercises`` each value's comment gives the population
    value and the safety floor it may not go past."""
    exercises = exercises or {}
    if profile.population:
        head = ["# formcheck calibration profile: the population thresholds (the default).",
                "# Generated from formcheck/exercises/*.toml by tools/write_default_profile.py; the tests",
                "# check it still matches them. Personal profiles name only what differs from this.",
                f"format = {_toml_str(FORMAT)}", f'kind = "{POPULATION}"']
    else:
        head = ["# formcheck calibration profile: one person's own thresholds (see calibration/README.md).",
                "# Saving a change makes a new version beside this one; this file is never rewritten.",
                f"format = {_toml_str(FORMAT)}",
                f"person = {_toml_str(profile.person)}",
                f"version = {profile.version}"]
        head += [f"created = {_toml_str(profile.created)}   # when it was made (UTC)",
                 f"created_by = {_toml_str(profile.created_by)}   # who made it",
                 f"made_from = {_toml_str(profile.made_from)}   # the session or video it was measured on"]
    head.append(f"reason = {_toml_str(profile.reason)}")
    lines = head
    if profile.body is not None:
        b = profile.body
        lines += ["", "# Body calibration: segment lengths measured standing (formcheck calibrate body).",
                  "[body]", f"frames = {b.frames}", f"views = [{', '.join(_toml_str(v) for v in b.views)}]",
                  *([f"stance = {_num(b.stance)}   # feet apart while standing, in hip widths"]
                    if b.stance is not None else []),
                  "[body.image_px]   # pixels at the calibration distance (divide by trunk for body units)"]
        lines += [f"{k} = {_num(v)}" for k, v in b.image_px.items()]
        lines += ["[body.world_m]    # metres, from the model's 3-D landmarks"]
        lines += [f"{k} = {_num(v)}" for k, v in b.world_m.items()]
    for ex_id, ov in sorted(profile.exercises.items()):
        ex = exercises.get(ex_id)
        if ov.rep:
            lines += ["", f"[exercises.{ex_id}.rep]"]
            for k, v in ov.rep.items():
                lines.append(f"{k} = {_num(v)}{_rep_comment(ex, k)}")
        for code, values in ov.rules.items():
            if not values:
                continue
            rule = next((r for r in ex.rules if r.code == code), None) if ex else None
            lines += ["", f"[exercises.{ex_id}.rules.{_key(code)}]" + (f"   # {rule.cue}" if rule else "")]
            for k, v in values.items():
                lines.append(f"{k} = {_num(v)}{_rule_comment(rule, k)}")
    text = "\n".join(lines) + "\n"
    tomllib.loads(text)  # what we write must read back
    return text


def _rule_comment(rule: RuleDef | None, key: str) -> str:
    if rule is None or getattr(rule, key, None) is None:
        return ""
    floor = getattr(rule, f"{key}_limit")
    limit = f"safety floor {floor:g}" if floor is not None else "can only be made stricter"
    return f"   # population {getattr(rule, key):g}; {limit}"


def _rep_comment(ex: ExerciseDef | None, key: str) -> str:
    if ex is None or ex.rep is None:
        return ""
    if key == "goal":
        return f"   # personal goal for {ex.rep.measure}; each rep's progress is shown as % of it"
    floor = ex.rep.target_limit
    limit = f"limit {floor:g}" if floor is not None else "can only be made stricter"
    return f"   # {ex.rep.measure} needed to count a rep; population {ex.rep.target:g}; {limit}"


# ---- versions on disk ---------------------------------------------------------------------------
def person_folder_name(person: str) -> str:
    """A safe folder name for any person's name (the name itself is inside each file)."""
    slug = re.sub(r"[^a-z0-9]+", "-", person.lower()).strip("-")[:40] or "person"
    return f"{slug}-{hashlib.sha1(person.encode('utf-8')).hexdigest()[:8]}"


class ProfileStore:
    """People's profiles under ``root`` (default ``calibration_dir()``), every version kept."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or calibration_dir()

    def folder(self, person: str) -> Path:
        return self.root / "people" / person_folder_name(person)

    def versions(self, person: str) -> list[Path]:
        """The person's profile files, oldest first."""
        folder = self.folder(person)
        found = [(int(m.group(1)), p) for p in folder.glob("v*.toml") if (m := _VERSION_FILE.fullmatch(p.name))]
        return [p for _, p in sorted(found)]

    def latest(self, person: str) -> Profile | None:
        """The newest version, or None when the person has none; ``ProfileError`` when it is broken."""
        versions = self.versions(person)
        if not versions:
            return None
        profile = read_profile(versions[-1])
        if profile.person != person:
            raise ProfileError(str(versions[-1]), "person", f"this profile is {profile.person!r}'s, not {person!r}'s")
        return profile

    def save(self, profile: Profile, exercises: dict[str, ExerciseDef] | None = None) -> Profile:
        """Write ``profile`` as the person's next version (never over an existing file)."""
        folder = self.folder(profile.person)
        folder.mkdir(parents=True, exist_ok=True)
        while True:
            versions = self.versions(profile.person)
            last = _VERSION_FILE.fullmatch(versions[-1].name) if versions else None
            number = int(last.group(1)) + 1 if last else 1
            saved = dataclasses.replace(profile, version=number, population=False)
            path = folder / f"v{number:04d}.toml"
            tmp = folder / f".v{number:04d}.{os.getpid()}.tmp"
            tmp.write_text(render_profile(saved, exercises), encoding="utf-8")
            try:
                os.link(tmp, path)  # atomic, and fails rather than replace a version someone else saved
            except FileExistsError:
                continue
            finally:
                tmp.unlink(missing_ok=True)
            return read_profile(path)  # what was written (numbers as rounded in the file)
