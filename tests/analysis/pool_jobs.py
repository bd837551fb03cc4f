"""Small functions for `WorkerPool` tests to run in worker processes (light imports: each worker
imports this module)."""

from __future__ import annotations

import os
import time
from pathlib import Path


def square(x: int) -> int:
    if x == 3:
        raise ValueError("three is refused")
    return x * x


def sleep_then_pid(seconds: float) -> int:
    """Say "working" (a file named after this process in $POOL_TEST_DIR), then sleep."""
    folder = os.environ.get("POOL_TEST_DIR")
    if folder:
        (Path(folder) / str(os.getpid())).touch()
    time.sleep(seconds)
    return os.getpid()


def die_once(x: int) -> int:
    """Kill this worker the first time it gets 2 (a marker file in $POOL_TEST_DIR remembers)."""
    marker = Path(os.environ["POOL_TEST_DIR"]) / "died"
    if x == 2 and not marker.exists():
        marker.touch()
        os._exit(9)
    time.sleep(0.2)
    return x
