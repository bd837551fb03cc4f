"""Several videos of `analyze` (and the clips of `formcheck eval`): each one analysed whole by one
process, here, in worker processes (``--jobs N``) or on a Dask cluster (``--cluster ADDRESS``).

Parallel across videos, never within one (see ``parallel``), so a video's results are the same
whichever way the batch runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

from formcheck.analysis.analyze import AnalysisResult, analyze_video
from formcheck.analysis.cluster import ClusterError, ClusterRunner, StopAsked, stop_asked
from formcheck.analysis.parallel import WorkerDied, WorkerPool, cancelled, in_order
from formcheck.core.exercise import ExerciseDef
from formcheck.core.smoothing import SmoothingConfig
from formcheck.core.tracker import ExerciseTracker
from formcheck.pose.estimator import PoseError, PoseEstimator
from formcheck.pose.model_store import ModelError, ensure_model
from formcheck.records.database.location import DatabaseLocation
from formcheck.records.recorder import RECORDING_ERRORS, SessionRecorder
from formcheck.records.store import Store
from formcheck.video.source import FrameSourceError

T = TypeVar("T")
R = TypeVar("R")

# What makes one video of a batch fail (with a message for the user) while the others go on.
ANALYSIS_ERRORS = (FrameSourceError, PoseError, ModelError, WorkerDied, *RECORDING_ERRORS)


@dataclass(frozen=True, slots=True)
class RecordAs:
    """Save each analysed video as a session of ``person`` in the session database ``db`` (where,
    not an open connection, so that a worker process can record too)."""

    db: DatabaseLocation
    person: str


@dataclass(frozen=True, slots=True)
class VideoTask:
    """One video to analyse (picklable: it may go to a worker process)."""

    video: Path
    out_dir: Path | None
    exercise: ExerciseDef | None = None  # judged with this definition (a profile's, if personalised)
    annotated: bool = False
    smoothing: SmoothingConfig | None = None
    record: RecordAs | None = None
    model_path: Path | None = None  # None: the default model
    source: str | None = None  # what the report calls the video, when not ``video`` (see on_cluster)


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One video of ``analyze_videos``: its result, or the error that stopped it."""

    video: Path
    out_dir: Path | None
    result: AnalysisResult | None = None
    error: Exception | None = None


def analyse_task(task: VideoTask, progress: bool = False) -> BatchItem:
    """Analyse one video whole, in this process: what `analyze` (``--jobs N``, ``--cluster``) and
    `formcheck eval` each do with every video, here, in a worker process or on a cluster's worker.
    A failure the user can act on is returned as the item's error."""
    store: Store | None = None
    try:
        if task.record is not None:
            store = Store(task.record.db)
        record = _recorder(store, task.record.person, task.video) if store and task.record else None
        with PoseEstimator(task.model_path) as estimator:
            result = analyze_video(
                task.video, task.out_dir, exercise=task.exercise.id if task.exercise else None,
                tracker=ExerciseTracker(task.exercise) if task.exercise else None, annotated=task.annotated,
                smoothing=task.smoothing, progress=progress, estimator=estimator, record=record,
                on_progress=_stop_if_cancelled, source=task.source,
            )
    except ANALYSIS_ERRORS as exc:
        return BatchItem(task.video, task.out_dir, error=exc)
    finally:
        if store is not None:
            store.close()
    return BatchItem(task.video, task.out_dir, result)


def _recorder(store: Store, person: str, video: Path) -> Callable[[], SessionRecorder]:
    return lambda: SessionRecorder(store, person, str(video), "file")


def _stop_if_cancelled(_done: int, _expected: int | None) -> None:
    # In a worker whose parent was stopped (Ctrl-C, a stop signal), or a cluster's whose client was.
    if cancelled():
        raise KeyboardInterrupt("stopped with the analysis it was part of")
    if stop_asked():
        raise StopAsked("stopped with the analysis it was part of")


def analyze_videos(tasks: Sequence[VideoTask], *, jobs: int = 1, cluster: str | None = None,
                   progress: bool = True) -> Iterator[BatchItem]:
    """Analyse each video, yielding each in the order given as it is done; a video that fails
    is reported with its error and the others go on.

    With ``cluster`` (a Dask scheduler's address), one task per video on its workers. Else with
    ``jobs`` > 1 and several videos, that many worker processes analyse one video each at a time
    (``WorkerPool``); one video is analysed here. Every way, each video is analysed by
    ``analyse_task`` in one process from start to end, so the results are the same.
    """
    if cluster is None and (jobs <= 1 or len(tasks) <= 1):
        for task in tasks:
            yield analyse_task(task, progress)
        return
    if cluster is None:  # fetched here, once, so workers never fetch it side by side
        model = ensure_model()
        tasks = [task if task.model_path else replace(task, model_path=model) for task in tasks]
    sent = on_cluster(tasks) if cluster else tasks
    with workers(analyse_task, min(jobs, len(tasks)), cluster) as runner:
        for task, outcome in zip(tasks, in_order(runner.as_completed(sent)), strict=True):
            if isinstance(outcome, BatchItem):
                yield replace(outcome, video=task.video, out_dir=task.out_dir)
            elif isinstance(outcome, WorkerDied):
                yield BatchItem(task.video, task.out_dir, error=outcome)
            else:
                raise outcome  # not a problem with the video: a bug, shown as one


def workers(fn: Callable[[T], R], jobs: int, cluster: str | None) -> WorkerPool[T, R] | ClusterRunner[T, R]:
    """Where a batch runs: on the Dask cluster whose scheduler is at ``cluster``, else in ``jobs``
    worker processes here (both give ``as_completed``)."""
    return ClusterRunner(fn, cluster) if cluster else WorkerPool(fn, jobs)


def on_cluster(tasks: Sequence[VideoTask]) -> list[VideoTask]:
    """``tasks`` as a cluster's workers need them: paths from the root (their working folders are not
    this one; the report still names each video as given)."""
    if any(task.record for task in tasks):
        raise ClusterError("--record can't be used with --cluster: sessions are saved in this computer's database, "
                           "which the cluster's workers don't write to.")
    return [replace(task, video=task.video.absolute(), out_dir=task.out_dir and task.out_dir.absolute(),
                    source=task.source or str(task.video)) for task in tasks]
