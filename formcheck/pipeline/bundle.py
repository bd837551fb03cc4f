"""Sharing sessions without a server: one file (a zip "bundle") per person, both ways.

    manifest.json                     format, version, who, and the sha256 and size of every member
    sessions/<folder>/session.json    each session folder as recorded (events, track, review,
                  events.jsonl ...    and the video unless left out): the durable record; the
                                      database rows are rebuilt from it on import (``EventIndexer``)
    programmes/<uid>.toml             every version of the person's programme
    calibration/<file>                the person's calibration profile, when there is one

Import verifies every checksum before touching anything, adds sessions it doesn't have (identity:
the session uid in session.json), appends review lines (verdicts, notes) it doesn't have to
sessions it does, adds programme versions it doesn't have, and never overwrites a file. All
database changes are one transaction; new folders are unpacked under a temporary name and renamed
into place only after it commits, so a failure leaves nothing half-imported. The checksums catch a
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
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from formcheck import __version__
from formcheck.core.programme import Programme
from formcheck.exercises.programme_file import ProgrammeFileError, dumps, loads
from formcheck.pipeline import programme_store
from formcheck.pipeline.session_folder import (
    EVENTS_FILE,
    REVIEW_FILE,
    SESSION_FILE,
    TRACK_FILE,
    VIDEO_FILE,
    VIDEO_META,
    read_jsonl,
    read_session_json,
)
from formcheck.pipeline.store import SESSIONS_DIR, EventIndexer, Store, StoreError, now_iso, person_name

FORMAT = "formcheck-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SUFFIX = ".formcheck"
SESSION_FILES = (SESSION_FILE, EVENTS_FILE, TRACK_FILE, REVIEW_FILE, VIDEO_FILE, VIDEO_META)
VIDEO_FILES = (VIDEO_FILE, VIDEO_META)
# The calibration profile's slot (profiles are made by the calibration work; none are sent yet
# unless a caller passes one). Imported profiles land in <data>/calibration/, never over one there.
CALIBRATION_DIR = "calibration"
_NAME = r"[A-Za-z0-9][A-Za-z0-9._-]{0,120}"
_MEMBER = re.compile(rf"(sessions/{_NAME}/(?:{'|'.join(map(re.escape, SESSION_FILES))})"
                     rf"|programmes/[0-9a-f]{{8,64}}\.toml|{CALIBRATION_DIR}/{_NAME})")
_CHUNK = 1 << 20


class BundleError(StoreError):
    """A bundle that can't be made or read; the message says what to do."""


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
    calibration: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"imported {self.path.name}: added {len(self.sessions)} session(s), {self.reviews} verdict/note "
                 f"line(s) to sessions already here, {len(self.programmes)} programme version(s); "
                 f"{self.already} session(s) were here already"]
        lines += [f"  + session {s}" for s in self.sessions] + [f"  + programme {p}" for p in self.programmes]
        lines += [f"  + calibration profile {c}" for c in self.calibration] + [f"  {n}" for n in self.notes]
        return "\n".join(lines)


# ---- export ----------------------------------------------------------------------------------
def export_bundle(store: Store, person: str, out: Path, since: date | None = None, video: bool = True,
                  pseudonym: str | None = None, calibration: Path | None = None) -> ExportReport:
    """Write ``person``'s sessions (from ``since``), programme versions and calibration profile to
    ``out``; with ``pseudonym`` that name replaces theirs (and video file paths are cut to names)."""
    name = person_name(pseudonym) if pseudonym is not None else person
    rows = store.sessions(person)
    report = ExportReport(out)
    versions = programme_store.versions(store, person)
    if not rows and not versions:
        raise BundleError(f"{person!r} has no sessions and no programme to send; `formcheck sessions` lists who has.")
    partial = out.with_name(out.name + ".partial")
    members: dict[str, dict[str, Any]] = {}
    uids = []
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
            for s in rows:
                if since is not None and datetime.fromisoformat(s.started).astimezone().date() < since:
                    continue
                if s.status == "recording":
                    report.skipped.append(f"session {s.id} ({s.started}): still recording")
                    continue
                if not s.folder.is_dir():
                    report.skipped.append(f"session {s.id} ({s.started}): its folder {s.folder} is missing")
                    continue
                meta = read_session_json(s.folder) or _meta_from_row(store, s.id)
                if pseudonym is not None:
                    meta = meta | {"person": name, "source": PurePosixPath(str(meta.get("source", ""))).name,
                                   "host": None}
                base = f"sessions/{s.folder.name}/"
                _put_bytes(zf, members, base + SESSION_FILE, json.dumps(meta, ensure_ascii=False, indent=1).encode())
                for file in SESSION_FILES[1:]:
                    if (s.folder / file).is_file() and (video or file not in VIDEO_FILES):
                        _put_file(zf, members, base + file, s.folder / file)
                uids.append(meta["uid"])
                report.sessions += 1
            for p in versions:
                _put_bytes(zf, members, f"programmes/{p.uid}.toml", dumps(dataclasses.replace(p, person=name)).encode())
                report.programmes += 1
            if calibration is not None and calibration.is_file():
                _put_file(zf, members, f"{CALIBRATION_DIR}/{calibration.name}", calibration)
            manifest = {"format": FORMAT, "version": FORMAT_VERSION, "created": now_iso(),
                        "formcheck_version": __version__, "person": name, "pseudonym": pseudonym is not None,
                        "sessions": uids, "members": members}
            zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1))
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return report


def _meta_from_row(store: Store, session_id: int) -> dict[str, Any]:
    """session.json for a folder recorded before sessions carried their own."""
    s = store.session(session_id)
    return {"uid": s.uid, "person": s.person, "started": s.started, "ended": s.ended, "source": s.source,
            "kind": s.kind, "status": s.status, "end_reason": s.end_reason}


def _put_bytes(zf: zipfile.ZipFile, members: dict[str, Any], name: str, data: bytes) -> None:
    zf.writestr(name, data)
    members[name] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}


def _put_file(zf: zipfile.ZipFile, members: dict[str, Any], name: str, path: Path) -> None:
    digest, size = hashlib.sha256(), 0
    # A video is compressed already; deflating it again costs time for nothing.
    info = zipfile.ZipInfo.from_file(path, name)
    info.compress_type = zipfile.ZIP_STORED if path.suffix == ".mp4" else zipfile.ZIP_DEFLATED
    with path.open("rb") as src, zf.open(info, "w") as dst:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            dst.write(chunk)
    members[name] = {"sha256": digest.hexdigest(), "size": size}


# ---- import ----------------------------------------------------------------------------------
@dataclass
class _Session:
    folder: str  # its folder's name in the bundle
    meta: dict[str, Any]
    files: list[str]


def import_bundle(store: Store, path: Path, person: str | None = None) -> ImportReport:
    """Add what ``path`` holds that this data folder doesn't; ``person`` files new sessions and
    programme versions under that name (e.g. the real name for a pseudonymised bundle)."""
    person = person_name(person) if person is not None else None
    report = ImportReport(path)
    data = store.path.parent
    try:
        zf = zipfile.ZipFile(path)
    except FileNotFoundError as exc:
        raise BundleError(f"There is no file {path}.") from exc
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise _damaged(path, exc) from exc
    staging = data / SESSIONS_DIR / f".importing-{secrets.token_hex(4)}"
    moves: list[tuple[Path, Path]] = []  # (staged, final), done after the commit
    try:
        with zf:
            manifest = _verified_manifest(zf, path)
            sessions, programmes, calibration = _contents(zf, path, manifest)
            if manifest.get("pseudonym") and person is None:
                report.notes.append(f"this bundle names the person by a pseudonym ({manifest.get('person')}); "
                                    "import it with --as NAME to file it under their name")
            try:
                with store.transaction():
                    for s in sessions:
                        moves += _import_session(store, zf, s, staging, person, report)
                    for p in programmes:
                        moves += _import_programme(store, p, person, report)
            except (KeyError, TypeError, ValueError) as exc:  # a line the indexer can't read: rolled back
                raise _damaged(path, f"a session's events can't be read: {exc!r}") from exc
            for staged, final in moves:  # committed: now the files take their places
                os.replace(staged, final)
            for name in calibration:
                report.calibration += _import_calibration(zf, name, data)
    finally:
        for staged, _final in moves:
            if staged.is_file():
                staged.unlink()
        shutil.rmtree(staging, ignore_errors=True)
    return report


def _damaged(path: Path, exc: BaseException) -> BundleError:
    return BundleError(f"{path.name} is damaged or incomplete ({exc}); nothing was imported. Ask for the bundle "
                       "again (a file cut short in copying or mailing can't be read).")


def _foreign(path: Path, why: str) -> BundleError:
    return BundleError(f"{path.name} is not a formcheck bundle ({why}); nothing was imported. Bundles are made "
                       "with `formcheck bundle export` or File › Export bundle.")


def _verified_manifest(zf: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    """The manifest, once every member is checked against it (names, sizes, sha256)."""
    try:
        manifest = json.loads(zf.read(MANIFEST))
    except KeyError as exc:
        raise _foreign(path, "it has no manifest") from exc
    except (ValueError, zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
        raise _damaged(path, exc) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _foreign(path, "its manifest is not a formcheck manifest")
    if not isinstance(manifest.get("version"), int) or manifest["version"] > FORMAT_VERSION:
        raise BundleError(f"{path.name} was made by a newer formcheck (bundle format {manifest.get('version')}); "
                          "update formcheck to import it. Nothing was imported.")
    members = manifest.get("members")
    if not isinstance(members, dict):
        raise _foreign(path, "its manifest lists no members")
    names = [n for n in zf.namelist() if n != MANIFEST]
    for name in names:
        if name not in members:
            raise BundleError(f"{path.name} has been changed: {name} is not in its manifest; nothing was imported.")
        if not _MEMBER.fullmatch(name):
            raise _foreign(path, f"it holds {name!r}, which no bundle has")
    for name in members:
        if name not in names:
            raise _damaged(path, f"{name} is missing")
    for name in names:
        digest, size = hashlib.sha256(), 0
        try:
            with zf.open(name) as f:
                while chunk := f.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            raise _damaged(path, f"{name}: {exc}") from exc
        expected = members[name]
        if not isinstance(expected, dict) or digest.hexdigest() != expected.get("sha256") or size != expected.get("size"):
            raise BundleError(f"{path.name} has been changed or damaged: {name} does not match its checksum; "
                              "nothing was imported. Ask for the bundle again.")
    return manifest


def _contents(zf: zipfile.ZipFile, path: Path, manifest: dict[str, Any]
              ) -> tuple[list[_Session], list[Programme], list[str]]:
    names = list(manifest["members"])
    sessions: dict[str, _Session] = {}
    for name in names:
        parts = name.split("/")
        if parts[0] == "sessions":
            sessions.setdefault(parts[1], _Session(parts[1], {}, [])).files.append(parts[2])
    for s in sessions.values():
        try:
            meta = json.loads(zf.read(f"sessions/{s.folder}/{SESSION_FILE}"))
        except KeyError as exc:
            raise _damaged(path, f"session {s.folder} has no {SESSION_FILE}") from exc
        except ValueError as exc:
            raise _damaged(path, f"session {s.folder}: {SESSION_FILE} is not JSON") from exc
        missing = [k for k in ("uid", "person", "started", "source", "kind") if not isinstance(meta.get(k), str)]
        if missing:
            raise _damaged(path, f"session {s.folder}: {SESSION_FILE} lacks {', '.join(missing)}")
        s.meta = meta
    programmes = []
    for name in names:
        if name.startswith("programmes/"):
            try:
                p = loads(zf.read(name).decode("utf-8"), name)
            except (ProgrammeFileError, UnicodeDecodeError) as exc:
                raise _damaged(path, f"{name}: {exc}") from exc
            if p.uid != PurePosixPath(name).stem:
                raise _damaged(path, f"{name} holds programme {p.uid!r}")
            programmes.append(p)
    programmes.sort(key=lambda p: p.version)
    calibration = [n for n in names if n.startswith(CALIBRATION_DIR + "/")]
    return sorted(sessions.values(), key=lambda s: s.meta["started"]), programmes, calibration


def _import_session(store: Store, zf: zipfile.ZipFile, s: _Session, staging: Path, person: str | None,
                    report: ImportReport) -> list[tuple[Path, Path]]:
    """Index one session (inside the import's transaction); returns the file moves to make after it."""
    uid = s.meta["uid"]
    row = store.db.execute("SELECT id FROM sessions WHERE uid = ?", (uid,)).fetchone()
    review = _lines(zf, f"sessions/{s.folder}/{REVIEW_FILE}") if REVIEW_FILE in s.files else []
    if row is not None:
        report.already += 1
        return _merge_review(store, row["id"], review, report)
    data_sessions = store.path.parent / SESSIONS_DIR
    final = data_sessions / s.folder
    if final.exists():  # another session's folder has this name: never write into it
        final = data_sessions / f"{s.folder}-{uid[:8]}-imported"
    staged = staging / final.name
    staged.mkdir(parents=True)
    meta = dict(s.meta)
    if person is not None:
        meta["person"] = person
    if meta.get("status") == "recording":
        meta |= {"status": "interrupted", "end_reason": "it was still recording when it was exported"}
    (staged / SESSION_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
    for file in s.files:
        if file != SESSION_FILE:
            with zf.open(f"sessions/{s.folder}/{file}") as src, (staged / file).open("wb") as dst:
                shutil.copyfileobj(src, dst, _CHUNK)
    sid = store.insert_session(meta, final)
    index = EventIndexer(store, sid)
    for line in read_jsonl(staged / EVENTS_FILE):
        index.apply(line)
    for line in review:
        index.apply_review(line)
    report.sessions.append(f"{meta['started']} — {meta['person']}")
    return [(staged, final)]


def _lines(zf: zipfile.ZipFile, name: str) -> list[dict[str, Any]]:
    out = []
    for text in zf.read(name).decode("utf-8", errors="replace").splitlines():
        try:
            item = json.loads(text)
        except ValueError:
            continue  # a line cut short by a crash, as read_jsonl skips it
        if isinstance(item, dict):
            out.append(item)
    return out


def _key(line: dict[str, Any]) -> str:
    return json.dumps(line, sort_keys=True, ensure_ascii=False)


def _merge_review(store: Store, session_id: int, lines: list[dict[str, Any]], report: ImportReport
                  ) -> list[tuple[Path, Path]]:
    """Review lines this session doesn't have yet: indexed now, appended to its review.jsonl after
    the commit (a new file beside it, swapped in whole)."""
    folder = store.session(session_id).folder
    have = read_jsonl(folder / REVIEW_FILE)
    seen = {_key(line) for line in have}
    new = []
    for line in lines:
        if _key(line) not in seen:
            seen.add(_key(line))
            new.append(line)
    if not new:
        return []
    index = EventIndexer(store, session_id)
    for line in new:
        index.apply_review(line)
    staged = folder / (REVIEW_FILE + ".importing")
    with staged.open("w", encoding="utf-8") as f:
        f.writelines(json.dumps(line, ensure_ascii=False) + "\n" for line in have + new)
        f.flush()
        os.fsync(f.fileno())
    report.reviews += len(new)
    return [(staged, folder / REVIEW_FILE)]


def _import_programme(store: Store, p: Programme, person: str | None, report: ImportReport
                      ) -> list[tuple[Path, Path]]:
    if person is not None:
        p = dataclasses.replace(p, person=person)
    added = programme_store.add_version(store, p)
    if added is None:
        return []
    staged = programme_store.write_file(programme_store.programmes_dir(store), added, ".importing")
    report.programmes.append(f"{added.person}: {added.label()}")
    return [(staged, staged.with_suffix(""))]


def _import_calibration(zf: zipfile.ZipFile, name: str, data: Path) -> list[str]:
    """A calibration profile, kept beside the others unless one of that name is there already."""
    target = data / CALIBRATION_DIR / PurePosixPath(name).name
    if target.exists():
        return []
    target.parent.mkdir(parents=True, exist_ok=True)
    with zf.open(name) as src, target.open("xb") as dst:
        shutil.copyfileobj(src, dst, _CHUNK)
    return [str(target)]


def default_name(person: str, when: date | None = None) -> str:
    """A file name for a person's bundle: letters and digits of the name, and the date."""
    safe = re.sub(r"[^A-Za-z0-9]+", "-", person).strip("-") or "person"
    return f"{safe}-{(when or date.today()).isoformat()}{SUFFIX}"

