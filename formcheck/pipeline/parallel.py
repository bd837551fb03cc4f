"""Analysis on every core: worker processes find the poses of a video chunk by chunk.

Finding the pose (MediaPipe, then One-Euro smoothing) is the expensive part of an analysis and
runs on one core. Here a video is cut into chunks of time; each worker process poses one chunk at
a time and sends back the poses as arrays. The parent judges them (exercise tracker, report,
recording) frame by frame in order, exactly as a single process does, so reps, faults and holds
come from one stream of poses. Each chunk gets a fresh ``PoseEstimator``, so what a chunk gives
never depends on which chunks its worker happened to pose before.

Each chunk starts ``overlap_s`` early: those frames warm up MediaPipe's tracking and the smoother
and are not kept. MediaPipe's VIDEO-mode tracking remembers every earlier frame, so a chunk's
poses are not bit-identical to an unbroken run's: they become identical once both runs lose and
find the person again (or a still pose lets them converge); until then the landmarks MediaPipe
sees stay within about a pixel, while hidden ones, which it guesses, can differ by much more. So a
threshold crossed by a hair can fall a frame earlier or later, or a borderline fault on another
rep, the same way it does in one process when the video starts a second later. Joins where both
chunks gave identical poses are counted (``ChunkedVideo.exact_joins``).

A video is cut into a multiple of ``jobs`` equal chunks, so the workers finish together, each no
longer than ``chunk_s`` and none shorter than ``MIN_CHUNK_S`` (a chunk's warm-up must stay a small
share of it): a video too short to cut is posed in one piece, exactly as ``--jobs 1`` does.

Workers seek to their chunk. The frames two neighbouring chunks both decoded (the overlap) are
compared by time and checksum; a chunk whose seek gave other frames is posed again from the
file's start.
"""

from __future__ import annotations

import ctypes
import logging
import math
import multiprocessing
import os
import zlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from formcheck.core.frame import Frame
from formcheck.core.landmarks import NUM_LANDMARKS, Pose, PoseResult
from formcheck.core.smoothing import PoseSmoother, SmoothingConfig
from formcheck.pipeline.frames import FrameSourceError, SourceInfo, VideoFileSource, prefetch
from formcheck.pipeline.runner import FramePipeline

log = logging.getLogger(__name__)

CHUNK_S = 60.0  # longest chunk: longer videos are cut into equal chunks no longer than this
MIN_CHUNK_S = 10.0  # no video is cut into chunks shorter than this (or than chunk_s, if shorter)
# Posed before each chunk (and not kept) to warm up tracking: MediaPipe's start-up transient and the
# One-Euro smoother settle within a second, the person follower forgets after 2 s (longer overlaps
# measured no closer to an unbroken run).
OVERLAP_S = 2.0
_JOIN_FRAMES = 10  # a join is exact when this many frames before it are identical in both chunks

PosedFrame = tuple[Frame, PoseResult, PoseResult]  # the frame, its pose as found, smoothed


class PoseStream(Protocol):
    """The frames of one video with their poses, in order (what `analyze` judges)."""

    info: SourceInfo
    model_name: str
    chunks: int  # pieces the video was posed in
    exact_joins: int  # joins between chunks where both chunks gave identical poses

    @property
    def frames_lost(self) -> int: ...  # frames skipped over damaged data (final once iterated)

    def __iter__(self) -> Iterator[PosedFrame]: ...

    def close(self) -> None: ...


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


@dataclass(frozen=True, slots=True)
class Chunk:
    """A stretch of a video posed by one worker: frames from ``start_ms`` (inclusive) up to
    ``end_ms`` (exclusive; None = the end) are kept, the ``warm_ms`` before them only warm up."""

    start_ms: int
    end_ms: int | None
    warm_ms: int

    @property
    def warm_from_ms(self) -> int:
        return max(0, self.start_ms - self.warm_ms)


def plan_chunks(
    duration_ms: int, jobs: int = 1, chunk_s: float = CHUNK_S, overlap_s: float = OVERLAP_S
) -> list[Chunk]:
    """Equal chunks covering ``duration_ms``, as many as ``jobs`` or a multiple, no longer than
    ``chunk_s`` and no shorter than ``MIN_CHUNK_S`` (the last one runs to the end, whatever the
    container said the duration is)."""
    n = math.ceil(math.ceil(duration_ms / (chunk_s * 1000)) / jobs) * jobs
    n = max(1, min(n, math.floor(duration_ms / (min(chunk_s, MIN_CHUNK_S) * 1000))))
    bounds = [round(i * duration_ms / n) for i in range(n)]
    warm = round(overlap_s * 1000)
    return [
        Chunk(start, bounds[i + 1] if i + 1 < n else None, warm if i else 0)
        for i, start in enumerate(bounds)
    ]


def video_duration_ms(info: SourceInfo) -> int:
    """The container's idea of the length (0 when it doesn't say: then the video is one chunk)."""
    return round(info.frame_count * 1000 / info.fps) if info.frame_count else 0


# ---- worker side ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChunkJob:
    video: Path
    chunk: Chunk
    next_warm_from_ms: int | None  # where the next chunk's warm-up starts (None: last chunk)
    model_path: Path
    smoothing: SmoothingConfig | None
    seek: bool = True  # False: decode from the file's start (when seeking gave other frames)


@dataclass(frozen=True, slots=True, eq=False)
class ChunkPoses:
    """The poses of one chunk as arrays (compact between processes); warm-up frames first."""

    width: int
    height: int
    first_kept: int  # index of the first kept frame
    t_ms: np.ndarray  # (n,) int64
    people: np.ndarray  # (n,) int16, -1 = not counted
    detected: np.ndarray  # (n,) bool
    image: np.ndarray  # (n, 33, 3) float32, as found
    smoothed: np.ndarray  # (n, 33, 3) float32
    world: np.ndarray  # (n, 33, 3) float32
    visibility: np.ndarray  # (n, 33) float32
    presence: np.ndarray  # (n, 33) float32
    crc: np.ndarray  # (n,) uint32 picture checksums of the frames a neighbour also decodes, else 0
    frames_lost: int  # frames lost to damaged data among the kept ones

    def __len__(self) -> int:
        return len(self.t_ms)

    def results(self, i: int) -> tuple[PoseResult, PoseResult]:
        """Frame ``i`` as the pose stage and the smoother gave it."""
        t, people = int(self.t_ms[i]), int(self.people[i])
        counted = None if people < 0 else people
        if not self.detected[i]:
            nobody = PoseResult(t, self.width, self.height, None, counted)
            return nobody, nobody
        pose = Pose(self.image[i], self.world[i], self.visibility[i], self.presence[i])
        raw = PoseResult(t, self.width, self.height, pose, counted)
        return raw, PoseResult(t, self.width, self.height, pose.replace_image(self.smoothed[i]), counted)

    def same_pose(self, i: int, other: ChunkPoses, j: int) -> bool:
        """Whether frame ``i`` here and frame ``j`` of ``other`` have bit-identical poses."""
        if self.detected[i] != other.detected[j]:
            return False
        return not self.detected[i] or (
            np.array_equal(self.image[i], other.image[j], equal_nan=True)
            and np.array_equal(self.smoothed[i], other.smoothed[j], equal_nan=True)
        )


class WorkerDied(RuntimeError):
    """A worker process stopped while posing a chunk; the message says what to try."""


class ChunkCancelled(Exception):
    """The parent stopped the analysis (Ctrl-C, a stop signal) while the chunk was posed."""


# The parent's "stop now" flag, in each worker (set by _init_worker). Shared memory without a lock:
# a worker killed while holding a lock would leave it held for the workers that replace it.
_cancel: ctypes.c_bool | None = None


def _init_worker(cancel: ctypes.c_bool, log_level: int) -> None:
    global _cancel
    _cancel = cancel
    logging.basicConfig(level=log_level, format="%(levelname)s %(name)s: %(message)s")


def pose_chunk(job: ChunkJob) -> ChunkPoses:
    """Pose one chunk (runs in a worker process)."""
    from formcheck.pipeline.pose import PoseEstimator  # MediaPipe is loaded in workers only

    chunk = job.chunk
    source = VideoFileSource(job.video)
    try:
        if job.seek and chunk.warm_from_ms > 0:
            try:
                source.seek(chunk.warm_from_ms)
            except FrameSourceError:
                log.info("%s: can't seek; decoding from the start", job.video.name)
        rows: dict[str, list] = {k: [] for k in ("t", "people", "pose", "smoothed", "crc")}
        first_kept, lost = None, 0
        with PoseEstimator(job.model_path) as estimator:
            pipeline = FramePipeline(estimator, PoseSmoother(job.smoothing))
            for frame, lost_here in prefetch(_with_lost(source)):
                if _cancel is not None and _cancel.value:
                    raise ChunkCancelled
                t = frame.t_ms
                if chunk.end_ms is not None and t >= chunk.end_ms:
                    break
                if t < chunk.warm_from_ms:  # decoding from the start: not there yet
                    continue
                raw, smoothed = pipeline.poses(frame)
                kept = t >= chunk.start_ms
                if kept:
                    first_kept = len(rows["t"]) if first_kept is None else first_kept
                    lost += lost_here
                shared = not kept or (job.next_warm_from_ms is not None and t >= job.next_warm_from_ms)
                rows["t"].append(t)
                rows["people"].append(-1 if raw.people is None else raw.people)
                rows["pose"].append(raw.pose)
                rows["smoothed"].append(smoothed.pose)
                rows["crc"].append(zlib.crc32(frame.image.data) if shared else 0)
        info = source.info
    finally:
        source.close()
    return _pack(rows, info.width, info.height, len(rows["t"]) if first_kept is None else first_kept, lost)


def _with_lost(source: VideoFileSource) -> Iterator[tuple[Frame, int]]:
    """Each frame with the frames lost to damaged data just before it (read on the decoding
    thread, where the count belongs to that frame)."""
    before = 0
    for frame in source:
        yield frame, source.frames_lost - before
        before = source.frames_lost


def _pack(rows: dict[str, list], width: int, height: int, first_kept: int, lost: int) -> ChunkPoses:
    nan3 = np.full((NUM_LANDMARKS, 3), np.nan, np.float32)
    nan1 = np.full(NUM_LANDMARKS, np.nan, np.float32)

    def stack(poses: list[Pose | None], attr: str, empty: np.ndarray) -> np.ndarray:
        return np.array([getattr(p, attr) if p is not None else empty for p in poses], np.float32).reshape(
            len(poses), *empty.shape
        )

    return ChunkPoses(
        width=width,
        height=height,
        first_kept=first_kept,
        t_ms=np.array(rows["t"], np.int64),
        people=np.array(rows["people"], np.int16),
        detected=np.array([p is not None for p in rows["pose"]], bool),
        image=stack(rows["pose"], "image", nan3),
        smoothed=stack(rows["smoothed"], "image", nan3),
        world=stack(rows["pose"], "world", nan3),
        visibility=stack(rows["pose"], "visibility", nan1),
        presence=stack(rows["pose"], "presence", nan1),
        crc=np.array(rows["crc"], np.uint32),
        frames_lost=lost,
    )


# ---- parent side ---------------------------------------------------------------------------------


class PoseWorkers:
    """A pool of ``jobs`` worker processes posing the chunks of one or more videos.

    ``open(video)`` plans a video's chunks and queues them; the returned ``ChunkedVideo`` yields
    its frames in order. Chunks are handed to the pool in the order they were queued, at most
    ``2 * jobs`` at a time, so memory stays flat and the workers move on to the next video while
    the parent judges the current one. "spawn" workers: MediaPipe's threads don't survive fork.
    """

    def __init__(
        self,
        jobs: int,
        *,
        model_path: Path | None = None,
        smoothing: SmoothingConfig | None = None,
        chunk_s: float = CHUNK_S,
        overlap_s: float = OVERLAP_S,
    ) -> None:
        from formcheck.pipeline.model_store import ensure_model

        self.jobs = jobs
        self.model_path = model_path or ensure_model()  # here, so workers don't all fetch it
        self.smoothing = smoothing
        self.chunk_s, self.overlap_s = chunk_s, overlap_s
        self._context = multiprocessing.get_context("spawn")
        self._cancel = self._context.RawValue(ctypes.c_bool, False)
        self._pool = self._new_pool()
        self._queued: deque[ChunkJob] = deque()
        self._running: dict[int, tuple[ChunkJob, Future[ChunkPoses]]] = {}  # by id(job)

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            self.jobs, mp_context=self._context, initializer=_init_worker,
            initargs=(self._cancel, logging.getLogger().getEffectiveLevel()),
        )

    def open(self, video: Path, pictures: bool = False) -> ChunkedVideo:
        """Plan ``video`` (raises ``FrameSourceError`` if it can't be read) and queue its chunks.

        ``pictures``: decode the frames here too (for drawing the annotated video); otherwise
        the frames carry a blank picture of the right size.
        """
        source = VideoFileSource(video)
        info = source.info
        source.close()
        chunks = plan_chunks(video_duration_ms(info), self.jobs, self.chunk_s, self.overlap_s)
        jobs = [
            ChunkJob(video, c, chunks[i + 1].warm_from_ms if i + 1 < len(chunks) else None,
                     self.model_path, self.smoothing)
            for i, c in enumerate(chunks)
        ]
        self._queued.extend(jobs)
        self._top_up()
        return ChunkedVideo(self, video, info, jobs, pictures)

    def _top_up(self) -> None:
        while self._queued and len(self._running) < 2 * self.jobs:
            job = self._queued.popleft()
            self._running[id(job)] = job, self._submit(job)

    def _submit(self, job: ChunkJob) -> Future[ChunkPoses]:
        try:
            return self._pool.submit(pose_chunk, job)
        except BrokenProcessPool:  # a worker died while nobody was waiting for its chunk
            self._restart()
            return self._pool.submit(pose_chunk, job)

    def result(self, job: ChunkJob) -> ChunkPoses:
        """The poses of ``job`` (waits for them); submits it now if it was still queued.

        A worker that dies (killed, out of memory, a crash in MediaPipe) takes the pool with it:
        the pool is started again, the other chunks go on, and ``job`` is tried once more before
        ``WorkerDied`` says it failed (the chunk that killed it may have been another one).
        """
        _, future = self._running.pop(id(job), (job, None))
        if future is None:
            if job in self._queued:
                self._queued.remove(job)
            future = self._submit(job)
        try:
            for attempt in (1, 2):
                try:
                    return future.result()
                except BrokenProcessPool as exc:
                    self._restart()
                    if attempt == 2:
                        raise WorkerDied(
                            f"The process posing {job.video.name} stopped unexpectedly ({exc}) — "
                            "if the computer is short of memory, try fewer --jobs."
                        ) from exc
                    future = self._pool.submit(pose_chunk, job)
            raise AssertionError("unreachable")
        finally:
            self._top_up()

    def _restart(self) -> None:
        """A new pool, with the chunks that were running on the broken one submitted again."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()
        for key, (job, _) in list(self._running.items()):
            self._running[key] = job, self._pool.submit(pose_chunk, job)

    def drop(self, jobs: list[ChunkJob]) -> None:
        """Forget ``jobs`` (their video failed or was abandoned)."""
        for job in jobs:
            if job in self._queued:
                self._queued.remove(job)
            _, future = self._running.pop(id(job), (job, None))
            if future is not None:
                future.cancel()
        self._top_up()

    def close(self, cancel: bool = False) -> None:
        """Stop the workers; ``cancel`` also abandons the chunks being posed (Ctrl-C)."""
        if cancel:
            self._cancel.value = True
        self._queued.clear()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> PoseWorkers:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.close(cancel=exc_type is not None)


class ChunkedVideo:
    """The poses of one video from ``PoseWorkers``, joined into one stream (a ``PoseStream``)."""

    def __init__(self, workers: PoseWorkers, video: Path, info: SourceInfo, jobs: list[ChunkJob],
                 pictures: bool) -> None:
        self.info = info
        self.model_name = workers.model_path.stem
        self.chunks = len(jobs)
        self.exact_joins = 0
        self._workers = workers
        self._video = video
        self._jobs = jobs
        self._pictures = pictures
        self._lost = 0

    @property
    def frames_lost(self) -> int:
        return self._lost

    def __iter__(self) -> Iterator[PosedFrame]:
        source = VideoFileSource(self._video) if self._pictures else None
        pictures = prefetch(iter(source)) if source is not None else None
        blank = np.broadcast_to(np.zeros((1, 1, 3), np.uint8), (self.info.height, self.info.width, 3))
        index = 0
        previous: ChunkPoses | None = None
        try:
            for k, job in enumerate(self._jobs):
                poses = self._workers.result(job)
                if previous is not None and not _aligned(previous, poses, job.chunk):
                    log.warning("%s: chunk %d of %d: seeking gave other frames; posing it from the "
                                "file's start", self._video.name, k + 1, len(self._jobs))
                    poses = self._workers.result(replace(job, seek=False))
                if previous is not None:
                    self.exact_joins += _exact_join(previous, poses, job.chunk)
                self._lost += poses.frames_lost
                for i in range(poses.first_kept, len(poses)):
                    raw, smoothed = poses.results(i)
                    if pictures is not None:
                        picture = next(pictures, None)
                        if picture is None or picture.t_ms != raw.t_ms:  # not once the overlaps agree
                            raise FrameSourceError(
                                f"{self._video.name} gave other frames on a second reading at {raw.t_ms} ms "
                                "— analyse it with --jobs 1."
                            )
                        frame = Frame(index, picture.t_ms, picture.image)
                    else:
                        frame = Frame(index, raw.t_ms, blank)
                    yield frame, raw, smoothed
                    index += 1
                previous = poses
        finally:
            self._workers.drop(self._jobs)  # nothing left to wait for if we stopped early
            if pictures is not None:
                pictures.close()  # stops the decoding thread before its capture is released
            if source is not None:
                source.close()

    def close(self) -> None:
        self._workers.drop(self._jobs)


def _overlap(previous: ChunkPoses, current: ChunkPoses, chunk: Chunk) -> tuple[np.ndarray, np.ndarray]:
    """Indices into ``previous`` and ``current`` of the frames both posed before ``chunk`` starts."""
    def within(poses: ChunkPoses) -> np.ndarray:
        return np.flatnonzero((poses.t_ms >= chunk.warm_from_ms) & (poses.t_ms < chunk.start_ms))

    return within(previous), within(current)


def _aligned(previous: ChunkPoses, current: ChunkPoses, chunk: Chunk) -> bool:
    """Whether ``current`` decoded the same frames (times and pictures) in the overlap."""
    theirs, mine = _overlap(previous, current, chunk)
    return np.array_equal(previous.t_ms[theirs], current.t_ms[mine]) and np.array_equal(
        previous.crc[theirs], current.crc[mine]
    )


def _exact_join(previous: ChunkPoses, current: ChunkPoses, chunk: Chunk) -> bool:
    """Whether the last frames before the join came out bit-identical from both chunks."""
    theirs, mine = _overlap(previous, current, chunk)
    last = min(_JOIN_FRAMES, len(mine))
    return last > 0 and all(
        current.same_pose(int(i), previous, int(j)) for i, j in zip(mine[-last:], theirs[-last:], strict=True)
    )
