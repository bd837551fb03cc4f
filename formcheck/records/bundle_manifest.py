"""A bundle's format and manifest: what a bundle may hold, and its table of contents checked.

    manifest.json                     format, version, who (name and person uid), and the sha256
                                      and size of every member
    sessions/<folder>/session.json    each session folder as recorded (events, track, review,
                  events.jsonl ...    and the video unless left out): the durable record; the
                                      database rows are rebuilt from it on import (``EventIndexer``)
    programmes/<uid>.toml             every version of the person's programme
    calibration/<file>                the person's calibration profile, when there is one

A bundle comes from another computer, so import (``bundle_import``) trusts nothing in it: the
zip's entries are checked against bounds first (``check_entries``: how many, how big each may be
for its kind, how far each inflates, how much in all, and that it fits on the disk) and the
manifest is read as a typed, checked ``Manifest`` (``read_manifest``) before any member is
unpacked. The checksums catch a damaged or truncated file, and edits made without rewriting the
manifest; they are not a signature.
"""

from __future__ import annotations

import re
import shutil
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from formcheck.records.database.connection import StoreError
from formcheck.records.database.people import person_name
from formcheck.records.session_folder import EVENTS_FILE, REVIEW_FILE, SESSION_FILE, TRACK_FILE, VIDEO_FILE, VIDEO_META
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
    parse_json,
    uid,
)

FORMAT = "formcheck-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_BYTES = 16 * MiB
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
CHUNK = 1 << 20  # bytes copied at a time into and out of a bundle
_SPARE_BYTES = 64 * MiB  # left free on the disk after an import


class BundleError(StoreError):
    """A bundle that can't be made or read; the message says what to do."""


@dataclass(frozen=True)
class Manifest:
    person: str
    person_uid: str | None  # None: made before bundles carried one
    aliases: tuple[str, ...]  # other uids the sending computer knows are this person
    pseudonym: bool
    members: dict[str, tuple[str, int]]  # name -> (sha256, size)


def _limit(name: str) -> int:
    if name.startswith("sessions/"):
        return MEMBER_BYTES[PurePosixPath(name).name]
    return TOML_BYTES


def check_entries(zf: zipfile.ZipFile, path: Path, data: Path) -> None:
    """The zip's own table of contents against the bounds, before anything is read from it."""
    infos = zf.infolist()
    if len(infos) > MEMBERS + 1:
        raise foreign(path, f"it holds {len(infos)} files, more than the {MEMBERS} a bundle may")
    names = [i.filename for i in infos]
    if MANIFEST not in names:
        raise foreign(path, "it has no manifest")
    if len(set(names)) != len(names):
        raise BundleError(f"{path.name} has been changed: it holds a file twice; nothing was imported.")
    total = 0
    for info in infos:
        name = info.filename
        if name != MANIFEST and not _MEMBER.fullmatch(name):
            raise foreign(path, f"it holds {name[:80]!r}, which no bundle has")
        limit = MANIFEST_BYTES if name == MANIFEST else _limit(name)
        if info.file_size > limit:
            raise refused(path, f"{name} unpacks to {info.file_size} bytes, more than the {limit} it may have")
        if info.file_size > MiB and info.file_size > INFLATION * max(info.compress_size, 1):
            raise refused(path, f"{name} unpacks to {info.file_size // max(info.compress_size, 1)}× its packed size, "
                                 "which no recording does (a zip bomb)")
        total += info.file_size
    if total > BUNDLE_BYTES:
        raise refused(path, f"it unpacks to {total} bytes, more than the {BUNDLE_BYTES} a bundle may")
    free = shutil.disk_usage(data).free
    if total + _SPARE_BYTES > free:
        raise BundleError(f"{path.name} needs {total // MiB + 1} MB and the disk of {data} has {free // MiB} MB free; "
                          "free some space and import it again. Nothing was imported.")


def read_manifest(zf: zipfile.ZipFile, path: Path) -> Manifest:
    try:
        with zf.open(MANIFEST) as f:
            raw = f.read(MANIFEST_BYTES + 1)
    except KeyError as exc:
        raise foreign(path, "it has no manifest") from exc
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
        raise damaged(path, exc) from exc
    try:
        m = Fields(parse_json(raw, MANIFEST, MANIFEST_BYTES), MANIFEST)
    except Refused as exc:
        raise damaged(path, exc) from exc
    if m.data.get("format") != FORMAT:
        raise foreign(path, "its manifest is not a formcheck manifest")
    version = m.data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version > FORMAT_VERSION:
        raise BundleError(f"{path.name} was made by a newer formcheck (bundle format {str(version)[:20]}); "
                          "update formcheck to import it. Nothing was imported.")
    try:
        return _manifest_fields(m, path)
    except Refused as exc:
        raise refused(path, exc) from exc


def _manifest_fields(m: Fields, path: Path) -> Manifest:
    members = m.object("members")
    if members is None:
        raise foreign(path, "its manifest lists no members")
    listed: dict[str, tuple[str, int]] = {}
    for name in members.data:
        entry = members.object(name)
        if entry is None or not _MEMBER.fullmatch(name):
            raise foreign(path, f"its manifest lists {str(name)[:80]!r}, which no bundle has")
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


# The sentences a bundle is refused with (nothing is imported).
def damaged(path: Path, exc: object) -> BundleError:
    return BundleError(f"{path.name} is damaged or incomplete ({exc}); nothing was imported. Ask for the bundle "
                       "again (a file cut short in copying or mailing can't be read).")


def foreign(path: Path, why: str) -> BundleError:
    return BundleError(f"{path.name} is not a formcheck bundle ({why}); nothing was imported. Bundles are made "
                       "with `formcheck bundle export` or File › Export bundle.")


def refused(path: Path, why: object) -> BundleError:
    return BundleError(f"{path.name} can't be imported: {why}; nothing was imported.")
