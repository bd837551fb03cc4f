"""People in the session database: a name here, a uid that travels in bundles, and the uids of the
same person made on other computers that someone confirmed."""

from __future__ import annotations

import uuid

from formcheck.records.database.connection import Connection, StoreError
from formcheck.records.database.rows import now_iso


def person_name(name: str) -> str:
    """The name a session is saved under: trimmed, and never blank (a blank name can't be told
    apart in lists or asked for in a report)."""
    name = name.strip()
    if not name:
        raise StoreError("a session is saved under a person's name, and this one is empty; give a name")
    return name


class OtherClinic(StoreError):
    """The name is a person of another clinic on this server (names are unique across it)."""


def person_id(db: Connection, name: str, uid: str | None = None, clinic: str | None = None) -> int:
    """The person of that name (made, with ``uid`` or a new one, when there is none). On a clinic's
    server, never a person of another clinic: names are unique across the server, so one there
    by this name is refused rather than shared. ``clinic``: the clinic the session was recorded
    for, when it is not this machine's (a session recorded while the server was away)."""
    clinic = db.clinic if clinic is None else clinic
    row = db.one("SELECT id, clinic FROM people WHERE name = ?", (name,))
    if row:
        if clinic and row["clinic"] != clinic:
            raise OtherClinic(f"A person named {name!r} is in another clinic's records on this server; save this "
                              "session under a name that tells them apart (e.g. with an initial).")
        return int(row["id"])
    if uid is not None and person_by_uid(db, uid) is not None:  # that uid is someone here already
        uid = None
    return db.insert("INSERT INTO people(name, created, uid, clinic) VALUES (?, ?, ?, ?)",
                     (name, now_iso(), uid or uuid.uuid4().hex, clinic))


def people(db: Connection) -> list[str]:
    """Everyone's name (a clinic's machine: the people of its clinic), sorted."""
    if db.clinic:
        return [r["name"] for r in db.all("SELECT name FROM people WHERE clinic = ? ORDER BY name", (db.clinic,))]
    return [r["name"] for r in db.all("SELECT name FROM people ORDER BY name")]


def person_uid(db: Connection, name: str) -> str | None:
    row = db.one("SELECT uid FROM people WHERE name = ?", (name,))
    return row["uid"] if row else None


def person_by_uid(db: Connection, uid: str) -> str | None:
    """The name of the person with this uid (their own, or one confirmed to be theirs)."""
    row = db.one("SELECT name FROM people WHERE uid = ? UNION ALL SELECT p.name FROM person_uids a "
                 "JOIN people p ON p.id = a.person_id WHERE a.uid = ?", (uid, uid))
    return row["name"] if row else None


def person_aliases(db: Connection, name: str) -> list[str]:
    """The other uids known to be this person (made on other computers)."""
    return [r["uid"] for r in db.all("SELECT a.uid FROM person_uids a JOIN people p ON p.id = a.person_id "
                                     "WHERE p.name = ? ORDER BY a.uid", (name,))]


def same_person(db: Connection, name: str, uid: str) -> None:
    """Someone confirmed that ``uid`` (made on another computer) is ``name`` here."""
    pid = person_id(db, name)
    if db.one("SELECT 1 FROM people WHERE uid = ?", (uid,)) is None:
        db.execute("INSERT INTO person_uids(uid, person_id) VALUES (?, ?) ON CONFLICT DO NOTHING", (uid, pid))
