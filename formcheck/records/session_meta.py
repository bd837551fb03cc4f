"""session.json as a typed, checked record: who, when, from what, and how the session ended.

The file comes from the session's folder (``session_folder``), which may come from another
computer or be damaged: it is read only through ``parse_session_meta`` (bounded by
``formcheck.untrusted``).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from formcheck.records.session_folder import SESSION_FILE
from formcheck.untrusted import (
    JSON_BYTES,
    NAME_CHARS,
    PID,
    VERSION,
    Fields,
    Refused,
    is_uid,
    parse_json,
    read_bytes,
    text,
)

STATUSES = ("recording", "complete", "interrupted")
_LEGACY_UID = re.compile(r"legacy-[A-Za-z0-9-]{1,70}")  # sessions from before uids (schema 3)


@dataclass(frozen=True, slots=True)
class SessionMeta:
    """session.json, checked: who, when, from what, and how it ended."""

    uid: str
    person: str
    started: str
    source: str
    kind: str
    status: str = "recording"
    ended: str | None = None
    end_reason: str | None = None
    person_uid: str | None = None  # who it is, across computers (names can clash)
    pid: int | None = None  # the recording process, and when it started (a pid can be reused)
    pid_start: int | None = None
    host: str | None = None
    programme_uid: str | None = None
    programme_version: int | None = None
    formcheck_version: str | None = None
    # The analysed video file's size and the sha256 of its first MiB: its frames are shown only
    # while the file at ``source`` is still that video (not another person's at the same path).
    source_print: str | None = None
    # The clinic (FORMCHECK_CLINIC, "" for none) of a session recorded while the clinic's server
    # could not be reached: its person is found by name within it when it is indexed.
    clinic: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None or k in ("ended", "end_reason")}


def parse_session_meta(data: Any, where: str = SESSION_FILE) -> SessionMeta:
    f = Fields(data, where)
    uid = f.get("uid", _session_uid)
    return SessionMeta(
        uid=uid,
        person=f.get("person", _person),
        started=f.time("started"),
        source=f.text("source", max_chars=4096),
        kind=f.text("kind", max_chars=NAME_CHARS),
        status=f.choice("status", STATUSES, "recording"),
        ended=f.time("ended", None),
        end_reason=f.text("end_reason", None),
        person_uid=f.uid("person_uid", None),
        pid=f.whole("pid", PID, None),
        pid_start=f.whole("pid_start", (0, 1 << 62), None),
        host=f.text("host", None, NAME_CHARS),
        programme_uid=f.uid("programme_uid", None),
        programme_version=f.whole("programme_version", VERSION, None),
        formcheck_version=f.text("formcheck_version", None, NAME_CHARS),
        source_print=f.text("source_print", None, 128),
        clinic=f.text("clinic", None, NAME_CHARS),
    )


def _session_uid(value: Any, what: str) -> str:
    """A session uid: hex (new sessions), or ``legacy-<n>`` given to sessions from before uids."""
    text(value, what, 80)
    if is_uid(value) or _LEGACY_UID.fullmatch(value):
        return str(value)
    raise Refused(f"{what} must be 8 to 64 lower-case hex digits, got {value[:60]!r}")


def _person(value: Any, what: str) -> str:
    name = text(value, what, NAME_CHARS).strip()
    if not name:
        raise Refused(f"{what} is empty")
    return name


def read_session_meta(folder: Path) -> SessionMeta:
    """The folder's session.json, checked; ``Refused`` says why it can't be used."""
    return parse_session_meta(parse_json(read_bytes(folder / SESSION_FILE, JSON_BYTES), SESSION_FILE))


def read_session_json(folder: Path) -> dict[str, Any] | None:
    """session.json as plain data (None when it is missing or can't be read)."""
    try:
        return read_session_meta(folder).as_json()
    except Refused:
        return None
