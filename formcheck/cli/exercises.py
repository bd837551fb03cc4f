"""``formcheck exercises``: the exercise library, built-in and custom, and what each fault code checks."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from formcheck.cli.args import Subcommands


def add_parser(sub: Subcommands) -> None:
    ex = sub.add_parser("exercises", help="list the exercise library")
    ex.add_argument("--faults", nargs="?", const="", default=None, metavar="ID",
                    help="list the fault codes of every exercise (or of exercise ID) and what each one checks")
    ex.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from formcheck.exercises.loader import load_by_id, load_library
    from formcheck.paths import user_exercises_dir

    faults: str | None = args.faults
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
