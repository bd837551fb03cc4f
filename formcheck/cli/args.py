"""Argument types and defaults more than one command shares."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # What each command module's add_parser(sub) receives: the top parser's subcommands.
    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

DEFAULT_SAMPLE = Path(__file__).resolve().parents[2] / "sample_videos" / "squat_good.mp4"


def at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return value


def add_where_it_runs(parser: argparse.ArgumentParser, unit: str, shared: str) -> None:
    """``--jobs N`` or ``--cluster ADDRESS`` (never both) for a command that analyses several
    ``unit``s (videos, clips); ``shared``: what must be at the same paths on every worker."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=at_least_one, default=None,
                       help=f"{unit}s analysed at the same time, each in its own process (default: one per core); "
                            f"a {unit} is always analysed whole in one process, so --jobs never changes its results")
    where.add_argument("--cluster", metavar="ADDRESS",
                       help=f"analyse on the workers of this Dask scheduler (tcp://HOST:8786), one task per {unit}; "
                            f"{shared} must be at the same paths on every worker (a shared folder)")


def person(text: str) -> str:
    from formcheck.records.database.connection import StoreError
    from formcheck.records.database.people import person_name

    try:
        return person_name(text)
    except StoreError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"must be a date like 2026-11-02, got {text!r}") from exc
