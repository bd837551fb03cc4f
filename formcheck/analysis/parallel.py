"""Worker processes for analysing several videos at once (an `analyze` batch, `formcheck eval`).

Parallel across videos, never within one: each video is analysed from its first frame to its
last by one process, with the code `--jobs 1` runs. MediaPipe's VIDEO-mode tracking carries every
frame's result into the next, so a video cut into pieces posed by several processes gets other
poses than one process gives it (before, `analyze --jobs 2` counted 14 squats where one process
counted 13 on one real clip). So what a video gives does not depend on ``--jobs`` by
construction: ``--jobs`` only says how many videos are analysed at the same time.

``WorkerPool`` runs a picklable function on each item in ``jobs`` processes ("spawn": MediaPipe's
and OpenCV's threads don't survive a fork), at most ``jobs`` items at a time, so each item handed
out is being worked on. A worker that dies (killed, out of memory, a crash in MediaPipe) breaks
the pool: a new pool takes over, and the items under way are tried once more before they fail
with ``WorkerDied`` (the one that killed it may have been another one).

Workers never outlive their parent: each sets ``PR_SET_PDEATHSIG`` on Linux and, on every system,
watches the parent from a thread, so after a ``kill -9`` of `analyze` or `eval` (or a crash) they
are gone within a second — and multiprocessing's resource tracker, which stays while any process
holds its pipe, exits with them. Ctrl-C and stop signals are for the parent to handle: workers
ignore SIGINT (a terminal sends it to every process of the job), and ``close(cancel=True)`` sets a
shared flag that running work polls with ``cancelled()``, so it ends as interrupted instead of
running to the end.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


class WorkerDied(RuntimeError):
    """A worker process stopped while working on an item; the message says what to try."""


# ---- worker side ---------------------------------------------------------------------------------

# The parent's "stop now" flag, in each worker (set by _init_worker). Shared memory without a lock:
# a worker killed while holding a lock would leave it held for the workers that replace it.
_cancel: ctypes.c_bool | None = None


def cancelled() -> bool:
    """In a worker: whether the parent asked the work under way to stop (always False elsewhere)."""
    return _cancel is not None and bool(_cancel.value)


def _init_worker(cancel: ctypes.c_bool, log_level: int, parent_pid: int, death_signal: bool) -> None:
    global _cancel
    _cancel = cancel
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle (see close)
    logging.basicConfig(level=log_level, format="%(levelname)s %(name)s: %(message)s")
    die_with_parent(parent_pid, death_signal)


def die_with_parent(parent_pid: int, death_signal: bool = True) -> None:
    """End this process as soon as its parent is gone, even by ``kill -9``.

    Linux: the kernel sends SIGKILL when the parent dies (``PR_SET_PDEATHSIG``; it fires when the
    *thread* that started this process ends, so the parent asks for it only from its main thread).
    Everywhere: a thread waits on the parent's sentinel (a pipe, a process handle on Windows) that
    the system closes when the parent ends.
    """
    if death_signal and sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
                log.debug("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
        except (OSError, AttributeError) as exc:  # no libc to load: the watching thread still works
            log.debug("no prctl: %s", exc)
    parent = multiprocessing.parent_process()
    if parent is not None and parent.sentinel is not None:
        threading.Thread(target=_exit_when_ready, args=(parent.sentinel,), name="parent-watch", daemon=True).start()
    if os.getppid() != parent_pid:  # the parent died before any of this was in place
        os._exit(1)


def _exit_when_ready(sentinel: int) -> None:
    multiprocessing.connection.wait([sentinel])
    os._exit(1)  # the parent is gone: nobody wants what this worker is doing


# ---- parent side ---------------------------------------------------------------------------------


class WorkerPool(Generic[T, R]):
    """``jobs`` worker processes running ``fn`` on items (see the module docstring).

    Use it from one thread, the one that made it (workers are started on demand from there).
    """

    def __init__(self, fn: Callable[[T], R], jobs: int) -> None:
        self.fn = fn
        self.jobs = max(1, jobs)
        self._context = multiprocessing.get_context("spawn")
        self._cancel = self._context.RawValue(ctypes.c_bool, False)
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        main_thread = threading.current_thread() is threading.main_thread()
        return ProcessPoolExecutor(
            self.jobs, mp_context=self._context, initializer=_init_worker,
            initargs=(self._cancel, logging.getLogger().getEffectiveLevel(), os.getpid(), main_thread),
        )

    def as_completed(self, items: Sequence[T]) -> Iterator[tuple[int, R | BaseException]]:
        """(index, what ``fn`` returned or the exception it raised) for each item, as each is done."""
        waiting = list(range(len(items)))[::-1]  # popped from the end: in the order given
        running: dict[Future[R], int] = {}
        broke = dict.fromkeys(range(len(items)), 0)  # pools that broke while the item was under way
        while waiting or running:
            while waiting and len(running) < self.jobs:
                i = waiting.pop()
                running[self._submit(items[i])] = i
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            struck = []  # under way when a worker died
            for future in done:
                i = running.pop(future)
                try:
                    yield i, future.result()
                except BrokenProcessPool:
                    struck.append(i)
                except Exception as exc:  # noqa: BLE001 - the item's own failure, for the caller to judge
                    yield i, exc
            if not struck:
                continue
            log.warning("a worker process died; starting new ones and trying the work under way again")
            struck += running.values()  # broken with it
            running.clear()
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new_pool()
            for i in struck:
                broke[i] += 1
                if broke[i] < 2:
                    waiting.append(i)
                else:
                    yield i, WorkerDied("the process working on it stopped unexpectedly, twice — if the computer "
                                        "is short of memory, try fewer --jobs.")

    def _submit(self, item: T) -> Future[R]:
        try:
            return self._pool.submit(self.fn, item)
        except BrokenProcessPool:  # a worker died while nothing was running on it
            self._pool = self._new_pool()
            return self._pool.submit(self.fn, item)

    def close(self, cancel: bool = False) -> None:
        """Stop the workers; ``cancel`` also asks the work under way to stop (Ctrl-C)."""
        if cancel:
            self._cancel.value = True
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> WorkerPool[T, R]:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.close(cancel=exc_type is not None)


def in_order(done: Iterable[tuple[int, R | BaseException]]) -> Iterator[R | BaseException]:
    """The outcomes of ``as_completed`` (a ``WorkerPool``'s or a ``ClusterRunner``'s) in the order of
    the items; the items after a slow one go on meanwhile."""
    ready: dict[int, R | BaseException] = {}
    next_index = 0
    for i, outcome in done:
        ready[i] = outcome
        while next_index in ready:
            yield ready.pop(next_index)
            next_index += 1
