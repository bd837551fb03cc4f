"""Whether the process that recorded a session still runs (a session left 'recording' by one that
doesn't ended in a crash, a kill or a power cut)."""

from __future__ import annotations

import os
import socket
from datetime import datetime
from pathlib import Path

from formcheck.records.session_meta import SessionMeta


def alive(pid: int, started: int | None = None, session_started: str | None = None) -> bool:
    """Whether the process that recorded a session still runs: ``pid`` exists and, since pids are
    reused, it is the same process — it started at ``started`` (clock ticks after boot, recorded
    with the session) or, for sessions recorded before that, not after the session began."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:  # someone else's process: it exists
        pass
    now_started = process_start(pid)
    if now_started is None:
        return True  # no /proc: the pid is all there is to go on
    if started is not None:
        return now_started == started
    if session_started is not None:
        try:
            began = datetime.fromisoformat(session_started).timestamp()
        except ValueError:
            return True
        return _boot_time() + now_started / os.sysconf("SC_CLK_TCK") <= began + 2
    return True


def still_recording(meta: SessionMeta) -> bool:
    """Whether the session of this session.json is still being recorded: it says 'recording' and
    its process runs (on another computer, that computer's own check decides, as for orphans)."""
    if meta.status != "recording" or meta.pid is None:
        return False
    return meta.host != socket.gethostname() or alive(meta.pid, meta.pid_start, meta.started)


def process_start(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks after boot, from /proc); None where unknown."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
        return int(stat_line.rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _boot_time() -> float:
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    return 0.0
