"""Programme versions: saved as files (``programmes/<uid>.toml`` beside the session folders, the
durable record) and indexed in the database. A version is never changed or overwritten: every
change is a new version, numbered per person, and sessions record the version they followed.

A version that came in a bundle waits in ``programmes/pending/`` and is not current (not on Today,
not in adherence) until someone confirms it here (``confirm``; `formcheck programme confirm`, or
the app's question after an import): a bundle can't change what a person is told to do by itself.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from pathlib import Path

from formcheck.core.programme import ExerciseOutcome, Programme
from formcheck.exercises.programme_file import ProgrammeFileError, dumps, load, loads
from formcheck.records.database.connection import StoreError
from formcheck.records.database.people import person_name
from formcheck.records.database.rows import now_iso
from formcheck.records.store import Store
from formcheck.untrusted import VERSION

PROGRAMMES_DIR = "programmes"
PENDING_DIR = "pending"


def programmes_dir(store: Store) -> Path:
    return store.data / PROGRAMMES_DIR


def save(store: Store, programme: Programme) -> tuple[Programme, bool]:
    """Save ``programme`` as the person's next version; (the saved version, True), or (the current
    version, False) when nothing changed."""
    person = person_name(programme.person)
    current = current_programme(store, person)
    if current is not None and current.content() == programme.content():
        return current, False
    saved = dataclasses.replace(programme, person=person, version=_next_version(store, person),
                                uid=uuid.uuid4().hex, created=now_iso())
    path = write_file(programmes_dir(store), saved)
    try:
        with store.transaction():
            index(store, saved)
    except BaseException:
        path.unlink(missing_ok=True)  # not saved: leave no file that a repair would bring back
        raise
    return saved, True


def write_file(folder: Path, programme: Programme, suffix: str = "") -> Path:
    """Write a version's file (never over an existing one); ``suffix`` for a temporary name."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{programme.uid}.toml{suffix}"
    with path.open("x", encoding="utf-8") as f:  # "x": a version file is never overwritten
        f.write(dumps(programme))
        f.flush()
        os.fsync(f.fileno())
    return path


def index(store: Store, p: Programme, pending: bool = False) -> None:
    store.db.execute("INSERT INTO programmes(person_id, version, uid, created, body, pending) VALUES (?, ?, ?, ?, ?, ?)",
                     (store.person_id(p.person), p.version, p.uid, p.created, dumps(p), int(pending)))


def add_version(store: Store, p: Programme, pending: bool = False) -> Programme | None:
    """Index a version made elsewhere (another machine, a repair); None when it is already here.
    Its number is kept unless this person already has that number for another version (then it
    becomes the next one). ``pending``: from a bundle, waiting to be confirmed."""
    if not p.uid:
        raise StoreError("a programme version without a uid can't be shared; import the file with "
                         "`formcheck programme import` instead")
    if by_uid(store, p.uid) is not None:
        return None
    taken = store.db.execute(
        "SELECT 1 FROM programmes g JOIN people pe ON pe.id = g.person_id WHERE pe.name = ? AND g.version = ?",
        (p.person, p.version)).fetchone()
    if taken:
        p = dataclasses.replace(p, version=_next_version(store, p.person))
    index(store, p, pending)
    return p


def _next_version(store: Store, person: str) -> int:
    row = store.db.execute("SELECT max(g.version) FROM programmes g JOIN people p ON p.id = g.person_id "
                           "WHERE p.name = ?", (person,)).fetchone()
    number = int(row[0] or 0) + 1
    if number > VERSION[1]:
        raise StoreError(f"{person!r} has programme version {number - 1} already, the highest there can be; "
                         "nothing was saved")
    return number


def _rows(store: Store, where: str, args: tuple[object, ...]) -> list[Programme]:
    rows = store.db.execute("SELECT g.body, p.name FROM programmes g JOIN people p ON p.id = g.person_id "
                            f"WHERE {where} ORDER BY g.version", args).fetchall()
    return [loads(r["body"], "programme", person=r["name"]) for r in rows]


def versions(store: Store, person: str) -> list[Programme]:
    """All of a person's confirmed versions, oldest first."""
    return _rows(store, "p.name = ? AND g.pending = 0", (person,))


def pending(store: Store, person: str | None = None) -> list[Programme]:
    """Versions from bundles waiting to be confirmed (of ``person``, or everyone's)."""
    if person is None:
        mine = set(store.people())  # on a clinic's machine, its clinic's people only
        return [p for p in _rows(store, "g.pending = 1", ()) if p.person in mine]
    return _rows(store, "p.name = ? AND g.pending = 1", (person,))


def confirm(store: Store, uid: str) -> Programme:
    """Make a pending version the person's current one: it keeps its number when that is above
    every confirmed one, else it becomes the next; its file moves out of ``pending/``."""
    found = [p for p in pending(store) if p.uid == uid]
    if not found:
        raise StoreError(f"There is no programme version {uid!r} waiting to be confirmed.")
    p = found[0]
    newest = current_programme(store, p.person)
    if newest is not None and newest.version >= p.version:
        p = dataclasses.replace(p, version=_next_version(store, p.person))
    folder = programmes_dir(store)
    if not (folder / f"{p.uid}.toml").exists():
        write_file(folder, p)
    with store.transaction():
        store.db.execute("UPDATE programmes SET pending = 0, version = ?, body = ? WHERE uid = ?",
                         (p.version, dumps(p), p.uid))
    (folder / PENDING_DIR / f"{p.uid}.toml").unlink(missing_ok=True)
    return p


def current_programme(store: Store, person: str) -> Programme | None:
    found = versions(store, person)
    return found[-1] if found else None


def by_uid(store: Store, uid: str) -> Programme | None:
    found = _rows(store, "g.uid = ?", (uid,))
    return found[0] if found else None


def people(store: Store) -> list[str]:
    """People who have a (confirmed) programme (on a clinic's machine, of its clinic)."""
    mine = set(store.people())
    return [r[0] for r in store.db.execute(
        "SELECT DISTINCT p.name FROM programmes g JOIN people p ON p.id = g.person_id WHERE g.pending = 0 "
        "ORDER BY p.name") if r[0] in mine]


def outcomes(store: Store, programme: Programme) -> list[ExerciseOutcome]:
    """Each exercise of each session that followed this version, oldest session first."""
    out = []
    for row in store.db.execute("SELECT id FROM sessions WHERE programme_uid = ? ORDER BY started, id",
                                (programme.uid,)).fetchall():
        d = store.session_detail(row["id"])
        for exercise in dict.fromkeys(st.exercise for st in d.sets):
            sets = [st for st in d.sets if st.exercise == exercise]
            reps = [r for st in sets for r in st.reps if not r.attempt]
            holds = [h for st in sets for h in st.holds]
            flagged = sum(1 for r in reps if r.faults) if reps else sum(1 for h in holds if h.faults)
            out.append(ExerciseOutcome(d.id, d.started, exercise, len(reps), flagged, len(holds),
                                       d.pain_before, d.pain_after))
    return out


def index_folder(store: Store, folder: Path) -> tuple[int, list[str]]:
    """Index every version file in ``folder`` and those waiting in ``folder/pending``
    (``formcheck repair``); (how many, problems)."""
    added, problems = 0, []
    for is_pending, files in ((False, sorted(folder.glob("*.toml"))), (True, sorted((folder / PENDING_DIR).glob("*.toml")))):
        for path in files:
            try:
                p = load(path)
            except ProgrammeFileError as exc:
                problems.append(f"{path.name}: {exc}")
                continue
            if not p.uid or path.stem != p.uid:
                problems.append(f"{path.name}: not a saved programme version (no uid matching its name)")
                continue
            added += add_version(store, p, is_pending) is not None
    return added, problems
