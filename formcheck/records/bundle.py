"""Sharing sessions without a server: one file (a zip "bundle") per person, both ways.

    manifest.json                     format, version, who (name and person uid), and the sha256
                                      and size of every member
    sessions/<folder>/session.json    each session folder as recorded (events, track, review,
                  events.jsonl ...    and the video unless left out): the durable record; the
                                      database rows are rebuilt from it on import (``EventIndexer``)
    programmes/<uid>.toml             every version of the person's programme
    calibration/<file>                the person's calibration profile, when there is one

A bundle comes from another computer, so import trusts nothing in it: the zip's entries are
checked against bounds first (how many, how big each may be for its kind, how far each inflates,
how much in all, and that it fits on the disk), then each is unpacked beside the data under a
temporary name with its size capped and its sha256 checked, and then every file is parsed by its
one validator (``session_folder`` records, ``programme_file``, ``profile``) — a bundle with
anything they refuse is refused whole, with one sentence, and nothing is imported.

Identity: a person is their uid (``manifest.person_uid``), not their name. A bundle's person is
filed under the local person with that uid (or one confirmed to be the same); a local person of
the same name but another uid is someone else, and the import stops with ``PersonClash`` until
someone says who it is (``person=``, the CLI's ``--as NAME``). Programme versions from a bundle
wait, pending, until confirmed (``programme_store.confirm``): a bundle never changes the current
programme by itself.

Import then adds sessions it doesn't have (identity: the session uid), appends review lines
(verdicts, notes) it doesn't have to sessions it does, adds programme versions it doesn't have,
and never overwrites a file. All database changes are one transaction; new files take their
places only after it commits, so a failure leaves nothing half-imported. The checksums catch a
damaged or truncated file, and edits made without rewriting the manifest; they are not a signature.
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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from formcheck import __version__
from formcheck.core.programme import Programme
from formcheck.exercises.loader import load_library
from formcheck.exercises.profile import ProfileError, read_profile, render_profile
from formcheck.exercises.programme_file import ProgrammeFileError, dumps, loads
from formcheck.records import programme_store
from formcheck.records.database.connection import StoreError
from formcheck.records.database.indexer import EventIndexer
from formcheck.records.database.people import person_name
from formcheck.records.database.rows import now_iso
from formcheck.records.database.sessions import SESSIONS_DIR
from formcheck.records.session_folder import (
    EVENTS_FILE,
    REVIEW_FILE,
    SESSION_FILE,
    TRACK_FILE,
    VIDEO_FILE,
    VIDEO_META,
    Event,
    Review,
    SessionMeta,
    read_events,
    read_review,
    read_session_meta,
)
from formcheck.records.store import Store
from formcheck.untrusted import (
    BUNDLE_BYTES,
    EVENTS_BYTES,
    INFLATION,
    JSON_BYTES,
    MEMBERS,
    NAME_CHARS,
    REVIEW_BYTES,
    TOML_BYTES,
    TRACK_BYTES,
    VIDEO_BYTES,
    Fields,
    MiB,
    Refused,
    decode,
    inside,
    json_lines,
    parse_json,
    read_bytes,
    uid,
)

FORMAT = "formcheck-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_BYTES = 16 * MiB
SUFFIX = ".formcheck"
SESSION_FILES = (SESSION_FILE, EVENTS_FILE, TRACK_FILE, REVIEW_FILE, VIDEO_FILE, VIDEO_META)
VIDEO_FILES = (VIDEO_FILE, VIDEO_META)
# The largest each member may be, by what it is.
MEMBER_BYTES = {SESSION_FILE: JSON_BYTES, EVENTS_FILE: EVENTS_BYTES, TRACK_FILE: TRACK_BYTES,
                REVIEW_FILE: REVIEW_BYTES, VIDEO_FILE: VIDEO_BYTES, VIDEO_META: JSON_BYTES}
# The calibration profile's slot (profiles are made by the calibration work; none are sent yet
# unless a caller passes one). Imported profiles land in <data>/calibration/, never over one there.
CALIBRATION_DIR = "calibration"
_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}"
_MEMBER = re.compile(rf"(sessions/{_NAME}/(?:{'|'.join(map(re.escape, SESSION_FILES))})"
                     rf"|programmes/[0-9a-f]{{8,64}}\.toml|{CALIBRATION_DIR}/{_NAME})")
_CHUNK = 1 << 20
_SPARE_BYTES = 64 * MiB  # left free on the disk after an import


class BundleError(StoreError):
    """A bundle that can't be made or read; the message says what to do."""


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
class ExportReport:
    path: Path
    sessions: int = 0
    programmes: int = 0
    skipped: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"wrote {self.path}: {self.sessions} session(s), {self.programmes} programme version(s)"]
        return "\n".join(lines + [f"left out {s}" for s in self.skipped])


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


# ---- export ----------------------------------------------------------------------------------
def export_bundle(store: Store, person: str, out: Path, since: date | None = None, video: bool = True,
                  pseudonym: str | None = None, calibration: Path | None = None) -> ExportReport:
    """Write ``person``'s sessions (from ``since``), programme versions and calibration profile to
    ``out``. With ``pseudonym`` that name replaces theirs everywhere: the person fields, their name
    (and each part of it) in notes and any other text, the video file names, the computer's name,
    and the person uid (a stand-in derived from it, so bundles under one pseudonym stay one person)."""
    name = person_name(pseudonym) if pseudonym is not None else person
    person_uid, aliases = store.person_uid(person), store.person_aliases(person)
    scrub: Callable[[str], str] = _scrubber(person, name) if pseudonym is not None else (lambda t: t)
    if pseudonym is not None:  # stand-ins: bundles under one pseudonym stay one person, not linkable to the name
        person_uid, aliases = (hashlib.sha256(f"{person_uid}/{name}".encode()).hexdigest()[:32]
                               if person_uid else None), []
    rows = store.sessions(person)
    report = ExportReport(out)
    versions = programme_store.versions(store, person)
    if not rows and not versions:
        raise BundleError(f"{person!r} has no sessions and no programme to send; `formcheck sessions` lists who has.")
    partial = out.with_name(out.name + ".partial")
    members: dict[str, dict[str, Any]] = {}
    uids = []
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
            for s in rows:
                try:
                    too_old = since is not None and datetime.fromisoformat(s.started).astimezone().date() < since
                except ValueError:
                    report.skipped.append(f"session {s.id}: its start time {s.started!r} can't be read")
                    continue
                if too_old:
                    continue
                if s.status == "recording":
                    report.skipped.append(f"session {s.id} ({s.started}): still recording")
                    continue
                if not s.folder.is_dir():
                    report.skipped.append(f"session {s.id} ({s.started}): its folder {s.folder} is missing")
                    continue
                try:
                    meta = read_session_meta(s.folder)
                except Refused:  # a folder recorded before sessions carried their own session.json
                    meta = _meta_from_row(store, s.id)
                meta = dataclasses.replace(meta, person=name, person_uid=person_uid)
                if pseudonym is not None:
                    meta = dataclasses.replace(meta, source=_anonymous_source(meta.source), host=None, pid=None,
                                               pid_start=None, source_print=None)
                base = f"sessions/{s.folder.name}/"
                _put_bytes(zf, members, base + SESSION_FILE, _json(_scrubbed(meta.as_json(), scrub)))
                for file in SESSION_FILES[1:]:
                    path = s.folder / file
                    if not path.is_file() or (not video and file in VIDEO_FILES):
                        continue
                    if pseudonym is not None and file in (EVENTS_FILE, REVIEW_FILE):
                        _put_bytes(zf, members, base + file, _scrubbed_lines(path, scrub))
                    else:
                        _put_file(zf, members, base + file, path)
                uids.append(meta.uid)
                report.sessions += 1
            for p in versions:
                _put_bytes(zf, members, f"programmes/{p.uid}.toml", dumps(_scrubbed_programme(p, name, scrub)).encode())
                report.programmes += 1
            if calibration is not None and calibration.is_file():
                _put_bytes(zf, members, f"{CALIBRATION_DIR}/{calibration.name}",
                           _calibration_bytes(calibration, name, scrub, pseudonym is not None))
            manifest = {"format": FORMAT, "version": FORMAT_VERSION, "created": now_iso(),
                        "formcheck_version": __version__, "person": name, "person_uid": person_uid,
                        "person_aliases": aliases, "pseudonym": pseudonym is not None, "sessions": uids, "members": members}
            zf.writestr(MANIFEST, _json(manifest))
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return report


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=1).encode()


def _scrubber(person: str, pseudonym: str) -> Callable[[str], str]:
    """Replaces the person's name, and each part of it ("Alice", "Smith"), in any text — also
    where underscores or dots join it to other words ("Alice_Smith_squat.mp4")."""
    parts = sorted({person, *(p for p in re.split(r"[\s_.,;:/\\-]+", person) if sum(c.isalnum() for c in p) >= 2)},
                   key=len, reverse=True)
    pattern = re.compile("|".join(rf"(?<![^\W_]){re.escape(p)}(?![^\W_])" for p in parts if p), re.IGNORECASE)
    return lambda text: pattern.sub(pseudonym, text)


_IDENTIFIER = re.compile(r"[a-z0-9_]+")


def _scrubbed(value: Any, scrub: Callable[[str], str]) -> Any:
    """Every text in a JSON value scrubbed, except keys and identifiers (exercise ids, rule and
    measure names: "cat_cow" stays what it is for a person called Cat)."""
    if isinstance(value, str):
        return value if _IDENTIFIER.fullmatch(value) else scrub(value)
    if isinstance(value, dict):
        return {k: _scrubbed(v, scrub) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v, scrub) for v in value]
    return value


def _scrubbed_lines(path: Path, scrub: Callable[[str], str]) -> bytes:
    """A JSON-lines file with every text in it scrubbed (lines that aren't JSON are left out)."""
    lines = json_lines(read_bytes(path, EVENTS_BYTES), path.name, EVENTS_BYTES)
    return b"".join(json.dumps(_scrubbed(v, scrub), ensure_ascii=False).encode() + b"\n"
                    for _n, v in lines if not isinstance(v, Refused))


def _anonymous_source(source: str) -> str:
    """What a pseudonymised session says it was recorded from: the kind of file, not its name."""
    suffix = PurePosixPath(source.replace("\\", "/")).suffix
    return f"video{suffix}" if suffix else "camera"


def _scrubbed_programme(p: Programme, name: str, scrub: Callable[[str], str]) -> Programme:
    items = tuple(dataclasses.replace(i, notes=scrub(i.notes)) for i in p.items)
    return dataclasses.replace(p, person=name, notes=scrub(p.notes), items=items)


def _calibration_bytes(path: Path, name: str, scrub: Callable[[str], str], pseudonym: bool) -> bytes:
    profile = read_profile(path)  # only a real profile travels (ProfileError says what is wrong)
    if not pseudonym:
        return read_bytes(path, TOML_BYTES)
    return render_profile(dataclasses.replace(profile, person=name, created_by="", made_from="",
                                              reason=scrub(profile.reason))).encode()


def _meta_from_row(store: Store, session_id: int) -> SessionMeta:
    """session.json for a folder recorded before sessions carried their own."""
    s = store.session(session_id)
    return SessionMeta(s.uid, s.person, s.started, s.source, s.kind, s.status, s.ended, s.end_reason)


def _put_bytes(zf: zipfile.ZipFile, members: dict[str, Any], name: str, data: bytes) -> None:
    zf.writestr(name, data)
    members[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _put_file(zf: zipfile.ZipFile, members: dict[str, Any], name: str, path: Path) -> None:
    digest, size = hashlib.sha256(), 0
    # A video is compressed already; deflating it again costs time for nothing.
    info = zipfile.ZipInfo.from_file(path, name)
    info.compress_type = zipfile.ZIP_STORED if path.suffix == ".mp4" else zipfile.ZIP_DEFLATED
    with path.open("rb") as src, zf.open(info, "w", force_zip64=True) as dst:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            dst.write(chunk)
    members[name] = {"sha256": digest.hexdigest(), "size": size}


# ---- import: what a bundle may hold ----------------------------------------------------------
@dataclass(frozen=True)
class Manifest:
    person: str
    person_uid: str | None  # None: made before bundles carried one
    aliases: tuple[str, ...]  # other uids the sending computer knows are this person
    pseudonym: bool
    members: dict[str, tuple[str, int]]  # name -> (sha256, size)


@dataclass
class _Session:
    folder: str  # its folder's name in the bundle
    meta: SessionMeta
    events: list[Event]
    review: list[Review]


def _limit(name: str) -> int:
    if name.startswith("sessions/"):
        return MEMBER_BYTES[PurePosixPath(name).name]
    return TOML_BYTES


def _check_entries(zf: zipfile.ZipFile, path: Path, data: Path) -> None:
    """The zip's own table of contents against the bounds, before anything is read from it."""
    infos = zf.infolist()
    if len(infos) > MEMBERS + 1:
        raise _foreign(path, f"it holds {len(infos)} files, more than the {MEMBERS} a bundle may")
    names = [i.filename for i in infos]
    if MANIFEST not in names:
        raise _foreign(path, "it has no manifest")
    if len(set(names)) != len(names):
        raise BundleError(f"{path.name} has been changed: it holds a file twice; nothing was imported.")
    total = 0
    for info in infos:
        name = info.filename
        if name != MANIFEST and not _MEMBER.fullmatch(name):
            raise _foreign(path, f"it holds {name[:80]!r}, which no bundle has")
        limit = MANIFEST_BYTES if name == MANIFEST else _limit(name)
        if info.file_size > limit:
            raise _refused(path, f"{name} unpacks to {info.file_size} bytes, more than the {limit} it may have")
        if info.file_size > MiB and info.file_size > INFLATION * max(info.compress_size, 1):
            raise _refused(path, f"{name} unpacks to {info.file_size // max(info.compress_size, 1)}× its packed size, "
                                 "which no recording does (a zip bomb)")
        total += info.file_size
    if total > BUNDLE_BYTES:
        raise _refused(path, f"it unpacks to {total} bytes, more than the {BUNDLE_BYTES} a bundle may")
    free = shutil.disk_usage(data).free
    if total + _SPARE_BYTES > free:
        raise BundleError(f"{path.name} needs {total // MiB + 1} MB and the disk of {data} has {free // MiB} MB free; "
                          "free some space and import it again. Nothing was imported.")


def _manifest(zf: zipfile.ZipFile, path: Path) -> Manifest:
    try:
        with zf.open(MANIFEST) as f:
            raw = f.read(MANIFEST_BYTES + 1)
    except KeyError as exc:
        raise _foreign(path, "it has no manifest") from exc
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise _damaged(path, exc) from exc
    try:
        m = Fields(parse_json(raw, MANIFEST, MANIFEST_BYTES), MANIFEST)
    except Refused as exc:
        raise _damaged(path, exc) from exc
    if m.data.get("format") != FORMAT:
        raise _foreign(path, "its manifest is not a formcheck manifest")
    version = m.data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version > FORMAT_VERSION:
        raise BundleError(f"{path.name} was made by a newer formcheck (bundle format {str(version)[:20]}); "
                          "update formcheck to import it. Nothing was imported.")
    try:
        return _manifest_fields(m, path)
    except Refused as exc:
        raise _refused(path, exc) from exc


def _manifest_fields(m: Fields, path: Path) -> Manifest:
    members = m.object("members")
    if members is None:
        raise _foreign(path, "its manifest lists no members")
    listed: dict[str, tuple[str, int]] = {}
    for name in members.data:
        entry = members.object(name)
        if entry is None or not _MEMBER.fullmatch(name):
            raise _foreign(path, f"its manifest lists {str(name)[:80]!r}, which no bundle has")
        sha = entry.text("sha256", max_chars=64)
        listed[name] = (sha, entry.whole("size", (0, _limit(name))))
    aliases = tuple(uid(a, f"{MANIFEST}: person_aliases") for a in m.items("person_aliases", 100))
    return Manifest(m.get("person", lambda v, w: _name(v, w)), m.uid("person_uid", None), aliases,
                    bool(m.flag("pseudonym", False)), listed)


def _name(value: Any, what: str) -> str:
    try:
        return person_name(value if isinstance(value, str) and len(value) <= NAME_CHARS else "")
    except StoreError as exc:
        raise Refused(f"{what} must be a person's name, got {str(value)[:60]!r}") from exc


def _unpack(zf: zipfile.ZipFile, path: Path, manifest: Manifest, staging: Path) -> None:
    """Every member into ``staging`` (its size capped at what the manifest says), checked against
    the manifest's sha256: anything not listed, missing, longer, shorter or changed is refused."""
    names = [n for n in zf.namelist() if n != MANIFEST]
    for name in names:
        if name not in manifest.members:
            raise BundleError(f"{path.name} has been changed: {name} is not in its manifest; nothing was imported.")
    for name in manifest.members:
        if name not in names:
            raise _damaged(path, f"{name} is missing")
    for name in names:
        sha, size = manifest.members[name]
        target = inside(staging, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, got = hashlib.sha256(), 0
        try:
            with zf.open(name) as src, target.open("xb") as dst:
                while chunk := src.read(min(_CHUNK, size + 1 - got)):
                    got += len(chunk)
                    if got > size:
                        break
                    digest.update(chunk)
                    dst.write(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
            raise _damaged(path, f"{name}: {exc}") from exc
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
            raise _damaged(path, f"session {folder} has no {SESSION_FILE}")
        try:
            meta = read_session_meta(where)
            events = read_events(where, strict=True).items
            review = read_review(where, strict=True).items
            if VIDEO_META in files:
                Fields(parse_json(read_bytes(where / VIDEO_META, JSON_BYTES), VIDEO_META), VIDEO_META).number(
                    "t0_ms", 0, 1e9)
        except Refused as exc:
            raise _refused(path, f"session {folder}: {exc}") from exc
        if meta.person != manifest.person or meta.person_uid != manifest.person_uid:
            raise _refused(path, f"session {folder} is {meta.person!r}'s, not {manifest.person!r}'s as its manifest says")
        if meta.uid in uids:
            raise _refused(path, f"two of its sessions have the uid {meta.uid}")
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
                raise _refused(path, f"{exc}") from exc
            if p.uid != PurePosixPath(name).stem or not p.version:
                raise _refused(path, f"{name} holds programme {p.uid!r}, not a saved version of that name")
            if p.person != manifest.person:
                raise _refused(path, f"{name} is {p.person!r}'s programme, not {manifest.person!r}'s")
            programmes.append(p)
    calibration = []
    for name in manifest.members:
        if name.startswith(CALIBRATION_DIR + "/"):
            try:
                profile = read_profile(inside(staging, name))
            except ProfileError as exc:
                raise _refused(path, f"{name}: {exc}") from exc
            if not profile.population and profile.person != manifest.person:
                raise _refused(path, f"{name} is {profile.person!r}'s profile, not {manifest.person!r}'s")
            calibration.append(name)
    programmes.sort(key=lambda p: p.version)
    return sorted(sessions.values(), key=lambda s: s.meta.started), programmes, calibration


# ---- import ----------------------------------------------------------------------------------
def import_bundle(store: Store, path: Path, person: str | None = None) -> ImportReport:
    """Add what ``path`` holds that this data folder doesn't. ``person`` files it under that name
    here (the real name for a pseudonymised bundle, or the answer to a ``PersonClash``: the local
    person it is, from now on recognised by the bundle's person uid too)."""
    person = person_name(person) if person is not None else None
    report = ImportReport(path)
    data = store.data
    if path.exists() and not path.is_file():  # a FIFO or a device would be read for ever
        raise _foreign(path, "it is not a regular file")
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError as exc:
        raise BundleError(f"There is no file {path}.") from exc
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise _damaged(path, exc) from exc
    staging = data / SESSIONS_DIR / f".importing-{secrets.token_hex(4)}"
    moves: list[tuple[Path, Path]] = []  # (staged, final), done after the commit
    try:
        with zf:
            _check_entries(zf, path, data)
            manifest = _manifest(zf, path)
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


def _damaged(path: Path, exc: object) -> BundleError:
    return BundleError(f"{path.name} is damaged or incomplete ({exc}); nothing was imported. Ask for the bundle "
                       "again (a file cut short in copying or mailing can't be read).")


def _foreign(path: Path, why: str) -> BundleError:
    return BundleError(f"{path.name} is not a formcheck bundle ({why}); nothing was imported. Bundles are made "
                       "with `formcheck bundle export` or File › Export bundle.")


def _refused(path: Path, why: object) -> BundleError:
    return BundleError(f"{path.name} can't be imported: {why}; nothing was imported.")


def default_name(person: str, when: date | None = None) -> str:
    """A file name for a person's bundle: letters and digits of the name, and the date."""
    safe = re.sub(r"[^A-Za-z0-9]+", "-", person).strip("-") or "person"
    return f"{safe}-{(when or date.today()).isoformat()}{SUFFIX}"
