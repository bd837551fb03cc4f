"""Writing a person's bundle: their sessions, programme versions and calibration profile in one
file (the format is ``bundle_manifest``'s), optionally under a pseudonym.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from formcheck import __version__
from formcheck.core.programme import Programme
from formcheck.exercises.profile import read_profile, render_profile
from formcheck.exercises.programme_file import dumps
from formcheck.records import programme_store
from formcheck.records.bundle_manifest import (
    CALIBRATION_DIR,
    CHUNK,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    SESSION_FILES,
    VIDEO_FILES,
    BundleError,
)
from formcheck.records.database.people import person_name
from formcheck.records.database.rows import now_iso
from formcheck.records.session_folder import EVENTS_FILE, REVIEW_FILE, SESSION_FILE
from formcheck.records.session_meta import SessionMeta, read_session_meta
from formcheck.records.store import Store
from formcheck.untrusted import EVENTS_BYTES, TOML_BYTES, Refused, json_lines, read_bytes

SUFFIX = ".formcheck"


@dataclass
class ExportReport:
    path: Path
    sessions: int = 0
    programmes: int = 0
    skipped: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"wrote {self.path}: {self.sessions} session(s), {self.programmes} programme version(s)"]
        return "\n".join(lines + [f"left out {s}" for s in self.skipped])


def export_bundle(store: Store, person: str, out: Path, since: date | None = None, video: bool = True,
                  pseudonym: str | None = None, calibration: Path | None = None) -> ExportReport:
    """Write ``person``'s sessions (from ``since``), programme versions and calibration profile to
    ``out``. With ``pseudonym`` that name replaces theirs everywhere: the person fields, their name
    (and each part of it) in notes and any other text, the video file names, the computer's name,
    the person uid (a stand-in derived from it, so bundles under one pseudonym stay one person), and
    each reviewer's name (a login name can say who someone is) by "reviewer 1", "reviewer 2", …"""
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
    reviewers: dict[str, str] = {}  # with a pseudonym: each reviewer's stand-in, the same across the bundle
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
                        _put_bytes(zf, members, base + file,
                                   _scrubbed_lines(path, scrub, reviewers if file == REVIEW_FILE else None))
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


def _scrubbed_lines(path: Path, scrub: Callable[[str], str], reviewers: dict[str, str] | None = None) -> bytes:
    """A JSON-lines file with every text in it scrubbed (lines that aren't JSON are left out); with
    ``reviewers`` (review.jsonl), each line's reviewer replaced by their stand-in (made on first sight)."""
    out = []
    for _n, v in json_lines(read_bytes(path, EVENTS_BYTES), path.name, EVENTS_BYTES):
        if isinstance(v, Refused):
            continue
        line = _scrubbed(v, scrub)
        if reviewers is not None and isinstance(line, dict) and isinstance(line.get("reviewer"), str):
            line["reviewer"] = reviewers.setdefault(line["reviewer"], f"reviewer {len(reviewers) + 1}")
        out.append(json.dumps(line, ensure_ascii=False).encode() + b"\n")
    return b"".join(out)


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
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            dst.write(chunk)
    members[name] = {"sha256": digest.hexdigest(), "size": size}


def default_name(person: str, when: date | None = None) -> str:
    """A file name for a person's bundle: letters and digits of the name, and the date."""
    safe = re.sub(r"[^A-Za-z0-9]+", "-", person).strip("-") or "person"
    return f"{safe}-{(when or date.today()).isoformat()}{SUFFIX}"
