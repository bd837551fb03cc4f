"""``formcheck posture``: the desk posture mode on a camera or a video, from the command line."""

from __future__ import annotations

import argparse
import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from formcheck.core.posture_coach import PostureEvent, PostureMinute, PostureReminder, PostureSettings, ReminderResponse
from formcheck.core.posture_judge import CalibrationError, typical_baseline
from formcheck.records.posture_baseline import BaselineFileError, BaselineStore, SavedBaseline

if TYPE_CHECKING:
    from formcheck.cli.args import Subcommands

MAX_FPS = 2.0


def _fps(text: str) -> float:
    value = float(text)
    if not 0 < value <= MAX_FPS:
        raise argparse.ArgumentTypeError(f"the posture mode runs at most {MAX_FPS:g} frames per second")
    return value


def _minutes(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("give a number of minutes above 0, e.g. 2 or 0.5")
    return value


def _quiet(text: str) -> tuple[int, int]:
    try:
        start, end = (datetime.strptime(p.strip(), "%H:%M") for p in text.split("-"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"quiet hours as HH:MM-HH:MM, e.g. 12:00-13:00, not {text!r}") from None
    return start.hour * 60 + start.minute, end.hour * 60 + end.minute


def add_parser(sub: Subcommands) -> None:
    d = PostureSettings()
    p = sub.add_parser("posture", help="desk posture reminders from the camera, against your own sitting-tall baseline")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--camera", help="a camera (index or device path)")
    src.add_argument("--video", type=Path, help="a video file (analysed as fast as it decodes)")
    p.add_argument("--baseline-s", type=float, default=10.0,
                   help="seconds of sitting tall to calibrate on at the start (default 10)")
    p.add_argument("--baseline-start", type=float, default=0.0,
                   help="with --video, where the sitting-tall stretch starts (seconds)")
    p.add_argument("--typical", action="store_true",
                   help="skip calibration and judge against typical sitting-tall values (side view)")
    p.add_argument("--saved", action="store_true",
                   help="with --person: use their baseline saved by the last calibration instead of calibrating")
    p.add_argument("--fps", type=_fps, default=1000 / d.sample_ms,
                   help=f"frames per second, at most {MAX_FPS:g} (default {1000 / d.sample_ms:g})")
    p.add_argument("--after-min", type=_minutes, default=d.after_ms / 60_000,
                   help="remind once a posture has lasted this long (default 2)")
    p.add_argument("--interval-min", type=_minutes, default=d.min_interval_ms / 60_000,
                   help="never remind more often than this (default 10)")
    p.add_argument("--break-min", type=_minutes, default=d.break_after_ms / 60_000,
                   help="a break reminder after sitting this long (default 45)")
    p.add_argument("--quiet", type=_quiet, action="append", default=[], metavar="HH:MM-HH:MM",
                   help="quiet hours: no reminders then (may be given more than once)")
    p.add_argument("--person", help="save the minutes and reminders under this person (nothing else is stored)")
    p.set_defaults(run=run)


def settings_from(args: argparse.Namespace) -> PostureSettings:
    return PostureSettings(sample_ms=round(1000 / args.fps), after_ms=round(args.after_min * 60_000),
                           min_interval_ms=round(args.interval_min * 60_000),
                           break_after_ms=round(args.break_min * 60_000), quiet_hours=tuple(args.quiet))


def _describe(event: PostureEvent) -> str | None:
    if isinstance(event, PostureReminder):
        return f"{event.t_ms / 1000:8.1f} s  reminder ({event.kind}, lasted {event.lasted_ms / 1000:.0f} s): {event.text}"
    if isinstance(event, ReminderResponse):
        how = {"corrected": f"back within {(event.after_ms or 0) / 1000:.0f} s", "not_corrected": "not corrected",
               "paused": "not known (the watching stopped first)"}[event.outcome]
        return f"{event.t_ms / 1000:8.1f} s  response to the {event.kind} reminder: {how}"
    return None


def run(args: argparse.Namespace) -> int:
    from formcheck.analysis.posture_mode import (  # here: OpenCV and MediaPipe load slowly
        SampledCamera,
        SampledVideo,
        calibrate_from,
        pose_estimator,
        posture_model,
        sample,
        watch,
    )

    settings = settings_from(args)
    model, note = posture_model()
    print(note)
    camera = args.camera is not None

    def source(every_ms: int, start_ms: int = 0, end_ms: int | None = None) -> Any:
        if camera:
            return SampledCamera(int(args.camera) if str(args.camera).isdigit() else args.camera, every_ms)
        return SampledVideo(args.video, every_ms, start_ms, end_ms)

    now = datetime.now()
    day_ms = ((now.hour * 60 + now.minute) * 60 + now.second) * 1000
    baselines = BaselineStore()
    saved: SavedBaseline | None = None
    if args.saved:
        if not args.person:
            print("formcheck: --saved needs --person (whose baseline?)")
            return 2
        try:
            saved = baselines.load(args.person)
        except BaselineFileError as exc:
            print(f"formcheck: {exc} — calibrate again (without --saved)")
            return 2
        if saved is None:
            print(f"formcheck: no saved baseline for {args.person} — calibrate first (without --saved)")
            return 2
    calibrated: str | None = datetime.now(UTC).isoformat(timespec="seconds")  # when the baseline was taken
    with pose_estimator(model) as est:
        if args.typical:
            baseline, calibrated = typical_baseline("side"), None
        elif saved is not None:
            baseline, calibrated = saved.baseline, saved.saved
            print(f"using {args.person}'s baseline saved {saved.saved}")
        else:
            start = round(args.baseline_start * 1000)
            print(f"Calibrating: sit the way your therapist showed you, {args.baseline_s:g} seconds.")
            cal = source(settings.calibration_ms, start, start + round(args.baseline_s * 1000))
            try:
                frames = cal if not camera else _first_ms(cal, round(args.baseline_s * 1000))
                baseline = calibrate_from(frames, est)
            except CalibrationError as exc:
                print(f"formcheck: {exc}")
                return 2
            finally:
                cal.close()
            if args.person:
                print(f"baseline saved for next time: {baselines.save(args.person, baseline)}")
        judged = ", ".join(f"{k} {v:.2f}" for k, v in baseline.values.items())
        print(f"baseline ({baseline.view} view, {baseline.source}): {judged}")
        recorder = None
        if args.person:
            from formcheck.records.posture_records import PostureRecorder
            from formcheck.records.store import Store

            recorder = PostureRecorder(Store(), args.person, args.camera if camera else str(args.video), {
                "view": baseline.view, "baseline": baseline.as_dict(), "calibrated": calibrated, "model": model.stem,
                "settings": dataclasses.asdict(settings)})
        src = source(settings.sample_ms)
        minutes: list[PostureMinute] = []

        def on_event(event: PostureEvent) -> None:
            if recorder:
                recorder.add(event)
            if isinstance(event, PostureMinute):
                minutes.append(event)
            text = _describe(event)
            if text:
                print(text, flush=True)

        status = "complete"
        try:
            watch(sample(src, est), baseline, settings, day_ms, on_event)
        except KeyboardInterrupt:  # Ctrl-C is how a camera session ends
            status = "complete"
        finally:
            src.close()
            if recorder:
                recorder.close(status)
                print(f"saved as session {recorder.session_id} ({recorder.folder})")
    up = sum(m.upright_ms for m in minutes) / 60_000
    bad = sum(m.fault_ms for m in minutes) / 60_000
    print(f"upright {up:.1f} min, not upright {bad:.1f} min")
    return 0


def _first_ms(frames: Any, ms: int) -> Any:
    """The frames of a camera's first ``ms`` milliseconds."""
    for frame in frames:
        if frame.t_ms >= ms:
            return
        yield frame
