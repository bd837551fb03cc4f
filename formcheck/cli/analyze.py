"""``formcheck analyze``: one video, several or a folder, each with its report; a batch gets one line per video."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from formcheck.cli.args import DEFAULT_SAMPLE, add_where_it_runs, person

if TYPE_CHECKING:  # imported where used, so `formcheck --help` starts fast
    from formcheck.analysis.batch import BatchItem
    from formcheck.cli.args import Subcommands
    from formcheck.records.store import Store


def add_parser(sub: Subcommands) -> None:
    a = sub.add_parser("analyze", help="analyse video files and write a report for each")
    a.add_argument("videos", type=Path, nargs="*", metavar="VIDEO",
                   help="video file, several, or a folder of videos (default: the bundled squat sample)")
    a.add_argument("--exercise", default=None, help="exercise id (see `formcheck exercises`)")
    a.add_argument("--out", type=Path, default=Path("out"),
                   help="output folder (default: out/); with several videos, one folder per video in it")
    add_where_it_runs(a, "video", "the videos and --out")
    a.add_argument("--annotated", action="store_true", help="also write annotated.mp4")
    a.add_argument("--no-smoothing", action="store_true", help="use raw landmarks")
    a.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    a.add_argument("--record", action="store_true", help="save the session in the session database")
    a.add_argument("--person", type=person, default="me", help="whose session it is (with --record)")
    a.add_argument("--profile", type=Path, help="judge with this calibration profile (default: with --record, "
                   "the person's newest profile, if any)")
    a.set_defaults(run=run)


def arguments(argv: list[str]) -> argparse.Namespace:
    """analyze's arguments from ``argv``, every option at its default unless given (the app's
    fall-back on a machine without a screen runs an analysis)."""
    parser = argparse.ArgumentParser(prog="formcheck")
    add_parser(parser.add_subparsers())
    return parser.parse_args(["analyze", *argv])


def run(args: argparse.Namespace) -> int:
    from formcheck.analysis.batch import RecordAs, VideoTask, analyze_videos
    from formcheck.analysis.parallel import default_jobs
    from formcheck.core.smoothing import SmoothingConfig
    from formcheck.video.file_sources import video_files

    inputs = args.videos or [DEFAULT_SAMPLE]
    single = len(inputs) == 1 and not inputs[0].is_dir()  # one file: written straight into --out
    videos = [v for path in inputs for v in (video_files(path) if path.is_dir() else [path])]
    targets = [(videos[0], args.out)] if single else list(zip(videos, _video_folders(args.out, videos), strict=True))
    definition = None
    if args.exercise:
        from formcheck.exercises.loader import load_by_id
        from formcheck.exercises.personal_thresholds import personalise
        from formcheck.exercises.profile import POPULATION

        definition = load_by_id(args.exercise)
        if args.profile is not None or args.record:
            definition, notes = personalise(definition, args.person, profile_file=args.profile)
            for note in notes:
                print(f"formcheck: {note}", file=sys.stderr)
            print(f"judged with {definition.profile or POPULATION} thresholds")
    store = record = None
    if args.record:
        from formcheck.records.store import Store

        store = Store()  # opened first: a database problem is reported before minutes of analysis
        record = RecordAs(store.location, args.person)
    smoothing = SmoothingConfig(enabled=not args.no_smoothing)
    tasks = [VideoTask(video, out, definition, args.annotated, smoothing, record) for video, out in targets]
    try:
        items = analyze_videos(tasks, jobs=args.jobs or default_jobs(), cluster=args.cluster,
                               progress=not args.no_progress)
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
    from formcheck.analysis.analyze import summary_text

    if item.error is not None:
        raise item.error
    result = item.result
    assert result is not None
    print(summary_text(result.report))
    written = [p for p in (result.report_path, result.landmarks_path, result.video_path) if p]
    print("wrote " + ", ".join(str(p) for p in written))
    if result.session_id is not None and store is not None:
        state = "interrupted: " + result.recording_error if result.recording_error else "saved"
        print(f"recorded as session {result.session_id} in {store.shown} ({state})")
    if result.recording_error:
        print(f"formcheck: {result.recording_error}", file=sys.stderr)
        return 1
    return 0


def _analyzed_batch(items: Iterator[BatchItem], store: Store | None) -> int:
    from formcheck.analysis.analyze import summary_line

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
        print(f"sessions recorded in {store.shown}")
    if failed:
        print(f"formcheck: {failed} of {done + failed} videos failed (see above); the others were analysed",
              file=sys.stderr)
        return 1
    return 0
