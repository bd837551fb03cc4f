"""What the store's reads return, and the times it keeps (UTC, ISO 8601 to the second)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: int
    person: str
    started: str
    ended: str | None
    source: str
    kind: str
    folder: Path
    status: str
    end_reason: str | None = None
    uid: str = ""
