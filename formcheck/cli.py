"""Command line: `formcheck [analyze|eval|models|bench|exercises|app] ...`."""

from __future__ import annotations

import argparse
import logging
import signal
import sqlite3
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formcheck import __version__
from formcheck.analysis import posture_command

if TYPE_CHECKING:  # imported where used, so `formcheck --help` starts fast
    from formcheck.analysis.batch import BatchItem
    from formcheck.records.store import Store

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


def _person(text: str) -> str:
    from formcheck.records.store import StoreError, person_name

    try:
        return person_name(text)
    except StoreError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"must be a date like 2026-11-02, got {text!r}") from exc


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
    where = a.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=_at_least_one, default=None,
                       help="videos analysed at the same time, each in its own process (default: one per core); "
                            "one video is always analysed whole in one process, so --jobs never changes its results")
    where.add_argument("--cluster", metavar="ADDRESS",
                       help="analyse on the workers of this Dask scheduler (tcp://HOST:8786), one task per video; the "
                            "videos and --out must be at the same paths on every worker (a shared folder)")
    a.add_argument("--annotated", action="store_true", help="also write annotated.mp4")
    a.add_argument("--no-smoothing", action="store_true", help="use raw landmarks")
    a.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    a.add_argument("--record", action="store_true", help="save the session in the session database")
    a.add_argument("--person", type=_person, default="me", help="whose session it is (with --record)")
    a.add_argument("--profile", type=Path, help="judge with this calibration profile (default: with --record, "
                   "the person's newest profile, if any)")

    from formcheck.evaluation import evaluate  # stdlib only at import: its docstring is the help

    e = sub.add_parser("eval", help="score the engine against labelled videos",
                       description=evaluate.__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    e.add_argument("labels", type=Path, nargs="+", help="label files (TOML, format above)")
    e.add_argument("--clips", type=Path, help="folder the clips' 'file' paths start from (default: "
                   "$FORMCHECK_REAL_CLIPS or ../shared/real_clips beside the checkout when present, else each "
                   "label file's folder)")
    where = e.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=_at_least_one,
                       help="clips analysed at the same time, each whole in its own process (default: all cores)")
    where.add_argument("--cluster", metavar="ADDRESS",
                       help="analyse on the workers of this Dask scheduler (tcp://HOST:8786), one task per clip; the "
                            "clips must be at the same paths on every worker (a shared folder)")
    e.add_argument("--repeat", type=_at_least_one, default=1,
                   help="analyse each clip this many times and say whether the results are identical")
    e.add_argument("--only", metavar="PATTERN", action="append", default=[],
                   help="only clips whose file contains PATTERN or matches it as a glob (may be repeated)")
    e.add_argument("--by-source", action="store_true",
                   help="also print the figures of each source (the file name up to its first _) beside the totals")
    e.add_argument("--json", type=Path, metavar="FILE", help="also write the results as JSON")

    m = sub.add_parser("models", help="download or build the pose model(s)")
    m.add_argument("variants", nargs="*", help="lite, full, heavy (default: full)")
    m.add_argument("--force", action="store_true", help="provision again even if present")

    b = sub.add_parser("bench", help="pose model alone vs full pipeline throughput")
    b.add_argument("videos", type=Path, nargs="*", metavar="VIDEO",
                   help="the video (default: the bundled squat sample); with --jobs, one or more")
    b.add_argument("--repeats", type=_at_least_one, default=3)
    b.add_argument("--frames", type=_at_least_one, default=300, help="frames per run")
    b.add_argument("--exercise", default=None, help="include this exercise's tracker")
    b.add_argument("--annotate", action="store_true", help="include drawing the overlay")
    b.add_argument("--jobs", type=_at_least_one, default=None,
                   help="instead: analyse the videos whole, as a batch, with 1 process and with this many, side "
                        "by side")
    b.add_argument("--live", action="store_true",
                   help="the full app path instead: the window, the video paced like a 30 fps camera, recording and "
                        "voice on; reports glass-to-screen latency p50/p95/p99 and the drop rate")
    b.add_argument("--seconds", type=_at_least_one, default=60, help="how long the --live run lasts")

    ex = sub.add_parser("exercises", help="list the exercise library")
    ex.add_argument("--faults", nargs="?", const="", default=None, metavar="ID",
                    help="list the fault codes of every exercise (or of exercise ID) and what each one checks")

    r = sub.add_parser("report", help="report of recorded sessions (html, csv or json)")
    r.add_argument("session", type=int, nargs="?", help="session number (see `formcheck sessions`)")
    r.add_argument("--person", help="all sessions of this person, with progress")
    r.add_argument("--format", choices=("html", "csv", "json", "fhir"), default="html",
                   help="fhir: a FHIR R4 JSON Bundle (CarePlan, ServiceRequest, Observation)")
    r.add_argument("--out", type=Path, help="file to write (default: print)")

    ss = sub.add_parser("sessions", help="list recorded sessions")
    ss.add_argument("--person", help="only this person's sessions")

    sub.add_parser("repair", help="rebuild the session database from the session folders")

    pg = sub.add_parser("programme", help="a person's home programme (versions are kept)")
    pgs = pg.add_subparsers(dest="action", required=True)
    pi = pgs.add_parser("import", help="save a programme file as the person's next version")
    pi.add_argument("file", type=Path)
    pi.add_argument("--person", type=_person, required=True)
    pe = pgs.add_parser("export", help="write the current version as a commented TOML file")
    pe.add_argument("--person", type=_person, required=True)
    pe.add_argument("--out", type=Path, help="file to write (default: print)")
    pw = pgs.add_parser("show", help="the current version, adherence and proposed progression")
    pw.add_argument("--person", type=_person, required=True)
    pc = pgs.add_parser("confirm", help="make the programme version(s) that came in a bundle the current one")
    pc.add_argument("--person", type=_person, required=True)
    pp = pgs.add_parser("progress", help="propose dose changes from the progression rule")
    pp.add_argument("--person", type=_person, required=True)
    pp.add_argument("--confirm", action="store_true", help="save the proposed changes as a new version")

    bd = sub.add_parser("bundle", help="move a person's sessions and programme between computers (one file)")
    bds = bd.add_subparsers(dest="action", required=True)
    be = bds.add_parser("export", help="write one file with the person's sessions, programme and calibration")
    be.add_argument("--person", type=_person, required=True)
    be.add_argument("--since", type=_day, help="only sessions from this date (YYYY-MM-DD)")
    be.add_argument("--no-video", action="store_true", help="leave the camera videos out (much smaller)")
    be.add_argument("--pseudonym", type=_person, help="name the person this way in the file instead")
    be.add_argument("--out", type=Path, help="file to write (default: NAME-DATE.formcheck here)")
    bi = bds.add_parser("import", help="add what a bundle holds that this computer doesn't have")
    bi.add_argument("file", type=Path)
    bi.add_argument("--as", dest="as_person", type=_person,
                    help="file it under this person here (their real name for a pseudonymised bundle, or, when the "
                         "bundle's person has the name of someone here, that person if it is them)")
    bi.add_argument("--confirm-programme", action="store_true",
                    help="make the programme in the bundle the person's current one at once (else it waits for "
                         "`formcheck programme confirm`)")

    rj = sub.add_parser("rejudge", help="re-judge a recorded session from its landmark track (no model run)")
    rj.add_argument("session", type=int, help="session number (see `formcheck sessions`)")
    rj.add_argument("--profile", type=Path, help="judge with this calibration profile instead of the thresholds "
                    "the session was judged with")

    cal = sub.add_parser("calibrate", help="camera placement, body measurements, a person's own targets")
    what = cal.add_subparsers(dest="what", required=True)
    cc = what.add_parser("camera", help="check the camera's placement for an exercise (saved per camera)")
    cc.add_argument("--exercise", required=True, help="the exercise to place the camera for")
    cb = what.add_parser("body", help="a few seconds standing → the person's segment lengths")
    cb.add_argument("name", type=_person, help="whose body (the name sessions are saved under)")
    cp = what.add_parser("person", help="three reference reps → the person's own targets")
    cp.add_argument("name", type=_person, help="whose targets (the name sessions are saved under)")
    cp.add_argument("--exercise", required=True, help="exercise id (see `formcheck exercises`)")
    cp.add_argument("--reason", default="", help="why (kept in the profile)")
    for parser in (cb, cp):
        parser.add_argument("--by", help="who made it (default: your login name)")
    for parser in (cc, cb, cp):
        src = parser.add_mutually_exclusive_group(required=True)
        src.add_argument("--camera", help="camera index or device (0, /dev/video0)")
        src.add_argument("--video", type=Path, help="a video file")
        parser.add_argument("--seconds", type=_at_least_one, default=60,
                            help="with --camera, give up after this long (default 60)")

    posture_command.add_parser(sub)  # issue 19: desk posture reminders

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
        if args.command == "eval":
            return _eval(args)
        if args.command == "models":
            from formcheck.pose.model_store import run_models_command

            return run_models_command(args.variants or None, args.force)
        if args.command == "bench":
            return _bench(args)
        if args.command == "exercises":
            return _exercises(args.faults)
        if args.command == "report":
            return _report(args)
        if args.command == "sessions":
            return _sessions(args)
        if args.command == "repair":
            return _repair()
        if args.command == "programme":
            return _programme(args)
        if args.command == "bundle":
            return _bundle(args)
        if args.command == "rejudge":
            return _rejudge(args)
        if args.command == "calibrate":
            return _calibrate(args)
        if args.command == "posture":
            return posture_command.run(args)
        return _app(args)
    except KeyboardInterrupt as exc:
        print(f"interrupted{f' ({exc})' if str(exc) else ''}; what was recorded is kept", file=sys.stderr)
        return 130
    except _user_errors() as exc:
        print(f"formcheck: {exc}", file=sys.stderr)
        return 2
    except sqlite3.Error as exc:  # met while using the database: damaged, or another program holds it
        from formcheck.paths import data_dir
        from formcheck.records.store import database_problem

        print(f"formcheck: {database_problem(data_dir() / 'formcheck.db', exc)}", file=sys.stderr)
        return 2


def _user_errors() -> tuple[type[BaseException], ...]:
    """Errors whose message is written for the user: print it, no traceback."""
    from formcheck.analysis.cluster import ClusterError
    from formcheck.evaluation.evaluate import LabelError
    from formcheck.exercises.loader import ExerciseFileError  # also a programme file's mistakes
    from formcheck.exercises.profile import ProfileError
    from formcheck.pose.estimator import PoseError
    from formcheck.pose.model_store import ModelError
    from formcheck.records.store import StoreError
    from formcheck.untrusted import Refused
    from formcheck.video.frames import FrameSourceError

    return (FrameSourceError, ModelError, PoseError, ExerciseFileError, ProfileError, StoreError, LabelError, Refused,
            ClusterError, OSError)


def _analyze(args: argparse.Namespace) -> int:
    from formcheck.analysis.batch import RecordAs, VideoTask, analyze_videos
    from formcheck.analysis.parallel import default_jobs
    from formcheck.core.smoothing import SmoothingConfig
    from formcheck.video.frames import video_files

    inputs = args.videos or [DEFAULT_SAMPLE]
    single = len(inputs) == 1 and not inputs[0].is_dir()  # one file: written straight into --out
    videos = [v for path in inputs for v in (video_files(path) if path.is_dir() else [path])]
    targets = [(videos[0], args.out)] if single else list(zip(videos, _video_folders(args.out, videos), strict=True))
    definition = None
    if args.exercise:
        from formcheck.exercises.loader import load_by_id
        from formcheck.exercises.profile import POPULATION, personalise

        definition = load_by_id(args.exercise)
        profile_file = getattr(args, "profile", None)
        if profile_file is not None or getattr(args, "record", False):
            definition, notes = personalise(definition, args.person, profile_file=profile_file)
            for note in notes:
                print(f"formcheck: {note}", file=sys.stderr)
            print(f"judged with {definition.profile or POPULATION} thresholds")
    store = record = None
    if getattr(args, "record", False):
        from formcheck.records.store import Store

        store = Store()  # opened first: a database problem is reported before minutes of analysis
        record = RecordAs(store.path, args.person)
    smoothing = SmoothingConfig(enabled=not args.no_smoothing)
    tasks = [VideoTask(video, out, definition, args.annotated, smoothing, record) for video, out in targets]
    try:
        items = analyze_videos(tasks, jobs=args.jobs or default_jobs(), cluster=getattr(args, "cluster", None),
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
        print(f"recorded as session {result.session_id} in {store.path} ({state})")
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
        print(f"sessions recorded in {store.path}")
    if failed:
        print(f"formcheck: {failed} of {done + failed} videos failed (see above); the others were analysed",
              file=sys.stderr)
        return 1
    return 0


def _eval(args: argparse.Namespace) -> int:
    from formcheck.evaluation.evaluate import ClipScore, format_sources, format_table, run_eval, write_json

    def progress(done: int, total: int, score: ClipScore) -> None:
        took = f"{score.elapsed_s:.1f} s" if score.status == "ok" else f"{score.status}: {score.reason}"
        print(f"[{done:{len(str(total))}}/{total}] {score.file}  {took}", file=sys.stderr)

    if args.json is not None and not args.json.parent.is_dir():  # found out now, not after the analysis
        print(f"formcheck: the folder for --json {args.json} does not exist; create it or give another path",
              file=sys.stderr)
        return 2
    try:
        result = run_eval(args.labels, clips_dir=args.clips, jobs=args.jobs, cluster=args.cluster, repeat=args.repeat,
                          only=args.only, on_clip=progress)
    except KeyboardInterrupt as exc:  # the clips under way were stopped; nothing was written
        print(f"interrupted{f' ({exc})' if str(exc) else ''}; no results written", file=sys.stderr)
        return 130
    print(format_table(result))
    if args.by_source:
        print("\n" + format_sources(result))
    if args.json is not None:
        write_json(result, args.json)
        print(f"wrote {args.json}")
    if result.totals.errors:
        print(f"formcheck: {result.totals.errors} clips could not be analysed (see the table)", file=sys.stderr)
        return 1
    return 0


def _bench(args: argparse.Namespace) -> int:
    videos = args.videos or [DEFAULT_SAMPLE]
    if args.jobs is None and len(videos) > 1:
        print("formcheck: bench takes one video (or several with --jobs)", file=sys.stderr)
        return 2
    if args.live:
        import os

        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from formcheck.ui.live_bench import run_live

        run = run_live(videos[0], args.exercise or "squat", args.seconds, report_s=10.0,
                       on_interval=lambda i: print(i.line(), flush=True))
        print(f"{videos[0]} live: {run.summary()}")
        return 0
    from formcheck.evaluation.bench import run_bench, run_jobs_bench

    definition = None
    if args.exercise:
        from formcheck.exercises.loader import load_by_id

        definition = load_by_id(args.exercise)
    if args.jobs is not None:
        print(run_jobs_bench(videos, args.jobs, repeats=args.repeats, exercise=definition).text())
        return 0
    factory = None
    if definition is not None:
        from functools import partial

        from formcheck.core.tracker import ExerciseTracker

        factory = partial(ExerciseTracker, definition)
    result = run_bench(
        videos[0], repeats=args.repeats, limit=args.frames, draw=args.annotate,
        tracker_factory=factory,
    )
    print(f"{videos[0]}")
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
                                jobs=None)
        return _analyze(ns)
    from formcheck.ui.app import run_app

    return run_app(getattr(args, "video", None), getattr(args, "camera", None), getattr(args, "exercise", None))


def _report(args: argparse.Namespace) -> int:
    from formcheck.records.store import Store, StoreError
    from formcheck.reports.session_report import write_report

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
    from formcheck.records.store import Store

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
    from formcheck.records.repair import repair

    report = repair(data_dir() / "formcheck.db")
    print(report.text())
    return 1 if report.skipped else 0


def _programme(args: argparse.Namespace) -> int:
    from formcheck.core.programme import apply_proposals, propose
    from formcheck.exercises.loader import load_library
    from formcheck.exercises.programme_file import dumps, load
    from formcheck.records import programme_store
    from formcheck.records.store import Store, StoreError

    store = Store()
    try:
        if args.action == "import":
            programme = load(args.file, set(load_library().exercises), person=args.person)
            saved, new = programme_store.save(store, programme)
            print(f"saved {args.person}'s programme as {saved.label()}" if new
                  else f"{args.person}'s programme is unchanged ({saved.label()}); nothing saved")
            return 0
        if args.action == "confirm":
            waiting = programme_store.pending(store, args.person)
            if not waiting:
                raise StoreError(f"{args.person!r} has no programme version waiting to be confirmed.")
            for p in waiting:
                confirmed = programme_store.confirm(store, p.uid)
            print(f"confirmed: {args.person}'s current programme is now {confirmed.label()} ({confirmed.created})")
            return 0
        current = programme_store.current_programme(store, args.person)
        if current is None:
            raise StoreError(f"{args.person!r} has no programme yet; `formcheck programme import FILE --person NAME` "
                             "saves one")
        if args.action == "export":
            text = dumps(current)
            if args.out:
                args.out.write_text(text, encoding="utf-8")
                print(f"wrote {args.out} ({current.label()})")
            else:
                print(text, end="")
            return 0
        proposals = propose(current, programme_store.outcomes(store, current))
        if args.action == "show":
            from formcheck.reports.adherence import adherence

            print(current.text())
            print(adherence(store, args.person).text())
        lines = [f"  proposed: {p.text()}" for p in proposals] or ["  no change proposed by the progression rule"]
        print("\n".join(lines))
        if args.action == "progress" and args.confirm and proposals:
            saved, _ = programme_store.save(store, apply_proposals(current, proposals))
            print(f"confirmed: saved as {saved.label()}")
    finally:
        store.close()
    return 0


def _bundle(args: argparse.Namespace) -> int:
    from formcheck.records.bundle import default_name, export_bundle, import_bundle
    from formcheck.records.store import Store

    store = Store()
    try:
        if args.action == "export":
            out = args.out or Path(default_name(args.pseudonym or args.person))
            print(export_bundle(store, args.person, out, args.since, not args.no_video, args.pseudonym).text())
        else:
            report = import_bundle(store, args.file, args.as_person)
            if args.confirm_programme:
                from formcheck.records import programme_store

                for p in report.pending:
                    programme_store.confirm(store, p.uid)
                report.pending = []
            print(report.text())
    finally:
        store.close()
    return 0


def _rejudge(args: argparse.Namespace) -> int:
    from formcheck.analysis.rejudge import rejudge_session, report_text
    from formcheck.exercises.profile import read_profile
    from formcheck.records.store import Store

    profile = read_profile(args.profile) if args.profile is not None else None
    store = Store()
    try:
        session = store.session(args.session)
    finally:
        store.close()
    print(f"session {session.id}: {session.person}, {session.source}, {session.started}")
    print(report_text(rejudge_session(session.folder, profile)))
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    import contextlib
    import itertools
    import time

    from formcheck.analysis import calibrate as cal
    from formcheck.video.frames import open_source

    source = open_source(args.camera if args.camera is not None else args.video)
    with contextlib.closing(cal.watch(source)) as watched:  # closes the camera and the model when done
        frames: Iterator[cal.Seen] = watched
        if args.camera is not None:  # a live camera runs until done or out of time
            start = time.monotonic()
            frames = itertools.takewhile(lambda _s: time.monotonic() - start < args.seconds, frames)
        return _calibrate_with(args, frames)


def _calibrate_with(args: argparse.Namespace, frames: Iterator[Any]) -> int:
    from formcheck.analysis import calibrate as cal
    from formcheck.core.body import BodyCalibrationError
    from formcheck.exercises.loader import load_by_id, load_library

    made_from = f"camera {args.camera}" if args.camera is not None else f"video {args.video}"
    if args.what == "camera":
        exercise = load_by_id(args.exercise)
        live = args.camera is not None
        if live:
            print(f"Get into the starting position: {exercise.setup.position_cue if exercise.setup else ''}")
        placement = cal.check_camera(frames, exercise, live, (lambda p: print(p.text(), "\n")) if live else None)
        if placement is None:
            print("formcheck: the recording is too short to judge the camera's placement (1.5 s at least)",
                  file=sys.stderr)
            return 1
        if live:
            print(f"saved in {cal.save_camera_check(str(args.camera), placement)}")
        else:
            print(placement.text())
        return 0 if placement.ok else 1
    library = load_library().exercises
    try:
        if args.what == "body":
            profile = cal.calibrate_body(args.name, frames, made_from, args.by, library=library)
            body = profile.body
            assert body is not None
            print(f"{args.name}: body measured on {body.frames} frames ({', '.join(body.views)} view)"
                  + (f", feet {body.stance:.1f} hip widths apart" if body.stance is not None else ""))
            for name, metres in body.world_m.items():
                units = body.body_units(name)
                print(f"  {name:16s} {metres:5.2f} m" + (f"  {units:4.2f} trunk lengths" if units else ""))
        else:
            profile, notes = cal.calibrate_person(args.name, load_by_id(args.exercise), frames, made_from,
                                                  args.reason, args.by, library=library)
            values = profile.exercises[args.exercise]
            print(f"{args.name}: {args.exercise} targets from {cal.REFERENCE_REPS} reference reps")
            for key, value in values.rep.items():
                print(f"  rep.{key} = {value:g}")
            for code, rule in values.rules.items():
                print("  " + ", ".join(f"{code}.{k} = {v:g}" for k, v in rule.items()))
            for note in notes:
                print(f"formcheck: {note}", file=sys.stderr)
    except (cal.CalibrationError, BodyCalibrationError) as exc:
        print(f"formcheck: {exc}", file=sys.stderr)
        return 1
    print(f"saved as {profile.label} in {profile.path} (used from the next session)")
    return 0


def _exercises(faults: str | None = None) -> int:
    from formcheck.exercises.loader import load_by_id, load_library
    from formcheck.paths import user_exercises_dir

    if faults:  # one exercise: an unknown id is a clear message
        from formcheck.exercises.describe import fault_lines

        ex = load_by_id(faults)
        print("\n".join([f"{ex.id} ({ex.name}):", *fault_lines(ex)]))
        return 0
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
            if faults is not None:
                from formcheck.exercises.describe import fault_lines

                print("\n".join(f"    {line}" for line in fault_lines(ex)))
    print(f"Your own exercises go in {user_exercises_dir()} (see README, \"Custom exercises\").")
    for problem in library.problems:
        print(f"formcheck: warning: skipped {problem}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
