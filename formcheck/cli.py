"""Command line: `formcheck [analyze|models|bench|exercises|app] ...`."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from formcheck import __version__

if TYPE_CHECKING:  # imported where used, so `formcheck --help` starts fast
    from formcheck.pipeline.analyze import BatchItem
    from formcheck.pipeline.store import Store

log = logging.getLogger("formcheck")

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_videos"
DEFAULT_SAMPLE = SAMPLE_DIR / "squat_good.mp4"


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return value


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, got {text!r}")
    return value


def _person(text: str) -> str:
    from formcheck.pipeline.store import StoreError, person_name

    try:
        return person_name(text)
    except StoreError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="formcheck", description=__doc__)
    p.add_argument("--version", action="version", version=f"formcheck {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="more log output")
    sub = p.add_subparsers(dest="command")

    a = sub.add_parser("analyze", help="analyse video files and write a report for each")
    a.add_argument("videos", type=Path, nargs="*", metavar="VIDEO",
                   help="video file, several, or a folder of videos (default: the bundled squat sample)")
    a.add_argument("--exercise", default=None, help="exercise id (see `formcheck exercises`)")
    a.add_argument("--out", type=Path, default=Path("out"),
                   help="output folder (default: out/); with several videos, one folder per video in it")
    a.add_argument("--jobs", type=_at_least_one, default=None,
                   help="processes finding poses (default: one per core; 1 = all in this process)")
    a.add_argument("--chunk-s", type=_positive_seconds, default=None,
                   help="seconds: the longest piece of a video one process poses")
    a.add_argument("--annotated", action="store_true", help="also write annotated.mp4")
    a.add_argument("--no-smoothing", action="store_true", help="use raw landmarks")
    a.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    a.add_argument("--record", action="store_true", help="save the session in the session database")
    a.add_argument("--person", type=_person, default="me", help="whose session it is (with --record)")

    m = sub.add_parser("models", help="download or build the pose model(s)")
    m.add_argument("variants", nargs="*", help="lite, full, heavy (default: full)")
    m.add_argument("--force", action="store_true", help="provision again even if present")

    b = sub.add_parser("bench", help="pose model alone vs full pipeline throughput")
    b.add_argument("video", type=Path, nargs="?", default=DEFAULT_SAMPLE)
    b.add_argument("--repeats", type=_at_least_one, default=3)
    b.add_argument("--frames", type=_at_least_one, default=300, help="frames per run")
    b.add_argument("--exercise", default=None, help="include this exercise's tracker")
    b.add_argument("--annotate", action="store_true", help="include drawing the overlay")
    b.add_argument("--jobs", type=_at_least_one, default=None,
                   help="instead: analyse the whole video with 1 process and with this many, side by side")
    b.add_argument("--chunk-s", type=_positive_seconds, default=None,
                   help="with --jobs: the longest piece of the video one process poses, in seconds")

    sub.add_parser("exercises", help="list the exercise library")

    r = sub.add_parser("report", help="report of recorded sessions (html, csv or json)")
    r.add_argument("session", type=int, nargs="?", help="session number (see `formcheck sessions`)")
    r.add_argument("--person", help="all sessions of this person, with progress")
    r.add_argument("--format", choices=("html", "csv", "json"), default="html")
    r.add_argument("--out", type=Path, help="file to write (default: print)")

    ss = sub.add_parser("sessions", help="list recorded sessions")
    ss.add_argument("--person", help="only this person's sessions")

    sub.add_parser("repair", help="rebuild the session database from the session folders")

    ap = sub.add_parser("app", help="open the desktop app (the default with no command)")
    ap.add_argument("--video", type=Path, help="start on this video file")
    ap.add_argument("--camera", help="start on this camera (index or device path)")
    ap.add_argument("--exercise", help="start this exercise")
    return p


def _stop_signal(signum: int, _frame: object) -> None:
    # SIGTERM (kill, logout) and SIGHUP (terminal closed) end a run like Ctrl-C does: what was
    # recorded is kept and the session is marked 'interrupted'.
    raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None and args.command != "app" and args.command is not None:
            signal.signal(sig, _stop_signal)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.command == "analyze":
            return _analyze(args)
        if args.command == "models":
            from formcheck.pipeline.model_store import run_models_command

            return run_models_command(args.variants or None, args.force)
        if args.command == "bench":
            return _bench(args)
        if args.command == "exercises":
            return _exercises()
        if args.command == "report":
            return _report(args)
        if args.command == "sessions":
            return _sessions(args)
        if args.command == "repair":
            return _repair()
        return _app(args)
    except KeyboardInterrupt as exc:
        print(f"interrupted{f' ({exc})' if str(exc) else ''}; what was recorded is kept", file=sys.stderr)
        return 130
    except _user_errors() as exc:
        print(f"formcheck: {exc}", file=sys.stderr)
        return 2


def _user_errors() -> tuple[type[BaseException], ...]:
    """Errors whose message is written for the user: print it, no traceback."""
    from formcheck.exercises.loader import ExerciseFileError
    from formcheck.pipeline.frames import FrameSourceError
    from formcheck.pipeline.model_store import ModelError
    from formcheck.pipeline.pose import PoseError
    from formcheck.pipeline.store import StoreError

    return (FrameSourceError, ModelError, PoseError, ExerciseFileError, StoreError, OSError)


def _analyze(args: argparse.Namespace) -> int:
    from formcheck.core.smoothing import SmoothingConfig
    from formcheck.core.tracker import ExerciseTracker
    from formcheck.pipeline.analyze import analyze_videos
    from formcheck.pipeline.frames import video_files
    from formcheck.pipeline.parallel import CHUNK_S, default_jobs

    inputs = args.videos or [DEFAULT_SAMPLE]
    single = len(inputs) == 1 and not inputs[0].is_dir()  # one file: written straight into --out
    videos = [v for path in inputs for v in (video_files(path) if path.is_dir() else [path])]
    targets = [(videos[0], args.out)] if single else list(zip(videos, _video_folders(args.out, videos)))
    definition = None
    if args.exercise:
        from formcheck.exercises.loader import load_by_id

        definition = load_by_id(args.exercise)
    store = make_recorder = None
    if getattr(args, "record", False):
        from formcheck.pipeline.recorder import SessionRecorder
        from formcheck.pipeline.store import Store

        store = Store()  # opened first: a database problem is reported before minutes of analysis
        make_recorder = lambda video: SessionRecorder(store, args.person, str(video), "file")  # noqa: E731
    try:
        items = analyze_videos(
            targets,
            jobs=args.jobs or default_jobs(),
            chunk_s=args.chunk_s or CHUNK_S,
            exercise=args.exercise,
            make_tracker=lambda: ExerciseTracker(definition) if definition is not None else None,
            make_recorder=make_recorder,
            annotated=args.annotated,
            smoothing=SmoothingConfig(enabled=not args.no_smoothing),
            progress=not args.no_progress,
        )
        return _analyzed_one(next(items), store) if single else _analyzed_batch(items, store)
    finally:
        if store is not None:
            store.close()


def _video_folders(out: Path, videos: list[Path]) -> list[Path]:
    """out/<video name> for each video; a name met twice gets -2, -3, ..."""
    used: set[str] = set()
    folders = []
    for video in videos:
        name, n = video.stem, 1
        while name in used:
            n += 1
            name = f"{video.stem}-{n}"
        used.add(name)
        folders.append(out / name)
    return folders


def _analyzed_one(item: BatchItem, store: Store | None) -> int:
    from formcheck.pipeline.analyze import summary_text

    if item.error is not None:
        raise item.error
    result = item.result
    assert result is not None
    print(summary_text(result.report))
    written = [p for p in (result.report_path, result.landmarks_path, result.video_path) if p]
    print("wrote " + ", ".join(str(p) for p in written))
    if result.session_id is not None and store is not None:
        state = "interrupted: " + result.recording_error if result.recording_error else "saved"
        print(f"recorded as session {result.session_id} in {store.path} ({state})")
    if result.recording_error:
        print(f"formcheck: {result.recording_error}", file=sys.stderr)
        return 1
    return 0


def _analyzed_batch(items: Iterator[BatchItem], store: Store | None) -> int:
    from formcheck.pipeline.analyze import summary_line

    done = failed = 0
    for item in items:
        if item.error is not None:
            failed += 1
            print(f"{item.video}: failed: {item.error}")
            continue
        result = item.result
        assert result is not None
        line = f"{item.video}: {summary_line(result.report)} -> {item.out_dir}"
        if result.session_id is not None:
            line += f", session {result.session_id}"
        print(line)
        if result.recording_error:
            failed += 1
            print(f"{item.video}: recording failed: {result.recording_error}")
        else:
            done += 1
    if store is not None:
        print(f"sessions recorded in {store.path}")
    if failed:
        print(f"formcheck: {failed} of {done + failed} videos failed (see above); the others were analysed",
              file=sys.stderr)
        return 1
    return 0


def _bench(args: argparse.Namespace) -> int:
    from formcheck.pipeline.bench import run_bench, run_jobs_bench

    factory = None
    if args.exercise:
        from functools import partial

        from formcheck.core.tracker import ExerciseTracker
        from formcheck.exercises.loader import load_by_id

        factory = partial(ExerciseTracker, load_by_id(args.exercise))
    if args.jobs is not None:
        from formcheck.pipeline.parallel import CHUNK_S

        print(run_jobs_bench(args.video, args.jobs, repeats=args.repeats, tracker_factory=factory,
                             chunk_s=args.chunk_s or CHUNK_S).text())
        return 0
    result = run_bench(
        args.video, repeats=args.repeats, limit=args.frames, draw=args.annotate,
        tracker_factory=factory,
    )
    print(f"{args.video}")
    print(result.text())
    return 0


def _app(args: argparse.Namespace) -> int:
    import os

    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")
    ):
        # A machine without a screen (a server, CI): do the main job without the window.
        print("No display found; analysing the bundled sample video instead of opening the app.")
        ns = argparse.Namespace(videos=[getattr(args, "video", None) or DEFAULT_SAMPLE], exercise="squat",
                                out=Path("out"), annotated=True, no_smoothing=False, no_progress=False,
                                jobs=None, chunk_s=None)
        return _analyze(ns)
    from formcheck.ui.app import run_app

    return run_app(getattr(args, "video", None), getattr(args, "camera", None), getattr(args, "exercise", None))


def _report(args: argparse.Namespace) -> int:
    from formcheck.pipeline.reports import write_report
    from formcheck.pipeline.store import Store, StoreError

    store = Store()
    try:
        if args.person is not None:  # any saved name, even one an earlier version let be blank
            ids = [s.id for s in store.sessions(args.person)]
            if not ids:
                raise StoreError(f"No sessions recorded for {args.person!r}; `formcheck sessions` lists who has some.")
        elif args.session is not None:
            ids = [store.session(args.session).id]
        else:
            raise StoreError("Give a session number or --person NAME; `formcheck sessions` lists them.")
        text = write_report(store, ids, args.format, args.out)
    finally:
        store.close()
    print(f"wrote {args.out}" if args.out else text, end="\n" if args.out else "")
    return 0


def _sessions(args: argparse.Namespace) -> int:
    from formcheck.pipeline.store import Store

    store = Store()
    try:
        rows = store.sessions(args.person)
        for s in rows:
            detail = store.session_detail(s.id)
            exercises = ", ".join(sorted({st["exercise"] for st in detail["sets"]})) or "-"
            reps = sum(1 for st in detail["sets"] for r in st["reps"] if not r["attempt"])
            flagged = sum(1 for st in detail["sets"] for r in st["reps"] if r["faults"])
            print(f"{s.id:5d}  {s.started}  {s.person:16s} {exercises:24s} {reps:3d} reps  {flagged:3d} flagged  "
                  f"{len(detail['pain_stops'])} pain stops  {s.status}")
        if not rows:
            print("no sessions recorded yet")
    finally:
        store.close()
    return 0


def _repair() -> int:
    from formcheck.paths import data_dir
    from formcheck.pipeline.repair import repair

    print(repair(data_dir() / "formcheck.db").text())
    return 0


def _exercises() -> int:
    from formcheck.exercises.loader import load_library
    from formcheck.paths import user_exercises_dir

    library = load_library()
    by_group: dict[str, list] = {}
    for ex in library.exercises.values():
        by_group.setdefault(ex.group, []).append(ex)
    for group in ("core", "mobility", "functional", "timer"):
        if group not in by_group:
            continue
        print(f"{group}:")
        for ex in sorted(by_group[group], key=lambda e: e.id):
            views = "/".join(ex.setup.views) if ex.setup else "any"
            kind = "timer" if ex.timer_only else ("hold" if ex.hold else "reps")
            name = f"{ex.name} (custom)" if ex.id in library.custom else ex.name
            print(f"  {ex.id:22s} {name:32s} {views:11s} {kind:5s} {ex.dose.text()}")
    print(f"Your own exercises go in {user_exercises_dir()} (see README, \"Custom exercises\").")
    for problem in library.problems:
        print(f"formcheck: warning: skipped {problem}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
