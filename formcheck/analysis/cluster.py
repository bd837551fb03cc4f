"""`--cluster ADDRESS`: the videos of `analyze` and the clips of `eval` analysed on the workers of a
dask.distributed scheduler, one task per video.

Each task is still one video analysed whole by one process (``analyse_task``, what `--jobs 1`
runs), so a video gives on a cluster exactly what it gives here. The workers open the videos by
the paths given here, so those must be the same on every worker (a shared folder), and each
worker needs formcheck installed and its own copy of the model (`formcheck models`).

A worker that dies on a task (killed, out of memory) has the task moved to another by the
scheduler, up to its ``allowed-failures`` (3 by default), then the item fails with ``WorkerDied``;
``retries=2`` runs a task again when it raises. A scheduler that can't be reached, or that is
lost during the run, is a ``ClusterError``: one sentence for the user.

Ctrl-C: ``close(cancel=True)`` cancels the tasks and sets a Dask ``Event`` that those under way
poll through ``stop_asked()`` (at most once a second), so they end (``StopAsked``) instead of
running to the end on the workers, which stay up for the next run.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from formcheck.analysis.parallel import WorkerDied

if TYPE_CHECKING:
    from distributed import Future

T = TypeVar("T")
R = TypeVar("R")

CONNECT_TIMEOUT_S = 10  # to reach the scheduler (Dask's own default, 30 s, is long to wait for a typo)
STOP_POLL_S = 1.0  # how often a task asks the scheduler whether it should stop


class ClusterError(RuntimeError):
    """The scheduler can't be reached or was lost; the message says what to check."""


class StopAsked(Exception):
    """Raised by a task the client asked to stop (not KeyboardInterrupt: that would end the worker)."""


# ---- worker side ---------------------------------------------------------------------------------

_task = threading.local()  # the stop Event of the task this worker thread runs (a worker may run several)


def stop_asked() -> bool:
    """In a task on a cluster worker: whether the client asked the work to stop (False elsewhere)."""
    event = getattr(_task, "stop", None)
    if event is None:
        return False
    now = time.monotonic()
    if now - _task.checked >= STOP_POLL_S:
        _task.checked = now
        try:
            _task.asked = bool(event.is_set())
        except Exception:  # noqa: BLE001 - the scheduler is gone: so is whoever wanted the result
            _task.asked = True
    return bool(_task.asked)


def _run(item: Any, fn: Callable[[Any], Any], stop: str) -> Any:
    """A task: ``fn(item)``, with the run's stop Event where ``stop_asked`` finds it."""
    from distributed import Event

    _task.stop, _task.checked, _task.asked = Event(stop), time.monotonic(), False
    try:
        return fn(item)
    finally:
        _task.stop = None


# ---- client side ---------------------------------------------------------------------------------


class ClusterRunner(Generic[T, R]):
    """``fn`` on items, one task each, on the cluster whose scheduler is at ``address``; the same
    ``as_completed`` as a ``WorkerPool``. Use it from one thread."""

    def __init__(self, fn: Callable[[T], R], address: str) -> None:
        # Imported here: `analyze` without --cluster (and every pool worker) need not load Dask.
        from distributed import Client, Event
        from distributed.comm.addressing import get_address_host_port, normalize_address

        self.fn = fn
        self.address = address
        _quiet_dask_logs()
        try:
            get_address_host_port(normalize_address(address))  # a Client half made of a bad one hangs at exit
            self._client = Client(address, timeout=f"{CONNECT_TIMEOUT_S}s", set_as_default=False)
        except (OSError, ValueError, TimeoutError) as exc:
            raise ClusterError(f"Could not reach the Dask scheduler at {address} ({exc}); check the address and "
                               "that `dask scheduler` runs there.") from exc
        self._stop = Event(f"formcheck-stop-{uuid.uuid4().hex}", client=self._client)
        self._futures: list[Future] = []

    def as_completed(self, items: Sequence[T]) -> Iterator[tuple[int, R | BaseException]]:
        """(index, what ``fn`` returned or the exception it raised) for each item, as each is done."""
        from distributed import as_completed
        from distributed.client import FutureCancelledError

        futures = self._client.map(_run, items, fn=self.fn, stop=self._stop.name, pure=False, retries=2)
        self._futures += futures
        index = {future.key: i for i, future in enumerate(futures)}
        for future in as_completed(futures, loop=self._client.loop):
            i = index[future.key]
            if future.status == "cancelled":  # only ever by the scheduler: its connection was lost
                raise self._lost()
            try:
                yield i, future.result()
            except FutureCancelledError as exc:
                raise self._lost() from exc
            except Exception as exc:  # noqa: BLE001 - the item's own failure, for the caller to judge
                yield i, _worker_died(exc) or exc

    def _lost(self) -> ClusterError:
        return ClusterError(f"Lost the Dask scheduler at {self.address} during the run (it stopped, or the network "
                            "went down); what is not reported above was not analysed.")

    def close(self, cancel: bool = False) -> None:
        """Disconnect; ``cancel`` also stops the tasks left (Ctrl-C)."""
        try:
            if cancel and self._futures:  # cancelled first: a task that stops is then not run again
                self._client.cancel(self._futures, force=True)
                self._stop.set()
        except Exception:  # noqa: BLE001 - a lost scheduler has nothing left to stop
            pass
        finally:
            self._client.close()

    def __enter__(self) -> ClusterRunner[T, R]:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.close(cancel=exc_type is not None)


def _quiet_dask_logs() -> None:
    """Dask's client logs a lost scheduler with tracebacks on stderr; ``ClusterError`` says it in one
    sentence instead (``-v`` keeps Dask's own lines)."""
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        for name in ("distributed", "distributed.client"):
            logging.getLogger(name).setLevel(logging.CRITICAL)


def _worker_died(exc: Exception) -> WorkerDied | None:
    from distributed import KilledWorker

    if not isinstance(exc, KilledWorker):
        return None
    return WorkerDied("the workers of the cluster working on it stopped unexpectedly, again and again — if they "
                      "are short of memory, run fewer threads per worker.")
