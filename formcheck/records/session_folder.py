"""A session's own folder: the durable record of a session, from which the database can be rebuilt.

    sessions/20261125-101502-3f9c2a7e/
        session.json   who, when, source, status (rewritten atomically when it changes)
        events.jsonl   what happened, one JSON object per line: set_start, rep, attempt, hold, cue,
                       set_end, pain_stop, and what the person rated or why the session was flagged:
                       pain, effort, flag (appended and flushed with each recorder flush)
        track.npys     the landmark track: a stream of .npy chunks, one per flush
        review.jsonl   the therapist's verdicts and notes (appended)
        video.mp4      the camera picture, only when the person chose to keep it (+ video.json)

session.json also names the programme version the session followed (programme_uid, _version);
the versions themselves are files in ``programmes/`` beside ``sessions/``.

The database (``formcheck.db``) is an index over these folders; ``formcheck repair`` rebuilds it.

A folder may come from another computer (a bundle) or be damaged, so everything read from one goes
through the typed records and parsers here (bounded by ``formcheck.untrusted``): the recorder,
``formcheck repair``, bundle import, reports and re-judging all see the same checked values, never
a raw line. ``strict`` parsing (bundles) refuses a folder with any line it can't read; the local
record (repair) keeps what it can read and lists the rest.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import stat
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from formcheck.core.landmarks import NUM_LANDMARKS, Pose, PoseResult
from formcheck.core.posture_coach import MINUTE_MS, OUTCOMES
from formcheck.exercises.snapshot import checked, from_json
from formcheck.exercises.toml_reader import EXERCISE_ID
from formcheck.untrusted import (
    EVENTS_BYTES,
    ITEM_INDEX,
    JSON_BYTES,
    NAME_CHARS,
    NUMBER,
    PID,
    REVIEW_BYTES,
    SCORE,
    SESSION_S,
    SET_NUMBER,
    TRACK_BYTES,
    TRACK_ROWS,
    VERSION,
    Fields,
    Refused,
    is_uid,
    json_lines,
    number,
    parse_json,
    read_bytes,
    text,
)

SESSION_FILE = "session.json"
EVENTS_FILE = "events.jsonl"
TRACK_FILE = "track.npys"
REVIEW_FILE = "review.jsonl"
VIDEO_FILE = "video.mp4"
VIDEO_META = "video.json"  # {"t0_ms", "fps"}: where the video starts on the session's clock
# A track row: t_ms, detected, the set's primary measure, frame width and height, then per landmark
# image x, y, z (pixels), world x, y, z (metres), visibility, presence — everything the engine saw
# (the smoothed pose), so a recorded session can be re-judged without running the model again.
HEAD_COLUMNS = 5
PER_LANDMARK = 8
TRACK_COLUMNS = HEAD_COLUMNS + PER_LANDMARK * NUM_LANDMARKS
_LEGACY_COLUMNS = 3 + 3 * NUM_LANDMARKS  # before 2026-11: t, detected, primary, then x, y, visibility
STATUSES = ("recording", "complete", "interrupted")
_NPY_HEADER = 10_000  # bytes: numpy's own bound on a .npy header
_LEGACY_UID = re.compile(r"legacy-[A-Za-z0-9-]{1,70}")  # sessions from before uids (schema 3)


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` so that a crash leaves either the old file or the new one, never half."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


# ---- session.json -------------------------------------------------------------------------------
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


def update_session_json(folder: Path, **changes: Any) -> None:
    try:
        data = parse_json(read_bytes(folder / SESSION_FILE, JSON_BYTES), SESSION_FILE)
    except Refused:
        data = {}
    data = data if isinstance(data, dict) else {}
    data.update(changes)
    write_json_atomic(folder / SESSION_FILE, data)


def video_print(path: Path) -> str | None:
    """``size:sha256-of-the-first-MiB`` of a video file (None when it can't be read)."""
    try:
        with path.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            return f"{size}:{hashlib.sha256(f.read(1 << 20)).hexdigest()}"
    except OSError:
        return None


# ---- events.jsonl -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Fault:
    code: str
    message: str
    t_s: float


@dataclass(frozen=True, slots=True)
class NotJudged:
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class SetStart:
    t_s: float
    exercise: str
    number: int
    prescribed: str
    profile: str | None = None
    definition: str | None = None  # the exercise as judged (``formcheck.exercises.snapshot`` JSON), checked


@dataclass(frozen=True, slots=True)
class Cue:
    t_s: float
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class PainStop:
    t_s: float


@dataclass(frozen=True, slots=True)
class Rating:
    kind: str  # pain, effort
    moment: str
    exercise: str | None
    score: int
    t_s: float


@dataclass(frozen=True, slots=True)
class Flag:
    reason: str
    t_s: float = 0.0


@dataclass(frozen=True, slots=True)
class RepLine:
    attempt: bool
    index: int
    side: str | None
    start_s: float
    end_s: float
    metrics: dict[str, float] = field(default_factory=dict)
    faults: tuple[Fault, ...] = ()
    not_judged: tuple[NotJudged, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """As ``results_json`` writes a rep (without its line's type)."""
        return {"index": self.index, "side": self.side, "start_s": self.start_s, "end_s": self.end_s,
                "faults": [asdict(f) for f in self.faults], "not_judged": [asdict(n) for n in self.not_judged],
                "metrics": dict(self.metrics)}


@dataclass(frozen=True, slots=True)
class HoldLine:
    start_s: float
    end_s: float
    duration_s: float
    side: str | None
    faults: tuple[Fault, ...] = ()
    not_judged: tuple[NotJudged, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"start_s": self.start_s, "end_s": self.end_s, "duration_s": self.duration_s, "side": self.side,
                "faults": [asdict(f) for f in self.faults], "not_judged": [asdict(n) for n in self.not_judged]}


@dataclass(frozen=True, slots=True)
class SetEnd:
    t_s: float
    ended_by: str


@dataclass(frozen=True, slots=True)
class PostureStartLine:
    """A posture session's first line: the view, the model and the settings and baseline it watched
    with (numbers only, checked; kept in the folder for the therapist, not indexed)."""

    t_s: float
    view: str
    model: str


@dataclass(frozen=True, slots=True)
class PostureMinuteLine:
    """One minute of a posture session: milliseconds in each state, and the measures' medians."""

    minute: int
    ms: dict[str, int]
    medians: dict[str, float]


@dataclass(frozen=True, slots=True)
class PostureReminderLine:
    t_s: float
    kind: str
    text: str
    lasted_s: float


@dataclass(frozen=True, slots=True)
class PostureResponseLine:
    reminder_t_s: float
    kind: str
    t_s: float
    outcome: str  # corrected, not_corrected, paused
    after_s: float | None


Event = (SetStart | Cue | PainStop | Rating | Flag | RepLine | HoldLine | SetEnd | PostureStartLine
         | PostureMinuteLine | PostureReminderLine | PostureResponseLine)


def parse_event(data: Any, where: str = EVENTS_FILE) -> Event | None:
    """One line of events.jsonl as a typed event; None for a type this version doesn't index."""
    f = Fields(data, where)
    kind = f.text("type", max_chars=NAME_CHARS)
    if kind == "set_start":
        return SetStart(f.seconds("t_s"), f.get("exercise", _exercise_id), f.whole("number", SET_NUMBER),
                        f.text("prescribed", max_chars=NAME_CHARS), f.text("profile", None, NAME_CHARS),
                        f.get("definition", _definition, None))
    if kind == "cue":
        return Cue(f.seconds("t_s"), f.text("kind", max_chars=NAME_CHARS), f.text("text"))
    if kind == "pain_stop":
        return PainStop(f.seconds("t_s"))
    if kind in ("pain", "effort"):
        return Rating(kind, f.text("moment", max_chars=NAME_CHARS), f.get("exercise", _exercise_id, None),
                      f.whole("score", SCORE), f.seconds("t_s"))
    if kind == "flag":
        return Flag(f.text("reason"), f.seconds("t_s", 0.0))
    if kind in ("rep", "attempt"):
        start, end = f.seconds("start_s"), f.seconds("end_s")
        if end < start:
            raise Refused(f"{where}: the {kind} ends ({end:g} s) before it starts ({start:g} s)")
        return RepLine(kind == "attempt", f.whole("index", ITEM_INDEX), f.text("side", None, NAME_CHARS), start, end,
                       _metrics(f), _faults(f), _not_judged(f))
    if kind == "hold":
        start, end = f.seconds("start_s"), f.seconds("end_s")
        if end < start:
            raise Refused(f"{where}: the hold ends ({end:g} s) before it starts ({start:g} s)")
        return HoldLine(start, end, f.number("duration_s", 0.0, SESSION_S), f.text("side", None, NAME_CHARS),
                        _faults(f), _not_judged(f))
    if kind == "set_end":
        return SetEnd(f.seconds("t_s"), f.text("ended_by", max_chars=NAME_CHARS))
    if kind == "posture_start":
        for key, limit in (("baseline", NUMBER), ("settings", SESSION_S * 1000)):  # settings are in ms
            if (part := f.object(key)) is not None:
                _bounded_numbers(part.data, f"{where}: {key}", limit)
        return PostureStartLine(f.seconds("t_s"), f.text("view", "", NAME_CHARS), f.text("model", "", NAME_CHARS))
    if kind == "posture_minute":
        return PostureMinuteLine(f.whole("minute", (0, int(SESSION_S // 60))), _posture_ms(f), _metrics(f, "medians"))
    if kind == "posture_reminder":
        return PostureReminderLine(f.seconds("t_s"), f.text("kind", max_chars=NAME_CHARS), f.text("text"),
                                   f.seconds("lasted_s"))
    if kind == "posture_response":
        return PostureResponseLine(f.seconds("reminder_t_s"), f.text("kind", max_chars=NAME_CHARS), f.seconds("t_s"),
                                   f.choice("outcome", OUTCOMES), f.seconds("after_s", None))
    return None


def _posture_ms(f: Fields) -> dict[str, int]:
    """A posture minute's milliseconds per state: at most a minute each."""
    ms = f.object("ms")
    if ms is None:
        return {}
    if len(ms.data) > 16:
        raise Refused(f"{ms.where} has more than 16 entries")
    return {str(k)[:NAME_CHARS]: ms.whole(k, (0, MINUTE_MS)) for k in ms.data if ms.data[k] is not None}


def _exercise_id(value: Any, what: str) -> str:
    if not isinstance(value, str) or len(value) > NAME_CHARS or not EXERCISE_ID.fullmatch(value):
        raise Refused(f"{what} must be an exercise id (lower-case letters, digits and _), got {str(value)[:60]!r}")
    return value


def _metrics(f: Fields, key: str = "metrics") -> dict[str, float]:
    metrics = f.object(key)
    if metrics is None:
        return {}
    if len(metrics.data) > 64:
        raise Refused(f"{metrics.where} has more than 64 entries")
    # Checked, but kept as written: a whole-number percentage stays 184, not 184.0.
    return {str(k)[:NAME_CHARS]: metrics.get(k, _as_written) for k in metrics.data if metrics.data[k] is not None}


def _as_written(value: Any, what: str) -> float:
    number(value, -NUMBER, NUMBER, what)
    return value


def _faults(f: Fields) -> tuple[Fault, ...]:
    out = []
    for i, item in enumerate(f.items("faults", 64)):
        x = Fields(item, f"{f.where}: faults[{i}]")
        out.append(Fault(x.text("code", max_chars=NAME_CHARS), x.text("message"), x.seconds("t_s")))
    return tuple(out)


def _not_judged(f: Fields) -> tuple[NotJudged, ...]:
    out = []
    for i, item in enumerate(f.items("not_judged", 64)):
        x = Fields(item, f"{f.where}: not_judged[{i}]")
        out.append(NotJudged(x.text("code", max_chars=NAME_CHARS), x.text("reason")))
    return tuple(out)


def _definition(value: Any, what: str) -> str:
    """A set's exercise definition (snapshot JSON), checked like an exercise file's numbers: what
    a report draws and a re-judging runs must be finite, bounded and make sense."""
    _bounded_numbers(value, what)
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    try:
        exercise = checked(from_json(text))
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise Refused(f"{what} is not an exercise definition ({exc})") from exc
    rep = exercise.rep
    if rep is not None and (rep.hysteresis < 0 or rep.min_phase_s < 0 or rep.min_rest_s < 0
                            or abs(rep.target - rep.start) <= 2 * rep.hysteresis):
        raise Refused(f"{what}: its rep must have a hysteresis of 0 or more and a target more than twice "
                      "that from its start")
    return text


def _bounded_numbers(value: Any, what: str, limit: float = NUMBER) -> None:
    if isinstance(value, dict):
        for v in value.values():
            _bounded_numbers(v, what, limit)
    elif isinstance(value, list):
        for v in value:
            _bounded_numbers(v, what, limit)
    elif isinstance(value, float | int) and not isinstance(value, bool):
        if not (math.isfinite(value) and abs(value) <= limit):
            raise Refused(f"{what} holds the number {value!r}; numbers must lie within ±{limit:g}")


# ---- review.jsonl -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Target:
    """A rep or hold named by its place in the session (set number, index), not a row id."""

    set: int
    rep: int | None = None
    attempt: bool = False
    hold: int | None = None

    def as_json(self) -> dict[str, Any]:
        if self.hold is not None:
            return {"set": self.set, "hold": self.hold}
        return {"set": self.set, "rep": self.rep, "attempt": self.attempt}


@dataclass(frozen=True, slots=True)
class Verdict:
    target: Target
    code: str
    agree: bool
    created: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"type": "verdict", "target": self.target.as_json(), "code": self.code, "agree": self.agree,
                "created": self.created}


@dataclass(frozen=True, slots=True)
class Note:
    target: Target | None
    text: str
    created: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"type": "note", "target": self.target.as_json() if self.target else None, "text": self.text,
                "created": self.created}


Review = Verdict | Note


def parse_review(data: Any, where: str = REVIEW_FILE) -> Review | None:
    """One line of review.jsonl; None for a type this version doesn't know."""
    f = Fields(data, where)
    kind = f.text("type", max_chars=NAME_CHARS)
    if kind not in ("verdict", "note"):
        return None
    target = None
    t = f.object("target")
    if t is not None:
        hold = t.whole("hold", ITEM_INDEX, None)
        target = Target(t.whole("set", SET_NUMBER), None if hold is not None else t.whole("rep", ITEM_INDEX),
                        bool(t.flag("attempt", False)), hold)
    created = f.time("created", None)
    if kind == "verdict":
        if target is None:
            raise Refused(f"{where}: a verdict needs the rep or hold it is on")
        return Verdict(target, f.text("code", max_chars=NAME_CHARS), f.flag("agree"), created)
    return Note(target, f.text("text"), created)


# ---- reading the lines of a folder --------------------------------------------------------------
@dataclass
class Lines:
    """The readable lines of a JSON-lines file, and what could not be read (one sentence each)."""

    items: list[Any] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _read_lines(path: Path, limit: int, parse: Any, strict: bool) -> Lines:
    out = Lines()
    if not path.exists() and not path.is_symlink():
        return out
    data = read_bytes(path, limit)  # Refused: the file itself can't be read
    lines = json_lines(data, path.name, limit)
    last = lines[-1][0] if lines else 0
    for line_number, value in lines:
        where = f"{path.name} line {line_number}"
        try:
            if isinstance(value, Refused):
                if line_number == last and not data.endswith(b"\n"):
                    continue  # the last line, cut short by a crash
                raise value
            item = parse(value, where)
        except Refused as exc:
            if strict:
                raise
            out.problems.append(str(exc))
            continue
        if item is None and strict:
            raise Refused(f"{where}: {str(value.get('type'))[:40]!r} is not a kind of line this formcheck knows")
        if item is not None:
            out.items.append(item)
    return out


def read_events(folder: Path, strict: bool = False) -> Lines:
    """The session's events, in order. ``Refused`` when events.jsonl can't be read at all; with
    ``strict`` also for any line that isn't a valid event (else it is listed in ``problems``)."""
    return _read_lines(folder / EVENTS_FILE, EVENTS_BYTES, parse_event, strict)


def read_review(folder: Path, strict: bool = False) -> Lines:
    return _read_lines(folder / REVIEW_FILE, REVIEW_BYTES, parse_review, strict)


def append_jsonl(path: Path, item: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(json.dumps(item, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def read_video_t0(folder: Path) -> float:
    """Where the kept video starts on the session's clock, in ms (0 when video.json can't say)."""
    try:
        f = Fields(parse_json(read_bytes(folder / VIDEO_META, JSON_BYTES), VIDEO_META), VIDEO_META)
        return float(f.number("t0_ms", 0.0, SESSION_S * 1000))
    except Refused:
        return 0.0


# ---- track.npys ---------------------------------------------------------------------------------
def track_row(result: PoseResult, primary: float = math.nan) -> np.ndarray:
    row = np.full(TRACK_COLUMNS, np.nan, np.float32)
    row[:HEAD_COLUMNS] = (result.t_ms, result.pose is not None, primary, result.width, result.height)
    if result.pose is not None:
        p = result.pose
        row[HEAD_COLUMNS:] = np.column_stack([p.image, p.world, p.visibility, p.presence]).ravel()
    return row


def track_pose(row: np.ndarray) -> PoseResult:
    """The pose (as the engine saw it) of one track row."""
    t, detected, _primary, width, height = row[:HEAD_COLUMNS]
    size = (int(width), int(height)) if np.isfinite(width) and np.isfinite(height) else (0, 0)
    if detected < 0.5:
        return PoseResult(int(t), *size, None)
    lm = row[HEAD_COLUMNS:].reshape(NUM_LANDMARKS, PER_LANDMARK)
    return PoseResult(int(t), *size, Pose(lm[:, 0:3], lm[:, 3:6], lm[:, 6], lm[:, 7]))


def read_track(folder: Path) -> np.ndarray:
    """All complete chunks of a session's track (a chunk cut short by a crash is skipped), in the
    current row layout (older sessions' rows are widened; what they didn't record is NaN).

    Bounded: only float32 chunks of the track's row width are read, at most ``TRACK_ROWS`` rows
    in all, each only as far as the file really holds its data (a header may claim anything);
    rows without a finite time on the session's clock are left out (nothing can be drawn at them)."""
    chunks: list[np.ndarray] = []
    path = folder / TRACK_FILE
    try:
        f = _open_regular(path)
    except OSError:
        return np.zeros((0, TRACK_COLUMNS), np.float32)
    with f:
        size = min(os.fstat(f.fileno()).st_size, TRACK_BYTES)
        rows = 0
        while rows < TRACK_ROWS:
            chunk = _chunk(f, size)
            if chunk is None:
                break
            chunk = chunk[: TRACK_ROWS - rows]
            rows += len(chunk)
            chunk = _widen(chunk) if chunk.shape[1] == _LEGACY_COLUMNS else chunk
            t = chunk[:, 0]
            chunks.append(chunk[np.isfinite(t) & (t >= 0) & (t <= SESSION_S * 1000)])
    return np.concatenate(chunks) if chunks else np.zeros((0, TRACK_COLUMNS), np.float32)


def _open_regular(path: Path) -> io.BufferedReader:
    f = path.open("rb")
    if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
        f.close()
        raise OSError(f"{path.name} is not a regular file")
    return f


def _chunk(f: io.BufferedReader, size: int) -> np.ndarray | None:
    """The next .npy chunk of a track, or None where no complete, well-formed one starts."""
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f, max_header_size=_NPY_HEADER)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f, max_header_size=_NPY_HEADER)
    except (ValueError, EOFError, OSError, SyntaxError):
        return None
    if (fortran or dtype != np.dtype("<f4") or len(shape) != 2
            or shape[1] not in (TRACK_COLUMNS, _LEGACY_COLUMNS) or not 0 <= shape[0] <= TRACK_ROWS):
        return None
    nbytes = shape[0] * shape[1] * 4
    if nbytes > size - f.tell():
        return None  # cut short (or a header that claims more than the file holds)
    data = f.read(nbytes)
    if len(data) != nbytes:
        return None
    return np.frombuffer(data, np.float32).reshape(shape).copy()


def _widen(old: np.ndarray) -> np.ndarray:
    rows = np.full((len(old), TRACK_COLUMNS), np.nan, np.float32)
    rows[:, :3] = old[:, :3]
    xyv = old[:, 3:].reshape(len(old), NUM_LANDMARKS, 3)
    lm = rows[:, HEAD_COLUMNS:].reshape(len(old), NUM_LANDMARKS, PER_LANDMARK)
    lm[:, :, 0:2], lm[:, :, 6], lm[:, :, 7] = xyv[:, :, :2], xyv[:, :, 2], 1.0
    lm[:, :, 2:6] = 0.0
    return rows
