"""Importing a bundle: adding what it holds that this data folder doesn't.

A bundle comes from another computer, so nothing in it is trusted: after its entries and manifest
are checked (``bundle_manifest``), each member is unpacked beside the data under a temporary name
with its size capped and its sha256 checked, and then every file is parsed by its one validator
(the session records: ``session_meta``, ``session_events``, ``session_review``; ``programme_file``,
``profile``) — a bundle with anything they refuse is refused whole, with one sentence, and
nothing is imported.

Identity: a person is their uid (``manifest.person_uid``), not their name. A bundle's person is
filed under the local person with that uid (or one confirmed to be the same); a local person of
the same name but another uid is someone else, and the import stops with ``PersonClash`` until
someone says who it is (``person=``, the CLI's ``--as NAME``). Programme versions from a bundle
wait, pending, until confirmed (``programme_store.confirm``): a bundle never changes the current
programme by itself.

Import then adds sessions it doesn't have (identity: the session uid), appends review lines
(verdicts, notes) it doesn't have to sessions it does, adds programme versions it doesn't have,
and never overwrites a file. All database changes are one transaction; new files take their
places only after it commits, so a failure leaves nothing half-imported.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import secrets
import shutil
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from formcheck.core.programme import Programme
from formcheck.exercises.loader import load_library
from formcheck.exercises.profile import ProfileError, read_profile
from formcheck.exercises.programme_file import ProgrammeFileError, loads
from formcheck.records import programme_store
from formcheck.records.bundle_manifest import (
    CALIBRATION_DIR,
    CHUNK,
    MANIFEST,
    BundleError,
    Manifest,
    check_entries,
    damaged,
    foreign,
    read_manifest,
    refused,
)
from formcheck.records.database.indexer import EventIndexer
from formcheck.records.database.people import person_name
from formcheck.records.database.sessions import SESSIONS_DIR
from formcheck.records.session_events import Event, read_events
from formcheck.records.session_folder import REVIEW_FILE, SESSION_FILE, VIDEO_META, video_t0
from formcheck.records.session_meta import SessionMeta, read_session_meta
from formcheck.records.session_review import Review, read_review
from formcheck.records.store import Store
from formcheck.untrusted import REVIEW_BYTES, TOML_BYTES, Refused, decode, inside, read_bytes


class PersonClash(BundleError):
    """The bundle's person has the name of someone here but is not them (another person uid).
    The app asks whose it is; ``import_bundle(..., person=NAME)`` answers."""

    def __init__(self, path: Path, name: str) -> None:
        super().__init__(
            f"{path.name}: the {name!r} in this bundle is not the {name!r} on this computer (they were made as "
            f"different people); nothing was imported. If it is the same person, import it with --as "
            f"{shell_quote(name)}; if not, give the bundle's person another name with --as NAME.")
        self.name = name

    def question(self) -> str:
        return (f"This bundle's {self.name} was made as a different person from the {self.name} on this computer. "
                f"Is it the same person? (No: nothing is imported.)")


@dataclass
class ImportReport:
    path: Path
    sessions: list[str] = field(default_factory=list)  # "started — person" of each session added
    already: int = 0  # sessions that were here already
    reviews: int = 0  # verdict/note lines added to sessions that were here
    programmes: list[str] = field(default_factory=list)
    pending: list[Programme] = field(default_factory=list)  # the versions added, waiting to be confirmed
    calibration: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"imported {self.path.name}: added {len(self.sessions)} session(s), {self.reviews} verdict/note "
                 f"line(s) to sessions already here, {len(self.programmes)} programme version(s); "
                 f"{self.already} session(s) were here already"]
        lines += [f"  + session {s}" for s in self.sessions] + [f"  + programme {p}" for p in self.programmes]
        lines += [f"  + calibration profile {c}" for c in self.calibration] + [f"  {n}" for n in self.notes]
        for p in self.pending:
            lines.append(f"  the programme's {p.label()} waits for the therapist: `formcheck programme confirm "
                         f"--person {shell_quote(p.person)}` makes it {p.person}'s current programme")
        return "\n".join(lines)


def shell_quote(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z0-9_.-]+", text) else "'" + text.replace("'", "'\\''") + "'"


@dataclass
class _Session:
    folder: str  # its folder's name in the bundle
    meta: SessionMeta
    events: list[Event]
    review: list[Review]


def _unpack(zf: zipfile.ZipFile, path: Path, manifest: Manifest, staging: Path) -> None:
    """Every member into ``staging`` (its size capped at what the manifest says), checked against
    the manifest's sha256: anything not listed, missing, longer, shorter or changed is refused."""
    names = [n for n in zf.namelist() if n != MANIFEST]
    for name in names:
        if name not in manifest.members:
            raise BundleError(f"{path.name} has been changed: {name} is not in its manifest; nothing was imported.")
    for name in manifest.members:
        if name not in names:
            raise damaged(path, f"{name} is missing")
    for name in names:
        sha, size = manifest.members[name]
        target = inside(staging, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, got = hashlib.sha256(), 0
        try:
            with zf.open(name) as src, target.open("xb") as dst:
                while chunk := src.read(min(CHUNK, size + 1 - got)):
                    got += len(chunk)
                    if got > size:
                        break
                    digest.update(chunk)
                    dst.write(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
            raise damaged(path, f"{name}: {exc}") from exc
        if got != size or digest.hexdigest() != sha:
            raise BundleError(f"{path.name} has been changed or damaged: {name} does not match its checksum; "
                              "nothing was imported. Ask for the bundle again.")


def _contents(staging: Path, path: Path, manifest: Manifest) -> tuple[list[_Session], list[Programme], list[str]]:
    """Every file, parsed by its validator (strict: any line or key it refuses refuses the bundle)."""
    sessions: dict[str, _Session] = {}
    folders: dict[str, list[str]] = {}
    for name in manifest.members:
        parts = name.split("/")
        if parts[0] == "sessions":
            folders.setdefault(parts[1], []).append(parts[2])
    uids: set[str] = set()
    for folder, files in folders.items():
        where = inside(staging, f"sessions/{folder}")
        if SESSION_FILE not in files:
            raise damaged(path, f"session {folder} has no {SESSION_FILE}")
        try:
            meta = read_session_meta(where)
            events = read_events(where, strict=True).items
            review = read_review(where, strict=True).items
            if VIDEO_META in files:
                video_t0(where)
        except Refused as exc:
            raise refused(path, f"session {folder}: {exc}") from exc
        if meta.person != manifest.person or meta.person_uid != manifest.person_uid:
            raise refused(path, f"session {folder} is {meta.person!r}'s, not {manifest.person!r}'s as its manifest says")
        if meta.uid in uids:
            raise refused(path, f"two of its sessions have the uid {meta.uid}")
        uids.add(meta.uid)
        sessions[folder] = _Session(folder, meta, events, review)
    programmes = []
    known = set(load_library().exercises)
    for name in manifest.members:
        if name.startswith("programmes/"):
            try:
                text = decode(read_bytes(inside(staging, name), TOML_BYTES), name)
                p = loads(text, name, known)
            except (ProgrammeFileError, Refused) as exc:
                raise refused(path, f"{exc}") from exc
            if p.uid != PurePosixPath(name).stem or not p.version:
                raise refused(path, f"{name} holds programme {p.uid!r}, not a saved version of that name")
            if p.person != manifest.person:
                raise refused(path, f"{name} is {p.person!r}'s programme, not {manifest.person!r}'s")
            programmes.append(p)
    calibration = []
    for name in manifest.members:
        if name.startswith(CALIBRATION_DIR + "/"):
            try:
                profile = read_profile(inside(staging, name))
            except ProfileError as exc:
                raise refused(path, f"{name}: {exc}") from exc
            if not profile.population and profile.person != manifest.person:
                raise refused(path, f"{name} is {profile.person!r}'s profile, not {manifest.person!r}'s")
            calibration.append(name)
    programmes.sort(key=lambda p: p.version)
    return sorted(sessions.values(), key=lambda s: s.meta.started), programmes, calibration


def import_bundle(store: Store, path: Path, person: str | None = None) -> ImportReport:
    """Add what ``path`` holds that this data folder doesn't. ``person`` files it under that name
    here (the real name for a pseudonymised bundle, or the answer to a ``PersonClash``: the local
    person it is, from now on recognised by the bundle's person uid too)."""
    person = person_name(person) if person is not None else None
    report = ImportReport(path)
    data = store.data
    if path.exists() and not path.is_file():  # a FIFO or a device would be read for ever
        raise foreign(path, "it is not a regular file")
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError as exc:
        raise BundleError(f"There is no file {path}.") from exc
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise damaged(path, exc) from exc
    staging = data / SESSIONS_DIR / f".importing-{secrets.token_hex(4)}"
    moves: list[tuple[Path, Path]] = []  # (staged, final), done after the commit
    try:
        with zf:
            check_entries(zf, path, data)
            manifest = read_manifest(zf, path)
            staging.mkdir(parents=True)
            _unpack(zf, path, manifest, staging)
        sessions, programmes, calibration = _contents(staging, path, manifest)
        if manifest.pseudonym and person is None:
            report.notes.append(f"this bundle names the person by a pseudonym ({manifest.person}); "
                                "import it with --as NAME to file it under their name")
        for name in calibration:  # kept beside the others unless one of that name is there already
            target = data / CALIBRATION_DIR / PurePosixPath(name).name
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                moves.append((inside(staging, name), target))
                report.calibration.append(str(target))
        with store.transaction():
            who = _who(store, path, manifest, person)
            new_folders: set[Path] = set()
            for s in sessions:
                moves += _import_session(store, staging, s, who, report, new_folders)
            for p in programmes:
                moves += _import_programme(store, p, who, report)
        for staged, final in moves:  # committed: now the files take their places
            os.replace(staged, final)
        moves = []
    finally:
        for staged, _final in moves:
            if staged.is_file():
                staged.unlink()
        shutil.rmtree(staging, ignore_errors=True)
    return report


def _who(store: Store, path: Path, manifest: Manifest, person: str | None) -> str:
    """The local person the bundle's sessions and programme are filed under: the one with the
    bundle's person uid (or one the sender knows is theirs); else the one named ``person``; else a
    new person of the bundle's name — unless someone here has that name: ``PersonClash``."""
    uids = [u for u in (manifest.person_uid, *manifest.aliases) if u is not None]
    known = next((n for n in map(store.person_by_uid, uids) if n is not None), None)
    who = person or known or manifest.person
    if person is None and known is None and store.person_uid(who) is not None:
        raise PersonClash(path, manifest.person)
    store.person_id(who, manifest.person_uid)
    if known in (None, who):  # the same person: recognised by every uid of theirs from now on
        for u in uids:
            if store.person_by_uid(u) is None:
                store.same_person(who, u)
    return who


def _import_session(store: Store, staging: Path, s: _Session, who: str, report: ImportReport,
                    new_folders: set[Path]) -> list[tuple[Path, Path]]:
    """Index one session (inside the import's transaction); returns the file moves to make after it."""
    row = store.db.execute("SELECT id FROM sessions WHERE uid = ?", (s.meta.uid,)).fetchone()
    if row is not None:
        report.already += 1
        return _merge_review(store, row["id"], s.review, report)
    data_sessions = store.data / SESSIONS_DIR
    final = inside(data_sessions, s.folder)
    n = 1
    while final.exists() or final in new_folders:  # another session's folder has this name: never write into it
        final = inside(data_sessions, f"{s.folder}-{s.meta.uid[:8]}-imported{f'-{n}' if n > 1 else ''}")
        n += 1
    new_folders.add(final)
    staged = inside(staging, f"sessions/{s.folder}")
    meta = dataclasses.replace(s.meta, person=who, person_uid=store.person_uid(who), pid=None, pid_start=None)
    if meta.status == "recording":
        meta = dataclasses.replace(meta, status="interrupted", end_reason="it was still recording when it was exported")
    (staged / SESSION_FILE).write_text(json.dumps(meta.as_json(), ensure_ascii=False, indent=1), encoding="utf-8")
    sid = store.insert_session(meta, final)
    index = EventIndexer(store.db, sid)
    for event in s.events:
        index.apply(event)
    for line in s.review:
        index.apply_review(line)
    report.sessions.append(f"{meta.started} — {meta.person}")
    return [(staged, final)]


def _merge_review(store: Store, session_id: int, lines: list[Review], report: ImportReport
                  ) -> list[tuple[Path, Path]]:
    """Review lines this session doesn't have yet: indexed now, appended to its review.jsonl after
    the commit (a new file beside it, swapped in whole)."""
    folder = store.session(session_id).folder
    have = folder / REVIEW_FILE
    old = read_bytes(have, REVIEW_BYTES) if have.exists() else b""
    seen = set(read_review(folder).items)
    new = []
    for line in lines:
        if line not in seen:
            seen.add(line)
            new.append(line)
    if not new:
        return []
    index = EventIndexer(store.db, session_id)
    for line in new:
        index.apply_review(line)
    staged = folder / (REVIEW_FILE + ".importing")
    with staged.open("wb") as f:
        f.write(old if not old or old.endswith(b"\n") else old + b"\n")
        f.writelines(json.dumps(line.as_json(), ensure_ascii=False).encode() + b"\n" for line in new)
        f.flush()
        os.fsync(f.fileno())
    report.reviews += len(new)
    return [(staged, have)]


def _import_programme(store: Store, p: Programme, who: str, report: ImportReport) -> list[tuple[Path, Path]]:
    added = programme_store.add_version(store, dataclasses.replace(p, person=who), pending=True)
    if added is None:
        return []
    folder = programme_store.programmes_dir(store) / programme_store.PENDING_DIR
    staged = programme_store.write_file(folder, added, ".importing")
    report.programmes.append(f"{added.person}: {added.label()}")
    report.pending.append(added)
    return [(staged, staged.with_suffix(""))]
